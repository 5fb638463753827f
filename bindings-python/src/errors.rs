//! invitekit's errors as Python exceptions.
//!
//! Every failure is an `invitekit.InvitekitError` (a `ValueError`) with `.code`, one of the
//! published codes of `testdata/error_codes.json`, `.message` (the text after the code),
//! `.details` (a dict of the error's particulars: `permission`, `command`, `status`, `limit`,
//! `field`, ...) and `.entries` (the entries at fault of a refused batch, else empty). Its
//! `str()` is the core's message, `"code: text"`. Each code belongs to one family, a subclass
//! a host can catch and map to its own idiom (an HTTP status, a form error):
//!
//! | class | codes |
//! |---|---|
//! | `InvalidAddressesError` | every entry code (`not_an_address` ... `unexpected_text`, `duplicate`, `over_limit`, `missing_email`), `invalid_batch`, `empty_batch` |
//! | `InvalidInputError` | `input_too_large`, `invalid_utf8`, `invalid_role`, `invalid_status`, `invalid_expiry_window`, `invalid_time_zone`, `invalid_token`, `no_email_column`, `invalid_message_text`, `invalid_url` |
//! | `ForbiddenError` | `forbidden` (with `.permission`), `email_mismatch`, `email_domain_not_allowed` |
//! | `NotFoundError` | `client_not_found`, `invitation_not_found`, `organization_not_found`, `group_not_found`, `program_not_found`, `signup_link_not_found`, `message_not_found` |
//! | `AlreadyExistsError` | `client_exists`, `invitation_exists`, `organization_exists`, `group_exists` |
//! | `ExpiredError` | the link no longer works: `invitation_expired`, `invitation_revoked`, `signup_link_disabled`, `signup_link_exhausted` |
//! | `ConflictError` | the record's state refuses the command: `already_invited`, `not_invited`, `already_activated`, `client_archived`, `already_archived`, `not_archived`, `no_email`, and `conflict` (a lost compare-and-set) |
//! | `StorageError` | something outside invitekit failed: `storage_failed`, `read_failed`, `write_failed`, `entropy_unavailable` |
//! | `DeliveryError` | `delivery_failed` |
//!
//! A Rust panic (a bug) never unwinds into Python: pyo3 catches it at the boundary of every
//! function and method and raises `pyo3_runtime.PanicException`, which derives from
//! `BaseException` (not `Exception`, so a broad `except Exception` does not hide it); the
//! interpreter goes on.

use invitekit::{Error, ErrorCode, ErrorFamily, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

use crate::parse::CharOffsets;

create_exception!(
    invitekit,
    InvitekitError,
    PyValueError,
    "Every invitekit error: `.code` (a published code), `.message`, `.details`, `.entries`."
);
create_exception!(
    invitekit,
    InvalidAddressesError,
    InvitekitError,
    "Addresses are not acceptable: an address-level code, `invalid_batch` or `empty_batch`; `.entries` lists the entries at fault."
);
create_exception!(
    invitekit,
    InvalidInputError,
    InvitekitError,
    "The input is malformed: too large, not UTF-8, a bad role, status, window, time zone, token, CSV layout, message text or URL."
);
create_exception!(
    invitekit,
    ForbiddenError,
    InvitekitError,
    "The acting member or the accepting identity is not allowed (`forbidden` names `.permission`)."
);
create_exception!(
    invitekit,
    NotFoundError,
    InvitekitError,
    "No such record: a client, invitation, organization, group, program, sign-up link or message."
);
create_exception!(
    invitekit,
    AlreadyExistsError,
    InvitekitError,
    "A record with this identity exists already: a client, invitation, organization or group."
);
create_exception!(
    invitekit,
    ExpiredError,
    InvitekitError,
    "The link no longer works: expired, revoked, or a sign-up link disabled or used up."
);
create_exception!(
    invitekit,
    ConflictError,
    InvitekitError,
    "The record's state refuses the command (the transition table), or it changed since it was read (`conflict`)."
);
create_exception!(
    invitekit,
    StorageError,
    InvitekitError,
    "Something outside invitekit failed: the store, a host's stream, or the OS's random source."
);
create_exception!(
    invitekit,
    DeliveryError,
    InvitekitError,
    "The mailer could not deliver a message; it stays in the outbox to retry."
);

/// The exception families, one per class above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Base,
    InvalidAddresses,
    InvalidInput,
    Forbidden,
    NotFound,
    AlreadyExists,
    Expired,
    Conflict,
    Storage,
    Delivery,
}

