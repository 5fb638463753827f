//! The Python package `invitekit`'s native module, `invitekit._invitekit`.
//!
//! Thin conversions around the core: the pasted-list parser (`parse`), errors as exceptions
//! (`errors`), pure helpers for hosts with their own records (`helpers`), CSV import and
//! export (`csvfile`), and the use cases on a store (`service`). The package's Python part
//! (`python/invitekit/`) re-exports all of it and defines the enums; `_invitekit.pyi` types it.
//!
//! No rule lives here: a function converts its arguments, calls the core, and converts the
//! answer, mapping `invitekit::Error` to an exception with `errors::to_py_err`.

mod convert;
mod csvfile;
mod documents;
mod errors;
mod helpers;
mod host;
mod parse;
mod service;

use pyo3::prelude::*;

/// The native module: every function, class, exception and constant of the package.
#[pymodule]
fn _invitekit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    parse::register(m)?;
    helpers::register(m)?;
    csvfile::register(m)?;
    service::register(m)?;
    Ok(())
}
