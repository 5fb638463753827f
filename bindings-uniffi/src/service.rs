//! `Invitations`: every use case of the service, on SQLite (`Invitations.open(path)`), on
//! PostgreSQL (`Invitations.open("postgres://...")`) or in memory (`Invitations.inMemory()`).
//!
//! Calls block the calling thread until the store (and the mailer, when mail is delivered
//! inline) is done: call them off a UI thread (a coroutine on `Dispatchers.IO`, a background
//! queue). One `Invitations` may be shared by many threads.
//!
//! The acting member is named by address (`by = "admin@acme.example"`); clients by id or by
//! address (a text with an `@`). Bulk commands give one `ClientOutcome` per client, with its
//! status or its refusal (an `InvitekitError` value, not thrown); whole-call failures throw.
//!
//! The host delivers mail through a [`Mailer`] it implements (a foreign trait): `send(message)`
//! returns normally when the message is on its way and throws `MailerException.Failed` (or any
//! exception) when not; the message then stays in the outbox, marked failed with the reason, and
//! `deliverPending()` retries it. Without a mailer, messages are kept in memory
//! (`sentMessages()`).

use std::sync::Arc;

use invitekit::access::Member;
use invitekit::clock::{Clock, SystemClock};
use invitekit::lifecycle::{self, Status, StatusKind};
use invitekit::mailer::{DeliveryState, Mailer as CoreMailer, MemoryMailer, OutboxMessage};
use invitekit::message::MessageOptions;
use invitekit::model::{
    Assignment, Client, ClientId, Group, GroupId, Identity, Invitation, OrgId, Organization,
    Program, ProgramId, Role, SignupLink, SignupLinkId,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::service::{
    self as core_service, ClientFilter, Invitations as Service, NewClients, NewOrganization,
    NewSignupLink, ServiceOptions,
};
use invitekit::store::{MemoryStore, Store};
use invitekit::{Error, ErrorCode, ErrorKind};
use invitekit_sqlite::SqliteStore;

use crate::errors::InvitekitError;
use crate::types::Timestamp;

/// What a host's mailer throws when a message cannot be delivered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum MailerError {
    /// The message was not delivered; `reason` is kept in the outbox and the message retried.
    Failed {
        /// What went wrong.
        reason: String,
    },
}

impl std::fmt::Display for MailerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailerError::Failed { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for MailerError {}

/// The most of an exception's text kept as a failed message's reason.
const MAX_REASON_CHARS: usize = 500;

impl From<uniffi::UnexpectedUniFFICallbackError> for MailerError {
    /// Any other exception the host's mailer throws: a failed delivery, retried like any other
    /// (never a panic). uniffi hands over the whole stack trace; the reason is its first line
    /// (`java.lang.IllegalStateException: socket closed`), at most 500 characters.
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let first = error.reason.lines().next().unwrap_or_default();
        MailerError::Failed {
            reason: first.chars().take(MAX_REASON_CHARS).collect(),
        }
    }
}

/// A mailer the host implements: delivers one rendered invitation email.
#[uniffi::export(foreign)]
pub trait Mailer: Send + Sync {
    /// Delivers `message` (its `id` is stable across retries: pass it on as an idempotency key).
    /// Returns `true` once the provider has taken the message. Returning `false`, or throwing
    /// (`MailerException.Failed` or any exception), leaves it in the outbox to be retried.
    ///
    /// The answer is a `Boolean`, not `Unit`, so that no message is marked sent that was not:
    /// uniffi's Kotlin code catches `Exception`s only, and a JVM `Error` (`TODO()`, an
    /// `AssertionError`, `OutOfMemoryError`) thrown here is swallowed by JNA, which then
    /// answers the default, `false`.
    fn send(&self, message: OutboxMessage) -> Result<bool, MailerError>;
}

/// The host's mailer as the core's.
struct ForeignMailer(Arc<dyn Mailer>);

impl CoreMailer for ForeignMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        let reason = match self.0.send(message.clone()) {
            Ok(true) => return Ok(()),
            Ok(false) => {
                "the mailer did not take the message (send returned false, or threw a JVM Error)"
                    .to_owned()
            }
            Err(error) => error.to_string(),
        };
        Err(Error::new(ErrorKind::DeliveryFailed { message: reason }))
    }
}

