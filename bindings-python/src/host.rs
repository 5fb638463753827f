//! Host objects the core calls back: a mailer written in Python, a store written in Python (as
//! the small documents interface of [`invitekit::store::document`]), and a fixed clock.
//!
//! A Python exception raised inside a callback cannot travel through the core, whose errors are
//! plain data. So it is kept aside (per thread: the core calls back on the caller's thread) and
//! the core sees `storage_failed` or `delivery_failed`; when the call returns to Python,
//! [`raise`] re-raises the original exception, traceback included, if the core gave up because
//! of it. A mailer's exceptions are delivery failures the outbox retries, so they do not end the
//! call: they are handed back next to the failed message in the report ([`take_mailer_error`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use invitekit::clock::Clock;
use invitekit::mailer::{Mailer, OutboxMessage};
use invitekit::model::MessageId;
use invitekit::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;
use crate::errors::to_py_err;

thread_local! {
    /// The exception a Python store raised during the current call, if any.
    static STORE_ERROR: RefCell<Option<PyErr>> = const { RefCell::new(None) };
    /// The exceptions a Python mailer raised, by message, during the current call.
    static MAILER_ERRORS: RefCell<HashMap<MessageId, PyErr>> = RefCell::new(HashMap::new());
}

/// Forgets what earlier calls kept aside (at the start of each call).
pub(crate) fn clear() {
    STORE_ERROR.with(|slot| slot.borrow_mut().take());
    MAILER_ERRORS.with(|slot| slot.borrow_mut().clear());
}

/// Keeps `error` (raised by a Python store) and gives the core `storage_failed`.
pub(crate) fn store_failed(error: PyErr) -> Error {
    let message = Python::attach(|py| describe(py, &error));
    STORE_ERROR.with(|slot| *slot.borrow_mut() = Some(error));
    Error::new(ErrorKind::StorageFailed {
        message: format!("the Python store raised {message}"),
    })
}

/// The exception to raise for `error`: the Python store's own exception when the core failed
/// because of one, else the `InvitekitError` of the code.
pub(crate) fn raise(error: Error) -> PyErr {
    let kept = STORE_ERROR.with(|slot| slot.borrow_mut().take());
    match kept {
        Some(original) if matches!(error.kind(), ErrorKind::StorageFailed { .. }) => original,
        _ => to_py_err(error),
    }
}

/// The exception the Python mailer raised for `message` during this call, if it raised one.
pub(crate) fn take_mailer_error(message: &MessageId) -> Option<PyErr> {
    MAILER_ERRORS.with(|slot| slot.borrow_mut().remove(message))
}

/// `TypeName: message`, for the core's text.
fn describe(py: Python<'_>, error: &PyErr) -> String {
    let name = error
        .get_type(py)
        .name()
        .map_or_else(|_| "Exception".to_owned(), |n| n.to_string());
    format!("{name}: {}", error.value(py))
}

/// A mailer written in Python: an object with `send(message: dict) -> None`.
pub(crate) struct PyMailer {
    object: Py<PyAny>,
}

impl PyMailer {
    /// Wraps `object` (checked to have a callable `send`).
    pub(crate) fn new(object: &Bound<'_, PyAny>) -> PyResult<PyMailer> {
        let send = object.getattr("send").map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "mailer: expected an object with a send(message) method",
            )
        })?;
        if !send.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "mailer: its send attribute is not callable",
            ));
        }
        Ok(PyMailer {
            object: object.clone().unbind(),
        })
    }
}

/// The dict a Python mailer receives.
pub(crate) fn message_dict<'py>(
    py: Python<'py>,
    message: &OutboxMessage,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("id", message.id.as_str())?;
    dict.set_item("org", message.org.as_str())?;
    dict.set_item("to", &message.message.to)?;
    dict.set_item("to_name", &message.message.to_name)?;
    dict.set_item("subject", &message.message.subject)?;
    dict.set_item("text", &message.message.text)?;
    dict.set_item("html", &message.message.html)?;
    dict.set_item("attempts", message.attempts)?;
    Ok(dict)
}

impl Mailer for PyMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        Python::attach(|py| {
            let sent = message_dict(py, message)
                .and_then(|dict| self.object.bind(py).call_method1("send", (dict,)));
            match sent {
                Ok(_) => Ok(()),
                Err(error) => {
                    let text = describe(py, &error);
                    MAILER_ERRORS.with(|slot| slot.borrow_mut().insert(message.id.clone(), error));
                    Err(Error::new(ErrorKind::DeliveryFailed {
                        message: format!("the Python mailer raised {text}"),
                    }))
                }
            }
        })
    }
}

/// A clock that says what it is told: `FixedClock(datetime)`, `.set(datetime)`,
/// `.advance(timedelta)`. For tests, audits and replays.
#[pyclass(frozen, module = "invitekit")]
pub(crate) struct FixedClock {
    pub(crate) inner: Arc<invitekit::clock::FixedClock>,
}

#[pymethods]
impl FixedClock {
    /// A clock stopped at `now` (an aware datetime).
    #[new]
    fn new(now: &Bound<'_, PyAny>) -> PyResult<FixedClock> {
        Ok(FixedClock {
            inner: Arc::new(invitekit::clock::FixedClock::new(convert::utc(now, "now")?)),
        })
    }

    /// The instant it shows (an aware datetime in UTC).
    fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }

    /// Moves it to `now` (an aware datetime).
    fn set(&self, now: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set(convert::utc(now, "now")?);
        Ok(())
    }

    /// Moves it on by `delta` (a `datetime.timedelta`, may be negative).
    fn advance(&self, delta: chrono::Duration) {
        self.inner.advance(delta);
    }

    fn __repr__(&self) -> String {
        format!("FixedClock({})", convert::rfc3339(self.inner.now()))
    }
}
