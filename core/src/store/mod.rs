//! Persistence: the [`Store`] trait every backend implements, [`MemoryStore`], and (cargo
//! feature `testkit`) the conformance suite every store runs.
//!
//! A store keeps records; it makes no domain decision. Reads return whole records
//! ([`ClientRecord`]: a client with all its invitations). Writes go through one method,
//! [`Store::apply`], which takes a batch of [`Change`]s and applies all of them in one
//! transaction or none: a compare-and-set on a client's `version` (and a sign-up link's) makes a
//! double accept have one winner, and uniqueness of (organization, dedup key) makes two
//! overlapping pastes create no duplicate.
//!
//! The one read that looks like a rule is the client list's status filter: status is derived at
//! an instant, never stored. A store filters on three instants it keeps beside each client
//! ([`Summary`]: archived, activated, latest deadline of an open invitation), which
//! [`Summary::status_kind`] maps to the status exactly as [`crate::lifecycle::status`] does;
//! the conformance suite checks that both agree.
//!
//! ```
//! use chrono::Utc;
//! use invitekit::model::{OrgId, Organization};
//! use invitekit::store::{Change, MemoryStore, Store};
//!
//! let store = MemoryStore::new();
//! let org = Organization::new(OrgId::new("acme"), "Acme", Utc::now());
//! store.apply(&[Change::InsertOrganization(org.clone())])?;
//! assert_eq!(store.organization(&org.id)?, Some(org));
//! # Ok::<(), invitekit::Error>(())
//! ```

mod memory;

#[cfg(feature = "testkit")]
pub mod conformance;
pub mod document;

pub use document::{DocumentStore, Documents, MemoryDocuments};
pub use memory::MemoryStore;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::lifecycle::{ClientRecord, StatusKind};
use crate::mailer::{DeliveryState, OutboxMessage};
use crate::model::{
    Client, ClientId, Event, Group, GroupId, MessageId, OrgId, Organization, Program, ProgramId,
    Role, SignupLink,
};
use crate::token::TokenHash;

/// The storage every use case runs on. Synchronous, object-safe (`Arc<dyn Store>`), shareable
/// across threads; every method fails with the one [`Error`] type.
///
/// Errors a store reports: [`crate::ErrorCode::StorageFailed`] for its own failures (a database
/// error, a host exception), and from [`Store::apply`] the codes documented on [`Change`].
pub trait Store: Send + Sync {
    /// The organization `id`.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error>;

    /// The client `id` of `org`, with its invitations in the order they were sent.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error>;

    /// The clients of `org` among `ids` that exist, in any order.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error>;

    /// The clients of `org` whose email dedup key is one of `keys`, in any order.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error>;

    /// The client one of whose invitations has token hash `token`, in any organization.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error>;

    /// A page of `org`'s clients matching `query`, ordered by creation instant then id, with the
    /// counts over all matches (see [`ClientQuery`] for the exact semantics).
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error>;

    /// The groups of `org`, by name.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error>;

    /// The programs of `org`, by name.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error>;

    /// The sign-up links of `org`, oldest first.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error>;

    /// The sign-up link whose current token has hash `token`, in any organization.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error>;

    /// `org`'s activity log from the `skip`th event on (oldest first), at most `limit` events.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error>;

    /// Applies every change in order, in one transaction: all of them or, on the first error,
    /// none.
    ///
    /// # Errors
    ///
    /// The first change's error (see [`Change`]), or [`crate::ErrorCode::StorageFailed`].
    fn apply(&self, changes: &[Change]) -> Result<(), Error>;

    /// Claims outbox messages to deliver: those pending or failed, not sent, and not claimed by
    /// another worker past `claim.now`. Each is returned with `attempts` counted one more and
    /// `claimed_until` set to `claim.until`; until then no other claim returns it. Oldest
    /// first, at most `claim.limit`, only among `claim.ids` when given.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error>;

    /// Marks messages `ids` delivered at `at`, in one transaction: sent, their claims released,
    /// their bodies emptied (they held the links' tokens). They are never claimed again.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::MessageNotFound`] when one of `ids` is unknown (then none is marked),
    /// [`crate::ErrorCode::StorageFailed`].
    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error>;

