//! Stores written in JS, for hosts whose database is asynchronous (pg, Prisma, an ORM): an
//! object with three methods, adapted to the core's [`Documents`] interface and wrapped in a
//! [`DocumentStore`], which keeps every rule and query in Rust.
//!
//! The JS protocol (`DocumentBackend` in `index.d.ts`; `MemoryBackend` in `lib/backends.js` is
//! the reference implementation):
//!
//! - `get(kind, key)` → the document `[key, version, body]` (or `{ key, version, body }`), or
//!   `null`/`undefined`;
//! - `scan(kind, prefix)` → an array of every document of `kind` whose key starts with
//!   `prefix`, ordered by key in code point order (UTF-8 byte order; not JS's default UTF-16
//!   sort);
//! - `commit(writes)` → all or nothing; each write is `{ kind, key, expected, body }` where
//!   `expected` is `0` (the document must not exist), a version (it must have exactly that
//!   version) or `null` (whatever it is), and `body` `null` deletes. A write sets the version to
//!   the previous one plus 1 (1 when new). If any expectation fails, apply nothing and throw (or
//!   reject with) an `Error` whose `code` is `"conflict"`.
//!
//! Each may return its answer or a Promise of it. Any other exception or rejection ends the
//! call: its Promise rejects with that very value (see [`crate::host`]). The methods run on the
//! main thread, called from the worker that runs the call, which waits for their Promises.

use std::sync::Arc;

use invitekit::store::document::{Document, Documents, Expect, Write};
use invitekit::store::{DocumentStore, Store};
use invitekit::{Error, ErrorCode, ErrorKind};
use napi::bindgen_prelude::{FnArgs, Null, Object, Unknown};
use napi::{Either, Env};
use napi_derive::napi;
use serde::Deserialize;

use crate::host::{self, JsMethod, Thrown};

/// One write of a JS store's `commit(writes)`.
#[napi(object, use_nullable = true)]
pub struct DocumentWrite {
    /// The document's kind (a short lowercase name).
    pub kind: String,
    /// The document's key within its kind.
    pub key: String,
    /// What must hold first: `0` the document must not exist, `n` it must have version `n`,
    /// `null` nothing.
    #[napi(ts_type = "number | null")]
    pub expected: Either<f64, Null>,
    /// The new body (JSON text, stored as given), or `null` to delete the document.
    pub body: Option<String>,
}

impl DocumentWrite {
    fn of(write: &Write) -> DocumentWrite {
        let expected = match write.expected {
            Expect::Absent => Either::A(0.0),
            Expect::Version(version) => Either::A(version as f64),
            Expect::Any => Either::B(Null),
        };
        DocumentWrite {
            kind: write.kind.clone(),
            key: write.key.clone(),
            expected,
            body: write.body.clone(),
        }
    }
}

/// A document as a JS store answers it: `[key, version, body]` or `{ key, version, body }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsDocument {
    Tuple(String, u64, String),
    Object {
        key: String,
        version: u64,
        body: String,
    },
}

impl From<JsDocument> for Document {
    fn from(document: JsDocument) -> Document {
        match document {
            JsDocument::Tuple(key, version, body) | JsDocument::Object { key, version, body } => {
                Document { key, version, body }
            }
        }
    }
}

/// Reads a JS answer with serde, naming the method and the shape expected when it does not fit.
fn answer<T: serde::de::DeserializeOwned>(
    env: &Env,
    value: Unknown<'_>,
    method: &str,
    shape: &str,
) -> napi::Result<T> {
    env.from_js_value::<T, _>(value).map_err(|e| {
        napi::Error::new(
            napi::Status::InvalidArg,
            format!(
                "the JS store's {method}() must answer {shape}: {}",
                e.reason
            ),
        )
    })
}

/// [`Documents`] over a JS object's `get`, `scan` and `commit`.
struct JsDocuments {
    get: JsMethod<FnArgs<(String, String)>>,
    scan: JsMethod<FnArgs<(String, String)>>,
    commit: JsMethod<Vec<DocumentWrite>>,
}

/// A JS store's failure as the core's error: a `code` of `"conflict"` is a conflict (the
/// adapter runs the batch again from fresh reads); anything else is kept to reject the call
/// with, and the core sees `storage_failed`.
fn failed(method: &str, thrown: Thrown) -> Error {
    if thrown.code.as_deref() == Some(ErrorCode::Conflict.as_str()) {
        return Error::new(ErrorKind::Conflict);
    }
    host::store_failed(method, thrown)
}

impl Documents for JsDocuments {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Document>, Error> {
        self.get
            .call(
                FnArgs::from((kind.to_owned(), key.to_owned())),
                |env, value| {
                    answer::<Option<JsDocument>>(
                        env,
                        value,
                        "get",
                        "[key, version, body], { key, version, body } or null",
                    )
                },
            )
            .map(|found| found.map(Document::from))
            .map_err(|thrown| failed("get", thrown))
    }

    fn scan(&self, kind: &str, prefix: &str) -> Result<Vec<Document>, Error> {
        self.scan
            .call(
                FnArgs::from((kind.to_owned(), prefix.to_owned())),
                |env, value| {
                    answer::<Vec<JsDocument>>(
                        env,
                        value,
                        "scan",
                        "an array of [key, version, body] or { key, version, body }",
                    )
                },
            )
            .map(|found| found.into_iter().map(Document::from).collect())
            .map_err(|thrown| failed("scan", thrown))
    }

    fn commit(&self, writes: &[Write]) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        let writes: Vec<DocumentWrite> = writes.iter().map(DocumentWrite::of).collect();
        self.commit
            .call(writes, |_, _| Ok(()))
            .map_err(|thrown| failed("commit", thrown))
    }
}

/// The store for `object`: checked, on the main thread, to have `get`, `scan` and `commit`.
pub(crate) fn store_from_js(object: &Object<'_>) -> napi::Result<Arc<dyn Store>> {
    let documents = JsDocuments {
        get: JsMethod::new(object, "get", "store")?,
        scan: JsMethod::new(object, "scan", "store")?,
        commit: JsMethod::new(object, "commit", "store")?,
    };
    Ok(Arc::new(DocumentStore::new(Arc::new(documents))))
}
