//! Pure helpers for hosts that keep their own records: statuses, the transition table, the
//! lifecycle commands on a client record, tokens, access checks and the invitation email.
//!
//! Records are plain dicts in the core's serde form (see [`crate::convert`]); the functions
//! mirror the core's names (`lifecycle::status`, `transition`, `permit`, `ClientRecord::send`,
//! `access::authorize`, `message::render`, ...). Nothing here reads the clock: every instant is
//! an argument, an aware `datetime`.

use chrono::{DateTime, Utc};
use invitekit::access::{self, Member, Operation, OrgOperation, Permission};
use invitekit::address::{ParseOptions, parse_one};
use invitekit::lifecycle::{
    self, CommandKind, LinkState, NewInvitation, Outcome as CoreOutcome, Status, StatusKind,
};
use invitekit::message::{self, Invite, MessageOptions};
use invitekit::model::{
    Actor, Client, ClientId, Email, Identity, Invitation, InvitationId, Organization, Role,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::{self, Token, TokenHash};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use serde_json::{Map, Value, json};

use crate::convert::{
    PyEnum, enum_from_py, from_py, py_enum, record_from_value, rfc3339, role_from_py, to_py,
    to_value, type_name, utc,
};
use crate::errors::to_py_err;

// ---------------------------------------------------------------------------------------------
// Records from dicts, with the defaults a host may leave out.

/// A dict as a JSON object, or a `TypeError` naming `what`.
fn object(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Map<String, Value>> {
    match to_value(value, what)? {
        Value::Object(map) => Ok(map),
        _ => Err(PyTypeError::new_err(format!(
            "{what}: expected a dict, got {}",
            type_name(value)
        ))),
    }
}

/// An email given as text (parsed and keyed as the list parser does) or as a dict
/// `{"address": ..., "key": ...}`.
fn email_value(value: Value) -> PyResult<Value> {
    match value {
        Value::String(text) => {
            let email = parse_one(&text, &ParseOptions::default()).map_err(to_py_err)?;
            Ok(json!({"address": email.address, "key": email.key}))
        }
        other => Ok(other),
    }
}

/// A client record from a dict. Missing `programs`, `groups` (empty), `owner` (the
/// organization), `version` (0) and optional fields take their defaults; `email` may be text.
pub(crate) fn client_from_py(value: &Bound<'_, PyAny>) -> PyResult<Client> {
    let mut map = object(value, "client")?;
    for (key, default) in [
        ("programs", json!([])),
        ("groups", json!([])),
        ("owner", json!({"kind": "organization"})),
        ("version", json!(0)),
    ] {
        map.entry(key).or_insert(default);
    }
    if let Some(email) = map.remove("email") {
        map.insert("email".to_owned(), email_value(email)?);
    }
    record_from_value(Value::Object(map), "client")
}

/// Invitation records from a sequence of dicts.
pub(crate) fn invitations_from_py(value: &Bound<'_, PyAny>) -> PyResult<Vec<Invitation>> {
    from_py(value, "invitations")
}

/// An organization from a dict. Missing settings take the defaults of
/// `Organization::new`: a 14-day window (`expiry`), `UTC`, `same_address`, an accept link under
/// `https://example.invalid/`, and `created_at` the Unix epoch (no rule reads it).
pub(crate) fn organization_from_py(value: &Bound<'_, PyAny>) -> PyResult<Organization> {
    let mut map = object(value, "organization")?;
    let defaults = Organization::new("".into(), "", DateTime::UNIX_EPOCH);
    let defaults = serde_json::to_value(defaults)
        .map_err(|e| PyValueError::new_err(format!("organization: {e}")))?;
    if let Value::Object(defaults) = defaults {
        for (key, default) in defaults {
            if key != "id" && key != "name" {
                map.entry(key).or_insert(default);
            }
        }
    }
    record_from_value(Value::Object(map), "organization")
}

/// The acting member from a dict `{"id": ..., "role": ...}`.
fn member_from_py(value: &Bound<'_, PyAny>) -> PyResult<Member> {
    from_py(value, "member")
}

/// The actor of a command: a member's client id, or `None` for the organization itself.
fn actor(by: Option<String>) -> Actor {
    by.map_or(Actor::System, |id| Actor::Member(ClientId::new(id)))
}

fn time_zone(name: &str) -> PyResult<TimeZone> {
    TimeZone::parse(name).map_err(to_py_err)
}

fn status_kind(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<StatusKind>> {
    match value {
        Some(value) if !value.is_none() => {
            let text = value.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!("status: expected str, got {}", type_name(value)))
            })?;
            text.to_cow()?
                .parse::<StatusKind>()
                .map(Some)
                .map_err(to_py_err)
        }
        _ => Ok(None),
    }
}

