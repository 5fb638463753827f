//! Pure helpers for hosts that keep their own records: statuses, the transition table, the
//! lifecycle commands on a client record, tokens, access checks and the invitation email.
//!
//! Records are plain objects (see [`crate::convert`]: camelCase keys, `Date` instants); the
//! functions mirror the core's names (`lifecycle::status`, `transition`, `permit`,
//! `ClientRecord::send`, `access::authorize`, `message::render`, ...) in camelCase, and the
//! Python package's helpers one for one. Nothing here reads the clock: every instant is an
//! argument, a `Date`.

use chrono::{DateTime, Utc};
use invitekit::access::{self, Member, Operation, OrgOperation, Permission};
use invitekit::address::{ParseOptions as CoreParseOptions, parse_one};
use invitekit::lifecycle::{
    self, CommandKind, LinkState, NewInvitation, Outcome as CoreOutcome, Status, StatusKind,
};
use invitekit::message::{self, Invite, MessageOptions as CoreMessageOptions};
use invitekit::model::{
    Actor, Client, ClientId, Email as CoreEmail, Identity, Invitation, InvitationId, Organization,
    Role,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::{self, Token, TokenHash};
use napi::Either;
use napi::bindgen_prelude::{JavaScriptClassExt, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::convert::{from_js, from_value, js_to_object, js_to_value, to_js};
use crate::errors::{invalid_arg, to_napi_err};
use crate::parse::Email;

// ---------------------------------------------------------------------------------------------
// Records from JS objects, with the defaults a host may leave out.

/// An email given as text (parsed and keyed as the list parser does) or as `{address, key}`.
fn email_value(value: Value) -> napi::Result<Value> {
    match value {
        Value::String(text) => {
            let email = parse_one(&text, &CoreParseOptions::default()).map_err(to_napi_err)?;
            Ok(json!({"address": email.address, "key": email.key}))
        }
        other => Ok(other),
    }
}

/// A client record from an object. Missing `programs`, `groups` (empty), `owner` (the
/// organization), `version` (0) and optional fields take their defaults; `email` may be text.
pub(crate) fn client_from_js(value: &Unknown<'_>) -> napi::Result<Client> {
    let mut map = js_to_object(value, "client")?;
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
    from_value(Value::Object(map), "client")
}

/// Invitation records from an array of objects (`null` or `undefined`: none).
pub(crate) fn invitations_from_js(value: Option<&Unknown<'_>>) -> napi::Result<Vec<Invitation>> {
    match value {
        Some(value) => match js_to_value(value, "invitations")? {
            Value::Null => Ok(Vec::new()),
            list => from_value(list, "invitations"),
        },
        None => Ok(Vec::new()),
    }
}

/// An organization from an object. Missing settings take the defaults of
/// `Organization::new`: a 14-day window (`expiry`), `UTC`, `same_address`, an accept link under
/// `https://example.invalid/`, and `createdAt` the Unix epoch (no rule reads it).
pub(crate) fn organization_from_js(value: &Unknown<'_>) -> napi::Result<Organization> {
    let mut map = js_to_object(value, "organization")?;
    let defaults = Organization::new("".into(), "", DateTime::UNIX_EPOCH);
    if let Ok(Value::Object(defaults)) = serde_json::to_value(defaults) {
        for (key, default) in defaults {
            if key != "id" && key != "name" {
                map.entry(key).or_insert(default);
            }
        }
    }
    from_value(Value::Object(map), "organization")
}

/// One of the core's snake_case enums (an `Operation`, a `Permission`, ...) from its name.
fn enum_from<T: DeserializeOwned>(name: &str, what: &str) -> napi::Result<T> {
    serde_json::from_value(Value::String(name.to_owned()))
        .map_err(|e| invalid_arg(format!("{what}: {e}")))
}

/// A role from its name (any ASCII case); another text is an `invalid_role` error.
fn role(name: &str) -> napi::Result<Role> {
    name.parse().map_err(to_napi_err)
}

/// A status from its name (or label); another text is an `invalid_status` error.
fn status_kind(name: Option<&str>) -> napi::Result<Option<StatusKind>> {
    name.map(|name| name.parse::<StatusKind>().map_err(to_napi_err))
        .transpose()
}

fn time_zone(name: Option<&str>) -> napi::Result<TimeZone> {
    name.map_or(Ok(TimeZone::default()), |name| {
        TimeZone::parse(name).map_err(to_napi_err)
    })
}

/// The actor of a command: a member's client id, or the organization itself.
fn actor(by: Option<String>) -> Actor {
    by.map_or(Actor::System, |id| Actor::Member(ClientId::new(id)))
}

// ---------------------------------------------------------------------------------------------
// New records.

/// The settings of `newOrganization`.
#[napi(object)]
pub struct NewOrganizationOptions {
    /// When the organization was created.
    pub created_at: DateTime<Utc>,
    /// How many days an invitation stays valid, 1 to 90. Default 14.
    pub expiry_days: Option<i64>,
    /// The IANA time zone deadlines are stated in. Default `"UTC"`.
    pub time_zone: Option<String>,
    /// Whose identity may accept an invitation. Default `"same_address"`.
    #[napi(ts_type = "EmailBinding")]
    pub email_binding: Option<String>,
    /// The accept link's template, with `{token}`: `https://app.example.com/invitations/{token}`.
    pub accept_url: Option<String>,
}

/// A new organization, its settings checked: `invalid_expiry_window`, `invalid_time_zone`,
/// `invalid_message_text` (the name) or `invalid_url` otherwise.
#[napi(catch_unwind, ts_return_type = "Organization")]
pub fn new_organization<'e>(
    env: &'e Env,
    id: String,
    name: String,
    options: NewOrganizationOptions,
) -> napi::Result<Unknown<'e>> {
    let mut org = Organization::new(id.as_str().into(), name, options.created_at);
    if let Some(days) = options.expiry_days {
        org.expiry = ExpiryWindow::new(days).map_err(to_napi_err)?;
    }
    org.time_zone = time_zone(options.time_zone.as_deref())?;
    if let Some(binding) = options.email_binding {
        org.email_binding = enum_from::<EmailBinding>(&binding, "emailBinding")?;
    }
    if let Some(url) = options.accept_url {
        org.accept_url = url;
    }
    to_js(env, &org.checked().map_err(to_napi_err)?)
}

