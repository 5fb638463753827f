//! `Invitations`: every use case of the service for Node, on SQLite
//! (`await Invitations.open(path)`), in memory (`new Invitations()`), or on a store written in
//! JS (`new Invitations({ store })`, see [`crate::documents`]).
//!
//! # Never blocking the event loop
//!
//! Each method that touches the store converts its arguments on the main thread, then runs the
//! core on a worker thread of the tokio runtime napi-rs embeds (`spawn_blocking`, through
//! `Env::spawn_future_with_callback`) and returns a Promise at once. When the worker is done,
//! the result is converted to JS on the main thread and the Promise settles. The main thread
//! never waits for SQLite, for a mailer or for a JS store: when the core calls back into JS
//! (a JS mailer, a JS store), the *worker* waits (see [`crate::host`]).
//!
//! # Values
//!
//! Names are camelCase; the acting member is named by address in the options
//! (`{ by: "admin@acme.example" }`); clients by id or by address (a text with an `@`). Instants
//! given to a method and inside the records and reports it returns are `Date`s (see
//! [`crate::convert`]). Bulk commands resolve to one object per client with
//! `status` or `error` (the refusal as an error object with `.code`, not thrown). Whole-call
//! failures reject with an error built by [`crate::errors::to_napi_err`] (`index.js` makes it an
//! `InvitekitError` with `.code`), or with the very value a JS store threw.

use std::sync::Arc;

use invitekit::access::Member;
use invitekit::clock::{Clock, SystemClock};
use invitekit::lifecycle::StatusKind;
use invitekit::mailer::{DeliveryState, Mailer, MemoryMailer};
use invitekit::message::MessageOptions;
use invitekit::model::{
    Assignment, ClientId, GroupId, Identity, OrgId, ProgramId, Role, SignupLinkId,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::service::{
    ClientFilter, Invitations as Service, NewClients, NewOrganization, NewSignupLink,
    ServiceOptions,
};
use invitekit::store::{MemoryStore, Store};
use invitekit::{Error, ErrorCode, ErrorKind};
use invitekit_sqlite::SqliteStore;
use napi::bindgen_prelude::{
    Buffer, ClassInstance, JavaScriptClassExt, JsObjectValue, Object, PromiseRaw, ToNapiValue,
    Unknown, spawn_blocking,
};
use napi::{Either, Env, JsDate, JsValue, Status};
use napi_derive::napi;

use crate::convert::to_js;
use crate::errors::{catch_panic, invalid_arg, to_napi_err, to_napi_err_in};
use crate::host::{self, FixedClock, JsMailer, Kept, MailMessage};
use crate::records;

/// The Promise every store-touching method returns: settled on the main thread. (The `#[napi]`
/// methods spell the type out: napi-derive tells a fallible method by its `Result` return type,
/// and would hand an error back as a value through an alias.)
type Pending<'env> = napi::Result<PromiseRaw<'env, Unknown<'env>>>;

/// Runs `work` on a worker thread and settles the returned Promise on the main thread: with
/// `answer(env, value, kept)` when it succeeds, else rejected with the JS store's own exception
/// (when the core failed because of one) or the core's error (`text`: the pasted text whose
/// entries a refused batch points into).
fn spawn<'env, T, W, A>(env: &'env Env, text: Option<String>, work: W, answer: A) -> Pending<'env>
where
    T: Send + 'static,
    W: FnOnce() -> Result<T, Error> + Send + 'static,
    A: FnOnce(&'env Env, T, &mut Kept) -> napi::Result<Unknown<'env>> + 'static,
{
    env.spawn_future_with_callback(
        async move {
            spawn_blocking(move || {
                Kept::clear();
                let result = work();
                (result, Kept::take())
            })
            .await
            .map_err(|e| napi::Error::new(Status::GenericFailure, format!("invitekit: {e}")))
        },
        move |env, (result, mut kept)| {
            catch_panic(move || match result {
                Ok(value) => answer(env, value, &mut kept),
                Err(error) => Err(rejection(error, &mut kept, text.as_deref())),
            })
        },
    )
}

/// What the call's Promise rejects with for `error`.
fn rejection(error: Error, kept: &mut Kept, text: Option<&str>) -> napi::Error {
    if matches!(error.kind(), ErrorKind::StorageFailed { .. })
        && let Some(thrown) = kept.store.take()
    {
        return thrown;
    }
    match text {
        Some(text) => to_napi_err_in(error, text),
        None => to_napi_err(error),
    }
}

/// `()` as `undefined`.
fn nothing<'e>(env: &'e Env, _: (), _: &mut Kept) -> napi::Result<Unknown<'e>> {
    ().into_unknown(env)
}

/// A record as JS (camelCase keys).
fn record<'e, T: serde::Serialize>(
    env: &'e Env,
    value: T,
    _: &mut Kept,
) -> napi::Result<Unknown<'e>> {
    to_js(env, &value)
}

