//! The use cases: orchestration only, no rule of its own.
//!
//! [`Invitations`] runs each use case on a [`Store`], a [`Mailer`] and a [`Clock`]: it reads the
//! records, asks [`crate::access`] whether the acting member may, lets [`crate::lifecycle`]
//! decide and change the records, renders mail with [`crate::message`], and writes everything a
//! call changed with one [`Store::apply`], so a call is all or nothing. Mail is recorded in the
//! outbox in that same transaction and delivered after it commits; a delivery that fails stays
//! in the outbox for [`Invitations::deliver_pending`].
//!
//! Bulk commands (send, resend, revoke, archive, restore, assign) return one [`ClientOutcome`]
//! per client: the clients that can be changed are, in one transaction, and the others say why
//! not. Creating clients from a pasted list or CSV is all or nothing: one invalid entry refuses
//! the batch with [`crate::ErrorCode::InvalidBatch`], listing the entries at fault.
//!
//! A compare-and-set that loses ([`crate::ErrorCode::Conflict`]: another server changed a
//! record since it was read) makes the call start again from fresh reads, a few times, so two
//! servers accepting one link at once give one activation and one "already accepted".
//!
//! ```
//! use std::sync::Arc;
//! use chrono::{TimeZone, Utc};
//! use invitekit::clock::FixedClock;
//! use invitekit::mailer::MemoryMailer;
//! use invitekit::model::OrgId;
//! use invitekit::service::{Invitations, NewClients, NewOrganization};
//! use invitekit::store::MemoryStore;
//!
//! let mailer = Arc::new(MemoryMailer::new());
//! let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()));
//! let service = Invitations::new(Arc::new(MemoryStore::new()), mailer.clone(), clock);
//!
//! let (org, admin) = service.create_organization(&NewOrganization::new("acme", "Acme", "admin@acme.example"))?;
//! let report = service.create_clients(
//!     &org.id,
//!     &admin,
//!     "jane@example.com, bob@example.org",
//!     &NewClients { send: true, ..NewClients::default() },
//! )?;
//! assert_eq!((report.created, report.invited), (2, 2));
//! assert_eq!(mailer.messages().len(), 2);
//! # Ok::<(), invitekit::Error>(())
//! ```

#[cfg(feature = "testkit")]
pub mod flows;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::access::{self, Member, Operation, OrgOperation};
use crate::address::{self, ParseOptions};
use crate::clock::Clock;
use crate::csv::{self as csv_io, ExportRow, ImportOptions};
use crate::lifecycle::{
    self, Acceptance, ClientRecord, CommandKind, NewInvitation, Preview, Status, StatusKind,
};
use crate::mailer::{DeliveryState, Mailer, OutboxMessage};
use crate::message::{self, Invite, MessageOptions};
use crate::model::{
    Action, Actor, Assignment, Client, ClientId, Email, Event, Group, GroupId, Identity,
    InvitationId, MessageId, OrgId, Organization, Owner, Program, ProgramId, Role, SignupLink,
    SignupLinkId, Subject,
};
use crate::policy::{EmailBinding, ExpiryWindow, TimeZone, check_name, name_key};
use crate::store::{Change, Claim, ClientQuery, Store};
use crate::token::{self, Token};
use crate::{EntryError, Error, ErrorCode, ErrorKind};

/// How many times a call starts again after losing a compare-and-set.
const ATTEMPTS: usize = 8;

/// Settings of an [`Invitations`] service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOptions {
    /// The address rules and the batch cap for pasted lists and CSV files.
    pub addresses: ParseOptions,
    /// The largest CSV file accepted, in bytes.
    pub csv_max_bytes: u64,
    /// How long a delivery worker holds the messages it claimed.
    pub lease: Duration,
    /// Deliver an invitation's email within the call that sends it (the default). When
    /// `false`, calls only record messages in the outbox (in their transaction) and a worker
    /// delivers them with [`Invitations::deliver_pending`]: a web request then never waits for
    /// a mail server.
    pub deliver_inline: bool,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            addresses: ParseOptions::default(),
            csv_max_bytes: ImportOptions::default().max_bytes,
            lease: Duration::minutes(5),
            deliver_inline: true,
        }
    }
}

/// A new organization and its first admin, for [`Invitations::create_organization`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    /// Its id.
    pub id: OrgId,
    /// Its name, shown in invitations.
    pub name: String,
    /// The first admin's address; they are created activated.
    pub admin_email: String,
    /// The first admin's name.
    pub admin_name: Option<String>,
    /// The invitation window.
    pub expiry: ExpiryWindow,
    /// The time zone deadlines are stated in.
    pub time_zone: TimeZone,
    /// Whose identity may accept.
    pub email_binding: EmailBinding,
    /// The accept link's template, with `{token}`; `None` keeps [`Organization::new`]'s.
    pub accept_url: Option<String>,
}

impl NewOrganization {
    /// An organization with the default settings.
    pub fn new(id: &str, name: &str, admin_email: &str) -> Self {
        NewOrganization {
            id: OrgId::new(id),
            name: name.to_owned(),
            admin_email: admin_email.to_owned(),
            admin_name: None,
            expiry: ExpiryWindow::default(),
            time_zone: TimeZone::default(),
            email_binding: EmailBinding::default(),
            accept_url: None,
        }
    }
}

/// What the clients of a batch get, for [`Invitations::create_clients`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClients {
    /// Their role (a CSV row's role column overrides it). Default [`Role::Client`].
    pub role: Role,
    /// A program to put them in.
    pub program: Option<ProgramId>,
    /// A group to put them in.
    pub group: Option<GroupId>,
    /// A member of staff to assign them to.
    pub staff: Option<ClientId>,
    /// Invite them now. Guests are invited whatever this says.
    pub send: bool,
    /// The email's editable parts.
    pub message: MessageOptions,
}

impl Default for NewClients {
    fn default() -> Self {
        NewClients {
            role: Role::Client,
            program: None,
            group: None,
            staff: None,
            send: false,
            message: MessageOptions::default(),
        }
    }
}

/// What a batch did, or (for a preview) would do, entry by entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchReport {
    /// Whether anything was written (`false` for a preview).
    pub committed: bool,
    /// Every entry, in input order.
    pub entries: Vec<BatchEntry>,
    /// Clients created (or, in a preview, to be created).
    pub created: usize,
    /// Of those, how many are invited.
    pub invited: usize,
    /// Entries whose address is already a client of the organization (left as they are).
    pub existing: usize,
    /// Entries repeating an earlier entry's address (skipped).
    pub duplicates: usize,
    /// What happened to the invitations' mail.
    pub delivery: DeliveryReport,
}

/// One entry of a batch and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchEntry {
    /// Its index, from 0.
    pub index: usize,
    /// Its line, from 1.
    pub line: u64,
    /// Its column, from 1 (1 for a CSV row).
    pub column: u64,
    /// Its byte offsets in a pasted text (`0..0` for a CSV row).
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// The address (normalized).
    pub address: String,
    /// The name given with it.
    pub name: Option<String>,
    /// What became of it.
    pub outcome: EntryOutcome,
}

/// What became of a batch entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryOutcome {
    /// A client was created (in a preview: would be, with `client` not yet minted).
    Created {
        /// The new client (`None` in a preview).
        client: Option<ClientId>,
        /// Whether it is invited.
        invited: bool,
    },
    /// The address is already a client's: nothing changed. `status` tells which case: already
    /// a client (activated or provisioned), invitation pending, expired, or archived.
    Existing {
        /// The client.
        client: ClientId,
        /// Its status now.
        status: StatusKind,
    },
    /// The address repeats entry `of`: skipped.
    Duplicate {
        /// The earlier entry.
        of: usize,
    },
}

/// What a delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Messages delivered.
    pub sent: Vec<MessageId>,
    /// Messages that failed, with the reason; they stay in the outbox.
    pub failed: Vec<(MessageId, String)>,
}