/// A clock that shows the instant it is given until it is moved: for tests, audits and
/// replays.
#[derive(uniffi::Object)]
pub struct FixedClock {
    inner: Arc<invitekit::clock::FixedClock>,
}

#[uniffi::export]
impl FixedClock {
    /// A clock stopped at `now`.
    #[uniffi::constructor]
    pub fn new(now: Timestamp) -> Arc<Self> {
        Arc::new(FixedClock {
            inner: Arc::new(invitekit::clock::FixedClock::new(now)),
        })
    }

    /// The instant it shows.
    pub fn now(&self) -> Timestamp {
        self.inner.now()
    }

    /// Moves it to `now`.
    pub fn set(&self, now: Timestamp) {
        self.inner.set(now);
    }

    /// Moves it forward by `seconds` (backward when negative), stopping at the first or last
    /// instant the core can hold.
    pub fn advance(&self, seconds: i64) {
        let by = chrono::Duration::try_seconds(seconds).unwrap_or(if seconds < 0 {
            chrono::Duration::MIN
        } else {
            chrono::Duration::MAX
        });
        self.inner.advance(by);
    }
}

/// A client record with its invitations.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClientWithInvitations {
    /// The record.
    pub client: Client,
    /// Its invitations, oldest first.
    pub invitations: Vec<Invitation>,
}

impl From<lifecycle::ClientRecord> for ClientWithInvitations {
    fn from(record: lifecycle::ClientRecord) -> Self {
        ClientWithInvitations {
            client: record.client,
            invitations: record.invitations,
        }
    }
}

/// What became of one entry of a batch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum EntryOutcome {
    /// A new client (no id in a dry run), invited when `invited`.
    Created {
        /// Its id (`null` in a dry run).
        client: Option<ClientId>,
        /// Whether it was invited.
        invited: bool,
    },
    /// The address belongs to a client already: left as it is.
    Existing {
        /// That client.
        client: ClientId,
        /// Its status.
        status: StatusKind,
    },
    /// The address repeats entry `of`: skipped.
    Duplicate {
        /// The earlier entry's index.
        of: u64,
    },
}

/// One entry of a batch report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BatchEntry {
    /// Its index among the batch's entries.
    pub index: u64,
    /// Its line, from 1.
    pub line: u64,
    /// Its column, from 1, in characters.
    pub column: u64,
    /// Its start in the pasted text, in UTF-16 code units (`0` for a CSV row).
    pub start: u64,
    /// Its end, as `start`.
    pub end: u64,
    /// The address.
    pub address: String,
    /// The name given with it.
    pub name: Option<String>,
    /// What became of it.
    pub outcome: EntryOutcome,
}

/// One message a delivery round could not deliver.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FailedDelivery {
    /// The outbox message's id.
    pub message: String,
    /// What the mailer said.
    pub reason: String,
}

/// What a delivery round did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeliveryReport {
    /// The messages delivered.
    pub sent: Vec<String>,
    /// The messages that failed; they stay in the outbox.
    pub failed: Vec<FailedDelivery>,
}

impl From<core_service::DeliveryReport> for DeliveryReport {
    fn from(report: core_service::DeliveryReport) -> Self {
        DeliveryReport {
            sent: report.sent.into_iter().map(|id| id.0).collect(),
            failed: report
                .failed
                .into_iter()
                .map(|(id, reason)| FailedDelivery {
                    message: id.0,
                    reason,
                })
                .collect(),
        }
    }
}

/// What a batch (a paste or a CSV import) did: all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BatchReport {
    /// Whether anything was written (`false` for a dry run).
    pub committed: bool,
    /// Every entry, in input order.
    pub entries: Vec<BatchEntry>,
    /// Clients created.
    pub created: u64,
    /// Clients invited.
    pub invited: u64,
    /// Addresses that belonged to clients already.
    pub existing: u64,
    /// Addresses repeated within the batch.
    pub duplicates: u64,
    /// The mail delivered within the call.
    pub delivery: DeliveryReport,
}

