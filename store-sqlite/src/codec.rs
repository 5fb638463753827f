//! Conversions between invitekit's records and SQLite values, and SQLite errors to
//! [`invitekit::Error`].

use std::error::Error as StdError;

use chrono::{DateTime, Utc};
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::message::Message;
use invitekit::model::{
    Client, ClientId, Email, Group, GroupId, Identity, Invitation, InvitationId, MessageId, OrgId,
    Organization, Owner, Program, ProgramId, Role, SignupLink, SignupLinkId,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::TokenHash;
use invitekit::{Error, ErrorCode, ErrorKind};
use rusqlite::Row;
use rusqlite::types::Type;

/// A `StorageFailed` error saying `message`.
pub(crate) fn storage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::StorageFailed {
        message: message.into(),
    })
}

pub(crate) fn not_found(code: ErrorCode) -> Error {
    Error::new(ErrorKind::NotFound { code })
}

pub(crate) fn exists(code: ErrorCode) -> Error {
    Error::new(ErrorKind::Exists { code })
}

pub(crate) fn conflict() -> Error {
    Error::new(ErrorKind::Conflict)
}

/// Turns a rusqlite result into an invitekit one: every SQLite error is `StorageFailed`.
pub(crate) trait Db<T> {
    /// The value, or `StorageFailed` with SQLite's message.
    fn db(self) -> Result<T, Error>;
}

impl<T> Db<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T, Error> {
        self.map_err(|e| storage(e.to_string()))
    }
}

/// Whether `error` is a UNIQUE or PRIMARY KEY constraint failing.
pub(crate) fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// The rows a write changed; a UNIQUE or PRIMARY KEY violation is `taken`'s error, any other
/// failure `StorageFailed`.
pub(crate) fn unique_or(
    result: rusqlite::Result<usize>,
    taken: impl FnOnce() -> Error,
) -> Result<usize, Error> {
    match result {
        Err(e) if is_unique_violation(&e) => Err(taken()),
        other => other.db(),
    }
}

// ---------------------------------------------------------------------------------------------
// Values written.

/// An instant as stored: nanoseconds since the Unix epoch.
///
/// # Errors
///
/// `StorageFailed` for an instant outside what 64-bit nanoseconds hold (years 1677 to 2262).
pub(crate) fn instant(at: DateTime<Utc>) -> Result<i64, Error> {
    at.timestamp_nanos_opt().ok_or_else(|| {
        storage(format!(
            "the instant {at} is outside the range the SQLite store keeps (1677 to 2262)"
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

/// A list as stored: JSON text.
pub(crate) fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| storage(format!("cannot encode JSON: {e}")))
}

/// A list of ids as one JSON array parameter, for `IN (SELECT value FROM json_each(?))`.
pub(crate) fn id_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<String, Error> {
    json(&ids.into_iter().collect::<Vec<&str>>())
}

/// The owner column: NULL for the organization.
pub(crate) fn owner_column(owner: &Owner) -> Option<&str> {
    match owner {
        Owner::Organization => None,
        Owner::Member(id) => Some(id.as_str()),
    }
}

// ---------------------------------------------------------------------------------------------
// Values read. Each reader fails with a rusqlite conversion error (reported as `StorageFailed`)
// when the stored value is not one this crate writes.

fn malformed(index: usize, error: impl Into<Box<dyn StdError + Send + Sync>>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, error.into())
}

fn at(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    Ok(DateTime::from_timestamp_nanos(row.get(index)?))
}

fn opt_at(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row
        .get::<_, Option<i64>>(index)?
        .map(DateTime::from_timestamp_nanos))
}

fn unsigned<T: TryFrom<i64>>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let value: i64 = row.get(index)?;
    T::try_from(value).map_err(|_| malformed(index, format!("{value} is out of range")))
}

fn role(row: &Row<'_>, index: usize) -> rusqlite::Result<Role> {
    row.get_ref(index)?
        .as_str()?
        .parse()
        .map_err(|e: Error| malformed(index, e))
}

fn token_hash(row: &Row<'_>, index: usize) -> rusqlite::Result<TokenHash> {
    let bytes = row.get_ref(index)?.as_blob()?;
    <[u8; 32]>::try_from(bytes)
        .map(TokenHash)
        .map_err(|_| malformed(index, "a token hash is not 32 bytes"))
}

fn from_json<T: serde::de::DeserializeOwned>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    serde_json::from_str(row.get_ref(index)?.as_str()?).map_err(|e| malformed(index, e))
}

fn opt_json<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(index)?.as_str_or_null()? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| malformed(index, e)),
    }
}

