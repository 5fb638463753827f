//! TypeScript shapes of what `Invitations` resolves to and of the host objects it calls, for
//! the generated `index.d.ts`.
//!
//! The values themselves are built by [`crate::convert::to_js`] from the core's serde records
//! and by [`crate::records`]; these structs are never built: `#[napi(object)]` with neither
//! conversion only declares an interface. Keys are camelCase, instants `Date`s, statuses and
//! roles string-literal unions of their snake_case names. The records they contain
//! (`Organization`, `Client`, `Invitation`, `Preview`, `InvitekitEvent`) and the unions
//! (`Role`, `Status`) are declared by hand in `typings/invitekit.d.ts`.
#![allow(dead_code)] // Declarations only: never constructed.

use chrono::{DateTime, Utc};
use napi_derive::napi;

/// A client and all its invitations, as `Invitations` resolves them (a plain object; the
/// `ClientRecord` class wraps one for hosts that keep their own records).
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct ClientWithInvitations {
    /// The client.
    #[napi(ts_type = "Client")]
    pub client: (),
    /// Its invitations, in the order they were sent.
    #[napi(ts_type = "Invitation[]")]
    pub invitations: (),
}

/// A client in a list, with its status now and the instants that status shows.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct ListedClient {
    /// The client and its invitations.
    pub record: ClientWithInvitations,
    /// Its status at the list's instant.
    #[napi(
        ts_type = "{ status: 'provisioned' } | { status: 'invite_pending'; sentAt: Date; expiresAt: Date } | { status: 'invite_expired'; sentAt: Date; expiredAt: Date } | { status: 'activated'; acceptedAt: Date; lastSeenAt: Date | null } | { status: 'archived'; archivedAt: Date }"
    )]
    pub status: (),
}

/// A page of the client list with its counts.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct ClientList {
    /// The instant the statuses are taken at.
    pub now: DateTime<Utc>,
    /// The page.
    pub clients: Vec<ListedClient>,
    /// How many clients match the filters.
    pub total: u32,
    /// Of those, how many were created since `newSince`.
    pub new: u32,
    /// Of those, how many are activated.
    pub activated: u32,
}

/// A group of clients.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct Group {
    /// Its id.
    pub id: String,
    /// The organization.
    pub org: String,
    /// Its name.
    pub name: String,
    /// Its co-owners (ids).
    pub co_owners: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A program.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct Program {
    /// Its id.
    pub id: String,
    /// The organization.
    pub org: String,
    /// Its name.
    pub name: String,
}

/// A sign-up link (its token is never kept, only its hash).
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct SignupLink {
    /// Its id.
    pub id: String,
    /// The organization.
    pub org: String,
    /// The hash of its current token.
    pub token_hash: String,
    /// The role people joining get.
    #[napi(ts_type = "Role")]
    pub role: String,
    /// How many may join (`null`: no limit).
    pub max_uses: Option<u32>,
    /// How many joined.
    pub uses: u32,
    /// The email domains allowed (empty: any).
    pub allowed_domains: Vec<String>,
    /// Who created it (id).
    pub created_by: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its token last changed.
    pub rotated_at: Option<DateTime<Utc>>,
    /// When it was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Its version.
    pub version: u32,
}

/// A new sign-up link and its token, shown once.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct CreatedSignupLink {
    /// The link.
    pub link: SignupLink,
    /// Its token: put it in the link you publish; only its hash is kept.
    pub token: String,
}

/// One entry of a batch and what became of it.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct BatchReportEntry {
    /// Its index, from 0.
    pub index: u32,
    /// Its line, from 1 (a CSV row's line).
    pub line: u32,
    /// Its column, from 1 (1 for a CSV row).
    pub column: u32,
    /// Where it starts in a pasted text, as a string index (0 for a CSV row).
    pub start: u32,
    /// Where it ends: `text.slice(start, end)` is the entry.
    pub end: u32,
    /// The address, normalized.
    pub address: String,
    /// The name given with it.
    pub name: Option<String>,
    /// What became of it.
    #[napi(
        ts_type = "{ kind: 'created'; client: string | null; invited: boolean } | { kind: 'existing'; client: string; status: Status } | { kind: 'duplicate'; of: number }"
    )]
    pub outcome: (),
}

/// A message a JS mailer failed to deliver: it stays in the outbox.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct FailedDelivery {
    /// The outbox message's id.
    pub message: String,
    /// Why, in words.
    pub reason: String,
    /// What the JS mailer threw or rejected with (the very value), or `null`.
    #[napi(ts_type = "unknown")]
    pub error: (),
}