/// The details of `newClient`.
#[napi(object)]
pub struct NewClientOptions {
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// The address, parsed and keyed as the list parser does (its own code when invalid).
    pub email: Option<String>,
    /// The role (any ASCII case). Default `"client"`.
    #[napi(ts_type = "Role")]
    pub role: Option<String>,
    /// The display name (`invalid_message_text` with a control character).
    pub name: Option<String>,
}

/// A new client record: owned by the organization, version 0.
#[napi(catch_unwind, ts_return_type = "Client")]
pub fn new_client<'e>(
    env: &'e Env,
    id: String,
    org: String,
    options: NewClientOptions,
) -> napi::Result<Unknown<'e>> {
    let email = options
        .email
        .map(|email| parse_one(&email, &CoreParseOptions::default()))
        .transpose()
        .map_err(to_napi_err)?;
    let role = options
        .role
        .as_deref()
        .map_or(Ok(Role::Client), self::role)?;
    let mut client = Client::new(
        ClientId::new(id),
        org.as_str().into(),
        email,
        role,
        options.created_at,
    );
    client.name = options
        .name
        .map(|name| invitekit::policy::check_name(&name, "name"))
        .transpose()
        .map_err(to_napi_err)?;
    to_js(env, &client)
}

// ---------------------------------------------------------------------------------------------
// Statuses and the transition table.

/// A time zone, for the dates a status's `detail` states.
#[napi(object)]
pub struct TimeZoneOptions {
    /// An IANA time zone name. Default `"UTC"`.
    pub time_zone: Option<String>,
}

/// A status as a JS object: `status`, `label`, `detail`, and the status's instants.
fn status_object<'e>(
    env: &'e Env,
    status: Status,
    now: DateTime<Utc>,
    zone: TimeZone,
) -> napi::Result<Unknown<'e>> {
    let mut object = Object::new(env)?;
    object.set_named_property("status", status.kind().as_str())?;
    object.set_named_property("label", status.label())?;
    object.set_named_property("detail", status.detail(now, zone))?;
    let instants: [(&str, Option<DateTime<Utc>>); 2] = match status {
        Status::Provisioned => [("", None), ("", None)],
        Status::InvitePending {
            sent_at,
            expires_at,
        } => [("sentAt", Some(sent_at)), ("expiresAt", Some(expires_at))],
        Status::InviteExpired {
            sent_at,
            expired_at,
        } => [("sentAt", Some(sent_at)), ("expiredAt", Some(expired_at))],
        Status::Activated {
            accepted_at,
            last_seen_at,
        } => [
            ("acceptedAt", Some(accepted_at)),
            ("lastSeenAt", last_seen_at),
        ],
        Status::Archived { archived_at } => [("archivedAt", Some(archived_at)), ("", None)],
    };
    for (name, at) in instants {
        if let Some(at) = at {
            object.set_named_property(name, at)?;
        }
    }
    Ok(object.to_unknown())
}