impl BatchReport {
    /// The core's report; entries' byte offsets become UTF-16 offsets into `text` when given.
    fn of(report: core_service::BatchReport, text: Option<&str>) -> Self {
        let mut offsets = text.map(invitekit::address::offsets::Utf16Offsets::new);
        let entries = report
            .entries
            .into_iter()
            .map(|entry| {
                let (start, end) = match offsets.as_mut() {
                    Some(offsets) => (offsets.at(entry.start), offsets.at(entry.end)),
                    None => (entry.start, entry.end),
                };
                BatchEntry {
                    index: entry.index as u64,
                    line: entry.line,
                    column: entry.column,
                    start: start as u64,
                    end: end as u64,
                    address: entry.address,
                    name: entry.name,
                    outcome: match entry.outcome {
                        core_service::EntryOutcome::Created { client, invited } => {
                            EntryOutcome::Created { client, invited }
                        }
                        core_service::EntryOutcome::Existing { client, status } => {
                            EntryOutcome::Existing { client, status }
                        }
                        core_service::EntryOutcome::Duplicate { of } => {
                            EntryOutcome::Duplicate { of: of as u64 }
                        }
                    },
                }
            })
            .collect();
        BatchReport {
            committed: report.committed,
            entries,
            created: report.created as u64,
            invited: report.invited as u64,
            existing: report.existing as u64,
            duplicates: report.duplicates as u64,
            delivery: report.delivery.into(),
        }
    }
}

/// One client's outcome of a bulk command.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClientOutcome {
    /// The client.
    pub client: String,
    /// Its status afterwards, when the command was applied.
    pub status: Option<StatusKind>,
    /// The refusal, when it was not (a value, not thrown).
    pub error: Option<InvitekitError>,
    /// The outbox message of the invitation sent, if any.
    pub message: Option<String>,
    /// Where that message is after the call.
    pub delivery: Option<DeliveryState>,
}

impl From<core_service::ClientOutcome> for ClientOutcome {
    fn from(outcome: core_service::ClientOutcome) -> Self {
        let (status, error) = match outcome.result {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error.into())),
        };
        ClientOutcome {
            client: outcome.client.0,
            status,
            error,
            message: outcome.message.map(|id| id.0),
            delivery: outcome.delivery,
        }
    }
}

/// One client of a list, with its status at the list's instant.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListedClient {
    /// The record.
    pub client: Client,
    /// Its invitations.
    pub invitations: Vec<Invitation>,
    /// Its status at the list's `now`.
    pub status: Status,
}

/// A page of the client list, with the counts of every match.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClientList {
    /// The instant the statuses are computed at.
    pub now: Timestamp,
    /// The page.
    pub clients: Vec<ListedClient>,
    /// Matches in all (every page).
    pub total: u64,
    /// Matches created at or after `newSince`.
    pub new: u64,
    /// Matches activated.
    pub activated: u64,
}

impl From<core_service::ClientList> for ClientList {
    fn from(list: core_service::ClientList) -> Self {
        ClientList {
            now: list.now,
            clients: list
                .clients
                .into_iter()
                .map(|listed| ListedClient {
                    client: listed.record.client,
                    invitations: listed.record.invitations,
                    status: listed.status,
                })
                .collect(),
            total: list.total,
            new: list.new,
            activated: list.activated,
        }
    }
}

/// What `accept` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Accepted {
    /// The client after the accept.
    pub record: ClientWithInvitations,
    /// Its status now.
    pub status: StatusKind,
    /// `true` when this call activated the client; `false` when the same identity had already
    /// accepted (a double click, a retried request).
    pub activated_now: bool,
}

/// A new sign-up link and its token (shown once; only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedSignupLink {
    /// The link.
    pub link: SignupLink,
    /// Its token, for the URL the organization shares.
    pub token: String,
}

/// What `createClients` and `importClients` give every new client.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewClientsOptions {
    /// The acting member's address.
    pub by: String,
    /// Their role (a CSV row's role column overrides it); `client` when `null`.
    #[uniffi(default = None)]
    pub role: Option<Role>,
    /// A group to put them in (id or name).
    #[uniffi(default = None)]
    pub group: Option<String>,
    /// A program to put them in (id or name).
    #[uniffi(default = None)]
    pub program: Option<String>,
    /// A member of staff to assign them to (id or address).
    #[uniffi(default = None)]
    pub staff: Option<String>,
    /// Invite them now (guests are invited whatever this says).
    #[uniffi(default = false)]
    pub send: bool,
    /// The email's subject (a default names the organization and the inviter).
    #[uniffi(default = None)]
    pub subject: Option<String>,
    /// The button's text.
    #[uniffi(default = None)]
    pub button: Option<String>,
    /// Only report what would happen; write nothing.
    #[uniffi(default = false)]
    pub dry_run: bool,
}

