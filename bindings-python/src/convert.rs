//! Conversions at the edge: aware `datetime`s to UTC instants, the core's serde records to and
//! from plain Python dicts, and the Python enums of `invitekit._enums`.
//!
//! Records cross as the JSON the core's serde derives give (`serde_json::Value` in between):
//! dicts with snake_case keys, instants as RFC 3339 text (`"2026-11-21T09:00:00Z"`), ids and
//! codes as text. Going in, a value may also be an aware `datetime` (converted to UTC and
//! written as RFC 3339) or a tuple, and any `str` subclass (the `invitekit` enums) is its text.

use chrono::{DateTime, SecondsFormat, Utc};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTzInfo,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

/// The UTC instant of an aware `datetime`, whatever its `tzinfo`.
///
/// A naive `datetime` (no `tzinfo`, or one whose `utcoffset()` is `None`) is refused with
/// `TypeError`, as is anything that is not a `datetime`: instants are never guessed.
pub(crate) fn utc(value: &Bound<'_, PyAny>, what: &str) -> PyResult<DateTime<Utc>> {
    let py = value.py();
    if !value.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected an aware datetime, got {}",
            type_name(value)
        )));
    }
    if value.call_method0(intern!(py, "utcoffset"))?.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{what}: naive datetime; pass an aware datetime, e.g. datetime.now(timezone.utc)"
        )));
    }
    let utc = PyTzInfo::utc(py)?;
    value
        .call_method1(intern!(py, "astimezone"), (utc,))?
        .extract::<DateTime<Utc>>()
}

/// Like [`utc`], for an optional argument (`None` is `None`).
#[allow(dead_code)] // For the service's optional instants (service.rs).
pub(crate) fn utc_opt(
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<DateTime<Utc>>> {
    match value {
        Some(value) if !value.is_none() => utc(value, what).map(Some),
        _ => Ok(None),
    }
}

/// An instant given as an aware `datetime` or RFC 3339 text (as the dicts hold them).
pub(crate) fn instant(value: &Bound<'_, PyAny>, what: &str) -> PyResult<DateTime<Utc>> {
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_cow()?;
        return DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|e| PyValueError::new_err(format!("{what}: not an RFC 3339 instant: {e}")));
    }
    utc(value, what)
}

/// The RFC 3339 text the core's serde writes for an instant.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The name of a value's type, for an error message.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

/// A Python value as JSON: dicts (with `str` keys), lists and tuples, `str` (and its
/// subclasses), `int`, `float`, `bool`, `None`, and aware `datetime`s (as RFC 3339 text).
pub(crate) fn to_value(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::String(text.to_cow()?.into_owned()));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(n) = value.extract::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        let n: u64 = value.extract()?;
        return Ok(Value::Number(n.into()));
    }
    if let Ok(x) = value.cast::<PyFloat>() {
        return Number::from_f64(x.value())
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err(format!("{what}: not a finite number")));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let key = key
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err(format!("{what}: dict keys must be str")))?;
            let key = key.to_cow()?.into_owned();
            let item = to_value(&item, what)?;
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return list.iter().map(|item| to_value(&item, what)).collect();
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return tuple.iter().map(|item| to_value(&item, what)).collect();
    }
    if value.is_instance_of::<PyDateTime>() {
        return Ok(Value::String(rfc3339(utc(value, what)?)));
    }
    Err(PyTypeError::new_err(format!(
        "{what}: cannot take a value of type {}",
        type_name(value)
    )))
}

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A core record as a plain Python dict (or list, or text), through its serde form: the JSON
/// text, read by Python's `json.loads`, so keys keep the order of the record's fields.
pub(crate) fn to_py<'py, T: Serialize>(py: Python<'py>, record: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(record)
        .map_err(|e| PyValueError::new_err(format!("cannot convert a record: {e}")))?;
    JSON_LOADS.import(py, "json", "loads")?.call1((text,))
}

/// A core record from JSON, naming `what` in the `ValueError` for a malformed one.
pub(crate) fn record_from_value<T: DeserializeOwned>(value: Value, what: &str) -> PyResult<T> {
    serde_json::from_value(value).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// A core record from a Python value (usually a dict), through its serde form.
pub(crate) fn from_py<T: DeserializeOwned>(value: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    record_from_value(to_value(value, what)?, what)
}

/// A snake_case name of one of the core's serde enums (a `Role`, a `StatusKind`, ...), given as
/// text or as a member of the `invitekit` enum of that name.
pub(crate) fn enum_from_py<T: DeserializeOwned>(
    value: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<T> {
    let text = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{what}: expected str, got {}", type_name(value)))
    })?;
    serde_json::from_value(Value::String(text.to_cow()?.into_owned()))
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// A role given as its name (any ASCII case) or an `invitekit.Role`; another text raises
/// `InvalidInputError` (`invalid_role`).
pub(crate) fn role_from_py(
    value: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<invitekit::model::Role> {
    let text = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{what}: expected str, got {}", type_name(value)))
    })?;
    text.to_cow()?.parse().map_err(crate::errors::to_py_err)
}

/// The enums defined in Python (`invitekit._enums`), each a `(str, enum.Enum)`.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // Role and LinkState: for the service's answers (service.rs).
pub(crate) enum PyEnum {
    /// `invitekit.Status`.
    Status,
    /// `invitekit.Role`.
    Role,
    /// `invitekit.Permission`.
    Permission,
    /// `invitekit.LinkState`.
    LinkState,
}

static STATUS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ROLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static PERMISSION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LINK_STATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The member of a Python enum with this value (`Status("activated")`).
pub(crate) fn py_enum<'py>(
    py: Python<'py>,
    which: PyEnum,
    value: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let (cell, name) = match which {
        PyEnum::Status => (&STATUS, "Status"),
        PyEnum::Role => (&ROLE, "Role"),
        PyEnum::Permission => (&PERMISSION, "Permission"),
        PyEnum::LinkState => (&LINK_STATE, "LinkState"),
    };
    let class = cell.import(py, "invitekit._enums", name)?;
    class.call1((value,))
}
