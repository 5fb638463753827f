//! `parseAddresses` and `parseOne`: the pasted-list parser.
//!
//! Offsets are UTF-16 code units, the string indices of Kotlin and Java
//! (`text.substring(e.start.toInt(), e.end.toInt()) == e.raw`) and of Swift's `utf16` view; the
//! core counts bytes, and [`Utf16Offsets`] converts them in one pass (none for ASCII). Columns
//! count characters (code points), as the core does.

use invitekit::ErrorCode;
use invitekit::address::offsets::Utf16Offsets;
use invitekit::address::{self, DEFAULT_MAX_ADDRESSES, DEFAULT_MAX_INPUT_BYTES};
use invitekit::model::Email;

use crate::errors::InvitekitError;

/// The parser's options. The defaults are the product's policy.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ParseOptions {
    /// At most this many unique valid addresses; later ones are `over_limit`.
    #[uniffi(default = 200)]
    pub max_addresses: u32,
    /// Inputs longer than this many UTF-8 bytes are refused with `input_too_large` (at most
    /// 2^30).
    #[uniffi(default = 65536)]
    pub max_input_bytes: u32,
    /// Compare local parts case-sensitively in the dedup key.
    #[uniffi(default = false)]
    pub case_sensitive_local_part: bool,
    /// Accept quoted local parts (`"jane doe"@example.com`).
    #[uniffi(default = false)]
    pub allow_quoted_local_part: bool,
    /// Accept IP-literal domains (`jane@[192.0.2.1]`).
    #[uniffi(default = false)]
    pub allow_ip_literal: bool,
    /// Accept domains without a dot (`jane@localhost`).
    #[uniffi(default = false)]
    pub allow_dotless_domain: bool,
    /// Accept and drop RFC 5322 comments (`jane(work)@example.com`).
    #[uniffi(default = false)]
    pub allow_comments: bool,
    /// Accept special-use domains (`.test`, `.invalid`, `.localhost`, `.example`).
    #[uniffi(default = false)]
    pub allow_special_use_domains: bool,
    /// Accept invisible characters (zero-width spaces and joiners) in addresses.
    #[uniffi(default = false)]
    pub allow_invisible_characters: bool,
    /// Accept bidirectional controls in addresses.
    #[uniffi(default = false)]
    pub allow_bidi_controls: bool,
    /// Accept symbols (emoji and other pictographs) in local parts.
    #[uniffi(default = false)]
    pub allow_symbols: bool,
}

// The record's defaults above spell out the core's.
const _: () = assert!(DEFAULT_MAX_ADDRESSES == 200 && DEFAULT_MAX_INPUT_BYTES == 65536);

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions::from_core(&address::ParseOptions::default())
    }
}

impl ParseOptions {
    fn from_core(options: &address::ParseOptions) -> Self {
        ParseOptions {
            max_addresses: u32::try_from(options.max_addresses).unwrap_or(u32::MAX),
            max_input_bytes: u32::try_from(options.max_input_bytes).unwrap_or(u32::MAX),
            case_sensitive_local_part: options.case_sensitive_local_part,
            allow_quoted_local_part: options.allow_quoted_local_part,
            allow_ip_literal: options.allow_ip_literal,
            allow_dotless_domain: options.allow_dotless_domain,
            allow_comments: options.allow_comments,
            allow_special_use_domains: options.allow_special_use_domains,
            allow_invisible_characters: options.allow_invisible_characters,
            allow_bidi_controls: options.allow_bidi_controls,
            allow_symbols: options.allow_symbols,
        }
    }

    /// The core's options.
    pub(crate) fn to_core(&self) -> address::ParseOptions {
        address::ParseOptions {
            max_addresses: self.max_addresses as usize,
            max_input_bytes: self.max_input_bytes as usize,
            case_sensitive_local_part: self.case_sensitive_local_part,
            allow_quoted_local_part: self.allow_quoted_local_part,
            allow_ip_literal: self.allow_ip_literal,
            allow_dotless_domain: self.allow_dotless_domain,
            allow_comments: self.allow_comments,
            allow_special_use_domains: self.allow_special_use_domains,
            allow_invisible_characters: self.allow_invisible_characters,
            allow_bidi_controls: self.allow_bidi_controls,
            allow_symbols: self.allow_symbols,
        }
    }
}