/// The result of a bulk command for one client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOutcome {
    /// The client.
    pub client: ClientId,
    /// Its status after the command, or why the command was refused for it.
    pub result: Result<StatusKind, Error>,
    /// The invitation email's outbox message, for commands that send one.
    pub message: Option<MessageId>,
    /// Whether that message was delivered now (`Failed`: it waits in the outbox to be retried;
    /// `Pending`: queued for a worker, see [`ServiceOptions::deliver_inline`]).
    pub delivery: Option<DeliveryState>,
}

/// The client list's filters and page, for [`Invitations::list_clients`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only this status now.
    pub status: Option<StatusKind>,
    /// Only this group's members.
    pub group: Option<GroupId>,
    /// Only this program's clients.
    pub program: Option<ProgramId>,
    /// Only clients assigned to this member of staff.
    pub staff: Option<ClientId>,
    /// Only names or addresses containing this text (case-insensitive).
    pub search: Option<String>,
    /// Count as new the clients created at or after this instant.
    pub new_since: Option<DateTime<Utc>>,
    /// Skip this many matches.
    pub offset: u64,
    /// At most this many; all when `None`.
    pub limit: Option<usize>,
}

/// A page of the client list with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientList {
    /// The instant the statuses are taken at.
    pub now: DateTime<Utc>,
    /// The page, each client with its status now.
    pub clients: Vec<ListedClient>,
    /// How many clients match the filters.
    pub total: u64,
    /// Of those, how many were created since the filter's `new_since`.
    pub new: u64,
    /// Of those, how many are activated.
    pub activated: u64,
}

impl ClientList {
    /// The share of matching clients that are activated, from 0 to 1 (0 when none match).
    pub fn activated_share(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.activated as f64 / self.total as f64
        }
    }
}

/// A client in a list, with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedClient {
    /// The client and its invitations.
    pub record: ClientRecord,
    /// Its status at the list's instant.
    pub status: Status,
}

/// A new sign-up link's settings, for [`Invitations::create_signup_link`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignupLink {
    /// The role people joining through it get. Default [`Role::Client`].
    pub role: Role,
    /// How many may join; `None` for no limit.
    pub max_uses: Option<u32>,
    /// The email domains allowed (`example.com`); empty for any.
    pub allowed_domains: Vec<String>,
}

impl Default for NewSignupLink {
    fn default() -> Self {
        NewSignupLink {
            role: Role::Client,
            max_uses: None,
            allowed_domains: Vec::new(),
        }
    }
}

/// The result of an accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The client after the accept.
    pub record: ClientRecord,
    /// `true` when this call activated the client; `false` when the same identity had already
    /// accepted (a double click, a retried request).
    pub activated_now: bool,
}

/// One candidate entry of a batch, from a paste or a CSV row.
struct Candidate {
    index: usize,
    line: u64,
    column: u64,
    start: usize,
    end: usize,
    raw: String,
    email: Option<Email>,
    name: Option<String>,
    role: Option<Role>,
    group: Option<String>,
    program: Option<String>,
    error: Option<ErrorCode>,
    duplicate_of: Option<usize>,
}

/// A command on one client, given the organization and the instant.
type ClientCommand<'a> =
    dyn FnMut(&Organization, &mut ClientRecord, DateTime<Utc>) -> Result<Effects, Error> + 'a;

/// What a command on one client adds to the transaction beside the record.
struct Effects {
    events: Vec<Event>,
    messages: Vec<OutboxMessage>,
}

impl Effects {
    fn events(events: Vec<Event>) -> Self {
        Effects {
            events,
            messages: Vec::new(),
        }
    }
}

fn not_found(code: ErrorCode) -> Error {
    Error::new(ErrorKind::NotFound { code })
}

fn is_conflict(error: &Error) -> bool {
    error.code() == ErrorCode::Conflict
}

fn mint_id(prefix: &str) -> Result<String, Error> {
    token::mint_id(prefix)
}

/// The invitation use cases on one store, mailer and clock. Cheap to clone and share.
#[derive(Clone)]
pub struct Invitations {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    options: ServiceOptions,
}

