//! Stores written in Python: an object with three methods, adapted to the core's
//! [`Documents`] interface and wrapped in a [`DocumentStore`], which keeps every rule and query
//! in Rust.
//!
//! The Python protocol (`invitekit.DocumentBackend`):
//!
//! - `get(kind: str, key: str) -> tuple[str, int, str] | None`: the document `(key, version,
//!   body)`, or None;
//! - `scan(kind: str, prefix: str) -> Iterable[tuple[str, int, str]]`: every document of `kind`
//!   whose key starts with `prefix`, ordered by key (by code point, which is UTF-8 byte order);
//! - `commit(writes: list[tuple[str, str, int | None, str | None]]) -> None`: all or nothing;
//!   each write is `(kind, key, expected, body)` where `expected` is `0` (the document must not
//!   exist), a version (it must have that version) or None (whatever it is), and `body` None
//!   deletes. A write sets the version to the previous one plus 1 (1 when new). If any
//!   expectation fails, apply nothing and raise `invitekit.ConflictError` (for example
//!   `raise invitekit.error_for("conflict")`).
//!
//! Any other exception from these methods ends the call: the caller gets that very exception
//! back, traceback included (see [`crate::host`]).

use std::sync::Arc;

use invitekit::store::document::{Document, Documents, Expect, Write};
use invitekit::store::{DocumentStore, Store};
use invitekit::{Error, ErrorCode, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::host;

/// A [`Documents`] backend that is a Python object.
struct PyDocuments {
    object: Py<PyAny>,
}

fn document(value: &Bound<'_, PyAny>) -> PyResult<Document> {
    let (key, version, body): (String, u64, String) = value.extract()?;
    Ok(Document { key, version, body })
}

/// A Python exception as the core's error: `invitekit.ConflictError` is a conflict; anything
/// else is kept to be re-raised, and the core sees `storage_failed`.
fn failed(py: Python<'_>, error: PyErr) -> Error {
    let code = error
        .value(py)
        .getattr("code")
        .ok()
        .and_then(|code| code.extract::<String>().ok());
    if code.as_deref() == Some(ErrorCode::Conflict.as_str()) {
        return Error::new(ErrorKind::Conflict);
    }
    host::store_failed(error)
}

impl Documents for PyDocuments {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Document>, Error> {
        Python::attach(|py| {
            let found = self
                .object
                .bind(py)
                .call_method1("get", (kind, key))
                .and_then(|value| {
                    if value.is_none() {
                        Ok(None)
                    } else {
                        document(&value).map(Some)
                    }
                });
            found.map_err(|e| failed(py, e))
        })
    }

    fn scan(&self, kind: &str, prefix: &str) -> Result<Vec<Document>, Error> {
        Python::attach(|py| {
            let found = self
                .object
                .bind(py)
                .call_method1("scan", (kind, prefix))
                .and_then(|value| {
                    value
                        .try_iter()?
                        .map(|item| document(&item?))
                        .collect::<PyResult<Vec<Document>>>()
                });
            found.map_err(|e| failed(py, e))
        })
    }

    fn commit(&self, writes: &[Write]) -> Result<(), Error> {
        Python::attach(|py| {
            let done = (|| -> PyResult<()> {
                let list = PyList::empty(py);
                for write in writes {
                    let expected: Option<u64> = match write.expected {
                        Expect::Absent => Some(0),
                        Expect::Version(version) => Some(version),
                        Expect::Any => None,
                    };
                    list.append((
                        write.kind.as_str(),
                        write.key.as_str(),
                        expected,
                        write.body.as_deref(),
                    ))?;
                }
                self.object.bind(py).call_method1("commit", (list,))?;
                Ok(())
            })();
            done.map_err(|e| failed(py, e))
        })
    }
}

/// The store for `object`: checked to have `get`, `scan` and `commit`.
pub(crate) fn store_from_py(object: &Bound<'_, PyAny>) -> PyResult<Arc<dyn Store>> {
    for method in ["get", "scan", "commit"] {
        let callable = object.getattr(method).is_ok_and(|m| m.is_callable());
        if !callable {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "store: expected an object with get(kind, key), scan(kind, prefix) and \
                 commit(writes) methods; {method} is missing"
            )));
        }
    }
    let documents = Arc::new(PyDocuments {
        object: object.clone().unbind(),
    });
    Ok(Arc::new(DocumentStore::new(documents)))
}
