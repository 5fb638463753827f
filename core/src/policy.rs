//! An organization's policies: the expiry window, the time zone deadlines are stated in, whose
//! identity may accept an invitation, and the limits of sign-up links.
//!
//! ```
//! use chrono::{TimeZone as _, Utc};
//! use invitekit::policy::{ExpiryWindow, TimeZone};
//!
//! let window = ExpiryWindow::new(14)?;
//! let sent = Utc.with_ymd_and_hms(2026, 11, 21, 23, 30, 0).unwrap();
//! let deadline = window.deadline(sent);
//! assert!(!window.is_expired(sent, deadline - chrono::Duration::seconds(1)));
//! assert!(window.is_expired(sent, deadline));
//! let paris = TimeZone::parse("Europe/Paris")?;
//! assert_eq!(paris.format_deadline(deadline), "6 December 2026 at 00:30 CET");
//! # Ok::<(), invitekit::Error>(())
//! ```

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind};
use crate::model::{Email, Identity, SignupLink};

/// How long an invitation stays valid: a whole number of days from 1 to 90.
///
/// 14 days by default, 30 the other common preset. An invitation sent at `sent_at` is expired
/// at and after `sent_at + days × 24 h`: UTC instants, so no time zone or daylight-saving change
/// moves the deadline. Serialized as the number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpiryWindow {
    days: u8,
}

impl ExpiryWindow {
    /// The shortest window.
    pub const MIN_DAYS: u32 = 1;
    /// The longest window.
    pub const MAX_DAYS: u32 = 90;
    /// The default: 14 days.
    pub const FOURTEEN_DAYS: ExpiryWindow = ExpiryWindow { days: 14 };
    /// The other common preset: 30 days.
    pub const THIRTY_DAYS: ExpiryWindow = ExpiryWindow { days: 30 };

    /// A window of `days` days.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::InvalidExpiryWindow`] unless `days` is from 1 to 90.
    pub fn new(days: i64) -> Result<Self, Error> {
        match u8::try_from(days) {
            Ok(d) if (Self::MIN_DAYS..=Self::MAX_DAYS).contains(&u32::from(d)) => {
                Ok(ExpiryWindow { days: d })
            }
            _ => Err(Error::new(ErrorKind::InvalidExpiryWindow { days })),
        }
    }

    /// The number of days.
    pub fn days(self) -> u32 {
        u32::from(self.days)
    }

    /// The window as a duration.
    pub fn duration(self) -> Duration {
        Duration::days(i64::from(self.days))
    }

    /// The instant from which an invitation sent at `sent_at` is expired.
    pub fn deadline(self, sent_at: DateTime<Utc>) -> DateTime<Utc> {
        sent_at
            .checked_add_signed(self.duration())
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether an invitation sent at `sent_at` is expired at `now` (at or after its deadline).
    pub fn is_expired(self, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now >= self.deadline(sent_at)
    }
}

impl Default for ExpiryWindow {
    fn default() -> Self {
        ExpiryWindow::FOURTEEN_DAYS
    }
}

impl Serialize for ExpiryWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.days)
    }
}

impl<'de> Deserialize<'de> for ExpiryWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ExpiryWindow::new(i64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone, in which emails state deadlines and tables show dates. UTC by default.
///
/// Serialized as its name, for example `"Europe/Paris"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    /// The zone named `name` in the IANA database, for example `America/New_York` or `UTC`.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::InvalidTimeZone`] for a name the database does not have.
    pub fn parse(name: &str) -> Result<Self, Error> {
        name.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| Error::new(ErrorKind::InvalidTimeZone { name: short(name) }))
    }

    /// The zone's IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// A deadline as an email states it: `6 December 2026 at 00:30 CET`, in this zone, with
    /// the zone's abbreviation at that instant.
    pub fn format_deadline(self, instant: DateTime<Utc>) -> String {
        instant
            .with_timezone(&self.0)
            .format("%-d %B %Y at %H:%M %Z")
            .to_string()
    }

    /// A date as tables show it: `21 Nov 2026`, in this zone.
    pub fn format_date(self, instant: DateTime<Utc>) -> String {
        instant
            .with_timezone(&self.0)
            .format("%-d %b %Y")
            .to_string()
    }
}

/// At most 64 bytes of a name, cut on a character boundary, for an error message.
fn short(name: &str) -> String {
    let mut end = name.len().min(64);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Whose identity may accept an invitation. Serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailBinding {
    /// The identity's email has the invited address's dedup key (the default).
    #[default]
    SameAddress,
    /// The identity's email is at the invited address's domain.
    SameDomain,
    /// Any authenticated identity; which one is recorded on the client.
    AnyIdentity,
}

impl EmailBinding {
    /// The binding's snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EmailBinding::SameAddress => "same_address",
            EmailBinding::SameDomain => "same_domain",
            EmailBinding::AnyIdentity => "any_identity",
        }
    }

    /// Whether `identity` may accept an invitation sent to `invited`.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::EmailMismatch`] when it may not.
    pub fn check(self, invited: &Email, identity: &Identity) -> Result<(), Error> {
        let allowed = match self {
            EmailBinding::SameAddress => invited.key == identity.email.key,
            EmailBinding::SameDomain => domain(&invited.key) == domain(&identity.email.key),
            EmailBinding::AnyIdentity => true,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::EmailMismatch { binding: self }))
        }
    }
}