fn events<'py>(py: Python<'py>, events: &[invitekit::model::Event]) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &events)
}

/// A new organization as a dict, its settings checked.
#[pyfunction]
#[pyo3(signature = (
    id,
    name,
    *,
    created_at,
    expiry_days = 14,
    time_zone = "UTC",
    email_binding = None,
    accept_url = None,
))]
#[allow(clippy::too_many_arguments)]
fn new_organization<'py>(
    py: Python<'py>,
    id: &str,
    name: &str,
    created_at: &Bound<'py, PyAny>,
    expiry_days: i64,
    time_zone: &str,
    email_binding: Option<&Bound<'py, PyAny>>,
    accept_url: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut org = Organization::new(id.into(), name, utc(created_at, "created_at")?);
    org.expiry = ExpiryWindow::new(expiry_days).map_err(to_py_err)?;
    org.time_zone = self::time_zone(time_zone)?;
    if let Some(binding) = email_binding.filter(|binding| !binding.is_none()) {
        org.email_binding = enum_from_py::<EmailBinding>(binding, "email_binding")?;
    }
    if let Some(url) = accept_url {
        org.accept_url = url.to_owned();
    }
    to_py(py, &org.checked().map_err(to_py_err)?)
}

/// A new client record as a dict: owned by the organization, version 0, `email` parsed and
/// keyed as the list parser does.
#[pyfunction]
#[pyo3(signature = (id, org, *, created_at, email = None, role = None, name = None))]
fn new_client<'py>(
    py: Python<'py>,
    id: &str,
    org: &str,
    created_at: &Bound<'py, PyAny>,
    email: Option<&str>,
    role: Option<&Bound<'py, PyAny>>,
    name: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let email = email
        .map(|email| parse_one(email, &ParseOptions::default()))
        .transpose()
        .map_err(to_py_err)?;
    let role = match role {
        Some(role) if !role.is_none() => role_from_py(role, "role")?,
        _ => Role::Client,
    };
    let mut client = Client::new(
        id.into(),
        org.into(),
        email,
        role,
        utc(created_at, "created_at")?,
    );
    client.name = name
        .map(|name| invitekit::policy::check_name(name, "name"))
        .transpose()
        .map_err(to_py_err)?;
    to_py(py, &client)
}

// ---------------------------------------------------------------------------------------------
// Statuses and the transition table.

/// A client's status at an instant, with the line a table shows under its label.
#[pyclass(frozen, module = "invitekit")]
pub(crate) struct ClientStatus {
    status: Status,
    detail: String,
}

/// The instants a status may carry, by name.
const INSTANTS: [&str; 6] = [
    "sent_at",
    "expires_at",
    "expired_at",
    "accepted_at",
    "last_seen_at",
    "archived_at",
];

impl ClientStatus {
    fn new(status: Status, now: DateTime<Utc>, zone: TimeZone) -> Self {
        ClientStatus {
            detail: status.detail(now, zone),
            status,
        }
    }