/// The status of `client` at `now`, from its invitations (others' are ignored); `detail`
/// states dates in `timeZone`.
#[napi(
    catch_unwind,
    ts_args_type = "client: ClientInput, invitations: InvitationInput[] | null | undefined, now: Date, options?: TimeZoneOptions | null",
    ts_return_type = "ClientStatus"
)]
pub fn client_status<'e>(
    env: &'e Env,
    client: Unknown<'_>,
    invitations: Option<Unknown<'_>>,
    now: DateTime<Utc>,
    options: Option<TimeZoneOptions>,
) -> napi::Result<Unknown<'e>> {
    let client = client_from_js(&client)?;
    let invitations = invitations_from_js(invitations.as_ref())?;
    let zone = time_zone(options.and_then(|o| o.time_zone).as_deref())?;
    status_object(
        env,
        lifecycle::status(&client, &invitations, now),
        now,
        zone,
    )
}

/// One cell of the transition table as a JS object.
fn outcome_object<'e>(env: &'e Env, outcome: CoreOutcome) -> napi::Result<Unknown<'e>> {
    let mut object = Object::new(env)?;
    let (kind, status, error) = match outcome {
        CoreOutcome::To(status) => ("to", Some(status.as_str()), None),
        CoreOutcome::Unchanged => ("unchanged", None, None),
        CoreOutcome::Derived => ("derived", None, None),
        CoreOutcome::Refused(code) => ("refused", None, Some(code.as_str())),
    };
    object.set_named_property("kind", kind)?;
    object.set_named_property("status", status)?;
    object.set_named_property("error", error)?;
    object.set_named_property("allowed", error.is_none())?;
    Ok(object.to_unknown())
}

fn command(name: &str) -> napi::Result<CommandKind> {
    enum_from(name, "command")
}

/// The transition table's cell for `command` on a client in `status` (`null`: no record yet).
/// An unknown status is an `invalid_status` error.
#[napi(
    catch_unwind,
    ts_args_type = "status: Status | null, command: Command",
    ts_return_type = "Outcome"
)]
pub fn transition<'e>(
    env: &'e Env,
    status: Option<String>,
    command: String,
) -> napi::Result<Unknown<'e>> {
    let status = status_kind(status.as_deref())?;
    outcome_object(env, lifecycle::transition(status, self::command(&command)?))
}

/// Like `transition`, but a refusal throws its error (`already_invited`, ...).
#[napi(
    catch_unwind,
    ts_args_type = "status: Status | null, command: Command",
    ts_return_type = "Outcome"
)]
pub fn permit<'e>(
    env: &'e Env,
    status: Option<String>,
    command: String,
) -> napi::Result<Unknown<'e>> {
    let status = status_kind(status.as_deref())?;
    let outcome = lifecycle::permit(status, self::command(&command)?).map_err(to_napi_err)?;
    outcome_object(env, outcome)
}

// ---------------------------------------------------------------------------------------------
// The lifecycle commands on a client record.

/// What `send`, `resend` and `invite` take.
#[napi(object)]
pub struct SendOptions {
    /// The new invitation's id (`mintId("inv_")`, or the host's own).
    pub invitation_id: String,
    /// The hash of its token (`mintToken().tokenHash`); the token itself goes into the email.
    pub token_hash: String,
    /// When it is sent: its deadline is `now` plus the organization's window.
    pub now: DateTime<Utc>,
    /// The id of the member sending it; none for the organization itself.
    pub by: Option<String>,
}

/// What `preview` takes.
#[napi(object)]
pub struct PreviewOptions {
    /// The invitation's id.
    pub invitation_id: String,
    /// The token from the link.
    pub token: String,
    /// The instant of the preview.
    pub now: DateTime<Utc>,
    /// The inviter's name, as the host looked it up.
    pub inviter: Option<String>,
}

