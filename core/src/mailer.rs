//! Sending mail: the [`Mailer`] trait, the outbox records it reads, and [`MemoryMailer`] for tests.
//!
//! Mail goes through an outbox kept in the store: the service records each rendered message
//! ([`OutboxMessage`]) in the same transaction as the invitation it announces, then hands it to
//! the mailer. Delivery marks it [`DeliveryState::Sent`] (and drops its bodies, which carry the
//! link's token); a failure marks it [`DeliveryState::Failed`] with the reason, and
//! [`crate::service::Invitations::deliver_pending`] tries it again later. A sent message is never
//! claimed again, so a retry never sends twice.
//!
//! ```
//! use invitekit::mailer::{Mailer, MemoryMailer};
//!
//! let mailer = MemoryMailer::new();
//! assert!(mailer.messages().is_empty());
//! ```

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::model::{ClientId, InvitationId, MessageId, OrgId};
use crate::{Error, ErrorKind};

/// Delivers rendered messages: SMTP, a provider's API, files, a host's mail backend.
///
/// Object-safe and shareable (`Arc<dyn Mailer>`). The one error type is [`Error`]; a mailer
/// reports a failure as [`ErrorKind::DeliveryFailed`] with a reason in words, which the outbox
/// keeps.
pub trait Mailer: Send + Sync {
    /// Delivers `message`. `message.id` is stable across retries: a mailer whose transport
    /// supports idempotency keys can pass it on.
    ///
    /// # Errors
    ///
    /// Any error: the message stays in the outbox, marked failed with the error's text.
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error>;
}

/// Where an outbox message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Recorded, not yet delivered.
    Pending,
    /// Delivered; never sent again.
    Sent,
    /// The last attempt failed; it will be tried again.
    Failed,
}

impl DeliveryState {
    /// The state's name: `pending`, `sent` or `failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    /// The state named `name`, if any.
    pub fn from_name(name: &str) -> Option<DeliveryState> {
        match name {
            "pending" => Some(DeliveryState::Pending),
            "sent" => Some(DeliveryState::Sent),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

/// One message in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Its id.
    pub id: MessageId,
    /// The organization.
    pub org: OrgId,
    /// The client it goes to.
    pub client: ClientId,
    /// The invitation it announces.
    pub invitation: Option<InvitationId>,
    /// The rendered message. Once sent, its `text` and `html` are emptied: they held the token.
    pub message: Message,
    /// Where it is.
    pub state: DeliveryState,
    /// How many times it was handed to a mailer.
    pub attempts: u32,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// A worker that claimed it holds it until this instant; others skip it until then.
    pub claimed_until: Option<DateTime<Utc>>,
}

impl OutboxMessage {
    /// A pending message, never attempted.
    pub fn new(
        id: MessageId,
        org: OrgId,
        client: ClientId,
        invitation: Option<InvitationId>,
        message: Message,
        created_at: DateTime<Utc>,
    ) -> Self {
        OutboxMessage {
            id,
            org,
            client,
            invitation,
            message,
            state: DeliveryState::Pending,
            attempts: 0,
            created_at,
            sent_at: None,
            last_error: None,
            claimed_until: None,
        }
    }
}

/// A mailer that keeps what it is given, for tests and examples. It can be told to fail every
/// `n`th delivery, to test retries.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    delivered: Mutex<Vec<OutboxMessage>>,
    fail_every: u64,
    attempts: AtomicU64,
}

impl MemoryMailer {
    /// A mailer that delivers everything.
    pub fn new() -> Self {
        MemoryMailer::default()
    }

    /// A mailer whose `n`th, `2n`th, ... attempts fail (`n` = 0: none fail).
    pub fn failing_every(n: u64) -> Self {
        MemoryMailer {
            fail_every: n,
            ..MemoryMailer::default()
        }
    }

    /// The messages delivered, in order.
    pub fn messages(&self) -> Vec<OutboxMessage> {
        self.delivered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The messages delivered so far, removed from the mailer.
    pub fn take(&self) -> Vec<OutboxMessage> {
        std::mem::take(&mut *self.delivered.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// How many deliveries were attempted, failed ones included.
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::SeqCst)
    }
}

impl Mailer for MemoryMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_every > 0 && attempt.is_multiple_of(self.fail_every) {
            return Err(Error::new(ErrorKind::DeliveryFailed {
                message: format!("attempt {attempt} failed on purpose"),
            }));
        }
        self.delivered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message.clone());
        Ok(())
    }
}