    fn instant(&self, name: &str) -> Option<DateTime<Utc>> {
        match (self.status, name) {
            (Status::InvitePending { sent_at, .. }, "sent_at")
            | (Status::InviteExpired { sent_at, .. }, "sent_at") => Some(sent_at),
            (Status::InvitePending { expires_at, .. }, "expires_at") => Some(expires_at),
            (Status::InviteExpired { expired_at, .. }, "expired_at") => Some(expired_at),
            (Status::Activated { accepted_at, .. }, "accepted_at") => Some(accepted_at),
            (Status::Activated { last_seen_at, .. }, "last_seen_at") => last_seen_at,
            (Status::Archived { archived_at }, "archived_at") => Some(archived_at),
            _ => None,
        }
    }
}

#[pymethods]
impl ClientStatus {
    /// The status: an `invitekit.Status` (equal to its code, `"invite_pending"`).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_enum(py, PyEnum::Status, self.status.kind().as_str())
    }

    /// The label platforms show: `"Invite Pending"`.
    #[getter]
    fn label(&self) -> &'static str {
        self.status.label()
    }

    /// The line under the label, dates in the time zone asked for.
    #[getter]
    fn detail(&self) -> &str {
        &self.detail
    }

    /// Invite Pending and Invite Expired: the latest sending.
    #[getter]
    fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.instant("sent_at")
    }

    /// Invite Pending: the latest deadline among the live invitations.
    #[getter]
    fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.instant("expires_at")
    }

    /// Invite Expired: the latest deadline, now past.
    #[getter]
    fn expired_at(&self) -> Option<DateTime<Utc>> {
        self.instant("expired_at")
    }

    /// Activated: when.
    #[getter]
    fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.instant("accepted_at")
    }

    /// Activated: when the client was last seen, if reported.
    #[getter]
    fn last_seen_at(&self) -> Option<DateTime<Utc>> {
        self.instant("last_seen_at")
    }

    /// Archived: when.
    #[getter]
    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.instant("archived_at")
    }

    /// The status as a dict: `status`, `label`, `detail`, and the status's instants (RFC 3339
    /// text) under their names.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("status", self.status.kind().as_str())?;
        dict.set_item("label", self.status.label())?;
        dict.set_item("detail", &self.detail)?;
        for name in INSTANTS {
            if let Some(at) = self.instant(name) {
                dict.set_item(name, rfc3339(at))?;
            }
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!("<ClientStatus {}: {}>", self.status.label(), self.detail)
    }
}

/// The status of `client` (a dict) at `now`, from its invitations (dicts; others' are
/// ignored); `detail` states dates in `time_zone`.
#[pyfunction]
#[pyo3(signature = (client, invitations, now, *, time_zone = "UTC"))]
fn client_status(
    client: &Bound<'_, PyAny>,
    invitations: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
    time_zone: &str,
) -> PyResult<ClientStatus> {
    let client = client_from_py(client)?;
    let invitations = invitations_from_py(invitations)?;
    let now = utc(now, "now")?;
    let zone = self::time_zone(time_zone)?;
    Ok(ClientStatus::new(
        lifecycle::status(&client, &invitations, now),
        now,
        zone,
    ))
}

/// One cell of the transition table.
#[pyclass(frozen, eq, module = "invitekit")]
#[derive(PartialEq)]
pub(crate) struct Outcome {
    outcome: CoreOutcome,
}

#[pymethods]
impl Outcome {
    /// `"to"` (the command succeeds; `status` is the status after), `"unchanged"`, `"derived"`
    /// (restore: whatever the client's instants give) or `"refused"` (`error` is the code).
    #[getter]
    fn kind(&self) -> &'static str {
        match self.outcome {
            CoreOutcome::To(_) => "to",
            CoreOutcome::Unchanged => "unchanged",
            CoreOutcome::Derived => "derived",
            CoreOutcome::Refused(_) => "refused",
        }
    }

    /// For `"to"`: the status afterwards, an `invitekit.Status`.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.outcome {
            CoreOutcome::To(status) => py_enum(py, PyEnum::Status, status.as_str()).map(Some),
            _ => Ok(None),
        }
    }

    /// For `"refused"`: the code of the refusal.
    #[getter]
    fn error(&self) -> Option<&'static str> {
        match self.outcome {
            CoreOutcome::Refused(code) => Some(code.as_str()),
            _ => None,
        }
    }

    /// Whether the command is allowed (any kind but `"refused"`).
    #[getter]
    fn allowed(&self) -> bool {
        self.outcome.allowed()
    }

    fn __repr__(&self) -> String {
        match self.outcome {
            CoreOutcome::To(status) => format!("<Outcome to {}>", status.as_str()),
            CoreOutcome::Refused(code) => format!("<Outcome refused {}>", code.as_str()),
            _ => format!("<Outcome {}>", self.kind()),
        }
    }
}

