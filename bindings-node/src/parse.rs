//! `parseAddresses` and `parseOne`: the pasted-list parser.
//!
//! Building a JavaScript object property by property through Node-API costs far more than the
//! parse itself, so a parsed list crosses as columns: [`parse_columns`] returns one `Int32Array`
//! of [`STRIDE`] numbers per entry and one `pool` string, and `index.js` builds the entries as
//! plain objects. Texts cross as references: an entry's raw text, and its name, address,
//! normalized form and key whenever they are slices of it, are positions in the caller's own
//! string (`text.slice(start, end)`, no copy); the others are positions in the pool, where equal
//! texts are written once.
//!
//! Positions are UTF-16 code units, JavaScript's string indices: `text.slice(e.start, e.end) ===
//! e.raw`. The core counts bytes; [`invitekit::address::offsets::Utf16Offsets`] converts them in one pass over the text, and
//! not at all for ASCII.

use invitekit::ErrorCode;
use invitekit::address::offsets::{Utf16Offsets, utf16_len};
use invitekit::address::{self, Entry};
use napi::Env;
use napi::bindgen_prelude::{Int32ArraySlice, JsObjectValue, Object};
use napi_derive::napi;

use crate::errors::{to_napi_err, to_napi_err_in};

/// The parser's options. Every field is optional; the defaults are the product's policy.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// At most this many unique valid addresses; later ones are `over_limit`. Default 200.
    pub max_addresses: Option<u32>,
    /// Inputs longer than this many UTF-8 bytes are refused with `input_too_large`. Default
    /// 65536; never more than `MAX_INPUT_CEILING`.
    pub max_input_bytes: Option<u32>,
    /// Compare local parts case-sensitively in the dedup key. Default false.
    pub case_sensitive_local_part: Option<bool>,
    /// Accept `"quoted local"@example.com`. Default false.
    pub allow_quoted_local_part: Option<bool>,
    /// Accept `user@[192.0.2.1]` and `user@[IPv6:2001:db8::1]`. Default false.
    pub allow_ip_literal: Option<bool>,
    /// Accept single-label domains such as `user@intranet`. Default false.
    pub allow_dotless_domain: Option<bool>,
    /// Accept comments inside the address (`john(work)@example.com`). Default false.
    pub allow_comments: Option<bool>,
    /// Accept `.local .test .invalid .onion .localhost .arpa` domains. Default false.
    pub allow_special_use_domains: Option<bool>,
    /// Accept invisible characters (they then face the ordinary rules). Default false.
    pub allow_invisible_characters: Option<bool>,
    /// Accept bidi control characters (they then face the ordinary rules). Default false.
    pub allow_bidi_controls: Option<bool>,
    /// Accept emoji and other symbol characters (they then face the ordinary rules). Default
    /// false.
    pub allow_symbols: Option<bool>,
}

impl ParseOptions {
    /// The core's options: unset fields take the core's defaults.
    pub(crate) fn to_core(&self) -> address::ParseOptions {
        let defaults = address::ParseOptions::default();
        address::ParseOptions {
            max_addresses: self
                .max_addresses
                .map_or(defaults.max_addresses, |n| n as usize),
            max_input_bytes: self
                .max_input_bytes
                .map_or(defaults.max_input_bytes, |n| n as usize),
            case_sensitive_local_part: self
                .case_sensitive_local_part
                .unwrap_or(defaults.case_sensitive_local_part),
            allow_quoted_local_part: self
                .allow_quoted_local_part
                .unwrap_or(defaults.allow_quoted_local_part),
            allow_ip_literal: self.allow_ip_literal.unwrap_or(defaults.allow_ip_literal),
            allow_dotless_domain: self
                .allow_dotless_domain
                .unwrap_or(defaults.allow_dotless_domain),
            allow_comments: self.allow_comments.unwrap_or(defaults.allow_comments),
            allow_special_use_domains: self
                .allow_special_use_domains
                .unwrap_or(defaults.allow_special_use_domains),
            allow_invisible_characters: self
                .allow_invisible_characters
                .unwrap_or(defaults.allow_invisible_characters),
            allow_bidi_controls: self
                .allow_bidi_controls
                .unwrap_or(defaults.allow_bidi_controls),
            allow_symbols: self.allow_symbols.unwrap_or(defaults.allow_symbols),
        }
    }
}

/// Numbers per entry in the columns' `fields`; `index.js` has the same layout:
///
/// | at | what |
/// |---|---|
/// | 0, 1 | `start`, `end` in the input |
/// | 2, 3 | `line`, `column` |
/// | 4 | the error's index in `errorCodes`, or -1 |
/// | 5 | `duplicateOf`, or -1 |
/// | 6 | `smtputf8` (0 or 1) |
/// | 7-9, 10-12, 13-15, 16-18 | `name`, `address`, `normalized`, `key`: where (0 none, 1 the input, 2 the pool), start, end |
pub(crate) const STRIDE: usize = 19;

/// Where texts that are not slices of the input go.
#[derive(Default)]
struct Pool {
    text: String,
    /// The pool's length in UTF-16 code units.
    units: usize,
    /// Where the text pooled last starts, in bytes and in code units: an entry's key often
    /// equals its normalized form, and is then written once.
    last: (usize, usize),
}