/// What a delivery round did.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct DeliveryReport {
    /// The messages delivered (ids).
    pub sent: Vec<String>,
    /// The messages that failed.
    pub failed: Vec<FailedDelivery>,
}

/// What a batch did (or, for a dry run, would do), entry by entry.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct BatchReport {
    /// Whether anything was written (false for a dry run).
    pub committed: bool,
    /// Every entry, in input order.
    pub entries: Vec<BatchReportEntry>,
    /// Clients created (or to be created).
    pub created: u32,
    /// Of those, how many are invited.
    pub invited: u32,
    /// Entries whose address is already a client's (left as they are).
    pub existing: u32,
    /// Entries repeating an earlier entry's address (skipped).
    pub duplicates: u32,
    /// What happened to the invitations' mail.
    pub delivery: DeliveryReport,
}

/// What a bulk command did to one client: `status` when it applied, else `error`.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct ClientOutcome {
    /// The client (id).
    pub client: String,
    /// Its status after the command, or `null` when it was refused.
    #[napi(ts_type = "Status | null")]
    pub status: (),
    /// Why it was refused: an error with `.code`, not thrown; `null` when it applied.
    #[napi(ts_type = "InvitekitError | null")]
    pub error: (),
    /// The invitation email's outbox message (id), for commands that send one.
    pub message: Option<String>,
    /// Where that message is: `sent`, `failed` (it waits to be retried) or `pending` (queued
    /// for a worker).
    #[napi(ts_type = "'pending' | 'sent' | 'failed' | null")]
    pub delivery: (),
    /// What a JS mailer threw or rejected with for that message, or `null`.
    #[napi(ts_type = "unknown")]
    pub mailer_error: (),
}

/// The result of an accept.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct Accepted {
    /// The client (id).
    pub client: String,
    /// Its status now.
    #[napi(ts_type = "Status")]
    pub status: String,
    /// True when this call activated the client; false when the same account had accepted
    /// already (a double click, a retried request).
    pub activated_now: bool,
    /// The client and its invitations after the accept.
    pub record: ClientWithInvitations,
}

/// An outbox message as `outbox()` lists it.
#[napi(
    object,
    object_to_js = false,
    object_from_js = false,
    use_nullable = true
)]
pub struct OutboxEntry {
    /// Its id.
    pub id: String,
    /// The organization.
    pub org: String,
    /// The client it goes to (id).
    pub client: String,
    /// The recipient's address.
    pub to: String,
    /// The recipient's name.
    pub to_name: Option<String>,
    /// The subject.
    pub subject: String,
    /// The plain-text part (empty once sent: it held the link).
    pub text: String,
    /// The HTML part (empty once sent).
    pub html: String,
    /// How many times it was handed to a mailer.
    pub attempts: u32,
    /// Where it is.
    #[napi(ts_type = "'pending' | 'sent' | 'failed'")]
    pub state: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A mailer written in JS: `send` delivers one message, or throws (or rejects). A failure
/// leaves the message in the outbox for `deliverPending()`; what was thrown is handed back in
/// the report. `message.id` is stable across retries: pass it as the provider's idempotency
/// key.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Mailer {
    /// Delivers `message`.
    #[napi(ts_type = "(message: MailMessage) => unknown")]
    pub send: (),
}

/// A store written in JS (see `MemoryBackend` and STORES.md). Each method may answer directly
/// or return a Promise. A document is `[key, version, body]` (or `{ key, version, body }`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct DocumentBackend {
    /// The document `key` of `kind`, or `null`.
    #[napi(
        ts_type = "(kind: string, key: string) => StoredDocument | null | undefined | Promise<StoredDocument | null | undefined>"
    )]
    pub get: (),
    /// The documents of `kind` whose key starts with `prefix`, in code point order of keys.
    #[napi(
        ts_type = "(kind: string, prefix: string) => StoredDocument[] | Promise<StoredDocument[]>"
    )]
    pub scan: (),
    /// Applies every write or none; throws (or rejects with) an `Error` whose `code` is
    /// `"conflict"` when an expectation fails.
    #[napi(ts_type = "(writes: DocumentWrite[]) => unknown")]
    pub commit: (),
}

/// A stored document as a `DocumentBackend` answers it.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct StoredDocumentObject {
    /// Its key.
    pub key: String,
    /// Its version: 1 when created, one more at each write.
    pub version: u32,
    /// Its body: JSON text, returned exactly as it was written.
    pub body: String,
}

/// A stored document as a `DocumentBackend` answers it: `[key, version, body]` or
/// `{ key, version, body }`.
#[napi]
pub type StoredDocument = napi::Either<(String, u32, String), StoredDocumentObject>;