/// The transition table's cell for `command` on a client in `status` (`None`: no record yet).
#[pyfunction]
fn transition(status: Option<&Bound<'_, PyAny>>, command: &Bound<'_, PyAny>) -> PyResult<Outcome> {
    let status = status_kind(status)?;
    let command = enum_from_py::<CommandKind>(command, "command")?;
    Ok(Outcome {
        outcome: lifecycle::transition(status, command),
    })
}

/// Like `transition`, but a refusal raises its exception (a `ConflictError`, ...).
#[pyfunction]
fn permit(status: Option<&Bound<'_, PyAny>>, command: &Bound<'_, PyAny>) -> PyResult<Outcome> {
    let status = status_kind(status)?;
    let command = enum_from_py::<CommandKind>(command, "command")?;
    lifecycle::permit(status, command)
        .map(|outcome| Outcome { outcome })
        .map_err(to_py_err)
}

// ---------------------------------------------------------------------------------------------
// The lifecycle commands on a client record.

/// A client and all its invitations: the unit every lifecycle command reads and changes.
#[pyclass(module = "invitekit")]
pub(crate) struct ClientRecord {
    inner: lifecycle::ClientRecord,
}

fn new_invitation(invitation_id: &str, token_hash: &str) -> PyResult<NewInvitation> {
    Ok(NewInvitation {
        id: InvitationId::new(invitation_id),
        token_hash: TokenHash::from_hex(token_hash).map_err(to_py_err)?,
    })
}

