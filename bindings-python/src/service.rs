//! `invitekit.Invitations`: every use case of the service, on SQLite (`Invitations.open(path)`),
//! in memory (`Invitations()`), or on a store written in Python (`Invitations(store=...)`).
//!
//! Each method converts its arguments, calls `invitekit::service::Invitations` with the GIL
//! released (SQLite work runs while other Python threads run), and converts the answer into
//! dicts of plain values and `invitekit` enums. The acting member is named by address
//! (`by="admin@acme.example"`); clients by id or by address.

use std::sync::Arc;

use invitekit::access::Member;
use invitekit::clock::{Clock, SystemClock};
use invitekit::mailer::{DeliveryState, Mailer, MemoryMailer, OutboxMessage};
use invitekit::message::MessageOptions;
use invitekit::model::{
    Assignment, ClientId, GroupId, Identity, OrgId, ProgramId, Role, SignupLinkId,
};
use invitekit::policy::{ExpiryWindow, TimeZone};
use invitekit::service::{
    ClientFilter, ClientOutcome, DeliveryReport, Invitations as Service, NewClients,
    NewOrganization, NewSignupLink, ServiceOptions,
};
use invitekit::store::{MemoryStore, Store};
use invitekit::{Error, ErrorKind};
use invitekit_sqlite::SqliteStore;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use crate::convert::{self, PyEnum, to_py};
use crate::host::{self, FixedClock, PyMailer};

/// The invitation service of one database: organizations, clients, invitations, links, groups,
/// sign-up links and the outbox.
#[pyclass(frozen, module = "invitekit")]
pub(crate) struct Invitations {
    service: Service,
    /// The default mailer's messages (`None` when a mailer was given).
    kept: Option<Arc<MemoryMailer>>,
}

/// Runs `work` on `service` without the GIL, with the host's kept exceptions cleared first.
fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    host::clear();
    py.detach(work).map_err(host::raise)
}

/// The mailer, the default mailer's message list (when no mailer was given), and the clock.
type Parts = (Arc<dyn Mailer>, Option<Arc<MemoryMailer>>, Arc<dyn Clock>);

fn parts(mailer: Option<&Bound<'_, PyAny>>, clock: Option<&Bound<'_, PyAny>>) -> PyResult<Parts> {
    let (mailer, kept): (Arc<dyn Mailer>, _) = match mailer {
        Some(object) if !object.is_none() => (Arc::new(PyMailer::new(object)?), None),
        _ => {
            let kept = Arc::new(MemoryMailer::new());
            (kept.clone(), Some(kept))
        }
    };
    let clock: Arc<dyn Clock> = match clock {
        Some(object) if !object.is_none() => {
            let fixed = object.cast::<FixedClock>().map_err(|_| {
                PyTypeError::new_err("clock: expected an invitekit.FixedClock (or None)")
            })?;
            fixed.get().inner.clone()
        }
        _ => Arc::new(SystemClock),
    };
    Ok((mailer, kept, clock))
}

fn options(deliver_inline: bool) -> ServiceOptions {
    ServiceOptions {
        deliver_inline,
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

/// A role given as an `invitekit.Role` or its code, or None.
fn role_from_py(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Role>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| convert::enum_from_py::<Role>(v, "role"))
        .transpose()
}

/// The outcomes of a bulk command: one dict per client, `status` or `error` (the exception,
/// not raised).
fn outcomes<'py>(py: Python<'py>, outcomes: Vec<ClientOutcome>) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for outcome in outcomes {
        let dict = PyDict::new(py);
        dict.set_item("client", outcome.client.as_str())?;
        match outcome.result {
            Ok(status) => {
                dict.set_item(
                    "status",
                    convert::py_enum(py, PyEnum::Status, status.as_str())?,
                )?;
                dict.set_item("error", py.None())?;
            }
            Err(error) => {
                dict.set_item("status", py.None())?;
                dict.set_item("error", crate::errors::to_py_err(error).into_value(py))?;
            }
        }
        dict.set_item("message", outcome.message.as_ref().map(|m| m.as_str()))?;
        dict.set_item("delivery", outcome.delivery.map(|d| d.as_str()))?;
        if let Some(id) = &outcome.message
            && let Some(error) = host::take_mailer_error(id)
        {
            dict.set_item("mailer_error", error.into_value(py))?;
        }
        list.append(dict)?;
    }
    Ok(list)
}

