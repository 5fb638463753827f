//! invitekit's errors as JavaScript `Error`s with a stable `.code`.
//!
//! A `napi::Error` can carry only a napi `Status` and a text, and it is often built where no
//! `Env` is at hand (on a worker thread, in a future). So [`to_napi_err`] encodes the core
//! error into the napi error itself: its `reason` is the core's message (`"code: text"`, so even
//! an undecoded error reads well), and its `cause` is a second error whose message is
//! [`MARKER`] followed by a JSON payload `{"code", "details", "entries"}`. The package's
//! `index.js`, which wraps every native function and method, turns such an error into an
//! `InvitekitError` (an `Error` subclass) with `.code`, `.message`, `.details`, `.entries` and
//! `.permission`, and drops the `cause`. Any other error passes through unchanged, so a host's
//! own exception (from a store or a mailer written in JavaScript) comes out as the very object it
//! threw.
//!
//! Arguments that are not what a function takes are napi errors with status `InvalidArg` (see
//! [`invalid_arg`]) or one of napi's `...Expected` statuses; `index.js` rethrows them as
//! `TypeError`s with `.code` `ERR_INVALID_ARG_VALUE` or `ERR_INVALID_ARG_TYPE`, as Node's own
//! functions do.
//!
//! Each code belongs to one family ([`family`], `errorFamily(code)` in JavaScript), the Python
//! package's exception classes, for a host to map to its own idiom (an HTTP status).
//!
//! A Rust panic (a bug) never aborts the process: every native function is declared with napi's
//! `catch_unwind`, which turns a panic into a thrown `Error` with the panic's message; code
//! running outside a napi function call (an `AsyncTask::compute`, which napi-rs does not guard)
//! wraps itself in [`catch_panic`].

use invitekit::{Error, ErrorCode, ErrorKind};
use napi::Status;
use napi_derive::napi;
use serde_json::{Map, Value, json};

use invitekit::address::offsets::Utf16Offsets;

/// The start of the message of the `cause` that carries an encoded invitekit error. `index.js`
/// has the same text.
pub(crate) const MARKER: &str = "invitekit:error:";

/// The family of a code ([`invitekit::ErrorFamily`], the Python package's exception class), in
/// snake_case.
pub(crate) fn family(code: ErrorCode) -> &'static str {
    code.family().as_str()
}