/// Options of `new Invitations(options)`.
#[napi(object, object_to_js = false)]
pub struct InvitationsOptions<'env> {
    /// A store written in JS (see `DocumentBackend` and `MemoryBackend`); in memory when
    /// absent.
    #[napi(ts_type = "DocumentBackend")]
    pub store: Option<Object<'env>>,
    /// An object whose `send(message)` delivers one message (and may return a Promise); by
    /// default messages are kept in memory, read with `sentMessages()`.
    #[napi(ts_type = "Mailer")]
    pub mailer: Option<Object<'env>>,
    /// A `FixedClock`; the system clock by default.
    pub clock: Option<ClassInstance<'env, FixedClock>>,
    /// Deliver an invitation's email within the call that sends it (default `true`); with
    /// `false` mail is only queued, for a worker calling `deliverPending()`.
    pub deliver_inline: Option<bool>,
}

/// Options of `Invitations.open(path, options)`.
#[napi(object, object_to_js = false)]
pub struct OpenOptions<'env> {
    /// As in `InvitationsOptions`.
    #[napi(ts_type = "Mailer")]
    pub mailer: Option<Object<'env>>,
    /// As in `InvitationsOptions`.
    pub clock: Option<ClassInstance<'env, FixedClock>>,
    /// As in `InvitationsOptions`.
    pub deliver_inline: Option<bool>,
    /// With a `postgres://` URL: the PostgreSQL schema to keep the tables in (created if
    /// missing); by default the connection's first `search_path` schema.
    pub schema: Option<String>,
}

/// The acting member, by address.
#[napi(object, object_to_js = false)]
pub struct ActingMember {
    /// The acting member's address (an admin or staff of the organization, or the client).
    pub by: String,
}

/// Options of `createOrganization`.
#[napi(object, object_to_js = false)]
pub struct CreateOrganizationOptions {
    /// Its name, shown in invitations.
    pub name: String,
    /// The first admin's address; they are created activated.
    pub admin_email: String,
    /// The first admin's name.
    pub admin_name: Option<String>,
    /// The invitation window, 1 to 90 days (14 by default).
    pub expiry_days: Option<i32>,
    /// The IANA time zone deadlines are stated in ("UTC" by default).
    pub time_zone: Option<String>,
    /// The accept link's template, with `{token}`.
    pub accept_url: Option<String>,
}

/// Options of `updateOrganization`: the fields left out keep their value.
#[napi(object, object_to_js = false)]
pub struct UpdateOrganizationOptions {
    /// The acting member (an admin).
    pub by: String,
    /// A new name.
    pub name: Option<String>,
    /// A new invitation window, 1 to 90 days (links already sent keep their deadline).
    pub expiry_days: Option<i32>,
    /// A new IANA time zone.
    pub time_zone: Option<String>,
    /// Whose identity may accept.
    #[napi(ts_type = "EmailBinding")]
    pub email_binding: Option<String>,
    /// A new accept-link template, with `{token}`.
    pub accept_url: Option<String>,
}

/// Options of `createClients` and `importClients`.
#[napi(object, object_to_js = false)]
pub struct CreateClientsOptions {
    /// The acting member.
    pub by: String,
    /// Their role (a CSV row's role column overrides it); `client` by default.
    #[napi(ts_type = "Role")]
    pub role: Option<String>,
    /// A group to put them in (id or name).
    pub group: Option<String>,
    /// A program to put them in (id or name).
    pub program: Option<String>,
    /// A member of staff to assign them to (id or address).
    pub staff: Option<String>,
    /// Invite them now (guests are invited whatever this says).
    pub send: Option<bool>,
    /// The email's subject (a default names the organization and the inviter).
    pub subject: Option<String>,
    /// The button's text.
    pub button: Option<String>,
    /// Only report what would happen; write nothing.
    pub dry_run: Option<bool>,
}

/// Options of `send` and `resend`.
#[napi(object, object_to_js = false)]
pub struct SendInvitationsOptions {
    /// The acting member.
    pub by: String,
    /// The email's subject.
    pub subject: Option<String>,
    /// The button's text.
    pub button: Option<String>,
}

/// Options of `addGuest`.
#[napi(object, object_to_js = false)]
pub struct GuestOptions {
    /// The acting member (allowed to add guests).
    pub by: String,
    /// The guest's name.
    pub name: Option<String>,
    /// The email's subject.
    pub subject: Option<String>,
    /// The button's text.
    pub button: Option<String>,
}

/// Options of `assign`: `by` and exactly one of `group`, `program`, `staff`.
#[napi(object, object_to_js = false)]
pub struct AssignOptions {
    /// The acting member.
    pub by: String,
    /// A group (id or name).
    pub group: Option<String>,
    /// A program (id or name).
    pub program: Option<String>,
    /// A member of staff (id or address); `""` removes the assignment to staff.
    pub staff: Option<String>,
}