/// A delivery report: `sent` (message ids) and `failed` (dicts with `message`, `reason` and,
/// when a Python mailer raised, `exception`).
fn delivery<'py>(py: Python<'py>, report: &DeliveryReport) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let sent: Vec<&str> = report.sent.iter().map(|id| id.as_str()).collect();
    dict.set_item("sent", sent)?;
    let failed = PyList::empty(py);
    for (id, reason) in &report.failed {
        let item = PyDict::new(py);
        item.set_item("message", id.as_str())?;
        item.set_item("reason", reason)?;
        item.set_item(
            "exception",
            host::take_mailer_error(id).map(|e| e.into_value(py)),
        )?;
        failed.append(item)?;
    }
    dict.set_item("failed", failed)?;
    Ok(dict)
}

fn outbox_dict<'py>(py: Python<'py>, message: &OutboxMessage) -> PyResult<Bound<'py, PyDict>> {
    let dict = host::message_dict(py, message)?;
    dict.set_item("client", message.client.as_str())?;
    dict.set_item("state", message.state.as_str())?;
    dict.set_item("created_at", message.created_at)?;
    dict.set_item("sent_at", message.sent_at)?;
    dict.set_item("last_error", &message.last_error)?;
    Ok(dict)
}

impl Invitations {
    fn member(&self, org: &OrgId, by: &str) -> Result<Member, Error> {
        self.service.member(org, by)
    }

    /// Clients named by id or address (see [`Service::client_ids_for`]).
    fn resolve(&self, org: &OrgId, clients: &[String]) -> Result<Vec<ClientId>, Error> {
        self.service.client_ids_for(org, clients)
    }

    fn group_id(&self, org: &OrgId, group: &str) -> Result<GroupId, Error> {
        Ok(self.service.group_for(org, group)?.id)
    }

    fn program_id(&self, org: &OrgId, program: &str) -> Result<ProgramId, Error> {
        Ok(self.service.program_for(org, program)?.id)
    }

    #[allow(clippy::too_many_arguments)]
    fn new_clients(
        &self,
        org: &OrgId,
        role: Option<Role>,
        group: Option<&str>,
        program: Option<&str>,
        staff: Option<&str>,
        send: bool,
        subject: Option<String>,
        button: Option<String>,
    ) -> Result<NewClients, Error> {
        Ok(NewClients {
            role: role.unwrap_or(Role::Client),
            group: group.map(|g| self.group_id(org, g)).transpose()?,
            program: program.map(|p| self.program_id(org, p)).transpose()?,
            staff: staff
                .map(|s| self.resolve(org, &[s.to_owned()]))
                .transpose()?
                .and_then(|ids| ids.into_iter().next()),
            send,
            message: message_options(subject, button),
        })
    }
}

#[pymethods]
impl Invitations {
    /// A service on a store written in Python (`store`, see `invitekit.DocumentStore`), or in
    /// memory when `store` is None. `mailer` is an object with `send(message: dict)` (default:
    /// messages kept in memory, read with `sent_messages()`); `clock` an `invitekit.FixedClock`
    /// (default: the system clock). With `deliver_inline=False` mail is only queued, for a worker
    /// calling `deliver_pending()`.
    #[new]
    #[pyo3(signature = (*, store = None, mailer = None, clock = None, deliver_inline = true))]
    fn new(
        store: Option<&Bound<'_, PyAny>>,
        mailer: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
        deliver_inline: bool,
    ) -> PyResult<Invitations> {
        let (mailer, kept, clock) = parts(mailer, clock)?;
        let store: Arc<dyn Store> = match store {
            Some(object) if !object.is_none() => crate::documents::store_from_py(object)?,
            _ => Arc::new(MemoryStore::new()),
        };
        Ok(Invitations {
            service: Service::new(store, mailer, clock).with_options(options(deliver_inline)),
            kept,
        })
    }