/// What `accept` takes.
#[napi(object)]
pub struct AcceptOptions {
    /// The invitation's id.
    pub invitation_id: String,
    /// The token from the link.
    pub token: String,
    /// The email of the account the host authenticated.
    pub identity: String,
    /// The instant of the acceptance.
    pub now: DateTime<Utc>,
    /// The host's own id for that account, recorded with the email.
    pub subject: Option<String>,
}

/// Who does a command.
#[napi(object)]
pub struct ByOptions {
    /// The id of the member doing it; none for the organization itself.
    pub by: Option<String>,
}

fn new_invitation(options: &SendOptions) -> napi::Result<NewInvitation> {
    Ok(NewInvitation {
        id: InvitationId::new(options.invitation_id.as_str()),
        token_hash: TokenHash::from_hex(&options.token_hash).map_err(to_napi_err)?,
    })
}

fn events<'e>(
    env: &'e Env,
    done: Result<Vec<invitekit::model::Event>, invitekit::Error>,
) -> napi::Result<Unknown<'e>> {
    to_js(env, &done.map_err(to_napi_err)?)
}

/// A client and all its invitations: the unit every lifecycle command reads and changes.
/// Commands return the events they produced; a refusal throws and changes nothing.
#[napi]
pub struct ClientRecord {
    inner: lifecycle::ClientRecord,
}