/// The family of a code (see the module doc's table): the core's, one class each.
fn family(code: ErrorCode) -> Family {
    match code.family() {
        ErrorFamily::InvalidAddresses => Family::InvalidAddresses,
        ErrorFamily::InvalidInput => Family::InvalidInput,
        ErrorFamily::Forbidden => Family::Forbidden,
        ErrorFamily::NotFound => Family::NotFound,
        ErrorFamily::AlreadyExists => Family::AlreadyExists,
        ErrorFamily::Expired => Family::Expired,
        ErrorFamily::Conflict => Family::Conflict,
        ErrorFamily::Storage => Family::Storage,
        ErrorFamily::Delivery => Family::Delivery,
        // A family added after this binding was written: the base class still carries the code.
        _ => Family::Base,
    }
}

/// The Python class of a family.
fn class_of(py: Python<'_>, family: Family) -> Bound<'_, PyType> {
    match family {
        Family::Base => py.get_type::<InvitekitError>(),
        Family::InvalidAddresses => py.get_type::<InvalidAddressesError>(),
        Family::InvalidInput => py.get_type::<InvalidInputError>(),
        Family::Forbidden => py.get_type::<ForbiddenError>(),
        Family::NotFound => py.get_type::<NotFoundError>(),
        Family::AlreadyExists => py.get_type::<AlreadyExistsError>(),
        Family::Expired => py.get_type::<ExpiredError>(),
        Family::Conflict => py.get_type::<ConflictError>(),
        Family::Storage => py.get_type::<StorageError>(),
        Family::Delivery => py.get_type::<DeliveryError>(),
    }
}

/// The particulars of an error's kind, as `.details`.
fn details<'py>(py: Python<'py>, kind: &ErrorKind) -> PyResult<Bound<'py, PyDict>> {
    let details = PyDict::new(py);
    match kind {
        ErrorKind::InputTooLarge { limit } => details.set_item("limit", limit)?,
        ErrorKind::InvalidUtf8 { valid_up_to } => details.set_item("valid_up_to", valid_up_to)?,
        ErrorKind::InvalidExpiryWindow { days } => details.set_item("days", days)?,
        ErrorKind::InvalidTimeZone { name } => details.set_item("name", name)?,
        ErrorKind::Refused {
            command, status, ..
        } => {
            details.set_item("command", command.as_str())?;
            details.set_item("status", status.map(|s| s.as_str()))?;
        }
        ErrorKind::EmailMismatch { binding } => details.set_item("binding", binding.as_str())?,
        ErrorKind::Forbidden { permission } => {
            details.set_item("permission", permission.as_str())?;
        }
        ErrorKind::SignupLinkExhausted { max_uses } => details.set_item("max_uses", max_uses)?,
        ErrorKind::InvalidMessageText { field } | ErrorKind::InvalidUrl { field } => {
            details.set_item("field", field)?;
        }
        ErrorKind::ReadFailed { message }
        | ErrorKind::WriteFailed { message }
        | ErrorKind::StorageFailed { message }
        | ErrorKind::DeliveryFailed { message } => details.set_item("reason", message)?,
        _ => {}
    }
    Ok(details)
}

/// An exception instance of `code`'s class, with its attributes set.
fn exception<'py>(
    py: Python<'py>,
    code: ErrorCode,
    text: &str,
    details: Bound<'py, PyDict>,
    entries: Bound<'py, PyList>,
) -> PyResult<Bound<'py, PyAny>> {
    let class = class_of(py, family(code));
    let instance = class.call1((text,))?;
    let prefix = format!("{}: ", code.as_str());
    let message = text.strip_prefix(&prefix).unwrap_or(text);
    let permission = details.get_item("permission")?;
    instance.setattr("code", code.as_str())?;
    instance.setattr("message", message)?;
    instance.setattr("details", details)?;
    instance.setattr("entries", entries.to_tuple())?;
    instance.setattr("permission", permission)?;
    Ok(instance)
}

/// The entries of a refused batch, as dicts; byte offsets become `text`'s string indices when
/// the text is known.
fn entries<'py>(
    py: Python<'py>,
    error: &Error,
    text: Option<&str>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    let ErrorKind::InvalidBatch { entries } = error.kind() else {
        return Ok(list);
    };
    let mut offsets = text.map(CharOffsets::new);
    for entry in entries {
        let (start, end) = match offsets.as_mut() {
            Some(offsets) => (offsets.index(entry.start), offsets.index(entry.end)),
            None => (entry.start, entry.end),
        };
        let dict = PyDict::new(py);
        dict.set_item("index", entry.index)?;
        dict.set_item("line", entry.line)?;
        dict.set_item("column", entry.column)?;
        dict.set_item("start", start)?;
        dict.set_item("end", end)?;
        dict.set_item("text", &entry.text)?;
        dict.set_item("code", entry.code.as_str())?;
        dict.set_item("duplicate_of", entry.duplicate_of)?;
        list.append(dict)?;
    }
    Ok(list)
}

