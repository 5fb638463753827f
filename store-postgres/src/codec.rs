//! Conversions between invitekit's records and PostgreSQL values, and PostgreSQL errors to
//! [`invitekit::Error`] (through [`Fail`], which also says when a transaction is to be run
//! again).

use chrono::{DateTime, Utc};
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::message::Message;
use invitekit::model::{
    Client, ClientId, CompanyId, Email, Group, GroupId, Identity, Invitation, InvitationId,
    MessageId, OrgId, Organization, Owner, Program, ProgramId, Role, SignupLink, SignupLinkId,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::TokenHash;
use invitekit::{Error, ErrorCode, ErrorKind};
use postgres::Row;
use postgres::error::SqlState;

/// Why a step of a call failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The call's error: returned as it is.
    Error(Error),
    /// PostgreSQL chose this transaction as the victim of a deadlock or of a serialization
    /// failure: nothing of it was kept, and running it again may succeed.
    Retry(String),
    /// A batch applied in bulk failed: apply it again one change at a time, which finds the
    /// error of the first change that fails.
    Replay,
    /// The connection is gone (the server ended it: a restart, an administrator, an idle
    /// timeout; or the network failed). A transaction on it was rolled back by the server
    /// unless this happened while committing.
    Gone(String),
}

impl From<Error> for Fail {
    fn from(error: Error) -> Self {
        Fail::Error(error)
    }
}

/// A `StorageFailed` error saying `message`.
pub(crate) fn storage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::StorageFailed {
        message: message.into(),
    })
}

pub(crate) fn not_found(code: ErrorCode) -> Fail {
    Fail::Error(Error::new(ErrorKind::NotFound { code }))
}

pub(crate) fn exists(code: ErrorCode) -> Fail {
    Fail::Error(Error::new(ErrorKind::Exists { code }))
}

pub(crate) fn conflict() -> Fail {
    Fail::Error(Error::new(ErrorKind::Conflict))
}

pub(crate) fn invitation_exists() -> Fail {
    Fail::Error(Error::new(ErrorKind::InvitationExists))
}

/// Whether `error` asks for the transaction to be run again: a serialization failure or a
/// deadlock (PostgreSQL rolled the transaction back).
fn retryable(error: &postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// PostgreSQL's message, with its detail when it has one.
pub(crate) fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("PostgreSQL: {} ({detail})", db.message()),
            None => format!("PostgreSQL: {}", db.message()),
        },
        None => format!("PostgreSQL: {error}"),
    }
}

/// Whether `error` says the connection is gone.
fn disconnected(error: &postgres::Error) -> bool {
    error.is_closed()
        || matches!(
            error.code(),
            Some(code) if *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
        )
        || (error.as_db_error().is_none()
            && std::error::Error::source(error)
                .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some()))
}

/// A PostgreSQL error as a [`Fail`]: `Gone` when the connection is, `Retry` for serialization
/// failures and deadlocks, else `StorageFailed`.
pub(crate) fn fail(error: &postgres::Error) -> Fail {
    if disconnected(error) {
        Fail::Gone(describe(error))
    } else if retryable(error) {
        Fail::Retry(describe(error))
    } else {
        Fail::Error(storage(describe(error)))
    }
}

/// Turns a postgres result into one of this crate.
pub(crate) trait Db<T> {
    /// The value, or the error as [`fail`] classifies it.
    fn db(self) -> Result<T, Fail>;
}

impl<T> Db<T> for Result<T, postgres::Error> {
    fn db(self) -> Result<T, Fail> {
        self.map_err(|e| fail(&e))
    }
}

/// Whether `error` is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(error: &postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// The rows a write changed; a unique violation is `taken`'s error, anything else as [`fail`]
/// says.
pub(crate) fn unique_or(
    result: Result<u64, postgres::Error>,
    taken: impl FnOnce() -> Fail,
) -> Result<u64, Fail> {
    match result {
        Err(e) if is_unique_violation(&e) => Err(taken()),
        other => other.db(),
    }
}