/// The filters and the page of `listClients`.
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct ListOptions {
    /// Only this role.
    #[uniffi(default = None)]
    pub role: Option<Role>,
    /// Only this status now.
    #[uniffi(default = None)]
    pub status: Option<StatusKind>,
    /// Only this group's members (id or name).
    #[uniffi(default = None)]
    pub group: Option<String>,
    /// Only this program's clients (id or name).
    #[uniffi(default = None)]
    pub program: Option<String>,
    /// Only the clients assigned to this member of staff (id or address).
    #[uniffi(default = None)]
    pub staff: Option<String>,
    /// Only names or addresses containing this text (case-insensitive).
    #[uniffi(default = None)]
    pub search: Option<String>,
    /// Count as `new` the clients created at or after this instant.
    #[uniffi(default = None)]
    pub new_since: Option<Timestamp>,
    /// Skip this many matches.
    #[uniffi(default = 0)]
    pub offset: u64,
    /// At most this many; all when `null`.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
}

/// Where `assign` puts clients.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AssignTo {
    /// Into a group (id or name).
    Group {
        /// The group.
        group: String,
    },
    /// Into a program (id or name).
    Program {
        /// The program.
        program: String,
    },
    /// Under a member of staff (id or address), or under none when `null`.
    Staff {
        /// The member of staff.
        staff: Option<String>,
    },
}

fn message_options(subject: Option<String>, button: Option<String>) -> MessageOptions {
    MessageOptions {
        subject,
        button,
        form_url: None,
    }
}

/// One client named by id or address.
fn resolve_one(service: &Service, org: &OrgId, client: &str) -> Result<ClientId, Error> {
    service
        .client_ids_for(org, &[client.to_owned()])?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::new(ErrorKind::NotFound {
                code: ErrorCode::ClientNotFound,
            })
        })
}

fn group_id(service: &Service, org: &OrgId, group: &str) -> Result<GroupId, Error> {
    Ok(service.group_for(org, group)?.id)
}

fn program_id(service: &Service, org: &OrgId, program: &str) -> Result<ProgramId, Error> {
    Ok(service.program_for(org, program)?.id)
}

/// The invitation service of one database: organizations, clients, invitations, links, groups,
/// programs, sign-up links and the outbox.
#[derive(uniffi::Object)]
pub struct Invitations {
    service: Service,
    /// The default mailer's messages (`None` when a mailer was given).
    kept: Option<Arc<MemoryMailer>>,
}

impl Invitations {
    fn build(
        store: Arc<dyn Store>,
        mailer: Option<Arc<dyn Mailer>>,
        clock: Option<Arc<FixedClock>>,
        deliver_inline: bool,
    ) -> Arc<Self> {
        let (mailer, kept): (Arc<dyn CoreMailer>, _) = match mailer {
            Some(mailer) => (Arc::new(ForeignMailer(mailer)), None),
            None => {
                let kept = Arc::new(MemoryMailer::new());
                (kept.clone(), Some(kept))
            }
        };
        let clock: Arc<dyn Clock> = match clock {
            Some(clock) => clock.inner.clone(),
            None => Arc::new(SystemClock),
        };
        let options = ServiceOptions {
            deliver_inline,
            ..ServiceOptions::default()
        };
        Arc::new(Invitations {
            service: Service::new(store, mailer, clock).with_options(options),
            kept,
        })
    }

    /// The acting member `by` of `org`.
    fn acting(&self, org: &str, by: &str) -> Result<(OrgId, Member), Error> {
        let org = OrgId::new(org);
        let member = self.service.member(&org, by)?;
        Ok((org, member))
    }

    /// Clients named by id or address.
    fn ids(&self, org: &OrgId, clients: &[String]) -> Result<Vec<ClientId>, Error> {
        self.service.client_ids_for(org, clients)
    }

    /// Runs a bulk `command` as member `by` of `org` on `clients` (ids or addresses).
    fn on_clients(
        &self,
        org: &str,
        clients: &[String],
        by: &str,
        command: impl FnOnce(
            &Service,
            &OrgId,
            &Member,
            &[ClientId],
        ) -> Result<Vec<core_service::ClientOutcome>, Error>,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        let (org, member) = self.acting(org, by)?;
        let ids = self.ids(&org, clients)?;
        let list = command(&self.service, &org, &member, &ids)?;
        Ok(list.into_iter().map(ClientOutcome::from).collect())
    }