fn build(error: &Error, text: Option<&str>) -> PyErr {
    Python::attach(|py| {
        let built = details(py, error.kind()).and_then(|details| {
            let entries = entries(py, error, text)?;
            exception(py, error.code(), &error.to_string(), details, entries)
        });
        match built {
            Ok(instance) => PyErr::from_value(instance),
            Err(failed) => failed,
        }
    })
}

/// The Python exception for a core error: the class of its code's family, with `.code`,
/// `.message`, `.details`, `.entries` (and `.permission`) set.
///
/// A refused batch's entries keep their byte offsets here; when the error came from parsing a
/// text the caller has, use [`to_py_err_in`] so they become string indices.
pub(crate) fn to_py_err(error: Error) -> PyErr {
    build(&error, None)
}

/// [`to_py_err`] for an error that came from parsing `text`: the `start` and `end` of a refused
/// batch's entries become Python string indices into `text` (`text[start:end]` is the entry).
#[allow(dead_code)] // For the service's calls that parse a pasted list (service.rs).
pub(crate) fn to_py_err_in(error: Error, text: &str) -> PyErr {
    build(&error, Some(text))
}

fn code_of(code: &str) -> PyResult<ErrorCode> {
    code.parse::<ErrorCode>().map_err(|_| {
        PyValueError::new_err(format!("{code:?} is not a published invitekit error code"))
    })
}

/// The exception class that carries `code` (`invitekit.NotFoundError` for
/// `"client_not_found"`).
///
/// Raises `ValueError` for a text that is not a published code.
#[pyfunction]
fn error_class_for<'py>(py: Python<'py>, code: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(class_of(py, family(code_of(code)?)))
}

/// An exception of `code`'s class carrying `code`, with `message` (the code's meaning by
/// default) and no details: what a host raises for a code it produced itself (a store or a
/// mailer written in Python reports `storage_failed` or `delivery_failed` this way).
///
/// Raises `ValueError` for a text that is not a published code.
#[pyfunction]
#[pyo3(signature = (code, message = None))]
fn error_for<'py>(
    py: Python<'py>,
    code: &str,
    message: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let code = code_of(code)?;
    let message = message.unwrap_or(code.meaning());
    let text = format!("{}: {message}", code.as_str());
    exception(py, code, &text, PyDict::new(py), PyList::empty(py))
}

/// What a published code means, in one line of words.
///
/// Raises `ValueError` for a text that is not a published code.
#[pyfunction]
fn error_meaning(code: &str) -> PyResult<&'static str> {
    Ok(code_of(code)?.meaning())
}

/// Panics inside Rust with `message`: lets the tests check that a panic becomes
/// `pyo3_runtime.PanicException` and leaves the interpreter running. Not API.
#[pyfunction]
fn _panic(message: &str) -> PyResult<()> {
    std::panic::panic_any(message.to_owned())
}

/// Adds the exception classes, `ERROR_CODES` and the functions on codes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("InvitekitError", py.get_type::<InvitekitError>())?;
    m.add(
        "InvalidAddressesError",
        py.get_type::<InvalidAddressesError>(),
    )?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("ForbiddenError", py.get_type::<ForbiddenError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("AlreadyExistsError", py.get_type::<AlreadyExistsError>())?;
    m.add("ExpiredError", py.get_type::<ExpiredError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    m.add("DeliveryError", py.get_type::<DeliveryError>())?;
    // Class-level defaults, so the attributes exist on every instance, even one a host builds
    // by hand (`InvitekitError("...")`).
    let base = py.get_type::<InvitekitError>();
    base.setattr("code", "")?;
    base.setattr("message", "")?;
    base.setattr(
        "details",
        pyo3::types::PyMappingProxy::new(py, PyDict::new(py).as_mapping()),
    )?;
    base.setattr("entries", PyTuple::empty(py))?;
    base.setattr("permission", py.None())?;
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
    m.add("ERROR_CODES", PyTuple::new(py, codes)?)?;
    m.add_function(wrap_pyfunction!(error_class_for, m)?)?;
    m.add_function(wrap_pyfunction!(error_for, m)?)?;
    m.add_function(wrap_pyfunction!(error_meaning, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    Ok(())
}