// ---------------------------------------------------------------------------------------------
// Values written.

/// An instant as stored: nanoseconds since the Unix epoch (`bigint`), as the SQLite store keeps
/// them, so they read back exactly.
///
/// # Errors
///
/// `StorageFailed` for an instant outside what 64-bit nanoseconds hold (years 1677 to 2262).
pub(crate) fn instant(at: DateTime<Utc>) -> Result<i64, Error> {
    at.timestamp_nanos_opt().ok_or_else(|| {
        storage(format!(
            "the instant {at} is outside the range the PostgreSQL store keeps (1677 to 2262)"
        ))
    })
}

/// An optional instant as stored.
pub(crate) fn opt_instant(at: Option<DateTime<Utc>>) -> Result<Option<i64>, Error> {
    at.map(instant).transpose()
}

/// An instant compared with stored ones, clamped to the range they can take.
pub(crate) fn bound(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// A version or count as stored.
pub(crate) fn integer(value: u64) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| storage(format!("{value} is too large for the store")))
}

/// A record as JSON text (written to `jsonb` columns with a `::text::jsonb` cast).
pub(crate) fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| storage(format!("cannot encode JSON: {e}")))
}

/// The owner column: NULL for the organization.
pub(crate) fn owner_column(owner: &Owner) -> Option<&str> {
    match owner {
        Owner::Organization => None,
        Owner::Member(id) => Some(id.as_str()),
    }
}

// ---------------------------------------------------------------------------------------------
// Values read. Each reader fails with `StorageFailed` when the stored value is not one this
// crate writes.

fn malformed(index: usize, what: impl std::fmt::Display) -> Error {
    storage(format!("unexpected value in column {index}: {what}"))
}

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, Error> {
    row.try_get(index)
        .map_err(|e| storage(format!("cannot read column {index}: {e}")))
}

fn at(row: &Row, index: usize) -> Result<DateTime<Utc>, Error> {
    Ok(DateTime::from_timestamp_nanos(get(row, index)?))
}

fn opt_at(row: &Row, index: usize) -> Result<Option<DateTime<Utc>>, Error> {
    Ok(get::<Option<i64>>(row, index)?.map(DateTime::from_timestamp_nanos))
}

fn unsigned<T: TryFrom<i64>>(row: &Row, index: usize) -> Result<T, Error> {
    let value: i64 = get(row, index)?;
    T::try_from(value).map_err(|_| malformed(index, format!("{value} is out of range")))
}

fn role(row: &Row, index: usize) -> Result<Role, Error> {
    get::<&str>(row, index)?
        .parse()
        .map_err(|e: Error| malformed(index, e))
}

fn token_hash(row: &Row, index: usize) -> Result<TokenHash, Error> {
    <[u8; 32]>::try_from(get::<&[u8]>(row, index)?)
        .map(TokenHash)
        .map_err(|_| malformed(index, "a token hash is not 32 bytes"))
}

fn from_json<T: serde::de::DeserializeOwned>(row: &Row, index: usize) -> Result<T, Error> {
    serde_json::from_str(get::<&str>(row, index)?).map_err(|e| malformed(index, e))
}

fn opt_json<T: serde::de::DeserializeOwned>(row: &Row, index: usize) -> Result<Option<T>, Error> {
    match get::<Option<&str>>(row, index)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| malformed(index, e)),
    }
}

fn opt_client_id(row: &Row, index: usize) -> Result<Option<ClientId>, Error> {
    Ok(get::<Option<String>>(row, index)?.map(ClientId))
}

/// The columns [`organization`] reads, in order.
pub(crate) const ORGANIZATION_COLUMNS: &str =
    "id, name, expiry_days, time_zone, email_binding, accept_url, created_at";

