//! Pure helpers for hosts that keep their own records (a Room database, a JPA repository):
//! the statuses, the transition table, a client's lifecycle commands (`ClientRecord`), link
//! tokens, access, the invitation email and CSV files. Each is one call into the core: nothing
//! here decides anything.

use std::sync::{Arc, Mutex, MutexGuard};

use invitekit::access::{self, Member, Operation, OrgOperation, Permission};
use invitekit::address::{Counts, parse_one};
use invitekit::csv::{
    self, DEFAULT_MAX_BYTES, EXPORT_HEADER, Export, ExportRow, ImportOptions, ImportRow, Layout,
};
use invitekit::lifecycle::{
    self, Acceptance, CommandKind, NewInvitation, Outcome, Preview, Status, StatusKind,
};
use invitekit::message::{self, Invite, Message, MessageOptions};
use invitekit::model::{
    Actor, Client, ClientId, Email, Event, Identity, Invitation, InvitationId, OrgId, Organization,
    Role,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::{self, Token, TokenHash};
use invitekit::{Error, ErrorCode};

use crate::errors::InvitekitError;
use crate::parse::{ParseOptions, core_options};
use crate::types::Timestamp;

/// The actor of a command: the member with this client id, or the organization (`null`).
fn actor(by: Option<String>) -> Actor {
    by.map_or(Actor::System, |id| Actor::Member(ClientId::new(id)))
}

/// A new organization with the core's checks: a name (trimmed; no control characters), a
/// window of 1 to 90 days, an IANA time zone, an accept-link template with `{token}`.
#[uniffi::export(default(
    expiry_days = 14,
    time_zone = "UTC",
    email_binding = None,
    accept_url = None
))]
pub fn new_organization(
    id: String,
    name: String,
    created_at: Timestamp,
    expiry_days: u32,
    time_zone: String,
    email_binding: Option<EmailBinding>,
    accept_url: Option<String>,
) -> Result<Organization, InvitekitError> {
    let mut org = Organization::new(OrgId::new(id), name, created_at);
    org.expiry = ExpiryWindow::new(i64::from(expiry_days))?;
    org.time_zone = TimeZone::parse(&time_zone)?;
    org.email_binding = email_binding.unwrap_or_default();
    if let Some(url) = accept_url {
        org.accept_url = url;
    }
    Ok(org.checked()?)
}

/// A new client record: owned by the organization, version 0, its `email` parsed and keyed as
/// the list parser does, its name checked.
#[uniffi::export(default(email = None, name = None, role = None))]
pub fn new_client(
    id: String,
    org: String,
    created_at: Timestamp,
    email: Option<String>,
    name: Option<String>,
    role: Option<Role>,
) -> Result<Client, InvitekitError> {
    let email = email
        .map(|email| parse_one(&email, &Default::default()))
        .transpose()?;
    let mut client = Client::new(
        ClientId::new(id),
        OrgId::new(org),
        email,
        role.unwrap_or(Role::Client),
        created_at,
    );
    client.name = name
        .map(|name| invitekit::policy::check_name(&name, "name"))
        .transpose()?;
    Ok(client)
}

/// The identity a host authenticated, its email parsed and keyed as the list parser does;
/// `subject` is the host's own account id, if any.
#[uniffi::export(default(subject = None))]
pub fn identity(email: String, subject: Option<String>) -> Result<Identity, InvitekitError> {
    let mut identity = Identity::from_email(&email, &Default::default())?;
    identity.subject = subject;
    Ok(identity)
}

/// A client's status at an instant, with its label and the line a table shows under it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClientStatus {
    /// The status, with its instants.
    pub status: Status,
    /// The status without its instants.
    pub kind: StatusKind,
    /// The label platforms show: "Invite Pending", ...
    pub label: String,
    /// The line under it, dates in the organization's time zone: "Waiting for member to
    /// accept invitation (sent 21 Nov 2026)", ...
    pub detail: String,
}

impl ClientStatus {
    fn of(status: Status, now: Timestamp, zone: &str) -> Result<Self, Error> {
        let zone = TimeZone::parse(zone)?;
        Ok(ClientStatus {
            kind: status.kind(),
            label: status.label().to_owned(),
            detail: status.detail(now, zone),
            status,
        })
    }
}