#[napi]
impl ClientRecord {
    /// The record of `client` and its `invitations` (objects as `newClient` and the commands
    /// give them, or as the host stored them).
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "client: ClientInput, invitations?: InvitationInput[] | null"
    )]
    pub fn new(client: Unknown<'_>, invitations: Option<Unknown<'_>>) -> napi::Result<Self> {
        Ok(ClientRecord {
            inner: lifecycle::ClientRecord {
                client: client_from_js(&client)?,
                invitations: invitations_from_js(invitations.as_ref())?,
            },
        })
    }

    /// A record for a new client (the table's `create`) and its `client_created` event.
    #[napi(
        catch_unwind,
        ts_args_type = "client: ClientInput, options?: ByOptions | null",
        ts_return_type = "{ record: ClientRecord; event: InvitekitEvent }"
    )]
    pub fn create<'e>(
        env: &'e Env,
        client: Unknown<'_>,
        options: Option<ByOptions>,
    ) -> napi::Result<Object<'e>> {
        let by = actor(options.and_then(|o| o.by));
        let (inner, event) = lifecycle::ClientRecord::create(client_from_js(&client)?, by);
        let mut object = Object::new(env)?;
        object.set_named_property("record", ClientRecord { inner }.into_instance(env)?)?;
        object.set_named_property("event", to_js(env, &event)?)?;
        Ok(object)
    }

    /// The record from `{client, invitations}` (what `toJSON` gives, or its JSON text parsed).
    #[napi(
        factory,
        js_name = "fromJSON",
        catch_unwind,
        ts_args_type = "record: { client: ClientInput; invitations?: InvitationInput[] | null }"
    )]
    pub fn from_json(record: Unknown<'_>) -> napi::Result<Self> {
        let mut map = js_to_object(&record, "record")?;
        let client = map.remove("client").unwrap_or(Value::Null);
        let mut client_map = match client {
            Value::Object(client) => client,
            _ => return Err(invalid_arg("record: expected a client object")),
        };
        for (key, default) in [
            ("programs", json!([])),
            ("groups", json!([])),
            ("owner", json!({"kind": "organization"})),
            ("version", json!(0)),
        ] {
            client_map.entry(key).or_insert(default);
        }
        if let Some(email) = client_map.remove("email") {
            client_map.insert("email".to_owned(), email_value(email)?);
        }
        let invitations = match map.remove("invitations") {
            None | Some(Value::Null) => Vec::new(),
            Some(list) => from_value(list, "invitations")?,
        };
        Ok(ClientRecord {
            inner: lifecycle::ClientRecord {
                client: from_value(Value::Object(client_map), "client")?,
                invitations,
            },
        })
    }

    /// `{client, invitations}` as plain objects (what `JSON.stringify` writes).
    #[napi(
        js_name = "toJSON",
        catch_unwind,
        ts_return_type = "{ client: Client; invitations: Invitation[] }"
    )]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        to_js(env, &self.inner)
    }

    /// The client, as a plain object.
    #[napi(getter, catch_unwind, ts_return_type = "Client")]
    pub fn client<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        to_js(env, &self.inner.client)
    }

    /// Its invitations, in the order they were sent.
    #[napi(getter, catch_unwind, ts_return_type = "Invitation[]")]
    pub fn invitations<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        to_js(env, &self.inner.invitations)
    }

    /// The client's version (stores compare and set on it; each command bumps it once).
    #[napi(getter, catch_unwind)]
    pub fn version(&self) -> f64 {
        // Versions count changes: far below 2^53.
        self.inner.client.version as f64
    }

    /// The client's status at `now`.
    #[napi(catch_unwind, ts_return_type = "ClientStatus")]
    pub fn status<'e>(
        &self,
        env: &'e Env,
        now: DateTime<Utc>,
        options: Option<TimeZoneOptions>,
    ) -> napi::Result<Unknown<'e>> {
        let zone = time_zone(options.and_then(|o| o.time_zone).as_deref())?;
        status_object(env, self.inner.status(now), now, zone)
    }

    /// The table's cell for `command` at `now`; a refusal throws.
    #[napi(
        catch_unwind,
        ts_args_type = "command: Command, now: Date",
        ts_return_type = "Outcome"
    )]
    pub fn permit<'e>(
        &self,
        env: &'e Env,
        command: String,
        now: DateTime<Utc>,
    ) -> napi::Result<Unknown<'e>> {
        let outcome = self
            .inner
            .permit(self::command(&command)?, now)
            .map_err(to_napi_err)?;
        outcome_object(env, outcome)
    }

    /// Sends a first invitation, valid for the organization's window from `now`.
    #[napi(
        catch_unwind,
        ts_args_type = "organization: OrganizationInput, options: SendOptions",
        ts_return_type = "InvitekitEvent[]"
    )]
    pub fn send<'e>(
        &mut self,
        env: &'e Env,
        organization: Unknown<'_>,
        options: SendOptions,
    ) -> napi::Result<Unknown<'e>> {
        let org = organization_from_js(&organization)?;
        let new = new_invitation(&options)?;
        events(
            env,
            self.inner.send(&org, new, actor(options.by), options.now),
        )
    }

    /// Sends a further invitation with a fresh window; earlier links keep working.
    #[napi(
        catch_unwind,
        ts_args_type = "organization: OrganizationInput, options: SendOptions",
        ts_return_type = "InvitekitEvent[]"
    )]
    pub fn resend<'e>(
        &mut self,
        env: &'e Env,
        organization: Unknown<'_>,
        options: SendOptions,
    ) -> napi::Result<Unknown<'e>> {
        let org = organization_from_js(&organization)?;
        let new = new_invitation(&options)?;
        events(
            env,
            self.inner.resend(&org, new, actor(options.by), options.now),
        )
    }

    /// Sends or resends, whichever applies.
    #[napi(
        catch_unwind,
        ts_args_type = "organization: OrganizationInput, options: SendOptions",
        ts_return_type = "InvitekitEvent[]"
    )]
    pub fn invite<'e>(
        &mut self,
        env: &'e Env,
        organization: Unknown<'_>,
        options: SendOptions,
    ) -> napi::Result<Unknown<'e>> {
        let org = organization_from_js(&organization)?;
        let new = new_invitation(&options)?;
        events(
            env,
            self.inner.invite(&org, new, actor(options.by), options.now),
        )
    }

    /// What the holder of the link may see, read-only (show it on GET, accept on POST).
    #[napi(
        catch_unwind,
        ts_args_type = "organization: OrganizationInput, options: PreviewOptions",
        ts_return_type = "Preview"
    )]
    pub fn preview<'e>(
        &self,
        env: &'e Env,
        organization: Unknown<'_>,
        options: PreviewOptions,
    ) -> napi::Result<Unknown<'e>> {
        let org = organization_from_js(&organization)?;
        let token = Token::parse(&options.token).map_err(to_napi_err)?;
        let id = InvitationId::new(options.invitation_id);
        let preview = self
            .inner
            .preview(&org, &id, &token, options.inviter, options.now)
            .map_err(to_napi_err)?;
        to_js(env, &preview)
    }

    /// Accepts the invitation with the token from its link, for the identity whose email the
    /// host authenticated: `{result: "activated", events}` or `{result: "already_accepted"}`.
    #[napi(
        catch_unwind,
        ts_args_type = "organization: OrganizationInput, options: AcceptOptions",
        ts_return_type = "Acceptance"
    )]
    pub fn accept<'e>(
        &mut self,
        env: &'e Env,
        organization: Unknown<'_>,
        options: AcceptOptions,
    ) -> napi::Result<Unknown<'e>> {
        let org = organization_from_js(&organization)?;
        let token = Token::parse(&options.token).map_err(to_napi_err)?;
        let mut identity = Identity::from_email(&options.identity, &CoreParseOptions::default())
            .map_err(to_napi_err)?;
        identity.subject = options.subject;
        let id = InvitationId::new(options.invitation_id);
        let acceptance = self
            .inner
            .accept(&org, &id, &token, &identity, options.now)
            .map_err(to_napi_err)?;
        to_js(env, &acceptance)
    }

    /// Revokes every open invitation; the client is Provisioned again.
    #[napi(catch_unwind, ts_return_type = "InvitekitEvent[]")]
    pub fn revoke<'e>(
        &mut self,
        env: &'e Env,
        now: DateTime<Utc>,
        options: Option<ByOptions>,
    ) -> napi::Result<Unknown<'e>> {
        events(
            env,
            self.inner.revoke(actor(options.and_then(|o| o.by)), now),
        )
    }

    /// Archives the client.
    #[napi(catch_unwind, ts_return_type = "InvitekitEvent[]")]
    pub fn archive<'e>(
        &mut self,
        env: &'e Env,
        now: DateTime<Utc>,
        options: Option<ByOptions>,
    ) -> napi::Result<Unknown<'e>> {
        events(
            env,
            self.inner.archive(actor(options.and_then(|o| o.by)), now),
        )
    }

    /// Restores an archived client.
    #[napi(catch_unwind, ts_return_type = "InvitekitEvent[]")]
    pub fn restore<'e>(
        &mut self,
        env: &'e Env,
        now: DateTime<Utc>,
        options: Option<ByOptions>,
    ) -> napi::Result<Unknown<'e>> {
        events(
            env,
            self.inner.restore(actor(options.and_then(|o| o.by)), now),
        )
    }

    /// Records that an active, activated client was seen at `now`; `false` (and nothing
    /// changes) for other clients.
    #[napi(catch_unwind)]
    pub fn record_seen(&mut self, now: DateTime<Utc>) -> bool {
        self.inner.record_seen(now)
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens.

/// A fresh link token and the hash to keep.
#[napi(object)]
pub struct MintedToken {
    /// The secret: it goes into the email's link only.
    pub token: String,
    /// Its SHA-256 hash, 64 hex digits: what the host stores.
    pub token_hash: String,
}

/// A fresh link token (256 bits from the OS) and its hash. `entropy_unavailable` when the
/// operating system gives no random bytes.
#[napi(catch_unwind)]
pub fn mint_token() -> napi::Result<MintedToken> {
    let token = Token::mint().map_err(to_napi_err)?;
    Ok(MintedToken {
        token_hash: token.hash().to_hex(),
        token: token.expose_secret().to_owned(),
    })
}

/// The hash of a token taken from a link (surrounding white space ignored); `invalid_token`
/// for a malformed one.
#[napi(catch_unwind)]
pub fn hash_token(token: String) -> napi::Result<String> {
    Ok(Token::parse(&token).map_err(to_napi_err)?.hash().to_hex())
}

/// Whether `token` hashes to `tokenHash`, compared in constant time. A malformed token is
/// simply `false`; a malformed hash throws `invalid_token` (it came from the host's store).
#[napi(catch_unwind)]
pub fn verify_token(token: String, token_hash: String) -> napi::Result<bool> {
    let hash = TokenHash::from_hex(&token_hash).map_err(to_napi_err)?;
    Ok(Token::parse(&token).is_ok_and(|token| hash.matches(&token)))
}

/// A fresh random record id: `prefix` and 22 URL-safe characters.
#[napi(catch_unwind)]
pub fn mint_id(prefix: Option<String>) -> napi::Result<String> {
    token::mint_id(prefix.as_deref().unwrap_or("")).map_err(to_napi_err)
}

/// Characters in a link token: 43.
#[napi]
pub const TOKEN_LEN: u32 = 43;

const _: () = assert!(token::TOKEN_LEN == TOKEN_LEN as usize);

// ---------------------------------------------------------------------------------------------
// Access.

type AccessArgs = (Member, Operation, Client, Vec<Invitation>);

fn access_args(
    member: &Unknown<'_>,
    operation: &str,
    client: &Unknown<'_>,
    invitations: Option<&Unknown<'_>>,
) -> napi::Result<AccessArgs> {
    Ok((
        from_js(member, "member")?,
        enum_from(operation, "operation")?,
        client_from_js(client)?,
        invitations_from_js(invitations)?,
    ))
}

/// Whether `member` (`{id, role}`) may do `operation` to `client`; throws `forbidden` naming
/// the missing permission (`.permission`) when not.
#[napi(
    catch_unwind,
    ts_args_type = "member: Member, operation: Operation, client: ClientInput, invitations?: InvitationInput[] | null"
)]
pub fn authorize(
    member: Unknown<'_>,
    operation: String,
    client: Unknown<'_>,
    invitations: Option<Unknown<'_>>,
) -> napi::Result<()> {
    let (member, operation, client, invitations) =
        access_args(&member, &operation, &client, invitations.as_ref())?;
    access::authorize(&member, operation, &client, &invitations).map_err(to_napi_err)
}