    fn new_clients(&self, org: &OrgId, options: &NewClientsOptions) -> Result<NewClients, Error> {
        let service = &self.service;
        Ok(NewClients {
            role: options.role.unwrap_or(Role::Client),
            group: options
                .group
                .as_deref()
                .map(|g| group_id(service, org, g))
                .transpose()?,
            program: options
                .program
                .as_deref()
                .map(|p| program_id(service, org, p))
                .transpose()?,
            staff: options
                .staff
                .as_deref()
                .map(|s| resolve_one(service, org, s))
                .transpose()?,
            send: options.send,
            message: message_options(options.subject.clone(), options.button.clone()),
        })
    }
}

#[uniffi::export]
impl Invitations {
    /// A service in memory (gone with the object): for tests and trials. `mailer` delivers
    /// mail (by default it is kept, read with `sentMessages()`); `clock` is a `FixedClock` (by
    /// default the system clock); with `deliverInline = false` mail is only queued, for a worker
    /// calling `deliverPending()`.
    #[uniffi::constructor(default(mailer = None, clock = None, deliver_inline = true))]
    pub fn in_memory(
        mailer: Option<Arc<dyn Mailer>>,
        clock: Option<Arc<FixedClock>>,
        deliver_inline: bool,
    ) -> Arc<Self> {
        Invitations::build(Arc::new(MemoryStore::new()), mailer, clock, deliver_inline)
    }