/// The status at `now` of `client`, whose invitations are `invitations` (others' are ignored);
/// `detail` states dates in `timeZone`.
#[uniffi::export(default(time_zone = "UTC"))]
pub fn client_status(
    client: Client,
    invitations: Vec<Invitation>,
    now: Timestamp,
    time_zone: String,
) -> Result<ClientStatus, InvitekitError> {
    let status = lifecycle::status(&client, &invitations, now);
    Ok(ClientStatus::of(status, now, &time_zone)?)
}

/// The transition table's cell for `command` on a client in `status` (`null`: no record yet).
#[uniffi::export]
pub fn transition(status: Option<StatusKind>, command: CommandKind) -> Outcome {
    lifecycle::transition(status, command)
}

/// As `transition`, but a refusal throws its code's error.
#[uniffi::export]
pub fn permit(status: Option<StatusKind>, command: CommandKind) -> Result<Outcome, InvitekitError> {
    Ok(lifecycle::permit(status, command)?)
}

/// Whether a transition table's cell allows the command.
#[uniffi::export]
pub fn outcome_allowed(outcome: Outcome) -> bool {
    outcome.allowed()
}

/// What an accept did.
#[uniffi::remote(Enum)]
pub enum Acceptance {
    /// The client was activated (now, by this call).
    Activated {
        /// What happened.
        events: Vec<Event>,
    },
    /// The same identity had already accepted: nothing changed.
    AlreadyAccepted,
}

/// One client and its invitations, with the lifecycle's commands. A command changes the record
/// and returns the events to log; a refusal throws and changes nothing. Read `client()` and
/// `invitations()` back to store them.
#[derive(uniffi::Object)]
pub struct ClientRecord {
    inner: Mutex<lifecycle::ClientRecord>,
}

/// A new record and the event of its creation.
#[derive(uniffi::Record)]
pub struct CreatedRecord {
    /// The record.
    pub record: Arc<ClientRecord>,
    /// Its `client_created` event.
    pub event: Event,
}

/// A record for a new client (the table's `create`) by member `by` (a client id; `null`: the
/// organization), and its `client_created` event.
#[uniffi::export(default(by = None))]
pub fn create_client_record(client: Client, by: Option<String>) -> CreatedRecord {
    let (record, event) = lifecycle::ClientRecord::create(client, actor(by));
    CreatedRecord {
        record: Arc::new(ClientRecord {
            inner: Mutex::new(record),
        }),
        event,
    }
}

fn new_invitation(invitation_id: String, token_hash: String) -> Result<NewInvitation, Error> {
    Ok(NewInvitation {
        id: InvitationId::new(invitation_id),
        token_hash: TokenHash::from_hex(&token_hash)?,
    })
}

/// Which sending command.
#[derive(Clone, Copy)]
enum Sending {
    Send,
    Resend,
    Invite,
}

impl ClientRecord {
    fn record(&self) -> MutexGuard<'_, lifecycle::ClientRecord> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a command on a copy of the record and keeps the copy once the command has
    /// returned: a panic inside the core (a bug, which uniffi turns into its internal
    /// exception) leaves the record as it was, never half-changed.
    fn command<R>(&self, run: impl FnOnce(&mut lifecycle::ClientRecord) -> R) -> R {
        let mut record = self.record();
        let mut copy = record.clone();
        let result = run(&mut copy);
        *record = copy;
        result
    }

    fn sending(
        &self,
        which: Sending,
        organization: &Organization,
        new: NewInvitation,
        now: Timestamp,
        by: Option<String>,
    ) -> Result<Vec<Event>, InvitekitError> {
        let by = actor(by);
        let events = self.command(|record| match which {
            Sending::Send => record.send(organization, new, by, now),
            Sending::Resend => record.resend(organization, new, by, now),
            Sending::Invite => record.invite(organization, new, by, now),
        })?;
        Ok(events)
    }
}