/// The permission `operation` on `client` needs that `member` lacks, or `null` when allowed.
#[napi(
    catch_unwind,
    ts_args_type = "member: Member, operation: Operation, client: ClientInput, invitations?: InvitationInput[] | null",
    ts_return_type = "Permission | null"
)]
pub fn required_permission(
    member: Unknown<'_>,
    operation: String,
    client: Unknown<'_>,
    invitations: Option<Unknown<'_>>,
) -> napi::Result<Option<&'static str>> {
    let (member, operation, client, invitations) =
        access_args(&member, &operation, &client, invitations.as_ref())?;
    Ok(access::required(&member, operation, &client, &invitations).map(Permission::as_str))
}

/// Whether `member` may do an organization-wide `operation`; throws `forbidden` when not.
#[napi(catch_unwind, ts_args_type = "member: Member, operation: OrgOperation")]
pub fn authorize_org(member: Unknown<'_>, operation: String) -> napi::Result<()> {
    let member: Member = from_js(&member, "member")?;
    let operation: OrgOperation = enum_from(&operation, "operation")?;
    access::authorize_org(&member, operation).map_err(to_napi_err)
}

/// Whether `role` holds `permission`.
#[napi(catch_unwind, ts_args_type = "role: Role, permission: Permission")]
pub fn grants(role: String, permission: String) -> napi::Result<bool> {
    let role = self::role(&role)?;
    let permission: Permission = enum_from(&permission, "permission")?;
    Ok(access::grants(role, permission))
}