    /// Marks message `id` failed with `reason`, its claim released, so it is claimed again by a
    /// later delivery. A message already sent stays sent.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::MessageNotFound`], [`crate::ErrorCode::StorageFailed`].
    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error>;

    /// `org`'s outbox messages (in the state given, or all), oldest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::StorageFailed`].
    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error>;
}

/// One write, applied by [`Store::apply`] with the others of its batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Adds an organization. [`crate::ErrorCode::OrganizationExists`] if its id is taken.
    InsertOrganization(Organization),
    /// Replaces an organization's settings. [`crate::ErrorCode::OrganizationNotFound`].
    UpdateOrganization(Organization),
    /// Adds a client with its invitations. [`crate::ErrorCode::ClientExists`] if its id is taken
    /// or another client of the organization has its email key;
    /// [`crate::ErrorCode::OrganizationNotFound`].
    InsertClient(ClientRecord),
    /// Replaces a client and its invitations (invitations are added or updated, never removed),
    /// if its stored version is `expected_version`. [`crate::ErrorCode::Conflict`] if not;
    /// [`crate::ErrorCode::ClientNotFound`]; [`crate::ErrorCode::ClientExists`] if its new email
    /// key is another client's.
    UpdateClient {
        /// The record as it must be stored (its version already bumped by the command).
        record: ClientRecord,
        /// The version it was read at.
        expected_version: u64,
    },
    /// Adds or replaces a group. [`crate::ErrorCode::GroupExists`] if another group of the
    /// organization has its name (compared case-insensitively).
    PutGroup(Group),
    /// Deletes a group and takes every client out of it (bumping their versions).
    /// [`crate::ErrorCode::GroupNotFound`].
    DeleteGroup {
        /// The organization.
        org: OrgId,
        /// The group.
        id: GroupId,
    },
    /// Adds or replaces a program.
    PutProgram(Program),
    /// Adds a sign-up link. [`crate::ErrorCode::OrganizationNotFound`].
    InsertSignupLink(SignupLink),
    /// Replaces a sign-up link if its stored version is `expected_version`.
    /// [`crate::ErrorCode::Conflict`], [`crate::ErrorCode::SignupLinkNotFound`].
    UpdateSignupLink {
        /// The link as it must be stored.
        link: SignupLink,
        /// The version it was read at.
        expected_version: u64,
    },
    /// Appends an event to its organization's log.
    RecordEvent(Event),
    /// Adds a message to the outbox.
    Enqueue(OutboxMessage),
}

/// What [`Store::claim_messages`] claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Only these messages, when given.
    pub ids: Option<Vec<MessageId>>,
    /// The instant of the claim.
    pub now: DateTime<Utc>,
    /// Until when the claimed messages are held.
    pub until: DateTime<Utc>,
    /// At most this many.
    pub limit: usize,
}

impl Claim {
    /// A claim at `now` of at most `limit` messages, held for `lease`.
    pub fn new(now: DateTime<Utc>, lease: Duration, limit: usize) -> Self {
        Claim {
            ids: None,
            now,
            until: now + lease,
            limit,
        }
    }
}

/// Which clients [`Store::list_clients`] returns, and which page of them.
///
/// A client matches when every filter given matches:
///
/// - `role`: its role;
/// - `status`: its status at `now` ([`Summary::status_kind`]);
/// - `group` / `program`: it is in the group / program;
/// - `staff`: it is assigned to that member of staff;
/// - `search`: [`search_key`] of the query is a substring of [`search_text`] of the client;
/// - `never_invited`: it has an email, no invitation at all, and is neither activated nor
///   archived (the "never invited" report).
///
/// Matches are ordered by `created_at`, then id; the page skips `offset` of them and holds at
/// most `limit` (all when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientQuery {
    /// The instant statuses are taken at.
    pub now: DateTime<Utc>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only this status at `now`.
    pub status: Option<StatusKind>,
    /// Only members of this group.
    pub group: Option<GroupId>,
    /// Only clients in this program.
    pub program: Option<ProgramId>,
    /// Only clients assigned to this member of staff.
    pub staff: Option<ClientId>,
    /// Only clients whose name or address contains this text (case-insensitive).
    pub search: Option<String>,
    /// Only clients never invited.
    pub never_invited: bool,
    /// [`ClientPage::new`] counts matches created at or after this instant.
    pub new_since: Option<DateTime<Utc>>,
    /// Matches skipped before the page.
    pub offset: u64,
    /// The page's size; `None` for all.
    pub limit: Option<usize>,
}