#[pymethods]
impl ClientRecord {
    #[new]
    #[pyo3(signature = (client, invitations = None))]
    fn py_new(client: &Bound<'_, PyAny>, invitations: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(ClientRecord {
            inner: lifecycle::ClientRecord {
                client: client_from_py(client)?,
                invitations: match invitations {
                    Some(invitations) if !invitations.is_none() => {
                        invitations_from_py(invitations)?
                    }
                    _ => Vec::new(),
                },
            },
        })
    }

    /// A record for a new client (the table's `create`), and its `client_created` event.
    #[staticmethod]
    #[pyo3(signature = (client, *, by = None))]
    fn create<'py>(
        py: Python<'py>,
        client: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<(ClientRecord, Bound<'py, PyAny>)> {
        let (inner, event) = lifecycle::ClientRecord::create(client_from_py(client)?, actor(by));
        Ok((ClientRecord { inner }, to_py(py, &event)?))
    }

    /// The record from `{"client": ..., "invitations": [...]}` (what `to_dict` gives).
    #[staticmethod]
    fn from_dict(record: &Bound<'_, PyAny>) -> PyResult<Self> {
        let client = record.get_item("client")?;
        let invitations = record.get_item("invitations").ok();
        Self::py_new(&client, invitations.as_ref())
    }

    /// `{"client": ..., "invitations": [...]}`, JSON-compatible.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }

    /// The client, as a dict.
    #[getter]
    fn client<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.client)
    }

    /// Its invitations, in the order they were sent, as dicts.
    #[getter]
    fn invitations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.invitations)
    }

    /// The client's version (stores compare and set on it; each command bumps it once).
    #[getter]
    fn version(&self) -> u64 {
        self.inner.client.version
    }

    /// The client's status at `now`.
    #[pyo3(signature = (now, *, time_zone = "UTC"))]
    fn status(&self, now: &Bound<'_, PyAny>, time_zone: &str) -> PyResult<ClientStatus> {
        let now = utc(now, "now")?;
        Ok(ClientStatus::new(
            self.inner.status(now),
            now,
            self::time_zone(time_zone)?,
        ))
    }

    /// The table's cell for `command` at `now`; a refusal raises.
    fn permit(&self, command: &Bound<'_, PyAny>, now: &Bound<'_, PyAny>) -> PyResult<Outcome> {
        let command = enum_from_py::<CommandKind>(command, "command")?;
        self.inner
            .permit(command, utc(now, "now")?)
            .map(|outcome| Outcome { outcome })
            .map_err(to_py_err)
    }

    /// Sends a first invitation (id and token hash from the caller), valid for the
    /// organization's window from `now`. Returns the events.
    #[pyo3(signature = (organization, *, invitation_id, token_hash, now, by = None))]
    fn send<'py>(
        &mut self,
        py: Python<'py>,
        organization: &Bound<'py, PyAny>,
        invitation_id: &str,
        token_hash: &str,
        now: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = organization_from_py(organization)?;
        let new = new_invitation(invitation_id, token_hash)?;
        let done = self.inner.send(&org, new, actor(by), utc(now, "now")?);
        events(py, &done.map_err(to_py_err)?)
    }

    /// Sends a further invitation with a fresh window; earlier links keep working.
    #[pyo3(signature = (organization, *, invitation_id, token_hash, now, by = None))]
    fn resend<'py>(
        &mut self,
        py: Python<'py>,
        organization: &Bound<'py, PyAny>,
        invitation_id: &str,
        token_hash: &str,
        now: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = organization_from_py(organization)?;
        let new = new_invitation(invitation_id, token_hash)?;
        let done = self.inner.resend(&org, new, actor(by), utc(now, "now")?);
        events(py, &done.map_err(to_py_err)?)
    }

    /// Sends or resends, whichever applies.
    #[pyo3(signature = (organization, *, invitation_id, token_hash, now, by = None))]
    fn invite<'py>(
        &mut self,
        py: Python<'py>,
        organization: &Bound<'py, PyAny>,
        invitation_id: &str,
        token_hash: &str,
        now: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = organization_from_py(organization)?;
        let new = new_invitation(invitation_id, token_hash)?;
        let done = self.inner.invite(&org, new, actor(by), utc(now, "now")?);
        events(py, &done.map_err(to_py_err)?)
    }

    /// What the holder of the link may see, read-only (show it on GET, accept on POST).
    #[pyo3(signature = (organization, *, invitation_id, token, now, inviter = None))]
    fn preview<'py>(
        &self,
        py: Python<'py>,
        organization: &Bound<'py, PyAny>,
        invitation_id: &str,
        token: &str,
        now: &Bound<'py, PyAny>,
        inviter: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = organization_from_py(organization)?;
        let token = Token::parse(token).map_err(to_py_err)?;
        let id = InvitationId::new(invitation_id);
        let preview = self
            .inner
            .preview(&org, &id, &token, inviter, utc(now, "now")?)
            .map_err(to_py_err)?;
        to_py(py, &preview)
    }

    /// Accepts the invitation with the token from its link, for the identity whose email the
    /// host authenticated. Returns `{"result": "activated", "events": [...]}` or
    /// `{"result": "already_accepted"}`.
    #[pyo3(signature = (organization, *, invitation_id, token, identity, now, subject = None))]
    #[allow(clippy::too_many_arguments)]
    fn accept<'py>(
        &mut self,
        py: Python<'py>,
        organization: &Bound<'py, PyAny>,
        invitation_id: &str,
        token: &str,
        identity: &str,
        now: &Bound<'py, PyAny>,
        subject: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = organization_from_py(organization)?;
        let token = Token::parse(token).map_err(to_py_err)?;
        let mut identity =
            Identity::from_email(identity, &ParseOptions::default()).map_err(to_py_err)?;
        identity.subject = subject;
        let id = InvitationId::new(invitation_id);
        let acceptance = self
            .inner
            .accept(&org, &id, &token, &identity, utc(now, "now")?)
            .map_err(to_py_err)?;
        to_py(py, &acceptance)
    }

    /// Revokes every open invitation; the client is Provisioned again.
    #[pyo3(signature = (now, *, by = None))]
    fn revoke<'py>(
        &mut self,
        py: Python<'py>,
        now: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let done = self.inner.revoke(actor(by), utc(now, "now")?);
        events(py, &done.map_err(to_py_err)?)
    }

    /// Archives the client.
    #[pyo3(signature = (now, *, by = None))]
    fn archive<'py>(
        &mut self,
        py: Python<'py>,
        now: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let done = self.inner.archive(actor(by), utc(now, "now")?);
        events(py, &done.map_err(to_py_err)?)
    }

    /// Restores an archived client.
    #[pyo3(signature = (now, *, by = None))]
    fn restore<'py>(
        &mut self,
        py: Python<'py>,
        now: &Bound<'py, PyAny>,
        by: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let done = self.inner.restore(actor(by), utc(now, "now")?);
        events(py, &done.map_err(to_py_err)?)
    }

    /// Records that an active, activated client was seen at `now`; `False` (and nothing
    /// changes) for other clients.
    fn record_seen(&mut self, now: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.record_seen(utc(now, "now")?))
    }

    fn __repr__(&self) -> String {
        format!(
            "<ClientRecord {} ({} invitations, version {})>",
            self.inner.client.id,
            self.inner.invitations.len(),
            self.inner.client.version
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens.

/// A fresh link token and its hash: `(token, token_hash)`. The token goes into the email
/// only; keep the hash (64 hex digits).
#[pyfunction]
fn mint_token() -> PyResult<(String, String)> {
    let token = Token::mint().map_err(to_py_err)?;
    let hash = token.hash().to_hex();
    Ok((token.expose_secret().to_owned(), hash))
}

/// The hash of a token taken from a link (surrounding white space ignored).
#[pyfunction]
fn hash_token(token: &str) -> PyResult<String> {
    Ok(Token::parse(token).map_err(to_py_err)?.hash().to_hex())
}

/// Whether `token` hashes to `token_hash`, compared in constant time. A malformed token is
/// simply `False`; a malformed hash raises (it came from the host's store).
#[pyfunction]
fn verify_token(token: &str, token_hash: &str) -> PyResult<bool> {
    let hash = TokenHash::from_hex(token_hash).map_err(to_py_err)?;
    Ok(Token::parse(token).is_ok_and(|token| hash.matches(&token)))
}

/// A fresh random record id: `prefix` and 22 URL-safe characters.
#[pyfunction]
#[pyo3(signature = (prefix = ""))]
fn mint_id(prefix: &str) -> PyResult<String> {
    token::mint_id(prefix).map_err(to_py_err)
}

// ---------------------------------------------------------------------------------------------
// Access.

/// Whether `member` (`{"id", "role"}`) may do `operation` to `client`; raises `ForbiddenError`
/// naming the missing permission.
#[pyfunction]
#[pyo3(signature = (member, operation, client, invitations = None))]
fn authorize(
    member: &Bound<'_, PyAny>,
    operation: &Bound<'_, PyAny>,
    client: &Bound<'_, PyAny>,
    invitations: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let (member, operation, client, invitations) =
        access_args(member, operation, client, invitations)?;
    access::authorize(&member, operation, &client, &invitations).map_err(to_py_err)
}

/// The permission `operation` on `client` needs that `member` lacks, or `None` when allowed.
#[pyfunction]
#[pyo3(signature = (member, operation, client, invitations = None))]
fn required_permission<'py>(
    py: Python<'py>,
    member: &Bound<'py, PyAny>,
    operation: &Bound<'py, PyAny>,
    client: &Bound<'py, PyAny>,
    invitations: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let (member, operation, client, invitations) =
        access_args(member, operation, client, invitations)?;
    access::required(&member, operation, &client, &invitations)
        .map(|permission| py_enum(py, PyEnum::Permission, permission.as_str()))
        .transpose()
}

type AccessArgs = (Member, Operation, Client, Vec<Invitation>);

fn access_args(
    member: &Bound<'_, PyAny>,
    operation: &Bound<'_, PyAny>,
    client: &Bound<'_, PyAny>,
    invitations: Option<&Bound<'_, PyAny>>,
) -> PyResult<AccessArgs> {
    Ok((
        member_from_py(member)?,
        enum_from_py(operation, "operation")?,
        client_from_py(client)?,
        match invitations {
            Some(invitations) if !invitations.is_none() => invitations_from_py(invitations)?,
            _ => Vec::new(),
        },
    ))
}

/// Whether `member` may do an organization-wide `operation`; raises `ForbiddenError`.
#[pyfunction]
fn authorize_org(member: &Bound<'_, PyAny>, operation: &Bound<'_, PyAny>) -> PyResult<()> {
    let member = member_from_py(member)?;
    let operation: OrgOperation = enum_from_py(operation, "operation")?;
    access::authorize_org(&member, operation).map_err(to_py_err)
}

/// Whether `role` holds `permission`.
#[pyfunction]
fn grants(role: &Bound<'_, PyAny>, permission: &Bound<'_, PyAny>) -> PyResult<bool> {
    let role = role_from_py(role, "role")?;
    let permission: Permission = enum_from_py(permission, "permission")?;
    Ok(access::grants(role, permission))
}

// ---------------------------------------------------------------------------------------------
// The invitation email.

/// Renders the invitation email: `{"to", "to_name", "subject", "text", "html"}`.
#[pyfunction]
#[pyo3(signature = (
    organization,
    *,
    to,
    token,
    expires_at,
    inviter = None,
    name = None,
    subject = None,
    button = None,
    form_url = None,
))]
#[allow(clippy::too_many_arguments)]
fn render_invitation<'py>(
    py: Python<'py>,
    organization: &Bound<'py, PyAny>,
    to: &Bound<'py, PyAny>,
    token: &str,
    expires_at: &Bound<'py, PyAny>,
    inviter: Option<&str>,
    name: Option<&str>,
    subject: Option<String>,
    button: Option<String>,
    form_url: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let org = organization_from_py(organization)?;
    let to: Email = record_from_value(email_value(to_value(to, "to")?)?, "to")?;
    let token = Token::parse(token).map_err(to_py_err)?;
    let invite = Invite {
        org: &org,
        inviter,
        to: &to,
        name,
        token: &token,
        expires_at: utc(expires_at, "expires_at")?,
    };
    let options = MessageOptions {
        subject,
        button,
        form_url,
    };
    let rendered = message::render(&invite, &options).map_err(to_py_err)?;
    to_py(py, &rendered)
}