// ---------------------------------------------------------------------------------------------
// The invitation email.

/// What `renderInvitation` takes.
#[napi(object)]
pub struct RenderOptions {
    /// The invitee: an address (parsed as the list parser does) or `{address, key}`.
    pub to: Either<String, Email>,
    /// The invitation's token, written into the accept link.
    pub token: String,
    /// The invitation's deadline, stated in the organization's time zone.
    pub expires_at: DateTime<Utc>,
    /// The inviter's name.
    pub inviter: Option<String>,
    /// The invitee's name.
    pub name: Option<String>,
    /// A custom subject (one line).
    pub subject: Option<String>,
    /// A custom button text (one line).
    pub button: Option<String>,
    /// A link to a form the invitee should fill in first.
    pub form_url: Option<String>,
}

/// Renders the invitation email: `{to, toName, subject, text, html}`. Throws
/// `invalid_message_text` or `invalid_url` (`.details.field` names which) for a bad custom
/// text or link, `invalid_token` for a malformed token.
#[napi(
    catch_unwind,
    ts_args_type = "organization: OrganizationInput, options: RenderOptions",
    ts_return_type = "InvitationMessage"
)]
pub fn render_invitation<'e>(
    env: &'e Env,
    organization: Unknown<'_>,
    options: RenderOptions,
) -> napi::Result<Unknown<'e>> {
    let org = organization_from_js(&organization)?;
    let to = match options.to {
        Either::A(text) => parse_one(&text, &CoreParseOptions::default()).map_err(to_napi_err)?,
        Either::B(email) => CoreEmail {
            address: email.address,
            key: email.key,
        },
    };
    let token = Token::parse(&options.token).map_err(to_napi_err)?;
    let invite = Invite {
        org: &org,
        inviter: options.inviter.as_deref(),
        to: &to,
        name: options.name.as_deref(),
        token: &token,
        expires_at: options.expires_at,
    };
    let message_options = CoreMessageOptions {
        subject: options.subject,
        button: options.button,
        form_url: options.form_url,
    };
    let rendered = message::render(&invite, &message_options).map_err(to_napi_err)?;
    to_js(env, &rendered)
}

