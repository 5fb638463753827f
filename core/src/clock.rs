//! Where `now` comes from: the [`Clock`] trait, the [`SystemClock`] and a [`FixedClock`] for tests
//! and audits.
//!
//! Rules never read the time themselves; the service asks its clock once per call and passes the
//! instant down, so one call sees one `now`.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use invitekit::clock::{Clock, FixedClock};
//!
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap());
//! clock.advance(Duration::days(15));
//! assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap());
//! ```

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant, in UTC.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that shows the instant it was set to until it is moved ([`FixedClock::set`],
/// [`FixedClock::advance`]).
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        FixedClock {
            now: Mutex::new(now),
        }
    }

    /// Sets the instant.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the instant by `by` (which may be negative), stopping at the first or last
    /// instant a `DateTime<Utc>` can hold rather than overflowing.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now
            .checked_add_signed(by)
            .unwrap_or(if by < Duration::zero() {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            });
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let t0 = Utc
            .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
            .single()
            .expect("instant");
        let clock = FixedClock::new(t0);
        assert_eq!(clock.now(), t0);
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::minutes(-5));
        assert_eq!(clock.now(), t0 - Duration::minutes(5));
        clock.set(t0);
        assert_eq!(clock.now(), t0);
    }

    #[test]
    fn a_fixed_clock_stops_at_the_ends_of_time() {
        let clock = FixedClock::new(DateTime::<Utc>::MAX_UTC - Duration::days(1));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
        clock.set(DateTime::<Utc>::MIN_UTC + Duration::days(1));
        clock.advance(Duration::days(-2));
        assert_eq!(clock.now(), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn the_system_clock_moves_forward() {
        let a = SystemClock.now();
        let b = SystemClock.now();
        assert!(b >= a);
    }
}