pub(crate) fn organization(row: &Row) -> Result<Organization, Error> {
    let days: i32 = get(row, 2)?;
    let binding = match get::<&str>(row, 4)? {
        "same_address" => EmailBinding::SameAddress,
        "same_domain" => EmailBinding::SameDomain,
        "any_identity" => EmailBinding::AnyIdentity,
        other => return Err(malformed(4, format!("unknown email binding {other:?}"))),
    };
    Ok(Organization {
        id: OrgId(get(row, 0)?),
        name: get(row, 1)?,
        expiry: ExpiryWindow::new(i64::from(days)).map_err(|e| malformed(2, e))?,
        time_zone: TimeZone::parse(get::<&str>(row, 3)?).map_err(|e| malformed(3, e))?,
        email_binding: binding,
        accept_url: get(row, 5)?,
        created_at: at(row, 6)?,
    })
}

/// The columns [`client`] reads, in order, of the table aliased `c`; the last one says whether
/// the client has invitations.
pub(crate) const CLIENT_COLUMNS: &str = "c.org, c.id, c.email_address, c.email_key, c.name, \
     c.role, c.assigned_staff, c.company, c.guest_of, c.owner, c.created_by, c.created_at, \
     c.activated_at, c.activated_by::text, c.last_seen_at, c.archived_at, c.version, \
     c.group_ids, c.program_ids, c.first_sent_at IS NOT NULL";

/// Whether the client read by [`client`] from `row` has invitations to read.
pub(crate) fn invited(row: &Row) -> Result<bool, Error> {
    get(row, 19)
}

/// A client, with its groups and programs.
pub(crate) fn client(row: &Row) -> Result<Client, Error> {
    let email = match (
        get::<Option<String>>(row, 2)?,
        get::<Option<String>>(row, 3)?,
    ) {
        (Some(address), Some(key)) => Some(Email { address, key }),
        (None, None) => None,
        _ => {
            return Err(malformed(
                2,
                "an address without a key or a key without one",
            ));
        }
    };
    Ok(Client {
        org: OrgId(get(row, 0)?),
        id: ClientId(get(row, 1)?),
        email,
        name: get(row, 4)?,
        role: role(row, 5)?,
        programs: get::<Vec<String>>(row, 18)?
            .into_iter()
            .map(ProgramId)
            .collect(),
        groups: get::<Vec<String>>(row, 17)?
            .into_iter()
            .map(GroupId)
            .collect(),
        assigned_staff: opt_client_id(row, 6)?,
        company: get::<Option<String>>(row, 7)?.map(CompanyId),
        guest_of: opt_client_id(row, 8)?,
        owner: opt_client_id(row, 9)?.map_or(Owner::Organization, Owner::Member),
        created_by: opt_client_id(row, 10)?,
        created_at: at(row, 11)?,
        activated_at: opt_at(row, 12)?,
        activated_by: opt_json::<Identity>(row, 13)?,
        last_seen_at: opt_at(row, 14)?,
        archived_at: opt_at(row, 15)?,
        version: unsigned(row, 16)?,
    })
}

/// The columns [`invitation`] reads, in order, of the table aliased `i` (the owning client's
/// id first).
pub(crate) const INVITATION_COLUMNS: &str = "i.client_id, i.id, i.token_hash, i.sent_by, \
     i.sent_at, i.expires_at, i.revoked_at, i.accepted_at, i.retired_at";

/// An invitation of a client of `org`, from the columns starting at `from`.
pub(crate) fn invitation(row: &Row, from: usize, org: &OrgId) -> Result<Invitation, Error> {
    Ok(Invitation {
        org: org.clone(),
        client: ClientId(get(row, from)?),
        id: InvitationId(get(row, from + 1)?),
        token_hash: token_hash(row, from + 2)?,
        sent_by: opt_client_id(row, from + 3)?,
        sent_at: at(row, from + 4)?,
        expires_at: at(row, from + 5)?,
        revoked_at: opt_at(row, from + 6)?,
        accepted_at: opt_at(row, from + 7)?,
        retired_at: opt_at(row, from + 8)?,
    })
}