/// A custom subject, button text and form link.
#[napi(object)]
pub struct MessageOptions {
    /// The subject.
    pub subject: Option<String>,
    /// The button's text.
    pub button: Option<String>,
    /// The form link.
    pub form_url: Option<String>,
}

/// Checks a custom subject, button text and form link as `renderInvitation` would; throws
/// `invalid_message_text` or `invalid_url`.
#[napi(catch_unwind)]
pub fn validate_message_options(options: MessageOptions) -> napi::Result<()> {
    CoreMessageOptions {
        subject: options.subject,
        button: options.button,
        form_url: options.form_url,
    }
    .validate()
    .map_err(to_napi_err)
}

/// Checks an accept-link template (`https://app.example.com/invitations/{token}`); throws
/// `invalid_url`.
#[napi(catch_unwind)]
pub fn validate_accept_url(template: String) -> napi::Result<()> {
    message::validate_accept_url(&template).map_err(to_napi_err)
}

/// The accept link: the template with `{token}` replaced by the token.
#[napi(catch_unwind)]
pub fn accept_link(template: String, token: String) -> napi::Result<String> {
    let token = Token::parse(&token).map_err(to_napi_err)?;
    message::accept_link(&template, &token).map_err(to_napi_err)
}

/// The default subject: `"Jane Doe invited you to Acme"`, or `"You're invited to Acme"`.
#[napi(catch_unwind)]
pub fn default_subject(org_name: String, inviter: Option<String>) -> String {
    message::default_subject(&org_name, inviter.as_deref())
}

/// An address masked for a preview: `"j•••@example.com"`.
#[napi(catch_unwind)]
pub fn mask_email(address: String) -> String {
    lifecycle::mask_email(&address)
}

/// An expiry window.
#[napi(object)]
pub struct DeadlineOptions {
    /// Days, 1 to 90. Default 14.
    pub expiry_days: Option<i64>,
}

/// The deadline of an invitation sent at `sentAt` with a window of `expiryDays`.
#[napi(catch_unwind)]
pub fn deadline(
    sent_at: DateTime<Utc>,
    options: Option<DeadlineOptions>,
) -> napi::Result<DateTime<Utc>> {
    let days = options.and_then(|o| o.expiry_days).unwrap_or(14);
    let window = ExpiryWindow::new(days).map_err(to_napi_err)?;
    Ok(window.deadline(sent_at))
}

/// A deadline as an email states it in `timeZone`: `"6 December 2026 at 00:30 CET"`.
#[napi(catch_unwind)]
pub fn format_deadline(
    instant: DateTime<Utc>,
    options: Option<TimeZoneOptions>,
) -> napi::Result<String> {
    Ok(time_zone(options.and_then(|o| o.time_zone).as_deref())?.format_deadline(instant))
}

/// The values of the core's enums by the name of the TypeScript union that mirrors each, and
/// the status labels; the tests check `index.d.ts` against them. Not API.
#[napi(js_name = "_enumValues", skip_typescript, catch_unwind)]
pub fn enum_values(env: &Env) -> napi::Result<Object<'_>> {
    fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .filter_map(|item| match serde_json::to_value(item) {
                Ok(Value::String(name)) => Some(name),
                _ => None,
            })
            .collect()
    }
    let mut object = Object::new(env)?;
    object.set_named_property("Status", names(&StatusKind::ALL))?;
    object.set_named_property("Role", names(&Role::ALL))?;
    object.set_named_property("Command", names(&CommandKind::ALL))?;
    object.set_named_property("Operation", names(&Operation::ALL))?;
    object.set_named_property("OrgOperation", names(&OrgOperation::ALL))?;
    object.set_named_property("Permission", names(&Permission::ALL))?;
    object.set_named_property(
        "EmailBinding",
        names(&[
            EmailBinding::SameAddress,
            EmailBinding::SameDomain,
            EmailBinding::AnyIdentity,
        ]),
    )?;
    object.set_named_property(
        "LinkState",
        names(&[
            LinkState::Live,
            LinkState::Expired,
            LinkState::Revoked,
            LinkState::Accepted,
            LinkState::ClientArchived,
        ]),
    )?;
    let mut labels = Object::new(env)?;
    for status in StatusKind::ALL {
        labels.set_named_property(status.as_str(), status.label())?;
    }
    object.set_named_property("statusLabels", labels)?;
    Ok(object)
}