/// Checks a custom subject, button text and form link as `render_invitation` would; raises
/// `InvalidInputError` (`invalid_message_text`, `invalid_url`).
#[pyfunction]
#[pyo3(signature = (*, subject = None, button = None, form_url = None))]
fn validate_message_options(
    subject: Option<String>,
    button: Option<String>,
    form_url: Option<String>,
) -> PyResult<()> {
    MessageOptions {
        subject,
        button,
        form_url,
    }
    .validate()
    .map_err(to_py_err)
}

/// Checks an accept-link template (`https://app.example.com/invitations/{token}`).
#[pyfunction]
fn validate_accept_url(template: &str) -> PyResult<()> {
    message::validate_accept_url(template).map_err(to_py_err)
}

/// The accept link: the template with `{token}` replaced by the token.
#[pyfunction]
fn accept_link(template: &str, token: &str) -> PyResult<String> {
    let token = Token::parse(token).map_err(to_py_err)?;
    message::accept_link(template, &token).map_err(to_py_err)
}

/// The default subject: `"Jane Doe invited you to Acme"`.
#[pyfunction]
#[pyo3(signature = (org_name, inviter = None))]
fn default_subject(org_name: &str, inviter: Option<&str>) -> String {
    message::default_subject(org_name, inviter)
}