/// The core's options for `options`, the defaults when `None`.
pub(crate) fn core_options(options: Option<ParseOptions>) -> address::ParseOptions {
    options.map_or_else(address::ParseOptions::default, |o| o.to_core())
}

/// One entry of a parsed list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AddressEntry {
    /// Its index among the entries, from 0.
    pub index: u64,
    /// The entry's text, exactly as in the input.
    pub raw: String,
    /// Its start in the input, in UTF-16 code units.
    pub start: u64,
    /// Its end (exclusive), in UTF-16 code units.
    pub end: u64,
    /// Its line, from 1.
    pub line: u64,
    /// Its column, from 1, in characters (code points).
    pub column: u64,
    /// The display name, if any.
    pub name: Option<String>,
    /// The address as typed, after names, brackets, `mailto:` and punctuation are trimmed
    /// (`null` for `not_an_address`).
    pub address: Option<String>,
    /// NFC local part and lowercase punycode domain (`null` when invalid).
    pub normalized: Option<String>,
    /// The dedup key (`null` when invalid).
    pub key: Option<String>,
    /// Whether the local part is non-ASCII.
    pub smtputf8: bool,
    /// What is wrong with it: an entry code, or `null` when valid.
    pub error: Option<ErrorCode>,
    /// For a duplicate, the index of the first entry with the same key.
    pub duplicate_of: Option<u64>,
}

/// A parsed list: its entries in input order, and the counts they make.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AddressList {
    /// No invalid and no over-limit entries: the list may be used as a batch.
    pub acceptable: bool,
    /// Unique valid addresses within the cap.
    pub valid: u64,
    /// Entries with an error other than `duplicate` and `over_limit`.
    pub invalid: u64,
    /// Entries that repeat an earlier one (`duplicate`).
    pub duplicates: u64,
    /// Valid entries past the cap (`over_limit`).
    pub over_limit: u64,
    /// Every entry, in input order.
    pub entries: Vec<AddressEntry>,
}

/// Parses a pasted list of addresses (separated by commas, semicolons, white space or line
/// breaks; names and angle brackets allowed), flagging each invalid entry with its code and
/// position, duplicates (by the dedup key), and valid entries past `maxAddresses`.
///
/// Throws `InvalidInput` (`input_too_large`) when the text is over `maxInputBytes` UTF-8 bytes;
/// nothing else about the text fails the call.
#[uniffi::export(default(options = None))]
pub fn parse_addresses(
    text: String,
    options: Option<ParseOptions>,
) -> Result<AddressList, InvitekitError> {
    let list = address::parse(&text, &core_options(options))?;
    let mut offsets = Utf16Offsets::new(&text);
    let entries = list
        .entries
        .iter()
        .map(|entry| AddressEntry {
            index: entry.index() as u64,
            raw: entry.raw().to_owned(),
            start: offsets.at(entry.start()) as u64,
            end: offsets.at(entry.end()) as u64,
            line: entry.line() as u64,
            column: entry.column() as u64,
            name: entry.name().map(str::to_owned),
            address: entry.address().map(str::to_owned),
            normalized: entry.normalized().map(str::to_owned),
            key: entry.key().map(str::to_owned),
            smtputf8: entry.smtputf8(),
            error: entry.error(),
            duplicate_of: entry.duplicate_of().map(|i| i as u64),
        })
        .collect();
    Ok(AddressList {
        acceptable: list.acceptable,
        valid: list.valid as u64,
        invalid: list.invalid as u64,
        duplicates: list.duplicates as u64,
        over_limit: list.over_limit as u64,
        entries,
    })
}

/// Parses one address (a sign-in form's field), as the list parser would: the address as typed
/// and its dedup key.
///
/// Throws `InvalidAddresses` with the entry's code when the text is not one valid address.
#[uniffi::export(default(options = None))]
pub fn parse_one(text: String, options: Option<ParseOptions>) -> Result<Email, InvitekitError> {
    Ok(address::parse_one(&text, &core_options(options))?)
}