/// The domain of a dedup key (keys always have one `@` outside any quotes, the last one).
pub(crate) fn domain(key: &str) -> &str {
    key.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// Whether a client created with `role` is invited at once, whatever the creator asked: a guest
/// added to an account is (the product's rule), other roles only when the creator says so.
pub const fn invited_on_creation(role: crate::model::Role) -> bool {
    matches!(role, crate::model::Role::Guest)
}

/// The longest name (of a client, group, program or organization) accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A name as stored: trimmed, refused when empty, longer than [`MAX_NAME_CHARS`], or holding a
/// control character (a line break would break headers and tables).
///
/// # Errors
///
/// [`crate::ErrorCode::InvalidMessageText`] naming `field`.
pub fn check_name(name: &str, field: &'static str) -> Result<String, Error> {
    let trimmed = name.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > MAX_NAME_CHARS
        || trimmed.chars().any(char::is_control)
    {
        return Err(Error::new(ErrorKind::InvalidMessageText { field }));
    }
    Ok(trimmed.to_owned())
}

/// The key two group or program names are compared by: trimmed and lowercased, so "Cohort A"
/// and " cohort a" name the same group. Stores enforce unique group names on this key.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Whether a person with `email` may join through `link` at `now`: the link is enabled, has uses
/// left, and allows the email's domain.
///
/// # Errors
///
/// [`crate::ErrorCode::SignupLinkDisabled`], [`crate::ErrorCode::SignupLinkExhausted`] or
/// [`crate::ErrorCode::EmailDomainNotAllowed`], checked in that order.
pub fn check_join(link: &SignupLink, email: &Email, now: DateTime<Utc>) -> Result<(), Error> {
    if link.disabled_at.is_some_and(|at| at <= now) {
        return Err(Error::new(ErrorKind::SignupLinkDisabled));
    }
    if let Some(max_uses) = link.max_uses
        && link.uses >= max_uses
    {
        return Err(Error::new(ErrorKind::SignupLinkExhausted { max_uses }));
    }
    let domain = domain(&email.key);
    if !link.allowed_domains.is_empty()
        && !link
            .allowed_domains
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(domain))
    {
        return Err(Error::new(ErrorKind::EmailDomainNotAllowed));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::ErrorCode;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("instant")
    }

    #[test]
    fn windows_are_whole_days_from_1_to_90() {
        assert_eq!(ExpiryWindow::default().days(), 14);
        assert_eq!(ExpiryWindow::THIRTY_DAYS.days(), 30);
        for days in [1, 14, 30, 90] {
            assert_eq!(ExpiryWindow::new(days).expect("valid").days() as i64, days);
        }
        for days in [i64::MIN, -1, 0, 91, 256, 1_000] {
            assert_eq!(
                ExpiryWindow::new(days).expect_err("invalid").code(),
                ErrorCode::InvalidExpiryWindow
            );
        }
        assert_eq!(
            serde_json::to_string(&ExpiryWindow::THIRTY_DAYS).ok(),
            Some("30".into())
        );
        assert!(serde_json::from_str::<ExpiryWindow>("0").is_err());
        assert!(serde_json::from_str::<ExpiryWindow>("91").is_err());
    }

    #[test]
    fn expired_at_and_after_the_deadline_in_utc() {
        let window = ExpiryWindow::FOURTEEN_DAYS;
        // Sent the evening before Europe's daylight-saving change: still exactly 14 × 24 h.
        let sent = at(2026, 10, 24, 22, 15);
        let deadline = window.deadline(sent);
        assert_eq!(deadline, at(2026, 11, 7, 22, 15));
        assert!(!window.is_expired(sent, deadline - Duration::nanoseconds(1)));
        assert!(window.is_expired(sent, deadline));
        assert!(window.is_expired(sent, deadline + Duration::days(400)));
        assert_eq!(
            window.deadline(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn only_guests_are_invited_on_creation() {
        use crate::model::Role;
        let invited: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|&role| invited_on_creation(role))
            .collect();
        assert_eq!(invited, [Role::Guest]);
    }

    #[test]
    fn deadlines_are_stated_in_the_organizations_zone() {
        let deadline = at(2026, 12, 5, 23, 30);
        assert_eq!(
            TimeZone::default().format_deadline(deadline),
            "5 December 2026 at 23:30 UTC"
        );
        let tokyo = TimeZone::parse("Asia/Tokyo").expect("zone");
        assert_eq!(
            tokyo.format_deadline(deadline),
            "6 December 2026 at 08:30 JST"
        );
        let new_york = TimeZone::parse("America/New_York").expect("zone");
        assert_eq!(new_york.format_date(deadline), "5 Dec 2026");
        assert_eq!(
            new_york.format_deadline(at(2026, 7, 1, 16, 0)),
            "1 July 2026 at 12:00 EDT"
        );
        let error = TimeZone::parse("Mars/Olympus").expect_err("unknown");
        assert_eq!(error.code(), ErrorCode::InvalidTimeZone);
        let json = serde_json::to_string(&tokyo).expect("json");
        assert_eq!(json, "\"Asia/Tokyo\"");
        assert_eq!(serde_json::from_str::<TimeZone>(&json).ok(), Some(tokyo));
        let long = "é".repeat(100);
        assert!(TimeZone::parse(&long).expect_err("long").to_string().len() < 200);
    }

    #[test]
    fn names_are_one_line_and_compared_without_case() {
        assert_eq!(check_name("  Cohort A ", "name"), Ok("Cohort A".to_owned()));
        for bad in [
            "",
            "   ",
            "Bad\nname",
            "tab\there",
            &"x".repeat(MAX_NAME_CHARS + 1),
        ] {
            assert_eq!(
                check_name(bad, "name").map_err(|e| e.code()),
                Err(ErrorCode::InvalidMessageText),
                "{bad:?}"
            );
        }
        assert_eq!(name_key(" Cohort Ä "), name_key("cohort ä"));
        assert_ne!(name_key("Cohort A"), name_key("Cohort B"));
    }
}