/// An address masked for a preview: `"j•••@example.com"`.
#[pyfunction]
fn mask_email(address: &str) -> String {
    lifecycle::mask_email(address)
}

/// The deadline of an invitation sent at `sent_at` with a window of `expiry_days`.
#[pyfunction]
#[pyo3(signature = (sent_at, *, expiry_days = 14))]
fn deadline(sent_at: &Bound<'_, PyAny>, expiry_days: i64) -> PyResult<DateTime<Utc>> {
    let window = ExpiryWindow::new(expiry_days).map_err(to_py_err)?;
    Ok(window.deadline(utc(sent_at, "sent_at")?))
}

/// A deadline as an email states it in `time_zone`: `"6 December 2026 at 00:30 CET"`.
#[pyfunction]
#[pyo3(signature = (instant, *, time_zone = "UTC"))]
fn format_deadline(instant: &Bound<'_, PyAny>, time_zone: &str) -> PyResult<String> {
    Ok(self::time_zone(time_zone)?.format_deadline(utc(instant, "instant")?))
}

/// The values of the core's enums, by the name of the Python enum that mirrors each; the
/// tests check that `invitekit._enums` matches. Not API.
#[pyfunction]
fn _enum_values(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .filter_map(|item| match serde_json::to_value(item) {
                Ok(Value::String(name)) => Some(name),
                _ => None,
            })
            .collect()
    }
    let dict = PyDict::new(py);
    let tuple = |items: Vec<String>| PyTuple::new(py, items);
    dict.set_item("Status", tuple(names(&StatusKind::ALL))?)?;
    dict.set_item("Role", tuple(names(&Role::ALL))?)?;
    dict.set_item("Command", tuple(names(&CommandKind::ALL))?)?;
    dict.set_item("Operation", tuple(names(&Operation::ALL))?)?;
    dict.set_item("OrgOperation", tuple(names(&OrgOperation::ALL))?)?;
    dict.set_item("Permission", tuple(names(&Permission::ALL))?)?;
    dict.set_item(
        "EmailBinding",
        tuple(names(&[
            EmailBinding::SameAddress,
            EmailBinding::SameDomain,
            EmailBinding::AnyIdentity,
        ]))?,
    )?;
    dict.set_item(
        "LinkState",
        tuple(names(&[
            LinkState::Live,
            LinkState::Expired,
            LinkState::Revoked,
            LinkState::Accepted,
            LinkState::ClientArchived,
        ]))?,
    )?;
    let labels = PyDict::new(py);
    for status in StatusKind::ALL {
        labels.set_item(status.as_str(), status.label())?;
    }
    dict.set_item("status_labels", labels)?;
    Ok(dict)
}