#[uniffi::export]
impl ClientRecord {
    /// The record of `client` with its `invitations`, as the host stored them. Throws
    /// `InvalidInput` when a stored value is not one the core accepts (`invalid_token` for a
    /// token hash that is not 64 hex digits).
    #[uniffi::constructor]
    pub fn new(client: Client, invitations: Vec<Invitation>) -> Result<Arc<Self>, InvitekitError> {
        Ok(Arc::new(ClientRecord {
            inner: Mutex::new(lifecycle::ClientRecord {
                client,
                invitations,
            }),
        }))
    }

    /// The client as it is now.
    pub fn client(&self) -> Client {
        self.record().client.clone()
    }

    /// Its invitations as they are now, oldest first.
    pub fn invitations(&self) -> Vec<Invitation> {
        self.record().invitations.clone()
    }

    /// The client's version (bumped once by each command), for the host's compare-and-set.
    pub fn version(&self) -> u64 {
        self.record().client.version
    }

    /// The status at `now`, with dates in `timeZone`.
    #[uniffi::method(default(time_zone = "UTC"))]
    pub fn status(
        &self,
        now: Timestamp,
        time_zone: String,
    ) -> Result<ClientStatus, InvitekitError> {
        let status = self.record().status(now);
        Ok(ClientStatus::of(status, now, &time_zone)?)
    }

    /// The table's cell for `command` now; a refusal throws.
    pub fn permit(&self, command: CommandKind, now: Timestamp) -> Result<Outcome, InvitekitError> {
        Ok(self.record().permit(command, now)?)
    }

    /// Sends a first invitation (its id and token hash from the caller: `mintToken()`), valid
    /// for the organization's window from `now`.
    #[uniffi::method(default(by = None))]
    pub fn send(
        &self,
        organization: Organization,
        invitation_id: String,
        token_hash: String,
        now: Timestamp,
        by: Option<String>,
    ) -> Result<Vec<Event>, InvitekitError> {
        let new = new_invitation(invitation_id, token_hash)?;
        self.sending(Sending::Send, &organization, new, now, by)
    }

    /// Sends a further invitation with a fresh window; earlier links keep working.
    #[uniffi::method(default(by = None))]
    pub fn resend(
        &self,
        organization: Organization,
        invitation_id: String,
        token_hash: String,
        now: Timestamp,
        by: Option<String>,
    ) -> Result<Vec<Event>, InvitekitError> {
        let new = new_invitation(invitation_id, token_hash)?;
        self.sending(Sending::Resend, &organization, new, now, by)
    }

    /// Sends or resends, whichever applies.
    #[uniffi::method(default(by = None))]
    pub fn invite(
        &self,
        organization: Organization,
        invitation_id: String,
        token_hash: String,
        now: Timestamp,
        by: Option<String>,
    ) -> Result<Vec<Event>, InvitekitError> {
        let new = new_invitation(invitation_id, token_hash)?;
        self.sending(Sending::Invite, &organization, new, now, by)
    }

    /// What the holder of the link may see; changes nothing (show it on GET, accept on POST).
    #[uniffi::method(default(inviter = None))]
    pub fn preview(
        &self,
        organization: Organization,
        invitation_id: String,
        token: String,
        now: Timestamp,
        inviter: Option<String>,
    ) -> Result<Preview, InvitekitError> {
        let token = Token::parse(&token)?;
        let id = InvitationId::new(invitation_id);
        Ok(self
            .record()
            .preview(&organization, &id, &token, inviter, now)?)
    }

    /// Accepts the invitation with the token from its link, as `identity` (see `identity()`).
    pub fn accept(
        &self,
        organization: Organization,
        invitation_id: String,
        token: String,
        identity: Identity,
        now: Timestamp,
    ) -> Result<Acceptance, InvitekitError> {
        let token = Token::parse(&token)?;
        let id = InvitationId::new(invitation_id);
        Ok(self.command(|record| record.accept(&organization, &id, &token, &identity, now))?)
    }

    /// Revokes every open invitation.
    #[uniffi::method(default(by = None))]
    pub fn revoke(&self, now: Timestamp, by: Option<String>) -> Result<Vec<Event>, InvitekitError> {
        Ok(self.command(|record| record.revoke(actor(by), now))?)
    }

    /// Archives the client.
    #[uniffi::method(default(by = None))]
    pub fn archive(
        &self,
        now: Timestamp,
        by: Option<String>,
    ) -> Result<Vec<Event>, InvitekitError> {
        Ok(self.command(|record| record.archive(actor(by), now))?)
    }