fn opt_client_id(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<ClientId>> {
    Ok(row.get::<_, Option<String>>(index)?.map(ClientId))
}

/// The columns [`organization`] reads, in order.
pub(crate) const ORGANIZATION_COLUMNS: &str =
    "id, name, expiry_days, time_zone, email_binding, accept_url, created_at";

pub(crate) fn organization(row: &Row<'_>) -> rusqlite::Result<Organization> {
    let days: i64 = row.get(2)?;
    let binding = match row.get_ref(4)?.as_str()? {
        "same_address" => EmailBinding::SameAddress,
        "same_domain" => EmailBinding::SameDomain,
        "any_identity" => EmailBinding::AnyIdentity,
        other => return Err(malformed(4, format!("unknown email binding {other:?}"))),
    };
    Ok(Organization {
        id: OrgId(row.get(0)?),
        name: row.get(1)?,
        expiry: ExpiryWindow::new(days).map_err(|e| malformed(2, e))?,
        time_zone: TimeZone::parse(row.get_ref(3)?.as_str()?).map_err(|e| malformed(3, e))?,
        email_binding: binding,
        accept_url: row.get(5)?,
        created_at: at(row, 6)?,
    })
}

/// The columns [`client`] reads, in order, of the table aliased `c`.
pub(crate) const CLIENT_COLUMNS: &str = "c.org, c.id, c.email_address, c.email_key, c.name, \
     c.role, c.assigned_staff, c.company, c.guest_of, c.owner, c.created_by, c.created_at, \
     c.activated_at, c.activated_by, c.last_seen_at, c.archived_at, c.version";

/// A client without its groups and programs (read separately).
pub(crate) fn client(row: &Row<'_>) -> rusqlite::Result<Client> {
    let email = match (
        row.get::<_, Option<String>>(2)?,
        row.get::<_, Option<String>>(3)?,
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
        org: OrgId(row.get(0)?),
        id: ClientId(row.get(1)?),
        email,
        name: row.get(4)?,
        role: role(row, 5)?,
        programs: Vec::new(),
        groups: Vec::new(),
        assigned_staff: opt_client_id(row, 6)?,
        company: row
            .get::<_, Option<String>>(7)?
            .map(invitekit::model::CompanyId),
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

/// The columns [`invitation`] reads, in order, after the owning client's id.
pub(crate) const INVITATION_COLUMNS: &str = "client_id, id, token_hash, sent_by, sent_at, \
     expires_at, revoked_at, accepted_at, retired_at";

/// An invitation of a client of `org` (the client's id is column 0).
pub(crate) fn invitation(row: &Row<'_>, org: &OrgId) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        org: org.clone(),
        client: ClientId(row.get(0)?),
        id: InvitationId(row.get(1)?),
        token_hash: token_hash(row, 2)?,
        sent_by: opt_client_id(row, 3)?,
        sent_at: at(row, 4)?,
        expires_at: at(row, 5)?,
        revoked_at: opt_at(row, 6)?,
        accepted_at: opt_at(row, 7)?,
        retired_at: opt_at(row, 8)?,
    })
}

/// The columns [`group`] reads, in order.
pub(crate) const GROUP_COLUMNS: &str = "org, id, name, co_owners, created_at";

pub(crate) fn group(row: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        org: OrgId(row.get(0)?),
        id: GroupId(row.get(1)?),
        name: row.get(2)?,
        co_owners: from_json(row, 3)?,
        created_at: at(row, 4)?,
    })
}

/// The columns [`program`] reads, in order.
pub(crate) const PROGRAM_COLUMNS: &str = "org, id, name";

pub(crate) fn program(row: &Row<'_>) -> rusqlite::Result<Program> {
    Ok(Program {
        org: OrgId(row.get(0)?),
        id: ProgramId(row.get(1)?),
        name: row.get(2)?,
    })
}

/// The columns [`signup_link`] reads, in order.
pub(crate) const SIGNUP_LINK_COLUMNS: &str = "org, id, token_hash, role, max_uses, uses, \
     allowed_domains, created_by, created_at, rotated_at, disabled_at, version";

pub(crate) fn signup_link(row: &Row<'_>) -> rusqlite::Result<SignupLink> {
    let max_uses = match row.get::<_, Option<i64>>(4)? {
        None => None,
        Some(value) => Some(
            u32::try_from(value).map_err(|_| malformed(4, format!("{value} is out of range")))?,
        ),
    };
    Ok(SignupLink {
        org: OrgId(row.get(0)?),
        id: SignupLinkId(row.get(1)?),
        token_hash: token_hash(row, 2)?,
        role: role(row, 3)?,
        max_uses,
        uses: unsigned(row, 5)?,
        allowed_domains: from_json(row, 6)?,
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

pub(crate) fn message(row: &Row<'_>) -> rusqlite::Result<OutboxMessage> {
    let state = row.get_ref(9)?.as_str()?;
    let state = DeliveryState::from_name(state)
        .ok_or_else(|| malformed(9, format!("unknown delivery state {state:?}")))?;
    Ok(OutboxMessage {
        id: MessageId(row.get(0)?),
        org: OrgId(row.get(1)?),
        client: ClientId(row.get(2)?),
        invitation: row.get::<_, Option<String>>(3)?.map(InvitationId),
        message: Message {
            to: row.get(4)?,
            to_name: row.get(5)?,
            subject: row.get(6)?,
            text: row.get(7)?,
            html: row.get(8)?,
        },
        state,
        attempts: unsigned(row, 10)?,
        created_at: at(row, 11)?,
        sent_at: opt_at(row, 12)?,
        last_error: row.get(13)?,
        claimed_until: opt_at(row, 14)?,
    })
}

/// An event's JSON from column 0.
pub(crate) fn event(row: &Row<'_>) -> rusqlite::Result<invitekit::model::Event> {
    from_json(row, 0)
}