/// Options of `neverInvited`.
#[napi(object, object_to_js = false)]
pub struct NeverInvitedOptions {
    /// The acting member.
    pub by: String,
    /// Skip this many clients.
    pub offset: Option<u32>,
    /// At most this many; all by default.
    pub limit: Option<u32>,
}

/// Options of `inviteNeverInvited`.
#[napi(object, object_to_js = false)]
pub struct InviteNeverInvitedOptions {
    /// The acting member.
    pub by: String,
    /// Clients left out (ids or addresses).
    pub except: Option<Vec<String>>,
    /// The email's subject.
    pub subject: Option<String>,
    /// The button's text.
    pub button: Option<String>,
}

/// Options of `listClients`: filters, the page, and the instant that counts as "new".
#[napi(object, object_to_js = false)]
pub struct ListClientsOptions<'env> {
    /// The acting member.
    pub by: String,
    /// Only this role.
    #[napi(ts_type = "Role")]
    pub role: Option<String>,
    /// Only this status now.
    #[napi(ts_type = "Status")]
    pub status: Option<String>,
    /// Only this group's members (id or name).
    pub group: Option<String>,
    /// Only this program's clients (id or name).
    pub program: Option<String>,
    /// Only the clients assigned to this member of staff (id or address).
    pub staff: Option<String>,
    /// Only names or addresses containing this text (case-insensitive).
    pub search: Option<String>,
    /// Count as `new` the clients created at or after this instant.
    pub new_since: Option<JsDate<'env>>,
    /// Skip this many matches.
    pub offset: Option<u32>,
    /// At most this many; all by default.
    pub limit: Option<u32>,
}

/// Options of `createSignupLink`.
#[napi(object, object_to_js = false)]
pub struct SignupLinkOptions {
    /// The acting member (an admin).
    pub by: String,
    /// The role people joining through it get; `client` by default.
    #[napi(ts_type = "Role")]
    pub role: Option<String>,
    /// How many may join; no limit by default.
    pub max_uses: Option<u32>,
    /// The email domains allowed (`example.com`); any by default.
    pub allowed_domains: Option<Vec<String>>,
}

/// Options of `outbox`.
#[napi(object, object_to_js = false)]
pub struct OutboxOptions {
    /// The acting member.
    pub by: String,
    /// Only messages in this state.
    #[napi(ts_type = "'pending' | 'sent' | 'failed'")]
    pub state: Option<String>,
    /// At most this many; all by default.
    pub limit: Option<u32>,
}

/// Options of `events`.
#[napi(object, object_to_js = false)]
pub struct EventsOptions {
    /// The acting member.
    pub by: String,
    /// Skip this many events.
    pub skip: Option<u32>,
    /// At most this many (100 by default).
    pub limit: Option<u32>,
}

/// The mailer, the default mailer's message list (when no mailer was given), and the clock.
type Parts = (Arc<dyn Mailer>, Option<Arc<MemoryMailer>>, Arc<dyn Clock>);

fn parts(
    mailer: Option<&Object<'_>>,
    clock: Option<&ClassInstance<'_, FixedClock>>,
) -> napi::Result<Parts> {
    let (mailer, kept): (Arc<dyn Mailer>, _) = match mailer {
        Some(object) => (Arc::new(JsMailer::new(object)?), None),
        None => {
            let kept = Arc::new(MemoryMailer::new());
            (kept.clone(), Some(kept))
        }
    };
    let clock: Arc<dyn Clock> = match clock {
        Some(clock) => clock.inner.clone(),
        None => Arc::new(SystemClock),
    };
    Ok((mailer, kept, clock))
}

fn service_options(deliver_inline: Option<bool>) -> ServiceOptions {
    ServiceOptions {
        deliver_inline: deliver_inline.unwrap_or(true),
        ..ServiceOptions::default()
    }
}

fn message_options(subject: Option<String>, button: Option<String>) -> MessageOptions {
    MessageOptions {
        subject,
        button,
        form_url: None,
    }
}

fn role(name: Option<&str>) -> Result<Option<Role>, Error> {
    name.map(str::parse::<Role>).transpose()
}

/// Clients named by id or address (see [`Service::client_ids_for`]).
fn resolve(service: &Service, org: &OrgId, clients: &[String]) -> Result<Vec<ClientId>, Error> {
    service.client_ids_for(org, clients)
}

/// One client named by id or address.
fn resolve_one(service: &Service, org: &OrgId, client: &str) -> Result<ClientId, Error> {
    resolve(service, org, &[client.to_owned()])?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::new(ErrorKind::NotFound {
                code: ErrorCode::ClientNotFound,
            })
        })
}

/// A group named by id or name.
fn group_id(service: &Service, org: &OrgId, group: &str) -> Result<GroupId, Error> {
    Ok(service.group_for(org, group)?.id)
}

/// A program named by id or name.
fn program_id(service: &Service, org: &OrgId, program: &str) -> Result<ProgramId, Error> {
    Ok(service.program_for(org, program)?.id)
}