    /// Restores an archived client.
    #[uniffi::method(default(by = None))]
    pub fn restore(
        &self,
        now: Timestamp,
        by: Option<String>,
    ) -> Result<Vec<Event>, InvitekitError> {
        Ok(self.command(|record| record.restore(actor(by), now))?)
    }

    /// Records that an activated, active client was seen at `now`; `false` (nothing changes)
    /// for others.
    pub fn record_seen(&self, now: Timestamp) -> bool {
        self.command(|record| record.record_seen(now))
    }
}

/// A fresh link token and its hash: the token goes into the email only, the hash into the
/// store.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MintedToken {
    /// The token (43 URL-safe characters).
    pub token: String,
    /// Its SHA-256, 64 hex digits.
    pub token_hash: String,
}

/// A fresh link token and its hash.
#[uniffi::export]
pub fn mint_token() -> Result<MintedToken, InvitekitError> {
    let token = Token::mint()?;
    Ok(MintedToken {
        token_hash: token.hash().to_hex(),
        token: token.expose_secret().to_owned(),
    })
}

/// The hash of a token taken from a link (surrounding white space ignored).
#[uniffi::export]
pub fn hash_token(token: String) -> Result<String, InvitekitError> {
    Ok(Token::parse(&token)?.hash().to_hex())
}

/// Whether `token` hashes to `tokenHash`, compared in constant time. A malformed token is
/// `false`; a malformed hash throws (`invalid_token`: it came from the host's store).
#[uniffi::export]
pub fn verify_token(token: String, token_hash: String) -> Result<bool, InvitekitError> {
    let hash = TokenHash::from_hex(&token_hash)?;
    Ok(Token::parse(&token).is_ok_and(|token| hash.matches(&token)))
}

/// A fresh random record id: `prefix` and 22 URL-safe characters.
#[uniffi::export(default(prefix = ""))]
pub fn mint_id(prefix: String) -> Result<String, InvitekitError> {
    Ok(token::mint_id(&prefix)?)
}

/// Whether `member` may do `operation` to `client` (whose invitations are `invitations`);
/// throws `Forbidden` naming the missing permission.
#[uniffi::export]
pub fn authorize(
    member: Member,
    operation: Operation,
    client: Client,
    invitations: Vec<Invitation>,
) -> Result<(), InvitekitError> {
    Ok(access::authorize(
        &member,
        operation,
        &client,
        &invitations,
    )?)
}

/// The permission `operation` on `client` needs that `member` lacks, or `null` when allowed.
/// Throws `InvalidInput` for a stored value the core does not accept (`invalid_token`).
#[uniffi::export]
pub fn required_permission(
    member: Member,
    operation: Operation,
    client: Client,
    invitations: Vec<Invitation>,
) -> Result<Option<Permission>, InvitekitError> {
    Ok(access::required(&member, operation, &client, &invitations))
}

/// Whether `member` may do an organization-wide `operation`; throws `Forbidden`.
#[uniffi::export]
pub fn authorize_org(member: Member, operation: OrgOperation) -> Result<(), InvitekitError> {
    Ok(access::authorize_org(&member, operation)?)
}

/// Whether `role` holds `permission`.
#[uniffi::export]
pub fn grants(role: Role, permission: Permission) -> bool {
    access::grants(role, permission)
}

/// Renders the invitation email to `to` for the link of `token`, which expires at
/// `expiresAt`; the subject, button text and form link are the sender's (defaults when
/// `null`).
#[uniffi::export(default(
    inviter = None,
    name = None,
    subject = None,
    button = None,
    form_url = None
))]
#[allow(clippy::too_many_arguments)]
pub fn render_invitation(
    organization: Organization,
    to: Email,
    token: String,
    expires_at: Timestamp,
    inviter: Option<String>,
    name: Option<String>,
    subject: Option<String>,
    button: Option<String>,
    form_url: Option<String>,
) -> Result<Message, InvitekitError> {
    let token = Token::parse(&token)?;
    let invite = Invite {
        org: &organization,
        inviter: inviter.as_deref(),
        to: &to,
        name: name.as_deref(),
        token: &token,
        expires_at,
    };
    let options = MessageOptions {
        subject,
        button,
        form_url,
    };
    Ok(message::render(&invite, &options)?)
}