/// The columns [`group`] reads, in order.
pub(crate) const GROUP_COLUMNS: &str = "org, id, name, co_owners, created_at";

pub(crate) fn group(row: &Row) -> Result<Group, Error> {
    Ok(Group {
        org: OrgId(get(row, 0)?),
        id: GroupId(get(row, 1)?),
        name: get(row, 2)?,
        co_owners: get::<Vec<String>>(row, 3)?
            .into_iter()
            .map(ClientId)
            .collect(),
        created_at: at(row, 4)?,
    })
}

/// The columns [`program`] reads, in order.
pub(crate) const PROGRAM_COLUMNS: &str = "org, id, name";

pub(crate) fn program(row: &Row) -> Result<Program, Error> {
    Ok(Program {
        org: OrgId(get(row, 0)?),
        id: ProgramId(get(row, 1)?),
        name: get(row, 2)?,
    })
}

/// The columns [`signup_link`] reads, in order.
pub(crate) const SIGNUP_LINK_COLUMNS: &str = "org, id, token_hash, role, max_uses, uses, \
     allowed_domains, created_by, created_at, rotated_at, disabled_at, version";

pub(crate) fn signup_link(row: &Row) -> Result<SignupLink, Error> {
    let max_uses = match get::<Option<i64>>(row, 4)? {
        None => None,
        Some(value) => Some(
            u32::try_from(value).map_err(|_| malformed(4, format!("{value} is out of range")))?,
        ),
    };
    Ok(SignupLink {
        org: OrgId(get(row, 0)?),
        id: SignupLinkId(get(row, 1)?),
        token_hash: token_hash(row, 2)?,
        role: role(row, 3)?,
        max_uses,
        uses: unsigned(row, 5)?,
        allowed_domains: get(row, 6)?,
        created_by: opt_client_id(row, 7)?,
        created_at: at(row, 8)?,
        rotated_at: opt_at(row, 9)?,
        disabled_at: opt_at(row, 10)?,
        version: unsigned(row, 11)?,
    })
}

/// The columns [`message`] reads, in order.
pub(crate) const MESSAGE_COLUMNS: &str = "id, org, client_id, invitation_id, to_address, \
     to_name, subject, text, html, state, attempts, created_at, sent_at, last_error, \
     claimed_until";

pub(crate) fn message(row: &Row) -> Result<OutboxMessage, Error> {
    let state = get::<&str>(row, 9)?;
    let state = DeliveryState::from_name(state)
        .ok_or_else(|| malformed(9, format!("unknown delivery state {state:?}")))?;
    Ok(OutboxMessage {
        id: MessageId(get(row, 0)?),
        org: OrgId(get(row, 1)?),
        client: ClientId(get(row, 2)?),
        invitation: get::<Option<String>>(row, 3)?.map(InvitationId),
        message: Message {
            to: get(row, 4)?,
            to_name: get(row, 5)?,
            subject: get(row, 6)?,
            text: get(row, 7)?,
            html: get(row, 8)?,
        },
        state,
        attempts: unsigned(row, 10)?,
        created_at: at(row, 11)?,
        sent_at: opt_at(row, 12)?,
        last_error: get(row, 13)?,
        claimed_until: opt_at(row, 14)?,
    })
}

/// An event from its JSON in column 0.
pub(crate) fn event(row: &Row) -> Result<invitekit::model::Event, Error> {
    from_json(row, 0)
}

/// The `i64` in column `index`.
pub(crate) fn int(row: &Row, index: usize) -> Result<i64, Error> {
    get(row, index)
}

/// The text in column `index`.
pub(crate) fn text(row: &Row, index: usize) -> Result<&str, Error> {
    get(row, index)
}