/// Adds the helpers to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ClientStatus>()?;
    m.add_class::<Outcome>()?;
    m.add_class::<ClientRecord>()?;
    for function in [
        wrap_pyfunction!(new_organization, m)?,
        wrap_pyfunction!(new_client, m)?,
        wrap_pyfunction!(client_status, m)?,
        wrap_pyfunction!(transition, m)?,
        wrap_pyfunction!(permit, m)?,
        wrap_pyfunction!(mint_token, m)?,
        wrap_pyfunction!(hash_token, m)?,
        wrap_pyfunction!(verify_token, m)?,
        wrap_pyfunction!(mint_id, m)?,
        wrap_pyfunction!(authorize, m)?,
        wrap_pyfunction!(required_permission, m)?,
        wrap_pyfunction!(authorize_org, m)?,
        wrap_pyfunction!(grants, m)?,
        wrap_pyfunction!(render_invitation, m)?,
        wrap_pyfunction!(validate_message_options, m)?,
        wrap_pyfunction!(validate_accept_url, m)?,
        wrap_pyfunction!(accept_link, m)?,
        wrap_pyfunction!(default_subject, m)?,
        wrap_pyfunction!(mask_email, m)?,
        wrap_pyfunction!(deadline, m)?,
        wrap_pyfunction!(format_deadline, m)?,
        wrap_pyfunction!(_enum_values, m)?,
    ] {
        m.add_function(function)?;
    }
    m.add("TOKEN_LEN", token::TOKEN_LEN)?;
    Ok(())
}