/// Checks a custom subject, button text and form link as `renderInvitation` would; throws
/// `InvalidInput` (`invalid_message_text`, `invalid_url`).
#[uniffi::export(default(subject = None, button = None, form_url = None))]
pub fn validate_message_options(
    subject: Option<String>,
    button: Option<String>,
    form_url: Option<String>,
) -> Result<(), InvitekitError> {
    let options = MessageOptions {
        subject,
        button,
        form_url,
    };
    Ok(options.validate()?)
}

/// Checks an accept-link template (`https://app.example.com/invitations/{token}`).
#[uniffi::export]
pub fn validate_accept_url(template: String) -> Result<(), InvitekitError> {
    Ok(message::validate_accept_url(&template)?)
}

/// The accept link: the template with `{token}` replaced by the token.
#[uniffi::export]
pub fn accept_link(template: String, token: String) -> Result<String, InvitekitError> {
    let token = Token::parse(&token)?;
    Ok(message::accept_link(&template, &token)?)
}

/// The default subject: "Jane Doe invited you to Acme", or "You're invited to Acme".
#[uniffi::export(default(inviter = None))]
pub fn default_subject(org_name: String, inviter: Option<String>) -> String {
    message::default_subject(&org_name, inviter.as_deref())
}

/// An address masked for a preview: "j•••@example.com".
#[uniffi::export]
pub fn mask_email(address: String) -> String {
    lifecycle::mask_email(&address)
}

/// The deadline of an invitation sent at `sentAt` with a window of `expiryDays`.
#[uniffi::export(default(expiry_days = 14))]
pub fn deadline(sent_at: Timestamp, expiry_days: u32) -> Result<Timestamp, InvitekitError> {
    Ok(ExpiryWindow::new(i64::from(expiry_days))?.deadline(sent_at))
}

/// A deadline as an email states it in `timeZone`: "6 December 2026 at 00:30 CET".
#[uniffi::export(default(time_zone = "UTC"))]
pub fn format_deadline(instant: Timestamp, time_zone: String) -> Result<String, InvitekitError> {
    Ok(TimeZone::parse(&time_zone)?.format_deadline(instant))
}

/// One record of an imported file.
#[uniffi::remote(Record)]
pub struct ImportRow {
    /// The line the record starts on, from 1.
    pub line: u64,
    /// The email cell as written (trimmed).
    pub raw_email: String,
    /// The address and its key, when valid (also for duplicates).
    pub email: Option<Email>,
    /// The name, if a column gives one.
    pub name: Option<String>,
    /// The role, if a column gives one.
    pub role: Option<Role>,
    /// The group named, if any.
    pub group: Option<String>,
    /// The program named, if any.
    pub program: Option<String>,
    /// Why the row cannot be used (`missing_email`, an entry code, `duplicate`,
    /// `over_limit`); `null` when it can.
    pub error: Option<ErrorCode>,
    /// For a duplicate: the line of the row with the same address.
    pub duplicate_of_line: Option<u64>,
}

/// Where an import found each column (0-based), and how the file is cut.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CsvLayout {
    /// The field delimiter: ",", ";" or a tab.
    pub delimiter: String,
    /// Whether the first record is a header.
    pub header: bool,
    /// The email column.
    pub email: u32,
    /// The name column.
    pub name: Option<u32>,
    /// The first-name column.
    pub first_name: Option<u32>,
    /// The last-name column.
    pub last_name: Option<u32>,
    /// The role column.
    pub role: Option<u32>,
    /// The group column.
    pub group: Option<u32>,
    /// The program column.
    pub program: Option<u32>,
}

/// A bulk-invite file, read: its layout and every row, each with its own verdict.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CsvImport {
    /// Where the columns are.
    pub layout: CsvLayout,
    /// Every row, in file order.
    pub rows: Vec<ImportRow>,
    /// No invalid and no over-limit rows: the file may be used as a batch (duplicates are
    /// left out of it, as the list parser leaves them out).
    pub acceptable: bool,
    /// Rows with a unique valid address within the cap.
    pub valid: u64,
    /// Rows with an error other than `duplicate` and `over_limit`.
    pub invalid: u64,
    /// Rows with `duplicate`.
    pub duplicates: u64,
    /// Rows with `over_limit`.
    pub over_limit: u64,
}