impl CreateClientsOptions {
    /// What the batch's clients get, with their targets looked up (on the worker).
    fn resolve(self, service: &Service, org: &OrgId) -> Result<NewClients, Error> {
        Ok(NewClients {
            role: role(self.role.as_deref())?.unwrap_or(Role::Client),
            group: self.group.map(|g| group_id(service, org, &g)).transpose()?,
            program: self
                .program
                .map(|p| program_id(service, org, &p))
                .transpose()?,
            staff: self
                .staff
                .map(|s| resolve_one(service, org, &s))
                .transpose()?,
            send: self.send.unwrap_or(false),
            message: message_options(self.subject, self.button),
        })
    }
}

/// The bulk commands without a message.
#[derive(Clone, Copy)]
enum Bulk {
    Revoke,
    Archive,
    Restore,
}

/// The invitation service of one database: organizations, clients, invitations, links, groups,
/// programs, sign-up links and the outbox. Every method that touches the store returns a Promise
/// and runs on a worker thread; the event loop never waits for the database, the mailer or a JS
/// store.
#[napi]
pub struct Invitations {
    service: Service,
    /// The default mailer's messages (`None` when a mailer was given).
    kept: Option<Arc<MemoryMailer>>,
}

impl Invitations {
    /// Runs `work` with the service on a worker thread; see [`spawn`].
    fn run<'env, T, W, A>(&self, env: &'env Env, work: W, answer: A) -> Pending<'env>
    where
        T: Send + 'static,
        W: FnOnce(&Service) -> Result<T, Error> + Send + 'static,
        A: FnOnce(&'env Env, T, &mut Kept) -> napi::Result<Unknown<'env>> + 'static,
    {
        let service = self.service.clone();
        spawn(env, None, move || work(&service), answer)
    }

    /// Runs `work` with the service and the acting member `by` of `org`.
    fn acting<'env, T, W, A>(
        &self,
        env: &'env Env,
        org: String,
        by: String,
        work: W,
        answer: A,
    ) -> Pending<'env>
    where
        T: Send + 'static,
        W: FnOnce(&Service, &OrgId, &Member) -> Result<T, Error> + Send + 'static,
        A: FnOnce(&'env Env, T, &mut Kept) -> napi::Result<Unknown<'env>> + 'static,
    {
        self.run(
            env,
            move |service| {
                let org = OrgId::new(org);
                let member = service.member(&org, &by)?;
                work(service, &org, &member)
            },
            answer,
        )
    }

    fn bulk<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        by: String,
        which: Bulk,
    ) -> Pending<'env> {
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let ids = resolve(service, org, &clients)?;
                match which {
                    Bulk::Revoke => service.revoke(org, by, &ids),
                    Bulk::Archive => service.archive(org, by, &ids),
                    Bulk::Restore => service.restore(org, by, &ids),
                }
            },
            records::outcomes,
        )
    }

    fn batch<'env>(
        &self,
        env: &'env Env,
        org: String,
        input: Either<String, Vec<u8>>,
        options: CreateClientsOptions,
    ) -> Pending<'env> {
        let service = self.service.clone();
        let text = match &input {
            Either::A(text) => Some(text.clone()),
            Either::B(_) => None,
        };
        spawn(
            env,
            text,
            move || {
                let org = OrgId::new(org);
                let by = service.member(&org, &options.by)?;
                let dry_run = options.dry_run.unwrap_or(false);
                let new = options.resolve(&service, &org)?;
                match input {
                    Either::A(text) => {
                        let mut report = if dry_run {
                            service.preview_clients(&org, &by, &text, &new)?
                        } else {
                            service.create_clients(&org, &by, &text, &new)?
                        };
                        // Entries point into `text` by JS string index (UTF-16 code units).
                        let mut offsets = invitekit::address::offsets::Utf16Offsets::new(&text);
                        for entry in &mut report.entries {
                            entry.start = offsets.at(entry.start);
                            entry.end = offsets.at(entry.end);
                        }
                        Ok(report)
                    }
                    Either::B(bytes) => {
                        // A CSV import has no cap on the number of rows.
                        let mut options = service.options().clone();
                        options.addresses.max_addresses = usize::MAX;
                        let service = service.clone().with_options(options);
                        service.import_clients(&org, &by, bytes.as_slice(), &new, dry_run)
                    }
                }
            },
            |env, report, kept| records::with_delivery(env, &report, &report.delivery, kept),
        )
    }

    fn with_store(
        store: Arc<dyn Store>,
        mailer: Option<&Object<'_>>,
        clock: Option<&ClassInstance<'_, FixedClock>>,
        deliver_inline: Option<bool>,
    ) -> napi::Result<Invitations> {
        let (mailer, kept, clock) = parts(mailer, clock)?;
        Ok(Invitations {
            service: Service::new(store, mailer, clock)
                .with_options(service_options(deliver_inline)),
            kept,
        })
    }
}