/// The particulars of an error's kind, as `.details` (camelCase keys).
fn details(kind: &ErrorKind) -> Map<String, Value> {
    let value = match kind {
        ErrorKind::InputTooLarge { limit } => json!({ "limit": limit }),
        ErrorKind::InvalidUtf8 { valid_up_to } => json!({ "validUpTo": valid_up_to }),
        ErrorKind::InvalidExpiryWindow { days } => json!({ "days": days }),
        ErrorKind::InvalidTimeZone { name } => json!({ "name": name }),
        ErrorKind::Refused {
            command, status, ..
        } => json!({
            "command": command.as_str(),
            "status": status.map(|status| status.as_str()),
        }),
        ErrorKind::EmailMismatch { binding } => json!({ "binding": binding.as_str() }),
        ErrorKind::Forbidden { permission } => json!({ "permission": permission.as_str() }),
        ErrorKind::SignupLinkExhausted { max_uses } => json!({ "maxUses": max_uses }),
        ErrorKind::InvalidMessageText { field } | ErrorKind::InvalidUrl { field } => {
            json!({ "field": field })
        }
        ErrorKind::ReadFailed { message }
        | ErrorKind::WriteFailed { message }
        | ErrorKind::StorageFailed { message }
        | ErrorKind::DeliveryFailed { message } => json!({ "reason": message }),
        _ => json!({}),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The entries at fault of a refused batch; their byte offsets become UTF-16 offsets into
/// `text` when the text is known.
fn entries(error: &Error, text: Option<&str>) -> Vec<Value> {
    let ErrorKind::InvalidBatch { entries } = error.kind() else {
        return Vec::new();
    };
    let mut offsets = text.map(Utf16Offsets::new);
    entries
        .iter()
        .map(|entry| {
            let (start, end) = match offsets.as_mut() {
                Some(offsets) => (offsets.at(entry.start), offsets.at(entry.end)),
                None => (entry.start, entry.end),
            };
            json!({
                "index": entry.index,
                "line": entry.line,
                "column": entry.column,
                "start": start,
                "end": end,
                "text": entry.text,
                "code": entry.code.as_str(),
                "duplicateOf": entry.duplicate_of,
            })
        })
        .collect()
}

fn encode(error: &Error, text: Option<&str>) -> napi::Error {
    let payload = json!({
        "code": error.code().as_str(),
        "details": details(error.kind()),
        "entries": entries(error, text),
    });
    let mut napi_error = napi::Error::new(Status::GenericFailure, error.to_string());
    napi_error.set_cause(napi::Error::new(
        Status::GenericFailure,
        format!("{MARKER}{payload}"),
    ));
    napi_error
}

/// The napi error for a core error: thrown through `index.js`, an `InvitekitError` with `.code`
/// (the published code), `.message` (the core's message, `"code: text"`), `.details` and
/// `.entries`. Needs no `Env`: call it anywhere, on any thread.
///
/// A refused batch's entries keep their byte offsets here; when the error came from parsing a
/// text the caller has, use [`to_napi_err_in`] so they become UTF-16 offsets.
pub(crate) fn to_napi_err(error: Error) -> napi::Error {
    encode(&error, None)
}

/// [`to_napi_err`] for an error that came from parsing `text`: the `start` and `end` of a
/// refused batch's entries become UTF-16 offsets into `text`
/// (`text.slice(entry.start, entry.end)` is the entry).
#[allow(dead_code)] // For the service's calls that parse a pasted list (service.rs).
pub(crate) fn to_napi_err_in(error: Error, text: &str) -> napi::Error {
    encode(&error, Some(text))
}

/// A napi error for an argument that is not what the function takes (a malformed record, an
/// unknown enum name): `index.js` rethrows it as a `TypeError` with `.code`
/// `ERR_INVALID_ARG_VALUE`.
pub(crate) fn invalid_arg(message: impl Into<String>) -> napi::Error {
    napi::Error::new(Status::InvalidArg, message.into())
}

/// Runs `work`, turning a panic into a napi error with the panic's message (as napi's
/// `catch_unwind` does for the functions it wraps). For code napi-rs does not guard, such as
/// `AsyncTask::compute`, where a panic would otherwise abort the process.
#[allow(dead_code)] // For the service's tasks (service.rs).
pub(crate) fn catch_panic<T>(work: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .map_err(napi::bindgen_prelude::panic_to_error)
        .and_then(|result| result)
}

fn code_of(code: &str) -> napi::Result<ErrorCode> {
    code.parse::<ErrorCode>()
        .map_err(|_| invalid_arg(format!("{code:?} is not a published invitekit error code")))
}

/// Every published code, in the order of `testdata/error_codes.json` (`errorCodes` in
/// `index.js`).
#[napi(js_name = "_errorCodes", skip_typescript, catch_unwind)]
pub fn error_codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|code| code.as_str()).collect()
}

/// What a published code means, in one line of words.
///
/// Throws a `TypeError` for a text that is not a published code.
#[napi(catch_unwind, ts_args_type = "code: ErrorCode")]
pub fn error_meaning(code: String) -> napi::Result<&'static str> {
    Ok(code_of(&code)?.meaning())
}

/// The family of a published code (the Python package's exception class): `invalid_addresses`,
/// `invalid_input`, `forbidden`, `not_found`, `already_exists`, `expired`, `conflict`,
/// `storage` or `delivery`. A host maps families to its own idiom, for example HTTP 422, 400,
/// 403, 404, 409, 410, 409, 503 and 502.
///
/// Throws a `TypeError` for a text that is not a published code.
#[napi(
    catch_unwind,
    ts_args_type = "code: ErrorCode",
    ts_return_type = "ErrorFamily"
)]
pub fn error_family(code: String) -> napi::Result<&'static str> {
    Ok(family(code_of(&code)?))
}

/// The payload of an error a host builds for `code` (`errorFor` in `index.js`): the message is
/// `"code: meaning"` by default. Throws a `TypeError` for a text that is not a published code.
#[napi(js_name = "_errorFor", skip_typescript, catch_unwind)]
pub fn error_for(code: String, message: Option<String>) -> napi::Result<Vec<String>> {
    let code = code_of(&code)?;
    let text = message.unwrap_or_else(|| code.meaning().to_owned());
    Ok(vec![
        code.as_str().to_owned(),
        format!("{}: {text}", code.as_str()),
    ])
}

/// Throws the error `parseAddresses` gives for an input over `limit` bytes, so `index.js` can
/// refuse a string that is too long before copying it.
#[napi(js_name = "_inputTooLarge", skip_typescript, catch_unwind)]
pub fn input_too_large(limit: u32) -> napi::Result<()> {
    Err(to_napi_err(Error::new(ErrorKind::InputTooLarge {
        limit: limit as usize,
    })))
}

/// Panics with `message`: lets the tests check that a panic becomes a thrown `Error` and leaves
/// the process running. Not API.
#[napi(js_name = "_panic", skip_typescript, catch_unwind)]
pub fn panic(message: String) -> napi::Result<()> {
    std::panic::panic_any(message)
}