impl CsvImport {
    /// The file's layout and rows, with the counts a form shows (as `AddressList` has them).
    fn new(layout: &Layout, rows: Vec<ImportRow>) -> Self {
        let counts = Counts::of(rows.iter().map(|row| row.error));
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        CsvImport {
            acceptable: counts.acceptable(),
            valid: count(counts.valid),
            invalid: count(counts.invalid),
            duplicates: count(counts.duplicates),
            over_limit: count(counts.over_limit),
            layout: CsvLayout {
                delimiter: char::from(layout.delimiter).to_string(),
                header: layout.header,
                email: column(Some(layout.email)).unwrap_or(0),
                name: column(layout.name),
                first_name: column(layout.first_name),
                last_name: column(layout.last_name),
                role: column(layout.role),
                group: column(layout.group),
                program: column(layout.program),
            },
            rows,
        }
    }
}

fn column(index: Option<usize>) -> Option<u32> {
    index.map(|i| u32::try_from(i).unwrap_or(u32::MAX))
}

/// Reads a bulk-invite CSV file (comma, semicolon or tab; a header naming its columns, or
/// addresses from the first row): every row with its address checked as the list parser
/// checks one, duplicates and rows past `options.maxAddresses` flagged. Files over `maxBytes`
/// (256 MiB by default) are refused with `input_too_large`; a file without an email column
/// with `no_email_column`.
#[uniffi::export(default(options = None, max_bytes = None))]
pub fn import_csv(
    data: Vec<u8>,
    options: Option<ParseOptions>,
    max_bytes: Option<u64>,
) -> Result<CsvImport, InvitekitError> {
    let options = ImportOptions {
        addresses: core_options(options),
        max_bytes: max_bytes.unwrap_or(DEFAULT_MAX_BYTES),
    };
    let import = csv::import(data.as_slice(), &options)?;
    let layout = import.layout().clone();
    let rows = import.collect::<Result<Vec<_>, Error>>()?;
    Ok(CsvImport::new(&layout, rows))
}

/// One line of the exported client table.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExportLine {
    /// The client's name.
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// The address.
    #[uniffi(default = None)]
    pub email: Option<String>,
    /// The role.
    #[uniffi(default = None)]
    pub role: Option<Role>,
    /// The status label ("Invite Pending").
    pub status: String,
    /// The groups' names, joined with "; ".
    #[uniffi(default = "")]
    pub group: String,
    /// The assigned staff member's address.
    #[uniffi(default = None)]
    pub assigned_staff_email: Option<String>,
    /// When the client was last seen.
    #[uniffi(default = None)]
    pub last_visit: Option<Timestamp>,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When the client was activated.
    #[uniffi(default = None)]
    pub activated_at: Option<Timestamp>,
}

/// The client table as CSV, with `exportHeader()` first; cells a spreadsheet would run as a
/// formula are neutralized.
#[uniffi::export]
pub fn export_csv(rows: Vec<ExportLine>) -> Result<String, InvitekitError> {
    let mut export = Export::new(Vec::new())?;
    for row in &rows {
        export.write(&ExportRow {
            name: row.name.as_deref(),
            email: row.email.as_deref(),
            role: row.role,
            status: &row.status,
            group: &row.group,
            assigned_staff_email: row.assigned_staff_email.as_deref(),
            last_visit: row.last_visit,
            created_at: row.created_at,
            activated_at: row.activated_at,
        })?;
    }
    let bytes = export.finish()?;
    String::from_utf8(bytes).map_err(|e| {
        InvitekitError::from(Error::new(invitekit::ErrorKind::WriteFailed {
            message: e.to_string(),
        }))
    })
}

/// The export's header: `name`, `email`, `role`, `status`, `group`, `assigned staff email`,
/// `last visit`, `date created`, `activation date`.
#[uniffi::export]
pub fn export_header() -> Vec<String> {
    EXPORT_HEADER.iter().map(|&h| h.to_owned()).collect()
}