impl ClientQuery {
    /// Every client, statuses at `now`.
    pub fn all(now: DateTime<Utc>) -> Self {
        ClientQuery {
            now,
            role: None,
            status: None,
            group: None,
            program: None,
            staff: None,
            search: None,
            never_invited: false,
            new_since: None,
            offset: 0,
            limit: None,
        }
    }

    /// Whether `record` matches the filters (not the page). This is the reference every store's
    /// list must agree with.
    pub fn matches(&self, record: &ClientRecord) -> bool {
        let client = &record.client;
        let summary = Summary::of(record);
        self.role.is_none_or(|role| client.role == role)
            && self
                .status
                .is_none_or(|status| summary.status_kind(client, self.now) == status)
            && self
                .group
                .as_ref()
                .is_none_or(|group| client.groups.contains(group))
            && self
                .program
                .as_ref()
                .is_none_or(|program| client.programs.contains(program))
            && self
                .staff
                .as_ref()
                .is_none_or(|staff| client.assigned_staff.as_ref() == Some(staff))
            && self
                .search
                .as_ref()
                .is_none_or(|q| search_text(client).contains(&search_key(q)))
            && (!self.never_invited || summary.never_invited(client))
    }
}

/// A page of clients and the counts over all matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPage {
    /// The page.
    pub records: Vec<ClientRecord>,
    /// How many clients match.
    pub total: u64,
    /// How many of those were created at or after the query's `new_since` (0 without it).
    pub new: u64,
    /// How many of those are activated at the query's `now`.
    pub activated: u64,
}

/// The instants beside each client that decide its status and the never-invited report,
/// derived from its invitations. SQL stores keep them as columns, rewritten with each change to
/// the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// When its first invitation was sent (`None`: never invited).
    pub first_sent_at: Option<DateTime<Utc>>,
    /// The latest deadline among its open (neither accepted, revoked nor retired) invitations;
    /// `None` when none is open.
    pub open_until: Option<DateTime<Utc>>,
}

impl Summary {
    /// The summary of `record`'s invitations.
    pub fn of(record: &ClientRecord) -> Summary {
        let mut summary = Summary::default();
        for invitation in &record.invitations {
            summary.first_sent_at = Some(
                summary
                    .first_sent_at
                    .map_or(invitation.sent_at, |t| t.min(invitation.sent_at)),
            );
            if invitation.is_open() {
                summary.open_until = summary.open_until.max(Some(invitation.expires_at));
            }
        }
        summary
    }

    /// The status of `client` at `now`, which is [`crate::lifecycle::status`]'s kind: archived,
    /// else activated, else provisioned with no open invitation, else pending while the latest
    /// open deadline is after `now`, else expired.
    pub fn status_kind(&self, client: &Client, now: DateTime<Utc>) -> StatusKind {
        if client.archived_at.is_some() {
            StatusKind::Archived
        } else if client.activated_at.is_some() {
            StatusKind::Activated
        } else {
            match self.open_until {
                None => StatusKind::Provisioned,
                Some(until) if now < until => StatusKind::InvitePending,
                Some(_) => StatusKind::InviteExpired,
            }
        }
    }

    /// Whether `client` belongs in the never-invited report: it has an email, was never
    /// invited, and is neither activated nor archived.
    pub fn never_invited(&self, client: &Client) -> bool {
        client.email.is_some()
            && self.first_sent_at.is_none()
            && client.activated_at.is_none()
            && client.archived_at.is_none()
    }
}

/// The text a client list search looks in: the client's name and address, lowercased.
pub fn search_text(client: &Client) -> String {
    let mut text = String::new();
    if let Some(name) = &client.name {
        text.push_str(&name.to_lowercase());
    }
    text.push('\n');
    if let Some(email) = &client.email {
        text.push_str(&email.address.to_lowercase());
    }
    text
}

/// A search query as compared with [`search_text`]: trimmed and lowercased.
pub fn search_key(query: &str) -> String {
    query.trim().to_lowercase()
}