impl Pool {
    /// The pool span of `part` in code units, writing it unless it is the text pooled last.
    fn add(&mut self, part: &str) -> (usize, usize) {
        let (byte, unit) = self.last;
        if !self.text.is_empty() && self.text.get(byte..) == Some(part) {
            return (unit, self.units);
        }
        self.last = (self.text.len(), self.units);
        self.text.push_str(part);
        self.units += utf16_len(part);
        (self.last.1, self.units)
    }
}

/// The reference to one of an entry's texts: `[where, start, end]`.
fn reference(
    entry: &Entry,
    part: Option<&str>,
    offsets: &mut Utf16Offsets<'_>,
    pool: &mut Pool,
) -> [i32; 3] {
    let Some(part) = part else {
        return [0, -1, -1];
    };
    let raw = entry.raw();
    let base = raw.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    // A slice of the raw text is the same slice of the input, `entry.start()` bytes in.
    if at >= base && at + part.len() <= base + raw.len() {
        let start = entry.start() + (at - base);
        let from = offsets.at(start);
        let to = offsets.at(start + part.len());
        return [1, narrow(from), narrow(to)];
    }
    let (from, to) = pool.add(part);
    [2, narrow(from), narrow(to)]
}

/// Offsets are at most `MAX_INPUT_CEILING` (2^30), and so is the pool (a few texts per entry
/// of at most that input).
fn narrow(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A count of entries (at most `MAX_INPUT_CEILING`).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The index of each code in `ErrorCode::ALL`, by the code's position in the enum.
fn code_index(code: ErrorCode) -> i32 {
    ErrorCode::ALL
        .iter()
        .position(|&c| c == code)
        .map_or(-1, narrow)
}

/// The list as columns: an object `{acceptable, valid, invalid, duplicates, overLimit, fields,
/// pool}`, `fields` an `Int32Array` of [`STRIDE`] numbers per entry, `pool` the texts that are not
/// slices of the input.
fn columns<'e>(env: &'e Env, text: &str, list: &address::AddressList) -> napi::Result<Object<'e>> {
    let mut fields = Vec::with_capacity(list.entries.len() * STRIDE);
    let mut offsets = Utf16Offsets::new(text);
    let mut pool = Pool::default();
    for entry in &list.entries {
        let start = offsets.at(entry.start());
        let end = offsets.at(entry.end());
        fields.extend_from_slice(&[
            narrow(start),
            narrow(end),
            narrow(entry.line()),
            narrow(entry.column()),
            entry.error().map_or(-1, code_index),
            entry.duplicate_of().map_or(-1, narrow),
            i32::from(entry.smtputf8()),
        ]);
        for part in [
            entry.name(),
            entry.address(),
            entry.normalized(),
            entry.key(),
        ] {
            fields.extend_from_slice(&reference(entry, part, &mut offsets, &mut pool));
        }
    }
    let mut object = Object::new(env)?;
    object.set_named_property("acceptable", list.acceptable)?;
    object.set_named_property("valid", count(list.valid))?;
    object.set_named_property("invalid", count(list.invalid))?;
    object.set_named_property("duplicates", count(list.duplicates))?;
    object.set_named_property("overLimit", count(list.over_limit))?;
    // Copied into an ordinary ArrayBuffer: an external one (`Int32Array::new`) costs a
    // finalizer per call.
    object.set_named_property("fields", Int32ArraySlice::copy_from(env, &fields)?)?;
    object.set_named_property("pool", pool.text)?;
    Ok(object)
}

/// Parses a pasted list into columns; `index.js`'s `parseAddresses` builds the entries.
#[napi(js_name = "_parseColumns", skip_typescript, catch_unwind)]
pub fn parse_columns<'e>(
    env: &'e Env,
    text: String,
    options: Option<ParseOptions>,
) -> napi::Result<Object<'e>> {
    let options = options.unwrap_or_default().to_core();
    let list = address::parse(&text, &options).map_err(|e| to_napi_err_in(e, &text))?;
    columns(env, &text, &list)
}

/// An address as typed (trimmed, normalized, its case kept) and its dedup key.
#[napi(object)]
pub struct Email {
    /// The address mail is sent to: `Jane@example.com`.
    pub address: String,
    /// The dedup key: `jane@example.com`.
    pub key: String,
}

/// Parses text that must be exactly one valid address (a form field, a signed-in account's
/// email). Throws an `InvitekitError` with the address's own code (`dotless_domain`, ...),
/// `unexpected_text` for more than one, or `input_too_large`.
#[napi(catch_unwind)]
pub fn parse_one(text: String, options: Option<ParseOptions>) -> napi::Result<Email> {
    let options = options.unwrap_or_default().to_core();
    let email = address::parse_one(&text, &options).map_err(to_napi_err)?;
    Ok(Email {
        address: email.address,
        key: email.key,
    })
}

/// The default cap on unique valid addresses in one batch: 200.
#[napi]
pub const DEFAULT_MAX_ADDRESSES: u32 = 200;
/// The default bound on a pasted text, in UTF-8 bytes: 65536.
#[napi]
pub const DEFAULT_MAX_INPUT_BYTES: u32 = 65536;
/// The bound on a pasted text whatever `maxInputBytes` says: 1 GiB.
#[napi]
pub const MAX_INPUT_CEILING: u32 = 1 << 30;

const _: () = assert!(
    address::DEFAULT_MAX_ADDRESSES == DEFAULT_MAX_ADDRESSES as usize
        && address::DEFAULT_MAX_INPUT_BYTES == DEFAULT_MAX_INPUT_BYTES as usize
        && address::MAX_INPUT_CEILING == MAX_INPUT_CEILING as usize
);