    /// The service on the SQLite database at `path` (created with its schema on first use), or
    /// on the PostgreSQL database of a `postgres://user@host/db` URL (migrated on first use; its
    /// tables in `schema`, by default the connection's first `search_path` schema). The other
    /// arguments are `inMemory`'s.
    #[uniffi::constructor(default(
        mailer = None,
        clock = None,
        deliver_inline = true,
        schema = None
    ))]
    pub fn open(
        path: String,
        mailer: Option<Arc<dyn Mailer>>,
        clock: Option<Arc<FixedClock>>,
        deliver_inline: bool,
        schema: Option<String>,
    ) -> Result<Arc<Self>, InvitekitError> {
        let store: Arc<dyn Store> = if invitekit_postgres::is_postgres_url(&path) {
            let options = invitekit_postgres::PgOptions {
                schema,
                ..invitekit_postgres::PgOptions::default()
            };
            Arc::new(invitekit_postgres::PgStore::connect_with(&path, &options)?)
        } else {
            Arc::new(SqliteStore::open(std::path::Path::new(&path))?)
        };
        Ok(Invitations::build(store, mailer, clock, deliver_inline))
    }

    /// The instant the service's clock shows.
    pub fn now(&self) -> Timestamp {
        self.service.now()
    }

    /// The messages the default in-memory mailer received, oldest first (empty when a mailer
    /// was given).
    pub fn sent_messages(&self) -> Vec<OutboxMessage> {
        match &self.kept {
            Some(kept) => kept.messages(),
            None => Vec::new(),
        }
    }

    /// Creates organization `id` with its first admin (created activated): invitations valid
    /// `expiryDays` (1 to 90), deadlines stated in `timeZone` (IANA), accepted by the identity
    /// `emailBinding` allows (`SAME_ADDRESS` when `null`), links built from `acceptUrl` (a
    /// template with `{token}`).
    #[uniffi::method(default(
        admin_name = None,
        expiry_days = 14,
        time_zone = "UTC",
        email_binding = None,
        accept_url = None
    ))]
    #[allow(clippy::too_many_arguments)]
    pub fn create_organization(
        &self,
        id: String,
        name: String,
        admin_email: String,
        admin_name: Option<String>,
        expiry_days: u32,
        time_zone: String,
        email_binding: Option<EmailBinding>,
        accept_url: Option<String>,
    ) -> Result<Organization, InvitekitError> {
        let mut new = NewOrganization::new(&id, &name, &admin_email);
        new.admin_name = admin_name;
        new.expiry = ExpiryWindow::new(i64::from(expiry_days))?;
        new.time_zone = TimeZone::parse(&time_zone)?;
        new.email_binding = email_binding.unwrap_or_default();
        new.accept_url = accept_url;
        Ok(self.service.create_organization(&new)?.0)
    }

    /// The organization `org`.
    pub fn organization(&self, org: String) -> Result<Organization, InvitekitError> {
        Ok(self.service.organization(&OrgId::new(org))?)
    }

    /// Replaces the organization's settings with those of `organization` (read it, change
    /// it, give it back); `by` must be an admin. Returns it as stored: the name trimmed, the
    /// creation instant the stored one.
    pub fn update_organization(
        &self,
        organization: Organization,
        by: String,
    ) -> Result<Organization, InvitekitError> {
        let member = self.service.member(&organization.id, &by)?;
        Ok(self.service.update_organization(&member, &organization)?)
    }

    /// The client (id or address) with its invitations, as `by` may see it.
    pub fn client(
        &self,
        org: String,
        client: String,
        by: String,
    ) -> Result<ClientWithInvitations, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let id = resolve_one(&self.service, &org, &client)?;
        Ok(self.service.client(&org, &member, &id)?.into())
    }

    /// The client with this address (by its dedup key), for a host signing someone in.
    pub fn client_by_email(
        &self,
        org: String,
        email: String,
    ) -> Result<ClientWithInvitations, InvitekitError> {
        Ok(self
            .service
            .client_by_email(&OrgId::new(org), &email)?
            .into())
    }

    /// Creates clients from a pasted list (at most 200 addresses): all or nothing. An invalid
    /// entry refuses the whole batch with `InvalidAddresses` (`invalid_batch`), its entries
    /// pointing into `text` by UTF-16 offsets.
    pub fn create_clients(
        &self,
        org: String,
        text: String,
        options: NewClientsOptions,
    ) -> Result<BatchReport, InvitekitError> {
        let run = || -> Result<core_service::BatchReport, Error> {
            let (org, by) = self.acting(&org, &options.by)?;
            let new = self.new_clients(&org, &options)?;
            if options.dry_run {
                self.service.preview_clients(&org, &by, &text, &new)
            } else {
                self.service.create_clients(&org, &by, &text, &new)
            }
        };
        match run() {
            Ok(report) => Ok(BatchReport::of(report, Some(&text))),
            Err(error) => Err(InvitekitError::in_text(error, &text)),
        }
    }

    /// Creates clients from a CSV file's bytes (no cap on rows): all or nothing.
    pub fn import_clients(
        &self,
        org: String,
        data: Vec<u8>,
        options: NewClientsOptions,
    ) -> Result<BatchReport, InvitekitError> {
        let (org, by) = self.acting(&org, &options.by)?;
        let new = self.new_clients(&org, &options)?;
        let mut service_options = self.service.options().clone();
        service_options.addresses.max_addresses = usize::MAX;
        let service = self.service.clone().with_options(service_options);
        let report = service.import_clients(&org, &by, data.as_slice(), &new, options.dry_run)?;
        Ok(BatchReport::of(report, None))
    }

    /// Adds a guest to `by`'s account (a client adding a colleague); guests are invited at
    /// once.
    #[uniffi::method(default(name = None, subject = None, button = None))]
    pub fn add_guest(
        &self,
        org: String,
        email: String,
        by: String,
        name: Option<String>,
        subject: Option<String>,
        button: Option<String>,
    ) -> Result<ClientOutcome, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let message = message_options(subject, button);
        Ok(self
            .service
            .add_guest(&org, &member, &email, name.as_deref(), &message)?
            .into())
    }

    /// Sends a first invitation to each client (ids or addresses).
    #[uniffi::method(default(subject = None, button = None))]
    pub fn send(
        &self,
        org: String,
        clients: Vec<String>,
        by: String,
        subject: Option<String>,
        button: Option<String>,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        let message = message_options(subject, button);
        self.on_clients(&org, &clients, &by, |service, org, member, ids| {
            service.send(org, member, ids, &message)
        })
    }

    /// Sends a further invitation to each client; earlier links keep working until their own
    /// deadline.
    #[uniffi::method(default(subject = None, button = None))]
    pub fn resend(
        &self,
        org: String,
        clients: Vec<String>,
        by: String,
        subject: Option<String>,
        button: Option<String>,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        let message = message_options(subject, button);
        self.on_clients(&org, &clients, &by, |service, org, member, ids| {
            service.resend(org, member, ids, &message)
        })
    }

    /// Revokes each client's open invitations.
    pub fn revoke(
        &self,
        org: String,
        clients: Vec<String>,
        by: String,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        self.on_clients(&org, &clients, &by, |service, org, member, ids| {
            service.revoke(org, member, ids)
        })
    }

    /// Archives each client.
    pub fn archive(
        &self,
        org: String,
        clients: Vec<String>,
        by: String,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        self.on_clients(&org, &clients, &by, |service, org, member, ids| {
            service.archive(org, member, ids)
        })
    }

    /// Restores each archived client.
    pub fn restore(
        &self,
        org: String,
        clients: Vec<String>,
        by: String,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        self.on_clients(&org, &clients, &by, |service, org, member, ids| {
            service.restore(org, member, ids)
        })
    }

    /// Puts each client in a group or program, or under a member of staff.
    pub fn assign(
        &self,
        org: String,
        clients: Vec<String>,
        to: AssignTo,
        by: String,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        self.on_clients(&org, &clients, &by, |service, org, member, ids| {
            let assignment = match to {
                AssignTo::Group { group } => Assignment::Group(group_id(service, org, &group)?),
                AssignTo::Program { program } => {
                    Assignment::Program(program_id(service, org, &program)?)
                }
                AssignTo::Staff { staff: None } => Assignment::Staff(None),
                AssignTo::Staff { staff: Some(staff) } => {
                    Assignment::Staff(Some(resolve_one(service, org, &staff)?))
                }
            };
            service.assign(org, member, ids, &assignment)
        })
    }

    /// The clients with an address who were never invited (the report platforms show before
    /// "invite all").
    #[uniffi::method(default(offset = 0, limit = None))]
    pub fn never_invited(
        &self,
        org: String,
        by: String,
        offset: u64,
        limit: Option<u32>,
    ) -> Result<ClientList, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self
            .service
            .never_invited(&org, &member, offset, limit.map(|l| l as usize))?
            .into())
    }

    /// Invites every never-invited client but those in `except` (ids or addresses): the
    /// reviewed list with some unticked.
    #[uniffi::method(default(except = [], subject = None, button = None))]
    pub fn invite_never_invited(
        &self,
        org: String,
        by: String,
        except: Vec<String>,
        subject: Option<String>,
        button: Option<String>,
    ) -> Result<Vec<ClientOutcome>, InvitekitError> {
        let message = message_options(subject, button);
        self.on_clients(&org, &except, &by, |service, org, member, except| {
            service.invite_never_invited(org, member, except, &message)
        })
    }

    /// A page of the client table, filtered, with statuses now and the counts of every match.
    pub fn list_clients(
        &self,
        org: String,
        by: String,
        options: ListOptions,
    ) -> Result<ClientList, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let service = &self.service;
        let filter = ClientFilter {
            role: options.role,
            status: options.status,
            group: options
                .group
                .as_deref()
                .map(|g| group_id(service, &org, g))
                .transpose()?,
            program: options
                .program
                .as_deref()
                .map(|p| program_id(service, &org, p))
                .transpose()?,
            staff: options
                .staff
                .as_deref()
                .map(|s| resolve_one(service, &org, s))
                .transpose()?,
            search: options.search,
            new_since: options.new_since,
            offset: options.offset,
            limit: options.limit.map(|l| l as usize),
        };
        Ok(service.list_clients(&org, &member, &filter)?.into())
    }

    /// The client table as CSV (with statuses now), cells neutralized against spreadsheet
    /// formulas.
    pub fn export_clients(&self, org: String, by: String) -> Result<String, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let (bytes, _rows) = self.service.export_clients(&org, &member, Vec::new())?;
        String::from_utf8(bytes).map_err(|e| {
            Error::new(ErrorKind::WriteFailed {
                message: e.to_string(),
            })
            .into()
        })
    }

    /// What the accept page shows for a link's token; changes nothing.
    pub fn preview(&self, token: String) -> Result<lifecycle::Preview, InvitekitError> {
        Ok(self.service.preview(&token)?)
    }

    /// Accepts the invitation of `token` as the signed-in identity `email` (with the host's own
    /// account id `subject`, if any). Accepting twice with the same identity is not an error
    /// (`activatedNow` is `false`).
    #[uniffi::method(default(subject = None))]
    pub fn accept(
        &self,
        token: String,
        email: String,
        subject: Option<String>,
    ) -> Result<Accepted, InvitekitError> {
        let mut identity = Identity::from_email(&email, &Default::default())?;
        identity.subject = subject;
        let accepted = self.service.accept(&token, &identity)?;
        let status = accepted.record.status(self.service.now()).kind();
        Ok(Accepted {
            record: accepted.record.into(),
            status,
            activated_now: accepted.activated_now,
        })
    }

    /// Creates a group.
    pub fn create_group(
        &self,
        org: String,
        name: String,
        by: String,
    ) -> Result<Group, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self.service.create_group(&org, &member, &name, &[])?)
    }

    /// Renames a group (id or name).
    pub fn rename_group(
        &self,
        org: String,
        group: String,
        name: String,
        by: String,
    ) -> Result<Group, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let id = group_id(&self.service, &org, &group)?;
        Ok(self.service.rename_group(&org, &member, &id, &name)?)
    }

    /// Deletes a group (id or name); its members leave it.
    pub fn delete_group(
        &self,
        org: String,
        group: String,
        by: String,
    ) -> Result<(), InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let id = group_id(&self.service, &org, &group)?;
        Ok(self.service.delete_group(&org, &member, &id)?)
    }

    /// The organization's groups.
    pub fn groups(&self, org: String) -> Result<Vec<Group>, InvitekitError> {
        Ok(self.service.groups(&OrgId::new(org))?)
    }

    /// Creates a program.
    pub fn create_program(
        &self,
        org: String,
        name: String,
        by: String,
    ) -> Result<Program, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self.service.create_program(&org, &member, &name)?)
    }

    /// The organization's programs.
    pub fn programs(&self, org: String) -> Result<Vec<Program>, InvitekitError> {
        Ok(self.service.programs(&OrgId::new(org))?)
    }

    /// Creates a sign-up link giving `role` (`CLIENT` when `null`), for at most `maxUses`
    /// people (no limit when `null`) of the `allowedDomains` (any when empty). Its token is
    /// returned once.
    #[uniffi::method(default(role = None, max_uses = None, allowed_domains = []))]
    pub fn create_signup_link(
        &self,
        org: String,
        by: String,
        role: Option<Role>,
        max_uses: Option<u32>,
        allowed_domains: Vec<String>,
    ) -> Result<CreatedSignupLink, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let new = NewSignupLink {
            role: role.unwrap_or(Role::Client),
            max_uses,
            allowed_domains,
        };
        let (link, token) = self.service.create_signup_link(&org, &member, &new)?;
        Ok(CreatedSignupLink {
            link,
            token: token.expose_secret().to_owned(),
        })
    }

    /// The organization's sign-up links.
    pub fn signup_links(&self, org: String, by: String) -> Result<Vec<SignupLink>, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self.service.signup_links(&org, &member)?)
    }

    /// Replaces a sign-up link's token (the old one stops working); returns the new token.
    pub fn rotate_signup_link(
        &self,
        org: String,
        link: String,
        by: String,
    ) -> Result<String, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        let token = self
            .service
            .rotate_signup_link(&org, &member, &SignupLinkId::new(link))?;
        Ok(token.expose_secret().to_owned())
    }

    /// Disables a sign-up link.
    pub fn disable_signup_link(
        &self,
        org: String,
        link: String,
        by: String,
    ) -> Result<SignupLink, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self
            .service
            .disable_signup_link(&org, &member, &SignupLinkId::new(link))?)
    }

    /// Joins through a sign-up link's token as the signed-in identity `email`: an activated
    /// client.
    pub fn join(
        &self,
        token: String,
        email: String,
    ) -> Result<ClientWithInvitations, InvitekitError> {
        let identity = Identity::from_email(&email, &Default::default())?;
        Ok(self.service.join(&token, &identity)?.into())
    }

    /// Delivers up to `limit` pending or failed messages (a worker's round).
    #[uniffi::method(default(limit = 100))]
    pub fn deliver_pending(&self, limit: u32) -> Result<DeliveryReport, InvitekitError> {
        Ok(self.service.deliver_pending(limit as usize)?.into())
    }

    /// The organization's outbox, newest first: every message, or those in `state`.
    #[uniffi::method(default(state = None, limit = 100))]
    pub fn outbox(
        &self,
        org: String,
        by: String,
        state: Option<DeliveryState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self.service.outbox(&org, &member, state, limit as usize)?)
    }

    /// The organization's activity log, newest first.
    #[uniffi::method(default(skip = 0, limit = 100))]
    pub fn events(
        &self,
        org: String,
        by: String,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<invitekit::model::Event>, InvitekitError> {
        let (org, member) = self.acting(&org, &by)?;
        Ok(self.service.events(&org, &member, skip, limit as usize)?)
    }
}