#[napi]
impl Invitations {
    /// A service on a store written in JS (`store`), or in memory when there is none.
    /// `mailer` is an object with `send(message)` (by default messages are kept in memory, read
    /// with `sentMessages()`); `clock` a `FixedClock` (by default the system clock).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: Option<InvitationsOptions<'_>>) -> napi::Result<Invitations> {
        let options = options.unwrap_or(InvitationsOptions {
            store: None,
            mailer: None,
            clock: None,
            deliver_inline: None,
        });
        let store: Arc<dyn Store> = match &options.store {
            Some(object) => crate::documents::store_from_js(object)?,
            None => Arc::new(MemoryStore::new()),
        };
        Invitations::with_store(
            store,
            options.mailer.as_ref(),
            options.clock.as_ref(),
            options.deliver_inline,
        )
    }

    /// The service on the SQLite database at `path` (created with its schema on first use), or
    /// on the PostgreSQL database of a `postgres://user@host/db` URL (migrated on first use),
    /// opened on a worker thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Invitations>")]
    pub fn open<'env>(
        env: &'env Env,
        path: String,
        options: Option<OpenOptions<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let (mailer, kept, clock) = match &options {
            Some(options) => parts(options.mailer.as_ref(), options.clock.as_ref())?,
            None => parts(None, None)?,
        };
        let deliver_inline = options.as_ref().and_then(|o| o.deliver_inline);
        let schema = options.as_ref().and_then(|o| o.schema.clone());
        spawn(
            env,
            None,
            move || -> Result<Arc<dyn Store>, Error> {
                if invitekit_postgres::is_postgres_url(&path) {
                    let options = invitekit_postgres::PgOptions {
                        schema,
                        ..invitekit_postgres::PgOptions::default()
                    };
                    Ok(Arc::new(invitekit_postgres::PgStore::connect_with(
                        &path, &options,
                    )?))
                } else {
                    Ok(Arc::new(SqliteStore::open(std::path::Path::new(&path))?))
                }
            },
            move |env, store, _| {
                let invitations = Invitations {
                    service: Service::new(store, mailer, clock)
                        .with_options(service_options(deliver_inline)),
                    kept,
                };
                Ok(invitations.into_instance(env)?.to_unknown())
            },
        )
    }

    /// The instant the service's clock shows.
    #[napi(catch_unwind)]
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.service.now()
    }

    /// The messages the default in-memory mailer received, oldest first. Empty when a mailer
    /// was given.
    #[napi(catch_unwind)]
    pub fn sent_messages(&self) -> Vec<MailMessage> {
        match &self.kept {
            Some(kept) => records::mail_messages(&kept.messages()),
            None => Vec::new(),
        }
    }

    /// Creates organization `id` with its first admin (activated). Resolves to the
    /// organization.
    #[napi(catch_unwind, ts_return_type = "Promise<Organization>")]
    pub fn create_organization<'env>(
        &self,
        env: &'env Env,
        id: String,
        options: CreateOrganizationOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| {
                let mut new = NewOrganization::new(&id, &options.name, &options.admin_email);
                new.admin_name = options.admin_name;
                if let Some(days) = options.expiry_days {
                    new.expiry = ExpiryWindow::new(i64::from(days))?;
                }
                if let Some(zone) = &options.time_zone {
                    new.time_zone = TimeZone::parse(zone)?;
                }
                new.accept_url = options.accept_url;
                Ok(service.create_organization(&new)?.0)
            },
            record,
        )
    }

    /// The organization `org`.
    #[napi(catch_unwind, ts_return_type = "Promise<Organization>")]
    pub fn organization<'env>(
        &self,
        env: &'env Env,
        org: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| service.organization(&OrgId::new(org)),
            record,
        )
    }

    /// Changes the organization's settings; the options left out keep their value. Resolves to
    /// the organization.
    #[napi(catch_unwind, ts_return_type = "Promise<Organization>")]
    pub fn update_organization<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: UpdateOrganizationOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let binding = options
            .email_binding
            .as_deref()
            .map(email_binding)
            .transpose()?;
        let by = options.by.clone();
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let mut record = service.organization(org)?;
                if let Some(name) = options.name {
                    record.name = name;
                }
                if let Some(days) = options.expiry_days {
                    record.expiry = ExpiryWindow::new(i64::from(days))?;
                }
                if let Some(zone) = &options.time_zone {
                    record.time_zone = TimeZone::parse(zone)?;
                }
                if let Some(binding) = binding {
                    record.email_binding = binding;
                }
                if let Some(url) = options.accept_url {
                    record.accept_url = url;
                }
                service.update_organization(by, &record)
            },
            record,
        )
    }

    /// The client `client` (by id or address) with its invitations. The acting member must be
    /// allowed to see it.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientWithInvitations>")]
    pub fn client<'env>(
        &self,
        env: &'env Env,
        org: String,
        client: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                let id = resolve_one(service, org, &client)?;
                service.client(org, by, &id)
            },
            record,
        )
    }

    /// The client of `org` with address `email` (any role), with its invitations.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientWithInvitations>")]
    pub fn client_by_email<'env>(
        &self,
        env: &'env Env,
        org: String,
        email: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| service.client_by_email(&OrgId::new(org), &email),
            record,
        )
    }

    /// Creates clients from a pasted list, all or nothing; `send: true` invites them. Resolves
    /// to the batch report. Rejects with `invalid_batch` when any address is invalid (nothing
    /// is created then); its `entries` point into `text` by string index (`text.slice(start,
    /// end)`).
    #[napi(catch_unwind, ts_return_type = "Promise<BatchReport>")]
    pub fn create_clients<'env>(
        &self,
        env: &'env Env,
        org: String,
        text: String,
        options: CreateClientsOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.batch(env, org, Either::A(text), options)
    }

    /// Creates clients from a CSV (a `Buffer` or a string; columns email, name, role, group,
    /// program, header detected), all or nothing, with no cap on the number of rows. Resolves
    /// to the batch report (its entries' `line` is the row's line).
    #[napi(catch_unwind, ts_return_type = "Promise<BatchReport>")]
    pub fn import_clients<'env>(
        &self,
        env: &'env Env,
        org: String,
        data: Either<Buffer, String>,
        options: CreateClientsOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let bytes = match data {
            Either::A(buffer) => buffer.to_vec(),
            Either::B(text) => text.into_bytes(),
        };
        self.batch(env, org, Either::B(bytes), options)
    }

    /// Adds a guest (by a member allowed to add guests) and invites them at once. Resolves to
    /// the guest's outcome.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome>")]
    pub fn add_guest<'env>(
        &self,
        env: &'env Env,
        org: String,
        email: String,
        options: GuestOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let by = options.by.clone();
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let message = message_options(options.subject, options.button);
                service.add_guest(org, by, &email, options.name.as_deref(), &message)
            },
            |env, outcome, kept| Ok(records::outcome(env, outcome, kept)?.to_unknown()),
        )
    }

    /// First invitations for `clients` (ids or addresses). One outcome per client.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        options: SendInvitationsOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                let ids = resolve(service, org, &clients)?;
                service.send(
                    org,
                    by,
                    &ids,
                    &message_options(options.subject, options.button),
                )
            },
            records::outcomes,
        )
    }

    /// Further invitations, each with a fresh window; earlier links stay valid until their own
    /// deadlines. One outcome per client.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn resend<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        options: SendInvitationsOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                let ids = resolve(service, org, &clients)?;
                service.resend(
                    org,
                    by,
                    &ids,
                    &message_options(options.subject, options.button),
                )
            },
            records::outcomes,
        )
    }

    /// Revokes the clients' open invitations. One outcome per client.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn revoke<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.bulk(env, org, clients, options.by, Bulk::Revoke)
    }

    /// Archives the clients. One outcome per client.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn archive<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.bulk(env, org, clients, options.by, Bulk::Archive)
    }

    /// Restores archived clients. One outcome per client.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn restore<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.bulk(env, org, clients, options.by, Bulk::Restore)
    }

    /// Puts the clients in a group or a program (by id or name), or under a member of staff (by
    /// id or address; `staff: ""` removes their assignment). Exactly one of the three; throws a
    /// `TypeError` otherwise. One outcome per client.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn assign<'env>(
        &self,
        env: &'env Env,
        org: String,
        clients: Vec<String>,
        options: AssignOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let chosen = [
            options.group.is_some(),
            options.program.is_some(),
            options.staff.is_some(),
        ];
        if chosen.iter().filter(|c| **c).count() != 1 {
            return Err(invalid_arg(
                "assign: give exactly one of group, program, staff",
            ));
        }
        let by = options.by.clone();
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let ids = resolve(service, org, &clients)?;
                let assignment = match (options.group, options.program, options.staff) {
                    (Some(g), _, _) => Assignment::Group(group_id(service, org, &g)?),
                    (_, Some(p), _) => Assignment::Program(program_id(service, org, &p)?),
                    (_, _, Some(s)) if s.is_empty() => Assignment::Staff(None),
                    (_, _, Some(s)) => Assignment::Staff(Some(resolve_one(service, org, &s)?)),
                    _ => Assignment::Staff(None),
                };
                service.assign(org, by, &ids, &assignment)
            },
            records::outcomes,
        )
    }

    /// Clients never invited (with an address, neither activated nor archived), oldest first:
    /// `total` and a page of `clients`.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientList>")]
    pub fn never_invited<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: NeverInvitedOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let (offset, limit) = (options.offset, options.limit);
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                service.never_invited(
                    org,
                    by,
                    u64::from(offset.unwrap_or(0)),
                    limit.map(|l| l as usize),
                )
            },
            records::client_list,
        )
    }

    /// Invites every never-invited client except those in `except` (ids or addresses). One
    /// outcome per client invited.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientOutcome[]>")]
    pub fn invite_never_invited<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: InviteNeverInvitedOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let by = options.by.clone();
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let except = resolve(service, org, &options.except.unwrap_or_default())?;
                let message = message_options(options.subject, options.button);
                service.invite_never_invited(org, by, &except, &message)
            },
            records::outcomes,
        )
    }

    /// The client list with statuses now, filtered and paged, with the counts `total`, `new`
    /// (created since `newSince`) and `activated`.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientList>")]
    pub fn list_clients<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: ListClientsOptions<'_>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let new_since = options
            .new_since
            .as_ref()
            .map(|date| host::instant(date, "newSince"))
            .transpose()?;
        let ListClientsOptions {
            by,
            role: role_name,
            status,
            group,
            program,
            staff,
            search,
            offset,
            limit,
            ..
        } = options;
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let filter = ClientFilter {
                    role: role(role_name.as_deref())?,
                    status: status
                        .as_deref()
                        .map(str::parse::<StatusKind>)
                        .transpose()?,
                    group: group.map(|g| group_id(service, org, &g)).transpose()?,
                    program: program.map(|p| program_id(service, org, &p)).transpose()?,
                    staff: staff.map(|s| resolve_one(service, org, &s)).transpose()?,
                    search,
                    new_since,
                    offset: u64::from(offset.unwrap_or(0)),
                    limit: limit.map(|l| l as usize),
                };
                service.list_clients(org, by, &filter)
            },
            records::client_list,
        )
    }

    /// The client table as CSV text (cells a spreadsheet would run as formulas neutralized).
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn export_clients<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            |service, org, by| {
                let (bytes, _rows) = service.export_clients(org, by, Vec::new())?;
                String::from_utf8(bytes).map_err(|e| {
                    Error::new(ErrorKind::WriteFailed {
                        message: e.to_string(),
                    })
                })
            },
            |env, text, _| Ok(env.create_string(&text)?.to_unknown()),
        )
    }

    /// What the holder of an invitation link sees (organization, inviter, masked address,
    /// state, deadline). Changes nothing: safe on GET.
    #[napi(catch_unwind, ts_return_type = "Promise<Preview>")]
    pub fn preview<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(env, move |service| service.preview(&token), record)
    }

    /// Accepts an invitation link as the signed-in account `email`. Resolves to `client`,
    /// `status`, `activatedNow` (false when the same account had already accepted) and the
    /// client's `record`.
    #[napi(catch_unwind, ts_return_type = "Promise<Accepted>")]
    pub fn accept<'env>(
        &self,
        env: &'env Env,
        token: String,
        email: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| {
                let identity = Identity::from_email(&email, &Default::default())?;
                let accepted = service.accept(&token, &identity)?;
                let status = accepted.record.status(service.now()).kind();
                Ok((accepted, status))
            },
            |env, (accepted, status), _| {
                let mut object = Object::new(env)?;
                object.set_named_property("client", accepted.record.client.id.as_str())?;
                object.set_named_property("status", status.as_str())?;
                object.set_named_property("activatedNow", accepted.activated_now)?;
                object.set_named_property("record", to_js(env, &accepted.record)?)?;
                Ok(object.to_unknown())
            },
        )
    }

    /// Creates a group. Resolves to the group.
    #[napi(catch_unwind, ts_return_type = "Promise<Group>")]
    pub fn create_group<'env>(
        &self,
        env: &'env Env,
        org: String,
        name: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| service.create_group(org, by, &name, &[]),
            record,
        )
    }

    /// Renames a group (by id or name). Resolves to the group.
    #[napi(catch_unwind, ts_return_type = "Promise<Group>")]
    pub fn rename_group<'env>(
        &self,
        env: &'env Env,
        org: String,
        group: String,
        name: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                let id = group_id(service, org, &group)?;
                service.rename_group(org, by, &id, &name)
            },
            record,
        )
    }

    /// Deletes a group (by id or name); its members leave it.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete_group<'env>(
        &self,
        env: &'env Env,
        org: String,
        group: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                let id = group_id(service, org, &group)?;
                service.delete_group(org, by, &id)
            },
            nothing,
        )
    }

    /// The organization's groups.
    #[napi(catch_unwind, ts_return_type = "Promise<Group[]>")]
    pub fn groups<'env>(
        &self,
        env: &'env Env,
        org: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(env, move |service| service.groups(&OrgId::new(org)), record)
    }

    /// Creates a program. Resolves to the program.
    #[napi(catch_unwind, ts_return_type = "Promise<Program>")]
    pub fn create_program<'env>(
        &self,
        env: &'env Env,
        org: String,
        name: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| service.create_program(org, by, &name),
            record,
        )
    }

    /// The organization's programs.
    #[napi(catch_unwind, ts_return_type = "Promise<Program[]>")]
    pub fn programs<'env>(
        &self,
        env: &'env Env,
        org: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| service.programs(&OrgId::new(org)),
            record,
        )
    }

    /// Creates a sign-up link. Resolves to `{ link, token }`: the token is shown once, only its
    /// hash is kept.
    #[napi(catch_unwind, ts_return_type = "Promise<CreatedSignupLink>")]
    pub fn create_signup_link<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: SignupLinkOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let by = options.by.clone();
        self.acting(
            env,
            org,
            by,
            move |service, org, by| {
                let new = NewSignupLink {
                    role: role(options.role.as_deref())?.unwrap_or(Role::Client),
                    max_uses: options.max_uses,
                    allowed_domains: options.allowed_domains.unwrap_or_default(),
                };
                let (link, token) = service.create_signup_link(org, by, &new)?;
                Ok((link, token.expose_secret().to_owned()))
            },
            |env, (link, token), _| {
                let mut object = Object::new(env)?;
                object.set_named_property("link", to_js(env, &link)?)?;
                object.set_named_property("token", token)?;
                Ok(object.to_unknown())
            },
        )
    }

    /// The organization's sign-up links (without tokens).
    #[napi(catch_unwind, ts_return_type = "Promise<SignupLink[]>")]
    pub fn signup_links<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            |service, org, by| service.signup_links(org, by),
            record,
        )
    }

    /// Gives a sign-up link a new token (the old one stops working). Resolves to the token.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn rotate_signup_link<'env>(
        &self,
        env: &'env Env,
        org: String,
        link: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                let token = service.rotate_signup_link(org, by, &SignupLinkId::new(link))?;
                Ok(token.expose_secret().to_owned())
            },
            |env, token, _| Ok(env.create_string(&token)?.to_unknown()),
        )
    }

    /// Disables a sign-up link. Resolves to the link.
    #[napi(catch_unwind, ts_return_type = "Promise<SignupLink>")]
    pub fn disable_signup_link<'env>(
        &self,
        env: &'env Env,
        org: String,
        link: String,
        options: ActingMember,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| service.disable_signup_link(org, by, &SignupLinkId::new(link)),
            record,
        )
    }

    /// Joins through a sign-up link as the signed-in account `email`. Resolves to the new
    /// client's record.
    #[napi(catch_unwind, ts_return_type = "Promise<ClientWithInvitations>")]
    pub fn join<'env>(
        &self,
        env: &'env Env,
        token: String,
        email: String,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| {
                let identity = Identity::from_email(&email, &Default::default())?;
                service.join(&token, &identity)
            },
            record,
        )
    }

    /// Delivers up to `limit` waiting messages (pending, failed, or with an expired lease).
    /// Resolves to `sent` (message ids) and `failed` (`{ message, reason, error }`, `error`
    /// being what a JS mailer threw).
    #[napi(catch_unwind, ts_return_type = "Promise<DeliveryReport>")]
    pub fn deliver_pending<'env>(
        &self,
        env: &'env Env,
        limit: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        self.run(
            env,
            move |service| service.deliver_pending(limit.map_or(usize::MAX, |l| l as usize)),
            |env, report, kept| Ok(records::delivery(env, &report, kept)?.to_unknown()),
        )
    }

    /// The organization's outbox messages (in `state`, or all), oldest first. A sent message's
    /// `text` and `html` are empty: they held the link.
    #[napi(catch_unwind, ts_return_type = "Promise<OutboxEntry[]>")]
    pub fn outbox<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: OutboxOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let state = options
            .state
            .as_deref()
            .map(|s| {
                DeliveryState::from_name(s).ok_or_else(|| {
                    invalid_arg(format!("state: {s:?} is not pending, sent or failed"))
                })
            })
            .transpose()?;
        let limit = options.limit;
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                service.outbox(org, by, state, limit.map_or(usize::MAX, |l| l as usize))
            },
            |env, messages, _| records::outbox(env, &messages),
        )
    }

    /// The organization's activity log, oldest first (`limit` 100 by default).
    #[napi(catch_unwind, ts_return_type = "Promise<InvitekitEvent[]>")]
    pub fn events<'env>(
        &self,
        env: &'env Env,
        org: String,
        options: EventsOptions,
    ) -> napi::Result<PromiseRaw<'env, Unknown<'env>>> {
        let (skip, limit) = (options.skip, options.limit);
        self.acting(
            env,
            org,
            options.by,
            move |service, org, by| {
                service.events(
                    org,
                    by,
                    u64::from(skip.unwrap_or(0)),
                    limit.map_or(100, |l| l as usize),
                )
            },
            record,
        )
    }
}

/// An email binding by name.
fn email_binding(name: &str) -> napi::Result<EmailBinding> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        invalid_arg(format!(
            "emailBinding: {name:?} is not same_address, same_domain or any_identity"
        ))
    })
}