impl std::fmt::Debug for Invitations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitations")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Invitations {
    /// The service on `store`, sending through `mailer`, with time from `clock`.
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Invitations {
            store,
            mailer,
            clock,
            options: ServiceOptions::default(),
        }
    }

    /// The same service with other settings.
    pub fn with_options(mut self, options: ServiceOptions) -> Self {
        self.options = options;
        self
    }

    /// The settings.
    pub fn options(&self) -> &ServiceOptions {
        &self.options
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The clock's instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    // ----- organizations and members -----

    /// Creates an organization and its first admin, activated and owning their record.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::OrganizationExists`]; the address's code for a bad admin address;
    /// [`ErrorCode::InvalidMessageText`] for a bad name; [`ErrorCode::InvalidUrl`] for a bad
    /// accept-link template.
    pub fn create_organization(
        &self,
        new: &NewOrganization,
    ) -> Result<(Organization, Member), Error> {
        let now = self.now();
        let mut org = Organization::new(new.id.clone(), new.name.clone(), now);
        org.expiry = new.expiry;
        org.time_zone = new.time_zone;
        org.email_binding = new.email_binding;
        if let Some(template) = &new.accept_url {
            org.accept_url = template.clone();
        }
        let org = org.checked()?;
        let email = address::parse_one(&new.admin_email, &self.options.addresses)?;
        let mut admin = Client::new(
            ClientId::new(mint_id("cl_")?),
            org.id.clone(),
            Some(email.clone()),
            Role::Admin,
            now,
        );
        admin.name = new
            .admin_name
            .as_deref()
            .map(|n| check_name(n, "name"))
            .transpose()?;
        admin.activated_at = Some(now);
        admin.activated_by = Some(Identity {
            email,
            subject: None,
        });
        admin.owner = Owner::Member(admin.id.clone());
        let member = Member {
            id: admin.id.clone(),
            role: Role::Admin,
        };
        let (record, event) = ClientRecord::create(admin, Actor::System);
        self.store.apply(&[
            Change::InsertOrganization(org.clone()),
            Change::InsertClient(record),
            Change::RecordEvent(event),
        ])?;
        Ok((org, member))
    }

    /// The organization `id`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::OrganizationNotFound`].
    pub fn organization(&self, id: &OrgId) -> Result<Organization, Error> {
        self.store
            .organization(id)?
            .ok_or_else(|| not_found(ErrorCode::OrganizationNotFound))
    }

    /// Changes an organization's settings (name, window, time zone, binding, accept link) to
    /// those of `org`, and returns the organization as stored. Only the settings change: the
    /// stored creation instant stays, whatever `org` says, and the name is stored trimmed.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_organization`; as
    /// [`Invitations::create_organization`] for bad values; [`ErrorCode::OrganizationNotFound`].
    pub fn update_organization(
        &self,
        by: &Member,
        org: &Organization,
    ) -> Result<Organization, Error> {
        access::authorize_org(by, OrgOperation::ManageSettings)?;
        let stored = self.organization(&org.id)?;
        let updated = Organization {
            created_at: stored.created_at,
            ..org.clone()
        }
        .checked()?;
        self.store
            .apply(&[Change::UpdateOrganization(updated.clone())])?;
        Ok(updated)
    }

    /// The acting member with address `email`: an activated, not archived client of `org`.
    ///
    /// # Errors
    ///
    /// The address's code; [`ErrorCode::ClientNotFound`]; [`ErrorCode::Forbidden`] for a client
    /// not activated or archived (they cannot act).
    pub fn member(&self, org: &OrgId, email: &str) -> Result<Member, Error> {
        self.member_of(&self.client_by_email(org, email)?)
    }

    /// The organization's first activated admin (by creation), as the acting member: the
    /// default for tools run by the organization's operator.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::OrganizationNotFound`]; [`ErrorCode::ClientNotFound`] when it has no
    /// activated admin.
    pub fn first_admin(&self, org: &OrgId) -> Result<Member, Error> {
        self.organization(org)?;
        let query = ClientQuery {
            role: Some(Role::Admin),
            status: Some(StatusKind::Activated),
            limit: Some(1),
            ..ClientQuery::all(self.now())
        };
        let record = self
            .store
            .list_clients(org, &query)?
            .records
            .into_iter()
            .next()
            .ok_or_else(|| not_found(ErrorCode::ClientNotFound))?;
        self.member_of(&record)
    }

    /// The client of `org` with address `email` (compared by dedup key).
    ///
    /// # Errors
    ///
    /// The address's code; [`ErrorCode::ClientNotFound`].
    pub fn client_by_email(&self, org: &OrgId, email: &str) -> Result<ClientRecord, Error> {
        let email = address::parse_one(email, &self.options.addresses)?;
        self.store
            .clients_by_key(org, &[email.key])?
            .into_iter()
            .next()
            .ok_or_else(|| not_found(ErrorCode::ClientNotFound))
    }

    fn member_of(&self, record: &ClientRecord) -> Result<Member, Error> {
        if record.client.activated_at.is_none() || record.client.archived_at.is_some() {
            return Err(Error::new(ErrorKind::Forbidden {
                permission: access::Permission::ManageClients,
            }));
        }
        Ok(Member {
            id: record.client.id.clone(),
            role: record.client.role,
        })
    }

    /// The client `id` of `org`, as `by` may see it.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::ClientNotFound`], [`ErrorCode::Forbidden`].
    pub fn client(&self, org: &OrgId, by: &Member, id: &ClientId) -> Result<ClientRecord, Error> {
        let record = self
            .store
            .client(org, id)?
            .ok_or_else(|| not_found(ErrorCode::ClientNotFound))?;
        access::authorize(by, Operation::View, &record.client, &record.invitations)?;
        Ok(record)
    }

    /// The display name of the member `id`: their name, else their address.
    fn display_name(&self, org: &OrgId, id: &ClientId) -> Result<Option<String>, Error> {
        Ok(self.store.client(org, id)?.and_then(|record| {
            record
                .client
                .name
                .or_else(|| record.client.email.map(|e| e.address))
        }))
    }

    // ----- creating clients -----

    /// Creates clients from a pasted list of addresses (see [`crate::address::parse`]), all or
    /// nothing, and invites them if `new.send` (or if they are guests).
    ///
    /// Addresses already in the organization are reported ([`EntryOutcome::Existing`]) and left
    /// as they are; repeated ones are skipped. Nothing is created when an entry is invalid or
    /// over the cap.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidBatch`] listing the entries at fault; [`ErrorCode::EmptyBatch`];
    /// [`ErrorCode::InputTooLarge`]; [`ErrorCode::Forbidden`] when `by` may not create (or
    /// invite) clients of that role; [`ErrorCode::GroupNotFound`],
    /// [`ErrorCode::ProgramNotFound`], [`ErrorCode::ClientNotFound`] (staff) for unknown
    /// targets; [`ErrorCode::InvalidMessageText`] / [`ErrorCode::InvalidUrl`] for bad message
    /// options; store errors.
    pub fn create_clients(
        &self,
        org: &OrgId,
        by: &Member,
        text: &str,
        new: &NewClients,
    ) -> Result<BatchReport, Error> {
        let candidates = self.paste_candidates(text)?;
        self.create_batch(org, by, candidates, new, false)
    }

    /// What [`Invitations::create_clients`] would do, writing nothing.
    ///
    /// # Errors
    ///
    /// As [`Invitations::create_clients`].
    pub fn preview_clients(
        &self,
        org: &OrgId,
        by: &Member,
        text: &str,
        new: &NewClients,
    ) -> Result<BatchReport, Error> {
        let candidates = self.paste_candidates(text)?;
        self.create_batch(org, by, candidates, new, true)
    }

    /// Creates clients from a CSV file ([`crate::csv::import`]), all or nothing, as
    /// [`Invitations::create_clients`]. A row's role, group and program columns override
    /// `new`'s; groups and programs are named, and must exist.
    ///
    /// # Errors
    ///
    /// As [`Invitations::create_clients`], plus the CSV's whole-file errors
    /// ([`ErrorCode::NoEmailColumn`], [`ErrorCode::ReadFailed`], [`ErrorCode::InputTooLarge`]).
    pub fn import_clients(
        &self,
        org: &OrgId,
        by: &Member,
        reader: impl Read,
        new: &NewClients,
        dry_run: bool,
    ) -> Result<BatchReport, Error> {
        let candidates = self.csv_candidates(reader)?;
        self.create_batch(org, by, candidates, new, dry_run)
    }

    fn paste_candidates(&self, text: &str) -> Result<Vec<Candidate>, Error> {
        let list = address::parse(text, &self.options.addresses)?;
        Ok(list
            .entries
            .iter()
            .map(|entry| Candidate {
                index: entry.index(),
                line: entry.line() as u64,
                column: entry.column() as u64,
                start: entry.start(),
                end: entry.end(),
                raw: entry.raw().to_owned(),
                email: match (entry.normalized(), entry.key()) {
                    (Some(address), Some(key)) => Some(Email {
                        address: address.to_owned(),
                        key: key.to_owned(),
                    }),
                    _ => None,
                },
                name: entry.name().map(str::to_owned),
                role: None,
                group: None,
                program: None,
                error: entry.error(),
                duplicate_of: entry.duplicate_of(),
            })
            .collect())
    }

    fn csv_candidates(&self, reader: impl Read) -> Result<Vec<Candidate>, Error> {
        let options = ImportOptions {
            addresses: self.options.addresses.clone(),
            max_bytes: self.options.csv_max_bytes,
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut index_of_line: HashMap<u64, usize> = HashMap::new();
        for row in csv_io::import(reader, &options)? {
            let row = row?;
            let index = candidates.len();
            index_of_line.insert(row.line, index);
            candidates.push(Candidate {
                index,
                line: row.line,
                column: 1,
                start: 0,
                end: 0,
                raw: row.raw_email,
                email: row.email,
                name: row.name,
                role: row.role,
                group: row.group,
                program: row.program,
                error: row.error,
                duplicate_of: row
                    .duplicate_of_line
                    .and_then(|line| index_of_line.get(&line).copied()),
            });
        }
        Ok(candidates)
    }

    fn create_batch(
        &self,
        org_id: &OrgId,
        by: &Member,
        mut candidates: Vec<Candidate>,
        new: &NewClients,
        dry_run: bool,
    ) -> Result<BatchReport, Error> {
        new.message.validate()?;
        let org = self.organization(org_id)?;
        if new.send {
            message::validate_accept_url(&org.accept_url)?;
        }
        // Names of groups and programs in CSV rows, and the batch's own targets.
        let groups = self.store.groups(org_id)?;
        let programs = self.store.programs(org_id)?;
        let group_by_name: HashMap<String, GroupId> = groups
            .iter()
            .map(|g| (name_key(&g.name), g.id.clone()))
            .collect();
        let program_by_name: HashMap<String, ProgramId> = programs
            .iter()
            .map(|p| (name_key(&p.name), p.id.clone()))
            .collect();
        if let Some(group) = &new.group
            && !groups.iter().any(|g| &g.id == group)
        {
            return Err(not_found(ErrorCode::GroupNotFound));
        }
        if let Some(program) = &new.program
            && !programs.iter().any(|p| &p.id == program)
        {
            return Err(not_found(ErrorCode::ProgramNotFound));
        }
        if let Some(staff) = &new.staff {
            self.check_staff(org_id, staff)?;
        }
        let mut problems = Vec::new();
        let mut resolved: Vec<(Option<GroupId>, Option<ProgramId>)> = Vec::new();
        for candidate in &mut candidates {
            let mut group = new.group.clone();
            let mut program = new.program.clone();
            if candidate.error.is_none() {
                if let Some(name) = &candidate.group {
                    match group_by_name.get(&name_key(name)) {
                        Some(id) => group = Some(id.clone()),
                        None => candidate.error = Some(ErrorCode::GroupNotFound),
                    }
                }
                if let Some(name) = &candidate.program {
                    match program_by_name.get(&name_key(name)) {
                        Some(id) => program = Some(id.clone()),
                        None => candidate.error = Some(ErrorCode::ProgramNotFound),
                    }
                }
                if let Some(name) = &candidate.name
                    && check_name(name, "name").is_err()
                {
                    candidate.error = Some(ErrorCode::InvalidMessageText);
                }
            }
            match candidate.error {
                None | Some(ErrorCode::Duplicate) => {}
                Some(code) => problems.push(EntryError {
                    index: candidate.index,
                    line: candidate.line,
                    column: candidate.column,
                    start: candidate.start,
                    end: candidate.end,
                    text: candidate.raw.clone(),
                    code,
                    duplicate_of: candidate.duplicate_of,
                }),
            }
            resolved.push((group, program));
        }
        if !problems.is_empty() {
            return Err(Error::new(ErrorKind::InvalidBatch { entries: problems }));
        }
        if !candidates.iter().any(|c| c.error.is_none()) {
            return Err(Error::new(ErrorKind::EmptyBatch));
        }
        let inviter = self.display_name(org_id, &by.id)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_batch(
                &org,
                by,
                &candidates,
                &resolved,
                new,
                inviter.as_deref(),
                dry_run,
            ) {
                Err(error)
                    if attempt < ATTEMPTS
                        && matches!(
                            error.code(),
                            ErrorCode::ClientExists | ErrorCode::Conflict
                        ) =>
                {
                    // Another writer created one of these addresses meanwhile: classify again.
                }
                other => return other,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn try_batch(
        &self,
        org: &Organization,
        by: &Member,
        candidates: &[Candidate],
        resolved: &[(Option<GroupId>, Option<ProgramId>)],
        new: &NewClients,
        inviter: Option<&str>,
        dry_run: bool,
    ) -> Result<BatchReport, Error> {
        let now = self.now();
        let keys: Vec<String> = candidates
            .iter()
            .filter(|c| c.error.is_none())
            .filter_map(|c| c.email.as_ref().map(|e| e.key.clone()))
            .collect();
        let existing: HashMap<String, ClientRecord> = self
            .store
            .clients_by_key(&org.id, &keys)?
            .into_iter()
            .filter_map(|r| Some((r.client.email.as_ref()?.key.clone(), r)))
            .collect();
        // One random base per batch and the entry's index after it: ids unique across servers
        // that sort, within the batch's instant, in input order.
        let base = if dry_run {
            String::new()
        } else {
            mint_id("cl_")?
        };
        let mut report = BatchReport {
            committed: !dry_run,
            entries: Vec::with_capacity(candidates.len()),
            created: 0,
            invited: 0,
            existing: 0,
            duplicates: 0,
            delivery: DeliveryReport::default(),
        };
        let mut changes = Vec::new();
        let mut messages = Vec::new();
        for (candidate, (group, program)) in candidates.iter().zip(resolved) {
            let Some(email) = &candidate.email else {
                continue;
            };
            let entry = |outcome| BatchEntry {
                index: candidate.index,
                line: candidate.line,
                column: candidate.column,
                start: candidate.start,
                end: candidate.end,
                address: email.address.clone(),
                name: candidate.name.clone(),
                outcome,
            };
            if candidate.error == Some(ErrorCode::Duplicate) {
                report.duplicates += 1;
                report.entries.push(entry(EntryOutcome::Duplicate {
                    of: candidate.duplicate_of.unwrap_or(candidate.index),
                }));
                continue;
            }
            if let Some(record) = existing.get(&email.key) {
                report.existing += 1;
                report.entries.push(entry(EntryOutcome::Existing {
                    client: record.client.id.clone(),
                    status: record.status(now).kind(),
                }));
                continue;
            }
            let role = candidate.role.unwrap_or(new.role);
            let mut client = Client::new(
                ClientId::new(if dry_run {
                    String::new()
                } else {
                    format!("{base}-{:07}", candidate.index)
                }),
                org.id.clone(),
                Some(email.clone()),
                role,
                now,
            );
            client.name = candidate.name.as_deref().map(|n| n.trim().to_owned());
            client.groups.extend(group.clone());
            client.programs.extend(program.clone());
            client.assigned_staff = new.staff.clone();
            client.created_by = Some(by.id.clone());
            if role == Role::Guest {
                client.guest_of = Some(by.id.clone());
            }
            access::authorize(by, Operation::Create, &client, &[])?;
            let invite = new.send || crate::policy::invited_on_creation(role);
            if invite {
                access::authorize(by, Operation::Send, &client, &[])?;
            }
            report.created += 1;
            if dry_run {
                if invite {
                    report.invited += 1;
                }
                report.entries.push(entry(EntryOutcome::Created {
                    client: None,
                    invited: invite,
                }));
                continue;
            }
            let (mut record, created) = ClientRecord::create(client, by.actor());
            changes.push(Change::RecordEvent(created));
            if invite {
                let effects = self.send_one(org, &mut record, by, inviter, &new.message, now)?;
                report.invited += 1;
                for event in effects.events {
                    changes.push(Change::RecordEvent(event));
                }
                messages.extend(effects.messages);
            }
            report.entries.push(entry(EntryOutcome::Created {
                client: Some(record.client.id.clone()),
                invited: invite,
            }));
            changes.push(Change::InsertClient(record));
        }
        if dry_run {
            return Ok(report);
        }
        let ids: Vec<MessageId> = messages.iter().map(|m| m.id.clone()).collect();
        changes.extend(messages.into_iter().map(Change::Enqueue));
        self.store.apply(&changes)?;
        if !ids.is_empty() && self.options.deliver_inline {
            report.delivery = self.deliver(Some(ids), usize::MAX)?;
        }
        Ok(report)
    }

    /// Sends `record` an invitation (first or further), rendering its email into an outbox
    /// message.
    fn send_one(
        &self,
        org: &Organization,
        record: &mut ClientRecord,
        by: &Member,
        inviter: Option<&str>,
        options: &MessageOptions,
        now: DateTime<Utc>,
    ) -> Result<Effects, Error> {
        let token = Token::mint()?;
        let new = NewInvitation {
            id: InvitationId::new(mint_id("in_")?),
            token_hash: token.hash(),
        };
        let invitation = new.id.clone();
        let events = record.invite(org, new, by.actor(), now)?;
        let sent = record
            .invitations
            .iter()
            .find(|i| i.id == invitation)
            .ok_or_else(|| Error::new(ErrorKind::InvitationExists))?;
        let to = record
            .client
            .email
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::NoEmail))?;
        let rendered = message::render(
            &Invite {
                org,
                inviter,
                to,
                name: record.client.name.as_deref(),
                token: &token,
                expires_at: sent.expires_at,
            },
            options,
        )?;
        let message = OutboxMessage::new(
            MessageId::new(mint_id("ms_")?),
            org.id.clone(),
            record.client.id.clone(),
            Some(invitation),
            rendered,
            now,
        );
        Ok(Effects {
            events,
            messages: vec![message],
        })
    }

    fn check_staff(&self, org: &OrgId, staff: &ClientId) -> Result<(), Error> {
        match self.store.client(org, staff)? {
            Some(record) if matches!(record.client.role, Role::Staff | Role::Admin) => Ok(()),
            _ => Err(not_found(ErrorCode::ClientNotFound)),
        }
    }

    /// Adds a guest to `by`'s account: a client with the guest role, `by` as their host, invited
    /// at once.
    ///
    /// # Errors
    ///
    /// The address's code; [`ErrorCode::ClientExists`] when the address is a client already;
    /// [`ErrorCode::Forbidden`]; as [`Invitations::create_clients`] for message options.
    pub fn add_guest(
        &self,
        org: &OrgId,
        by: &Member,
        email: &str,
        name: Option<&str>,
        options: &MessageOptions,
    ) -> Result<ClientOutcome, Error> {
        options.validate()?;
        let email = address::parse_one(email, &self.options.addresses)?;
        let name = name.map(|n| check_name(n, "name")).transpose()?;
        let org = self.organization(org)?;
        message::validate_accept_url(&org.accept_url)?;
        let inviter = self.display_name(&org.id, &by.id)?;
        let now = self.now();
        if !self
            .store
            .clients_by_key(&org.id, std::slice::from_ref(&email.key))?
            .is_empty()
        {
            return Err(Error::new(ErrorKind::Exists {
                code: ErrorCode::ClientExists,
            }));
        }
        let mut client = Client::new(
            ClientId::new(mint_id("cl_")?),
            org.id.clone(),
            Some(email),
            Role::Guest,
            now,
        );
        client.name = name;
        client.guest_of = Some(by.id.clone());
        client.created_by = Some(by.id.clone());
        access::authorize(by, Operation::Create, &client, &[])?;
        access::authorize(by, Operation::Send, &client, &[])?;
        let (mut record, created) = ClientRecord::create(client, by.actor());
        let effects = self.send_one(&org, &mut record, by, inviter.as_deref(), options, now)?;
        let id = record.client.id.clone();
        let status = record.status(now).kind();
        let message = effects.messages[0].id.clone();
        let mut changes = vec![Change::RecordEvent(created)];
        changes.extend(effects.events.into_iter().map(Change::RecordEvent));
        changes.push(Change::InsertClient(record));
        changes.extend(effects.messages.into_iter().map(Change::Enqueue));
        self.store.apply(&changes)?;
        let delivery = if self.options.deliver_inline {
            delivery_state(&self.deliver(Some(vec![message.clone()]), 1)?, &message)
        } else {
            DeliveryState::Pending
        };
        Ok(ClientOutcome {
            client: id,
            result: Ok(status),
            delivery: Some(delivery),
            message: Some(message),
        })
    }

    // ----- commands on chosen clients -----

    /// Runs `act` on each of `ids` that `by` may `operation`, and writes every change in one
    /// transaction; starts again on a lost compare-and-set.
    fn each_client(
        &self,
        org_id: &OrgId,
        by: &Member,
        ids: &[ClientId],
        operation: Operation,
        act: &mut ClientCommand<'_>,
    ) -> Result<Vec<ClientOutcome>, Error> {
        let org = self.organization(org_id)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.now();
            let mut records: HashMap<ClientId, ClientRecord> = self
                .store
                .clients(org_id, ids)?
                .into_iter()
                .map(|r| (r.client.id.clone(), r))
                .collect();
            let mut outcomes = Vec::with_capacity(ids.len());
            let mut changes = Vec::new();
            let mut message_ids = Vec::new();
            let mut seen = HashSet::new();
            for id in ids {
                if !seen.insert(id) {
                    continue;
                }
                let mut outcome = ClientOutcome {
                    client: id.clone(),
                    result: Err(not_found(ErrorCode::ClientNotFound)),
                    message: None,
                    delivery: None,
                };
                if let Some(record) = records.get_mut(id) {
                    let version = record.client.version;
                    let mut work = record.clone();
                    let result = access::authorize(by, operation, &work.client, &work.invitations)
                        .and_then(|()| act(&org, &mut work, now));
                    match result {
                        Ok(effects) => {
                            outcome.result = Ok(work.status(now).kind());
                            changes.extend(effects.events.into_iter().map(Change::RecordEvent));
                            if let Some(message) = effects.messages.first() {
                                outcome.message = Some(message.id.clone());
                                outcome.delivery = Some(DeliveryState::Pending);
                                message_ids.push(message.id.clone());
                            }
                            changes.extend(effects.messages.into_iter().map(Change::Enqueue));
                            if work.client.version != version {
                                changes.push(Change::UpdateClient {
                                    record: work,
                                    expected_version: version,
                                });
                            }
                        }
                        Err(error) => outcome.result = Err(error),
                    }
                }
                outcomes.push(outcome);
            }
            match self.store.apply(&changes) {
                Ok(()) => {}
                Err(error) if is_conflict(&error) && attempt < ATTEMPTS => continue,
                Err(error) => return Err(error),
            }
            if !message_ids.is_empty() && self.options.deliver_inline {
                let delivery = self.deliver(Some(message_ids), usize::MAX)?;
                let states = delivery.states();
                for outcome in &mut outcomes {
                    if let Some(message) = &outcome.message {
                        outcome.delivery = Some(
                            states
                                .get(message)
                                .copied()
                                .unwrap_or(DeliveryState::Pending),
                        );
                    }
                }
            }
            return Ok(outcomes);
        }
    }

    /// Sends a first invitation to each of `ids` (clients never invited, or whose invitations
    /// were all revoked).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::OrganizationNotFound`], bad message options, store errors. Per client:
    /// [`ErrorCode::ClientNotFound`], [`ErrorCode::Forbidden`], the table's refusals
    /// ([`ErrorCode::AlreadyInvited`], ...), [`ErrorCode::NoEmail`].
    pub fn send(
        &self,
        org: &OrgId,
        by: &Member,
        ids: &[ClientId],
        options: &MessageOptions,
    ) -> Result<Vec<ClientOutcome>, Error> {
        self.send_with(org, by, ids, options, CommandKind::Send)
    }

    /// Sends a further invitation, with a fresh window, to each of `ids`. Earlier links keep
    /// working until their own deadline.
    ///
    /// # Errors
    ///
    /// As [`Invitations::send`], with [`ErrorCode::NotInvited`] for a client never invited.
    pub fn resend(
        &self,
        org: &OrgId,
        by: &Member,
        ids: &[ClientId],
        options: &MessageOptions,
    ) -> Result<Vec<ClientOutcome>, Error> {
        self.send_with(org, by, ids, options, CommandKind::Resend)
    }

    fn send_with(
        &self,
        org_id: &OrgId,
        by: &Member,
        ids: &[ClientId],
        options: &MessageOptions,
        command: CommandKind,
    ) -> Result<Vec<ClientOutcome>, Error> {
        options.validate()?;
        let org = self.organization(org_id)?;
        message::validate_accept_url(&org.accept_url)?;
        let inviter = self.display_name(org_id, &by.id)?;
        let operation = if command == CommandKind::Send {
            Operation::Send
        } else {
            Operation::Resend
        };
        self.each_client(org_id, by, ids, operation, &mut |org, record, now| {
            // The table decides send against resend; `send_one` invites with whichever.
            record.permit(command, now)?;
            self.send_one(org, record, by, inviter.as_deref(), options, now)
        })
    }

    /// Revokes every open invitation of each of `ids`.
    ///
    /// # Errors
    ///
    /// As [`Invitations::send`], with the table's revoke column.
    pub fn revoke(
        &self,
        org: &OrgId,
        by: &Member,
        ids: &[ClientId],
    ) -> Result<Vec<ClientOutcome>, Error> {
        self.each_client(org, by, ids, Operation::Revoke, &mut |_, record, now| {
            record.revoke(by.actor(), now).map(Effects::events)
        })
    }

    /// Archives each of `ids`.
    ///
    /// # Errors
    ///
    /// As [`Invitations::send`], with [`ErrorCode::AlreadyArchived`].
    pub fn archive(
        &self,
        org: &OrgId,
        by: &Member,
        ids: &[ClientId],
    ) -> Result<Vec<ClientOutcome>, Error> {
        self.each_client(org, by, ids, Operation::Archive, &mut |_, record, now| {
            record.archive(by.actor(), now).map(Effects::events)
        })
    }

    /// Restores each of `ids`.
    ///
    /// # Errors
    ///
    /// As [`Invitations::send`], with [`ErrorCode::NotArchived`].
    pub fn restore(
        &self,
        org: &OrgId,
        by: &Member,
        ids: &[ClientId],
    ) -> Result<Vec<ClientOutcome>, Error> {
        self.each_client(org, by, ids, Operation::Restore, &mut |_, record, now| {
            record.restore(by.actor(), now).map(Effects::events)
        })
    }

    /// Puts each of `ids` in a program or group, or under a member of staff (or none).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::GroupNotFound`], [`ErrorCode::ProgramNotFound`],
    /// [`ErrorCode::ClientNotFound`] (staff) for an unknown target; per client as
    /// [`Invitations::send`].
    pub fn assign(
        &self,
        org: &OrgId,
        by: &Member,
        ids: &[ClientId],
        assignment: &Assignment,
    ) -> Result<Vec<ClientOutcome>, Error> {
        match assignment {
            Assignment::Group(group) => {
                if !self.store.groups(org)?.iter().any(|g| &g.id == group) {
                    return Err(not_found(ErrorCode::GroupNotFound));
                }
            }
            Assignment::Program(program) => {
                if !self.store.programs(org)?.iter().any(|p| &p.id == program) {
                    return Err(not_found(ErrorCode::ProgramNotFound));
                }
            }
            Assignment::Staff(Some(staff)) => self.check_staff(org, staff)?,
            Assignment::Staff(None) => {}
        }
        self.each_client(org, by, ids, Operation::Assign, &mut |_, record, now| {
            let client = &mut record.client;
            let changed = match assignment {
                Assignment::Group(group) if !client.groups.contains(group) => {
                    client.groups.push(group.clone());
                    true
                }
                Assignment::Program(program) if !client.programs.contains(program) => {
                    client.programs.push(program.clone());
                    true
                }
                Assignment::Staff(staff) if &client.assigned_staff != staff => {
                    client.assigned_staff = staff.clone();
                    true
                }
                _ => false,
            };
            if !changed {
                return Ok(Effects::events(Vec::new()));
            }
            client.version += 1;
            Ok(Effects::events(vec![Event {
                org: client.org.clone(),
                actor: by.actor(),
                action: Action::ClientAssigned {
                    assignment: assignment.clone(),
                },
                subject: Subject::Client(client.id.clone()),
                at: now,
            }]))
        })
    }

    // ----- the never-invited report -----

    /// The clients with an email who were never invited (and are neither activated nor
    /// archived), oldest first: the list an admin reviews before inviting them.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_clients`; store errors.
    pub fn never_invited(
        &self,
        org: &OrgId,
        by: &Member,
        offset: u64,
        limit: Option<usize>,
    ) -> Result<ClientList, Error> {
        access::authorize_org(by, OrgOperation::ViewClients)?;
        let now = self.now();
        let query = ClientQuery {
            never_invited: true,
            offset,
            limit,
            ..ClientQuery::all(now)
        };
        self.list(org, &query)
    }

    /// Invites every client of the never-invited report except those in `except` (the ones the
    /// admin unticked).
    ///
    /// # Errors
    ///
    /// As [`Invitations::never_invited`] and [`Invitations::send`].
    pub fn invite_never_invited(
        &self,
        org: &OrgId,
        by: &Member,
        except: &[ClientId],
        options: &MessageOptions,
    ) -> Result<Vec<ClientOutcome>, Error> {
        let report = self.never_invited(org, by, 0, None)?;
        let except: HashSet<&ClientId> = except.iter().collect();
        let ids: Vec<ClientId> = report
            .clients
            .into_iter()
            .map(|c| c.record.client.id)
            .filter(|id| !except.contains(id))
            .collect();
        self.send(org, by, &ids, options)
    }

    // ----- the client list and export -----

    /// A page of the client list, filtered, with the counts (matches, new since the filter's
    /// instant, activated).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_clients`; store errors.
    pub fn list_clients(
        &self,
        org: &OrgId,
        by: &Member,
        filter: &ClientFilter,
    ) -> Result<ClientList, Error> {
        access::authorize_org(by, OrgOperation::ViewClients)?;
        let query = ClientQuery {
            role: filter.role,
            status: filter.status,
            group: filter.group.clone(),
            program: filter.program.clone(),
            staff: filter.staff.clone(),
            search: filter.search.clone(),
            new_since: filter.new_since,
            offset: filter.offset,
            limit: filter.limit,
            ..ClientQuery::all(self.now())
        };
        self.list(org, &query)
    }

    fn list(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientList, Error> {
        let page = self.store.list_clients(org, query)?;
        Ok(ClientList {
            now: query.now,
            clients: page
                .records
                .into_iter()
                .map(|record| ListedClient {
                    status: record.status(query.now),
                    record,
                })
                .collect(),
            total: page.total,
            new: page.new,
            activated: page.activated,
        })
    }

    /// Writes the whole client table as CSV ([`crate::csv::Export`]) to `writer`, page by page,
    /// and returns the writer and the number of clients written.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`]; [`ErrorCode::WriteFailed`]; store errors.
    pub fn export_clients<W: Write>(
        &self,
        org: &OrgId,
        by: &Member,
        writer: W,
    ) -> Result<(W, u64), Error> {
        const PAGE: usize = 10_000;
        access::authorize_org(by, OrgOperation::ViewClients)?;
        let group_names: HashMap<GroupId, String> = self
            .store
            .groups(org)?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        let mut staff_emails: HashMap<ClientId, Option<String>> = HashMap::new();
        let mut export = csv_io::Export::new(writer)?;
        let now = self.now();
        let mut offset = 0;
        loop {
            let query = ClientQuery {
                offset,
                limit: Some(PAGE),
                ..ClientQuery::all(now)
            };
            let page = self.store.list_clients(org, &query)?;
            let missing: Vec<ClientId> = page
                .records
                .iter()
                .filter_map(|r| r.client.assigned_staff.clone())
                .filter(|id| !staff_emails.contains_key(id))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            for id in &missing {
                staff_emails.insert(id.clone(), None);
            }
            for staff in self.store.clients(org, &missing)? {
                staff_emails.insert(staff.client.id, staff.client.email.map(|e| e.address));
            }
            for record in &page.records {
                let client = &record.client;
                let groups: Vec<&str> = client
                    .groups
                    .iter()
                    .filter_map(|g| group_names.get(g).map(String::as_str))
                    .collect();
                let group = groups.join("; ");
                export.write(&ExportRow {
                    name: client.name.as_deref(),
                    email: client.email.as_ref().map(|e| e.address.as_str()),
                    role: Some(client.role),
                    status: record.status(now).label(),
                    group: &group,
                    assigned_staff_email: client
                        .assigned_staff
                        .as_ref()
                        .and_then(|s| staff_emails.get(s))
                        .and_then(Option::as_deref),
                    last_visit: client.last_seen_at,
                    created_at: client.created_at,
                    activated_at: client.activated_at,
                })?;
            }
            offset += page.records.len() as u64;
            if page.records.len() < PAGE {
                return Ok((export.finish()?, offset));
            }
        }
    }

    // ----- links -----

    /// What the holder of an invitation link may see; read-only (show it on GET).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidToken`] for a malformed token; [`ErrorCode::InvitationNotFound`]
    /// when no invitation has it.
    pub fn preview(&self, token: &str) -> Result<Preview, Error> {
        let token = Token::parse(token)?;
        let (record, id) = self.record_by_token(&token)?;
        let org = self.organization(&record.client.org)?;
        let sent_by = record
            .invitations
            .iter()
            .find(|i| i.id == id)
            .and_then(|i| i.sent_by.clone());
        let inviter = match sent_by {
            Some(by) => self.display_name(&org.id, &by)?,
            None => None,
        };
        record.preview(&org, &id, &token, inviter, self.now())
    }

    fn record_by_token(&self, token: &Token) -> Result<(ClientRecord, InvitationId), Error> {
        let hash = token.hash();
        let record = self.store.client_by_invitation(&hash)?.ok_or_else(|| {
            Error::new(ErrorKind::Refused {
                code: ErrorCode::InvitationNotFound,
                command: CommandKind::Accept,
                status: None,
            })
        })?;
        let id = record
            .invitations
            .iter()
            .find(|i| i.token_hash == hash)
            .map(|i| i.id.clone())
            .ok_or_else(|| Error::new(ErrorKind::InvalidToken))?;
        Ok((record, id))
    }

    /// Accepts an invitation link for the authenticated `identity` (accept on POST). A second
    /// accept by the same identity is not an error (`activated_now` is `false`); by another,
    /// [`ErrorCode::AlreadyActivated`]. Racing accepts make exactly one activation.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidToken`], [`ErrorCode::InvitationNotFound`], and
    /// [`ClientRecord::accept`]'s codes.
    pub fn accept(&self, token: &str, identity: &Identity) -> Result<Accepted, Error> {
        let token = Token::parse(token)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (record, id) = self.record_by_token(&token)?;
            let org = self.organization(&record.client.org)?;
            let version = record.client.version;
            let mut work = record.clone();
            match work.accept(&org, &id, &token, identity, self.now())? {
                Acceptance::AlreadyAccepted => {
                    return Ok(Accepted {
                        record,
                        activated_now: false,
                    });
                }
                Acceptance::Activated { events } => {
                    let mut changes: Vec<Change> =
                        events.into_iter().map(Change::RecordEvent).collect();
                    changes.push(Change::UpdateClient {
                        record: work.clone(),
                        expected_version: version,
                    });
                    match self.store.apply(&changes) {
                        Ok(()) => {
                            return Ok(Accepted {
                                record: work,
                                activated_now: true,
                            });
                        }
                        Err(error) if is_conflict(&error) && attempt < ATTEMPTS => {}
                        Err(error) => return Err(error),
                    }
                }
            }
        }
    }

    // ----- groups and programs -----

    /// Creates a group with `co_owners` (members who share it).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_clients`; [`ErrorCode::GroupExists`];
    /// [`ErrorCode::InvalidMessageText`] for a bad name; [`ErrorCode::ClientNotFound`] for an
    /// unknown co-owner.
    pub fn create_group(
        &self,
        org: &OrgId,
        by: &Member,
        name: &str,
        co_owners: &[ClientId],
    ) -> Result<Group, Error> {
        access::authorize_org(by, OrgOperation::ManageGroups)?;
        let name = check_name(name, "name")?;
        self.organization(org)?;
        if self.store.clients(org, co_owners)?.len()
            != co_owners.iter().collect::<HashSet<_>>().len()
        {
            return Err(not_found(ErrorCode::ClientNotFound));
        }
        let now = self.now();
        let group = Group {
            id: GroupId::new(mint_id("gr_")?),
            org: org.clone(),
            name: name.clone(),
            co_owners: co_owners.to_vec(),
            created_at: now,
        };
        self.store.apply(&[
            Change::PutGroup(group.clone()),
            Change::RecordEvent(Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::GroupCreated { name },
                subject: Subject::Group(group.id.clone()),
                at: now,
            }),
        ])?;
        Ok(group)
    }

    /// Renames group `id`.
    ///
    /// # Errors
    ///
    /// As [`Invitations::create_group`], and [`ErrorCode::GroupNotFound`].
    pub fn rename_group(
        &self,
        org: &OrgId,
        by: &Member,
        id: &GroupId,
        name: &str,
    ) -> Result<Group, Error> {
        access::authorize_org(by, OrgOperation::ManageGroups)?;
        let name = check_name(name, "name")?;
        let mut group = self.group(org, id)?;
        group.name = name.clone();
        self.store.apply(&[
            Change::PutGroup(group.clone()),
            Change::RecordEvent(Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::GroupRenamed { name },
                subject: Subject::Group(id.clone()),
                at: self.now(),
            }),
        ])?;
        Ok(group)
    }

    /// Deletes group `id`; its members leave it (they are not deleted).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`], [`ErrorCode::GroupNotFound`].
    pub fn delete_group(&self, org: &OrgId, by: &Member, id: &GroupId) -> Result<(), Error> {
        access::authorize_org(by, OrgOperation::ManageGroups)?;
        self.store.apply(&[
            Change::DeleteGroup {
                org: org.clone(),
                id: id.clone(),
            },
            Change::RecordEvent(Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::GroupDeleted,
                subject: Subject::Group(id.clone()),
                at: self.now(),
            }),
        ])
    }

    /// The group `id` of `org`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::GroupNotFound`].
    pub fn group(&self, org: &OrgId, id: &GroupId) -> Result<Group, Error> {
        self.store
            .groups(org)?
            .into_iter()
            .find(|g| &g.id == id)
            .ok_or_else(|| not_found(ErrorCode::GroupNotFound))
    }

    /// The groups of `org`, by name.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        self.store.groups(org)
    }

    /// The group of `org` named `name` (compared by [`name_key`]).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::GroupNotFound`].
    pub fn group_named(&self, org: &OrgId, name: &str) -> Result<Group, Error> {
        let key = name_key(name);
        self.store
            .groups(org)?
            .into_iter()
            .find(|g| name_key(&g.name) == key)
            .ok_or_else(|| not_found(ErrorCode::GroupNotFound))
    }

    /// The program of `org` named `name` (compared by [`name_key`]).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::ProgramNotFound`].
    pub fn program_named(&self, org: &OrgId, name: &str) -> Result<Program, Error> {
        let key = name_key(name);
        self.store
            .programs(org)?
            .into_iter()
            .find(|p| name_key(&p.name) == key)
            .ok_or_else(|| not_found(ErrorCode::ProgramNotFound))
    }

    /// The group of `org` a host names by id or, when no group has that id, by name (as
    /// [`Invitations::group_named`]).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::GroupNotFound`] when neither matches; store errors as they are.
    pub fn group_for(&self, org: &OrgId, reference: &str) -> Result<Group, Error> {
        let groups = self.store.groups(org)?;
        if let Some(group) = groups.iter().find(|g| g.id.as_str() == reference) {
            return Ok(group.clone());
        }
        let key = name_key(reference);
        groups
            .into_iter()
            .find(|g| name_key(&g.name) == key)
            .ok_or_else(|| not_found(ErrorCode::GroupNotFound))
    }

    /// The program of `org` a host names by id or, when no program has that id, by name.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::ProgramNotFound`] when neither matches; store errors as they are.
    pub fn program_for(&self, org: &OrgId, reference: &str) -> Result<Program, Error> {
        let programs = self.store.programs(org)?;
        if let Some(program) = programs.iter().find(|p| p.id.as_str() == reference) {
            return Ok(program.clone());
        }
        let key = name_key(reference);
        programs
            .into_iter()
            .find(|p| name_key(&p.name) == key)
            .ok_or_else(|| not_found(ErrorCode::ProgramNotFound))
    }

    /// The clients a host names each by address (a text with an `@`, looked up by its dedup
    /// key) or by id (taken as it is: a command on an unknown id reports `client_not_found` for
    /// that client).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::ClientNotFound`] for an address no client has; store errors.
    pub fn client_ids_for(
        &self,
        org: &OrgId,
        references: &[String],
    ) -> Result<Vec<ClientId>, Error> {
        references
            .iter()
            .map(|reference| {
                if reference.contains('@') {
                    Ok(self.client_by_email(org, reference)?.client.id)
                } else {
                    Ok(ClientId::new(reference.clone()))
                }
            })
            .collect()
    }

    /// Creates a program.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`]; [`ErrorCode::InvalidMessageText`] for a bad name.
    pub fn create_program(&self, org: &OrgId, by: &Member, name: &str) -> Result<Program, Error> {
        access::authorize_org(by, OrgOperation::ManageGroups)?;
        let name = check_name(name, "name")?;
        self.organization(org)?;
        let program = Program {
            id: ProgramId::new(mint_id("pr_")?),
            org: org.clone(),
            name: name.clone(),
        };
        self.store.apply(&[
            Change::PutProgram(program.clone()),
            Change::RecordEvent(Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::ProgramCreated { name },
                subject: Subject::Organization(org.clone()),
                at: self.now(),
            }),
        ])?;
        Ok(program)
    }

    /// The programs of `org`, by name.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        self.store.programs(org)
    }

    // ----- sign-up links -----

    /// Creates a sign-up link and returns it with its token (shown once: only its hash is kept).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_organization`; an address code for an allowed
    /// domain that is not a valid domain.
    pub fn create_signup_link(
        &self,
        org: &OrgId,
        by: &Member,
        new: &NewSignupLink,
    ) -> Result<(SignupLink, Token), Error> {
        access::authorize_org(by, OrgOperation::ManageSignupLinks)?;
        self.organization(org)?;
        let mut allowed_domains = Vec::new();
        for domain in &new.allowed_domains {
            // The domain as the parser writes it in dedup keys (lowercase, IDNA).
            let key =
                address::parse_one(&format!("user@{}", domain.trim()), &self.options.addresses)?
                    .key;
            let domain = key
                .rsplit_once('@')
                .map_or(key.as_str(), |(_, d)| d)
                .to_owned();
            if !allowed_domains.contains(&domain) {
                allowed_domains.push(domain);
            }
        }
        let token = Token::mint()?;
        let now = self.now();
        let link = SignupLink {
            id: SignupLinkId::new(mint_id("su_")?),
            org: org.clone(),
            token_hash: token.hash(),
            role: new.role,
            max_uses: new.max_uses,
            uses: 0,
            allowed_domains,
            created_by: Some(by.id.clone()),
            created_at: now,
            rotated_at: None,
            disabled_at: None,
            version: 0,
        };
        self.store.apply(&[
            Change::InsertSignupLink(link.clone()),
            Change::RecordEvent(Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::SignupLinkCreated { role: new.role },
                subject: Subject::SignupLink(link.id.clone()),
                at: now,
            }),
        ])?;
        Ok((link, token))
    }

    fn signup_link(&self, org: &OrgId, id: &SignupLinkId) -> Result<SignupLink, Error> {
        self.store
            .signup_links(org)?
            .into_iter()
            .find(|l| &l.id == id)
            .ok_or_else(|| not_found(ErrorCode::SignupLinkNotFound))
    }

    /// The sign-up links of `org`, oldest first.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`]; store errors.
    pub fn signup_links(&self, org: &OrgId, by: &Member) -> Result<Vec<SignupLink>, Error> {
        access::authorize_org(by, OrgOperation::ManageSignupLinks)?;
        self.store.signup_links(org)
    }

    /// Replaces a sign-up link's token: the old one stops working. Returns the new token.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`], [`ErrorCode::SignupLinkNotFound`], [`ErrorCode::Conflict`]
    /// when someone joined meanwhile and retries ran out.
    pub fn rotate_signup_link(
        &self,
        org: &OrgId,
        by: &Member,
        id: &SignupLinkId,
    ) -> Result<Token, Error> {
        access::authorize_org(by, OrgOperation::ManageSignupLinks)?;
        let token = Token::mint()?;
        self.update_link(org, id, |link, now| {
            link.token_hash = token.hash();
            link.rotated_at = Some(now);
            Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::SignupLinkRotated,
                subject: Subject::SignupLink(id.clone()),
                at: now,
            }
        })?;
        Ok(token)
    }

    /// Disables a sign-up link: nobody can join through it any more.
    ///
    /// # Errors
    ///
    /// As [`Invitations::rotate_signup_link`].
    pub fn disable_signup_link(
        &self,
        org: &OrgId,
        by: &Member,
        id: &SignupLinkId,
    ) -> Result<SignupLink, Error> {
        access::authorize_org(by, OrgOperation::ManageSignupLinks)?;
        self.update_link(org, id, |link, now| {
            link.disabled_at = Some(now);
            Event {
                org: org.clone(),
                actor: by.actor(),
                action: Action::SignupLinkDisabled,
                subject: Subject::SignupLink(id.clone()),
                at: now,
            }
        })
    }

    fn update_link(
        &self,
        org: &OrgId,
        id: &SignupLinkId,
        change: impl Fn(&mut SignupLink, DateTime<Utc>) -> Event,
    ) -> Result<SignupLink, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut link = self.signup_link(org, id)?;
            let version = link.version;
            let now = self.now();
            let event = change(&mut link, now);
            link.version += 1;
            match self.store.apply(&[
                Change::UpdateSignupLink {
                    link: link.clone(),
                    expected_version: version,
                },
                Change::RecordEvent(event),
            ]) {
                Ok(()) => return Ok(link),
                Err(error) if is_conflict(&error) && attempt < ATTEMPTS => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Joins an organization through a sign-up link: the identity becomes an activated client
    /// with the link's role ([`crate::lifecycle::join`]), or, when the address is a client not
    /// yet activated, that client is activated.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidToken`], [`ErrorCode::SignupLinkNotFound`], and
    /// [`crate::lifecycle::join`]'s codes.
    pub fn join(&self, token: &str, identity: &Identity) -> Result<ClientRecord, Error> {
        let token = Token::parse(token)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut link = self
                .store
                .signup_link_by_token(&token.hash())?
                .ok_or_else(|| not_found(ErrorCode::SignupLinkNotFound))?;
            let link_version = link.version;
            let existing = self
                .store
                .clients_by_key(&link.org, std::slice::from_ref(&identity.email.key))?
                .into_iter()
                .next();
            let existing_version = existing.as_ref().map(|r| r.client.version);
            let new_id = ClientId::new(mint_id("cl_")?);
            let (record, events) =
                lifecycle::join(&mut link, &token, identity, existing, new_id, self.now())?;
            let mut changes = vec![Change::UpdateSignupLink {
                link,
                expected_version: link_version,
            }];
            changes.push(match existing_version {
                Some(version) => Change::UpdateClient {
                    record: record.clone(),
                    expected_version: version,
                },
                None => Change::InsertClient(record.clone()),
            });
            changes.extend(events.into_iter().map(Change::RecordEvent));
            match self.store.apply(&changes) {
                Ok(()) => return Ok(record),
                Err(error)
                    if attempt < ATTEMPTS
                        && matches!(
                            error.code(),
                            ErrorCode::Conflict | ErrorCode::ClientExists
                        ) => {}
                Err(error) => return Err(error),
            }
        }
    }

    // ----- the outbox -----

    /// Delivers outbox messages waiting (pending, or failed earlier), at most `limit`. Each is
    /// claimed first, so two workers never deliver one message; a delivered message is never
    /// sent again.
    ///
    /// # Errors
    ///
    /// Store errors. A mailer's failure is not an error: it is in the report and the message
    /// waits for the next round.
    pub fn deliver_pending(&self, limit: usize) -> Result<DeliveryReport, Error> {
        self.deliver(None, limit)
    }

    fn deliver(&self, ids: Option<Vec<MessageId>>, limit: usize) -> Result<DeliveryReport, Error> {
        let now = self.now();
        let claim = Claim {
            ids,
            now,
            until: now + self.options.lease,
            limit,
        };
        let mut report = DeliveryReport::default();
        for message in self.store.claim_messages(&claim)? {
            match self.mailer.deliver(&message) {
                Ok(()) => report.sent.push(message.id),
                Err(error) => {
                    let reason = error.to_string();
                    self.store.mark_failed(&message.id, &reason)?;
                    report.failed.push((message.id, reason));
                }
            }
        }
        // One write for the round: the claim's lease keeps other workers off these messages
        // until then. A crash before it makes them due again after the lease (at least once).
        if !report.sent.is_empty() {
            self.store.mark_sent(&report.sent, self.now())?;
        }
        Ok(report)
    }

    /// `org`'s outbox messages (in `state`, or all), oldest first.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_clients`; store errors.
    pub fn outbox(
        &self,
        org: &OrgId,
        by: &Member,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        access::authorize_org(by, OrgOperation::ViewClients)?;
        self.store.messages(org, state, limit)
    }

    /// `org`'s activity log, oldest first.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::Forbidden`] without `manage_clients`; store errors.
    pub fn events(
        &self,
        org: &OrgId,
        by: &Member,
        skip: u64,
        limit: usize,
    ) -> Result<Vec<Event>, Error> {
        access::authorize_org(by, OrgOperation::ViewClients)?;
        self.store.events(org, skip, limit)
    }
}

impl DeliveryReport {
    /// Each message's state after this round: sent, failed, or (not attempted) pending.
    pub fn states(&self) -> HashMap<&MessageId, DeliveryState> {
        let mut states: HashMap<&MessageId, DeliveryState> = self
            .sent
            .iter()
            .map(|id| (id, DeliveryState::Sent))
            .collect();
        states.extend(
            self.failed
                .iter()
                .map(|(id, _)| (id, DeliveryState::Failed)),
        );
        states
    }
}

fn delivery_state(report: &DeliveryReport, id: &MessageId) -> DeliveryState {
    report
        .states()
        .get(id)
        .copied()
        .unwrap_or(DeliveryState::Pending)
}