    /// The service on the SQLite database at `path` (created with its schema on first use), or
    /// on the PostgreSQL database of a `postgres://user@host/db` URL (migrated on first use;
    /// `schema` keeps the tables in a schema of their own, created if missing).
    #[staticmethod]
    #[pyo3(signature = (path, *, mailer = None, clock = None, deliver_inline = true, schema = None))]
    fn open(
        py: Python<'_>,
        path: std::path::PathBuf,
        mailer: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
        deliver_inline: bool,
        schema: Option<String>,
    ) -> PyResult<Invitations> {
        let (mailer, kept, clock) = parts(mailer, clock)?;
        let store: Arc<dyn Store> = match path.to_str() {
            Some(url) if invitekit_postgres::is_postgres_url(url) => {
                let options = invitekit_postgres::PgOptions {
                    schema,
                    ..invitekit_postgres::PgOptions::default()
                };
                Arc::new(run(py, || {
                    invitekit_postgres::PgStore::connect_with(url, &options)
                })?)
            }
            _ => Arc::new(run(py, || SqliteStore::open(&path))?),
        };
        Ok(Invitations {
            service: Service::new(store, mailer, clock).with_options(options(deliver_inline)),
            kept,
        })
    }

    /// The instant the service's clock shows.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.service.now()
    }

    /// The messages the default in-memory mailer received, oldest first, as dicts (`to`,
    /// `subject`, `text`, `html`, ...). Empty when a mailer was given.
    fn sent_messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        if let Some(kept) = &self.kept {
            for message in &kept.messages() {
                list.append(host::message_dict(py, message)?)?;
            }
        }
        Ok(list)
    }

    /// Creates organization `id` with its first admin (activated). Returns the organization.
    #[pyo3(signature = (id, *, name, admin_email, admin_name = None, expiry_days = 14, time_zone = "UTC", accept_url = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_organization<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        name: &str,
        admin_email: &str,
        admin_name: Option<String>,
        expiry_days: i64,
        time_zone: &str,
        accept_url: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut new = NewOrganization::new(id, name, admin_email);
        new.admin_name = admin_name;
        new.expiry = ExpiryWindow::new(expiry_days).map_err(host::raise)?;
        new.time_zone = TimeZone::parse(time_zone).map_err(host::raise)?;
        new.accept_url = accept_url;
        let (org, _admin) = run(py, || self.service.create_organization(&new))?;
        to_py(py, &org)
    }

    /// The organization `org`.
    fn organization<'py>(&self, py: Python<'py>, org: &str) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let found = run(py, || self.service.organization(&org))?;
        to_py(py, &found)
    }

    /// Changes the organization's settings; the arguments left None keep their value.
    /// Returns the organization.
    #[pyo3(signature = (org, *, by, name = None, expiry_days = None, time_zone = None, email_binding = None, accept_url = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_organization<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        name: Option<String>,
        expiry_days: Option<i64>,
        time_zone: Option<&str>,
        email_binding: Option<&Bound<'_, PyAny>>,
        accept_url: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let binding = email_binding
            .filter(|b| !b.is_none())
            .map(|b| convert::enum_from_py(b, "email_binding"))
            .transpose()?;
        let updated = run(py, || {
            let by = self.member(&org, by)?;
            let mut record = self.service.organization(&org)?;
            if let Some(name) = name {
                record.name = name;
            }
            if let Some(days) = expiry_days {
                record.expiry = ExpiryWindow::new(days)?;
            }
            if let Some(zone) = time_zone {
                record.time_zone = TimeZone::parse(zone)?;
            }
            if let Some(binding) = binding {
                record.email_binding = binding;
            }
            if let Some(url) = accept_url {
                record.accept_url = url;
            }
            self.service.update_organization(&by, &record)
        })?;
        to_py(py, &updated)
    }

    /// The client `client` (by id or address) as a record dict: the client and its
    /// invitations. The acting member must be allowed to see it.
    #[pyo3(signature = (org, client, *, by))]
    fn client<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        client: &str,
        by: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let record = run(py, || {
            let by = self.member(&org, by)?;
            let id = self.resolve(&org, &[client.to_owned()])?;
            let id = id.first().ok_or_else(|| {
                Error::new(ErrorKind::NotFound {
                    code: invitekit::ErrorCode::ClientNotFound,
                })
            })?;
            self.service.client(&org, &by, id)
        })?;
        to_py(py, &record)
    }

    /// The client of `org` with address `email` (any role), as a record dict.
    fn client_by_email<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        email: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let record = run(py, || self.service.client_by_email(&org, email))?;
        to_py(py, &record)
    }

    /// Creates clients from a pasted list, all or nothing; `send=True` invites them. Returns
    /// the batch report (entries with their outcome, counts, delivery). Raises
    /// `InvalidAddressesError` (with `.entries`, string indices into `text`) when any address
    /// is invalid: nothing is created then.
    #[pyo3(signature = (org, text, *, by, role = None, group = None, program = None, staff = None, send = false, subject = None, button = None, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn create_clients<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        text: &str,
        by: &str,
        role: Option<&Bound<'_, PyAny>>,
        group: Option<&str>,
        program: Option<&str>,
        staff: Option<&str>,
        send: bool,
        subject: Option<String>,
        button: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let role = role_from_py(role)?;
        host::clear();
        let report = py.detach(|| {
            let by = self.member(&org, by)?;
            let new = self.new_clients(&org, role, group, program, staff, send, subject, button)?;
            if dry_run {
                self.service.preview_clients(&org, &by, text, &new)
            } else {
                self.service.create_clients(&org, &by, text, &new)
            }
        });
        let report = report.map_err(|e| match e.kind() {
            ErrorKind::InvalidBatch { .. } => crate::errors::to_py_err_in(e, text),
            _ => host::raise(e),
        })?;
        let mut report = report;
        // Entries point into `text` by Python string index, as `parse_addresses` does.
        let mut offsets = crate::parse::CharOffsets::new(text);
        for entry in &mut report.entries {
            entry.start = offsets.index(entry.start);
            entry.end = offsets.index(entry.end);
        }
        let dict = to_py(py, &report)?;
        dict.set_item("delivery", delivery(py, &report.delivery)?)?;
        Ok(dict)
    }

    /// Creates clients from a CSV (`bytes` or `str`; columns email, name, role, group, program,
    /// header detected), all or nothing, with no cap on the number of rows. Returns the batch
    /// report.
    #[pyo3(signature = (org, data, *, by, role = None, group = None, program = None, staff = None, send = false, subject = None, button = None, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn import_clients<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        data: &Bound<'_, PyAny>,
        by: &str,
        role: Option<&Bound<'_, PyAny>>,
        group: Option<&str>,
        program: Option<&str>,
        staff: Option<&str>,
        send: bool,
        subject: Option<String>,
        button: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let role = role_from_py(role)?;
        let bytes: Vec<u8> = if let Ok(b) = data.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if let Ok(s) = data.cast::<PyString>() {
            s.to_cow()?.as_bytes().to_vec()
        } else {
            return Err(PyTypeError::new_err("data: expected bytes or str"));
        };
        let mut options = self.service.options().clone();
        options.addresses.max_addresses = usize::MAX;
        let service = self.service.clone().with_options(options);
        let report = run(py, || {
            let by = self.member(&org, by)?;
            let new = self.new_clients(&org, role, group, program, staff, send, subject, button)?;
            service.import_clients(&org, &by, bytes.as_slice(), &new, dry_run)
        })?;
        let dict = to_py(py, &report)?;
        dict.set_item("delivery", delivery(py, &report.delivery)?)?;
        Ok(dict)
    }

    /// Adds a guest (by a member allowed to add guests) and invites them at once.
    #[pyo3(signature = (org, email, *, by, name = None, subject = None, button = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_guest<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        email: &str,
        by: &str,
        name: Option<&str>,
        subject: Option<String>,
        button: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let org = OrgId::new(org.to_owned());
        let options = message_options(subject, button);
        let outcome = run(py, || {
            let by = self.member(&org, by)?;
            self.service.add_guest(&org, &by, email, name, &options)
        })?;
        let list = outcomes(py, vec![outcome])?;
        Ok(list.get_item(0)?.cast_into::<PyDict>()?)
    }

    /// First invitations for `clients` (ids or addresses). One dict per client.
    #[pyo3(signature = (org, clients, *, by, subject = None, button = None))]
    fn send<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
        subject: Option<String>,
        button: Option<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let options = message_options(subject, button);
        self.bulk(py, org, clients, by, Bulk::Send(options))
    }

    /// Further invitations, each with a fresh window; earlier links stay valid until then.
    #[pyo3(signature = (org, clients, *, by, subject = None, button = None))]
    fn resend<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
        subject: Option<String>,
        button: Option<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let options = message_options(subject, button);
        self.bulk(py, org, clients, by, Bulk::Resend(options))
    }

    /// Revokes the clients' open invitations.
    #[pyo3(signature = (org, clients, *, by))]
    fn revoke<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        self.bulk(py, org, clients, by, Bulk::Revoke)
    }

    /// Archives the clients.
    #[pyo3(signature = (org, clients, *, by))]
    fn archive<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        self.bulk(py, org, clients, by, Bulk::Archive)
    }

    /// Restores archived clients.
    #[pyo3(signature = (org, clients, *, by))]
    fn restore<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        self.bulk(py, org, clients, by, Bulk::Restore)
    }

    /// Puts the clients in a group or a program (by id or name), or under a member of staff
    /// (by id or address); `staff=""` removes their assignment to staff. Exactly one of the
    /// three.
    #[pyo3(signature = (org, clients, *, by, group = None, program = None, staff = None))]
    #[allow(clippy::too_many_arguments)]
    fn assign<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
        group: Option<&str>,
        program: Option<&str>,
        staff: Option<&str>,
    ) -> PyResult<Bound<'py, PyList>> {
        let chosen = [group.is_some(), program.is_some(), staff.is_some()];
        if chosen.iter().filter(|c| **c).count() != 1 {
            return Err(PyTypeError::new_err(
                "assign: give exactly one of group=, program=, staff=",
            ));
        }
        let org = OrgId::new(org.to_owned());
        let done = run(py, || {
            let by = self.member(&org, by)?;
            let ids = self.resolve(&org, &clients)?;
            let assignment = match (group, program, staff) {
                (Some(g), _, _) => Assignment::Group(self.group_id(&org, g)?),
                (_, Some(p), _) => Assignment::Program(self.program_id(&org, p)?),
                (_, _, Some("")) => Assignment::Staff(None),
                (_, _, Some(s)) => {
                    Assignment::Staff(self.resolve(&org, &[s.to_owned()])?.into_iter().next())
                }
                _ => Assignment::Staff(None),
            };
            self.service.assign(&org, &by, &ids, &assignment)
        })?;
        outcomes(py, done)
    }

    /// Clients never invited (with an address, not activated, not archived): `total` and a
    /// page of `clients`.
    #[pyo3(signature = (org, *, by, offset = 0, limit = None))]
    fn never_invited<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        offset: u64,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let list = run(py, || {
            let by = self.member(&org, by)?;
            self.service.never_invited(&org, &by, offset, limit)
        })?;
        to_py(py, &list)
    }

    /// Invites every never-invited client except those in `except_` (ids or addresses).
    #[pyo3(signature = (org, *, by, except_ = Vec::new(), subject = None, button = None))]
    fn invite_never_invited<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        except_: Vec<String>,
        subject: Option<String>,
        button: Option<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let org = OrgId::new(org.to_owned());
        let options = message_options(subject, button);
        let done = run(py, || {
            let by = self.member(&org, by)?;
            let except = self.resolve(&org, &except_)?;
            self.service
                .invite_never_invited(&org, &by, &except, &options)
        })?;
        outcomes(py, done)
    }

    /// The client list with statuses at `now`, filtered and paged, with the counts `total`,
    /// `new` (created since `new_since`) and `activated`.
    #[pyo3(signature = (org, *, by, role = None, status = None, group = None, program = None, staff = None, search = None, new_since = None, offset = 0, limit = None))]
    #[allow(clippy::too_many_arguments)]
    fn list_clients<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        role: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        group: Option<&str>,
        program: Option<&str>,
        staff: Option<&str>,
        search: Option<String>,
        new_since: Option<&Bound<'_, PyAny>>,
        offset: u64,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let role = role_from_py(role)?;
        let status = status
            .filter(|s| !s.is_none())
            .map(|s| convert::enum_from_py(s, "status"))
            .transpose()?;
        let new_since = convert::utc_opt(new_since, "new_since")?;
        let list = run(py, || {
            let by = self.member(&org, by)?;
            let filter = ClientFilter {
                role,
                status,
                group: group.map(|g| self.group_id(&org, g)).transpose()?,
                program: program.map(|p| self.program_id(&org, p)).transpose()?,
                staff: staff
                    .map(|s| self.resolve(&org, &[s.to_owned()]))
                    .transpose()?
                    .and_then(|ids| ids.into_iter().next()),
                search,
                new_since,
                offset,
                limit,
            };
            self.service.list_clients(&org, &by, &filter)
        })?;
        to_py(py, &list)
    }

    /// The client table as CSV text.
    #[pyo3(signature = (org, *, by))]
    fn export_clients(&self, py: Python<'_>, org: &str, by: &str) -> PyResult<String> {
        let org = OrgId::new(org.to_owned());
        let bytes = run(py, || {
            let by = self.member(&org, by)?;
            let (bytes, _rows) = self.service.export_clients(&org, &by, Vec::new())?;
            Ok(bytes)
        })?;
        String::from_utf8(bytes).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    /// What the holder of an invitation link sees (organization, inviter, masked address,
    /// state, deadline). Changes nothing: safe on GET.
    fn preview<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyAny>> {
        let preview = run(py, || self.service.preview(token))?;
        to_py(py, &preview)
    }

    /// Accepts an invitation link as the signed-in account `email`. Returns `client`,
    /// `status` and `activated_now` (False when the same account had already accepted).
    fn accept<'py>(
        &self,
        py: Python<'py>,
        token: &str,
        email: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let accepted = run(py, || {
            let identity = Identity::from_email(email, &Default::default())?;
            self.service.accept(token, &identity)
        })?;
        let dict = PyDict::new(py);
        dict.set_item("client", accepted.record.client.id.as_str())?;
        dict.set_item("activated_now", accepted.activated_now)?;
        let status = accepted.record.status(self.service.now()).kind();
        dict.set_item(
            "status",
            convert::py_enum(py, PyEnum::Status, status.as_str())?,
        )?;
        dict.set_item("record", to_py(py, &accepted.record)?)?;
        Ok(dict)
    }

    /// Creates a group.
    #[pyo3(signature = (org, name, *, by))]
    fn create_group<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        name: &str,
        by: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let group = run(py, || {
            let by = self.member(&org, by)?;
            self.service.create_group(&org, &by, name, &[])
        })?;
        to_py(py, &group)
    }

    /// Renames a group (by id or name).
    #[pyo3(signature = (org, group, name, *, by))]
    fn rename_group<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        group: &str,
        name: &str,
        by: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let renamed = run(py, || {
            let by = self.member(&org, by)?;
            let id = self.group_id(&org, group)?;
            self.service.rename_group(&org, &by, &id, name)
        })?;
        to_py(py, &renamed)
    }

    /// Deletes a group (by id or name); its members leave it.
    #[pyo3(signature = (org, group, *, by))]
    fn delete_group(&self, py: Python<'_>, org: &str, group: &str, by: &str) -> PyResult<()> {
        let org = OrgId::new(org.to_owned());
        run(py, || {
            let by = self.member(&org, by)?;
            let id = self.group_id(&org, group)?;
            self.service.delete_group(&org, &by, &id)
        })
    }

    /// The organization's groups.
    fn groups<'py>(&self, py: Python<'py>, org: &str) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let groups = run(py, || self.service.groups(&org))?;
        to_py(py, &groups)
    }

    /// Creates a program.
    #[pyo3(signature = (org, name, *, by))]
    fn create_program<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        name: &str,
        by: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let program = run(py, || {
            let by = self.member(&org, by)?;
            self.service.create_program(&org, &by, name)
        })?;
        to_py(py, &program)
    }

    /// The organization's programs.
    fn programs<'py>(&self, py: Python<'py>, org: &str) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let programs = run(py, || self.service.programs(&org))?;
        to_py(py, &programs)
    }

    /// Creates a sign-up link. Returns `(link, token)`: the token is shown once and only its
    /// hash is kept.
    #[pyo3(signature = (org, *, by, role = None, max_uses = None, allowed_domains = Vec::new()))]
    fn create_signup_link<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        role: Option<&Bound<'_, PyAny>>,
        max_uses: Option<u32>,
        allowed_domains: Vec<String>,
    ) -> PyResult<(Bound<'py, PyAny>, String)> {
        let org = OrgId::new(org.to_owned());
        let new = NewSignupLink {
            role: role_from_py(role)?.unwrap_or(Role::Client),
            max_uses,
            allowed_domains,
        };
        let (link, token) = run(py, || {
            let by = self.member(&org, by)?;
            self.service.create_signup_link(&org, &by, &new)
        })?;
        Ok((to_py(py, &link)?, token.expose_secret().to_owned()))
    }

    /// The organization's sign-up links (without tokens).
    #[pyo3(signature = (org, *, by))]
    fn signup_links<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let links = run(py, || {
            let by = self.member(&org, by)?;
            self.service.signup_links(&org, &by)
        })?;
        to_py(py, &links)
    }

    /// Gives a sign-up link a new token (the old one stops working); returns it.
    #[pyo3(signature = (org, link, *, by))]
    fn rotate_signup_link(
        &self,
        py: Python<'_>,
        org: &str,
        link: &str,
        by: &str,
    ) -> PyResult<String> {
        let org = OrgId::new(org.to_owned());
        let id = SignupLinkId::new(link.to_owned());
        let token = run(py, || {
            let by = self.member(&org, by)?;
            self.service.rotate_signup_link(&org, &by, &id)
        })?;
        Ok(token.expose_secret().to_owned())
    }

    /// Disables a sign-up link.
    #[pyo3(signature = (org, link, *, by))]
    fn disable_signup_link<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        link: &str,
        by: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let id = SignupLinkId::new(link.to_owned());
        let disabled = run(py, || {
            let by = self.member(&org, by)?;
            self.service.disable_signup_link(&org, &by, &id)
        })?;
        to_py(py, &disabled)
    }

    /// Joins through a sign-up link as the signed-in account `email`; returns the client record.
    fn join<'py>(&self, py: Python<'py>, token: &str, email: &str) -> PyResult<Bound<'py, PyAny>> {
        let record = run(py, || {
            let identity = Identity::from_email(email, &Default::default())?;
            self.service.join(token, &identity)
        })?;
        to_py(py, &record)
    }

    /// Delivers up to `limit` waiting messages (pending, failed, or with an expired lease):
    /// `sent` and `failed`.
    #[pyo3(signature = (limit = None))]
    fn deliver_pending<'py>(
        &self,
        py: Python<'py>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let report = run(py, || {
            self.service.deliver_pending(limit.unwrap_or(usize::MAX))
        })?;
        delivery(py, &report)
    }

    /// The organization's outbox messages (in `state`: "pending", "sent", "failed"), oldest
    /// first.
    #[pyo3(signature = (org, *, by, state = None, limit = None))]
    fn outbox<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        state: Option<&str>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let org = OrgId::new(org.to_owned());
        let state = state
            .map(|s| {
                DeliveryState::from_name(s).ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "state: {s:?} is not pending, sent or failed"
                    ))
                })
            })
            .transpose()?;
        let messages = run(py, || {
            let by = self.member(&org, by)?;
            self.service
                .outbox(&org, &by, state, limit.unwrap_or(usize::MAX))
        })?;
        let list = PyList::empty(py);
        for message in &messages {
            list.append(outbox_dict(py, message)?)?;
        }
        Ok(list)
    }

    /// The organization's activity log, oldest first.
    #[pyo3(signature = (org, *, by, skip = 0, limit = 100))]
    fn events<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        by: &str,
        skip: u64,
        limit: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org = OrgId::new(org.to_owned());
        let events = run(py, || {
            let by = self.member(&org, by)?;
            self.service.events(&org, &by, skip, limit)
        })?;
        to_py(py, &events)
    }
}

/// The bulk commands on chosen clients.
enum Bulk {
    Send(MessageOptions),
    Resend(MessageOptions),
    Revoke,
    Archive,
    Restore,
}

impl Invitations {
    fn bulk<'py>(
        &self,
        py: Python<'py>,
        org: &str,
        clients: Vec<String>,
        by: &str,
        which: Bulk,
    ) -> PyResult<Bound<'py, PyList>> {
        let org = OrgId::new(org.to_owned());
        let done = run(py, || {
            let by = self.member(&org, by)?;
            let ids = self.resolve(&org, &clients)?;
            match &which {
                Bulk::Send(options) => self.service.send(&org, &by, &ids, options),
                Bulk::Resend(options) => self.service.resend(&org, &by, &ids, options),
                Bulk::Revoke => self.service.revoke(&org, &by, &ids),
                Bulk::Archive => self.service.archive(&org, &by, &ids),
                Bulk::Restore => self.service.restore(&org, &by, &ids),
            }
        })?;
        outcomes(py, done)
    }
}

/// Adds `Invitations` and `FixedClock` to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Invitations>()?;
    m.add_class::<FixedClock>()?;
    Ok(())
}
