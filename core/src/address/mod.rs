//! Parse and validate a pasted list of addresses.
//!
//! An admin pastes many addresses at once; [`parse`] turns the text into [`Entry`]s, each with
//! its exact place in the input (so a form can mark it red), its normalized form and dedup key,
//! and at most one stable [`ErrorCode`]. [`AddressList::acceptable`] says whether the list may be
//! used as a batch: no invalid and no over-limit entries (duplicates are merged, not refused).
//!
//! ```
//! use invitekit::address::{parse, ParseOptions};
//! use invitekit::ErrorCode;
//!
//! let list = parse(
//!     "Jane Doe <Jane@Example.COM>; Smith, John <john@example.com>\nbob@, jane@example.com",
//!     &ParseOptions::default(),
//! )?;
//! assert!(!list.acceptable);
//! let jane = &list.entries[0];
//! assert_eq!(jane.name(), Some("Jane Doe"));
//! assert_eq!(jane.normalized(), Some("Jane@example.com"));
//! assert_eq!(jane.key(), Some("jane@example.com"));
//! assert_eq!(list.entries[1].name(), Some("Smith, John"));
//! let bob = &list.entries[2];
//! assert_eq!((bob.line(), bob.column(), bob.error()), (2, 1, Some(ErrorCode::MissingDomain)));
//! assert_eq!(list.entries[3].error(), Some(ErrorCode::Duplicate));
//! assert_eq!(list.entries[3].duplicate_of(), Some(0));
//! # Ok::<(), invitekit::Error>(())
//! ```
//!
//! # How the text is cut into entries
//!
//! - **Separators** are `,` `;`, every Unicode white-space character (space, tab, LF, CR, CRLF,
//!   NBSP, U+3000, U+2028, ...), and the full-width `，` `；` `、`. Repeated, leading and trailing
//!   separators make no entries. A leading byte-order mark is skipped (and not counted in
//!   columns).
//! - **Groups**: a `"quoted string"` (with `\` escapes), an `<angle bracket>` group and a
//!   `(parenthesized)` group are never split by separators. A group is closed on the same line
//!   (LF, CR, U+2028, U+2029 end a line); an opener with no closer on its line is an ordinary
//!   character. Angle and parenthesized groups do not nest: a second `<` (or `(`) before the
//!   closer makes the first one an ordinary character.
//! - **Names**: words without `@` (and quoted strings) that come right before an `<address>` are
//!   its display name, back to the previous entry, a `;` or a line break, and across at most one
//!   comma: `Smith, John <john@x.com>` is one entry named `Smith, John`, the unquoted Outlook
//!   style. A quoted name is unquoted; runs of white space in a name become one space.
//! - **Comments as names**: a `(group)` right after an address (glued, or after white space only)
//!   is that entry's name when it has none: `jane@x.com (Jane Doe)`.
//! - **Trimming** of the address itself: a `mailto:` prefix (any case, with its `?query`),
//!   leading `•` and unmatched `(` `<`, trailing `.` `,` `;` `)` `>`, and surrounding quotes
//!   (`"…"`, `'…'`, `“…”`, `‘…’`) are removed. A word that is only such punctuation, or only
//!   list bullets (`•`, `-`, `*`), makes no entry.
//! - A word without `@` is an entry with [`ErrorCode::NotAnAddress`]; it is never dropped.
//!
//! # What a valid address is (by default)
//!
//! - The local part is a dot-atom: ASCII letters, digits and ``!#$%&'*+-/=?^_`{|}~``, or any
//!   non-ASCII character not refused below; dots only between other characters. Non-ASCII
//!   local parts are normalized to NFC and flagged [`Entry::smtputf8`].
//! - The domain is converted with IDNA (UTS #46, STD3 rules, hyphen checks) to lowercase
//!   punycode; it has at least two labels, and its top-level label is two or more ASCII letters
//!   or a valid `xn--` label.
//! - Byte limits, checked on both the Unicode and the ASCII form: local part ≤ 64, domain ≤ 253,
//!   label ≤ 63, whole address ≤ 254. A domain typed longer than 1,024 bytes is
//!   [`ErrorCode::DomainTooLong`] without further work.
//! - Refused unless an option allows it: quoted local parts, IP literals (an allowed literal
//!   must be a real IPv4 address or `IPv6:` address), dotless domains, comments inside the
//!   address, special-use domains (`.local .test .invalid .onion .localhost .arpa`), invisible
//!   characters, bidi controls, and emoji or symbol characters (non-ASCII only; ASCII `$+=^|~`
//!   are plain local-part characters). A local part starting with U+FEFF is refused even when
//!   invisible characters are allowed (a list's leading U+FEFF is a byte-order mark), and a
//!   dotless domain, when allowed, must not be a number.
//!
//! When several rules fail, the entry reports the first in this order: invisible, bidi, symbol
//! character; no `@`; comment; missing local part; missing domain; the local part's rules
//! (quoted, characters, dots, length; for an allowed quoted local part, its
//! length comes before its syntax); the domain's (IP literal, characters and IDNA, label and
//! domain length, dotless, top-level label, special use); the whole length.
//!
//! # Duplicates and the cap
//!
//! The dedup key is the normalized address with the local part lowercased (unless
//! [`ParseOptions::case_sensitive_local_part`]); domains always compare in their lowercase ASCII
//! form, so IDN and punycode spellings, and NFC and NFD spellings, are equal. A later entry with
//! an earlier key gets [`ErrorCode::Duplicate`] and [`Entry::duplicate_of`]. After
//! [`ParseOptions::max_addresses`] unique valid addresses, further new valid addresses get
//! [`ErrorCode::OverLimit`].

mod chars;
mod group;
mod lexer;
pub mod offsets;
mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, ErrorKind};

/// How [`parse`] cuts and judges a list. `Default` is the product's policy.
///
/// Deserializes from a JSON object in which every field is optional (the testdata format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParseOptions {
    /// At most this many unique valid addresses; later ones are [`ErrorCode::OverLimit`].
    /// Default 200.
    pub max_addresses: usize,
    /// Inputs longer than this many bytes are refused with [`ErrorCode::InputTooLarge`].
    /// Default 64 KiB; never more than [`MAX_INPUT_CEILING`].
    pub max_input_bytes: usize,
    /// Compare local parts case-sensitively in the dedup key. Default false.
    pub case_sensitive_local_part: bool,
    /// Accept `"quoted local"@example.com`. Default false.
    pub allow_quoted_local_part: bool,
    /// Accept `user@[192.0.2.1]` and `user@[IPv6:2001:db8::1]`. Default false.
    pub allow_ip_literal: bool,
    /// Accept single-label domains such as `user@intranet`. Default false.
    pub allow_dotless_domain: bool,
    /// Accept comments inside the address (`john(work)@example.com`); they are removed from the
    /// normalized form. Default false.
    pub allow_comments: bool,
    /// Accept `.local .test .invalid .onion .localhost .arpa` domains. Default false.
    pub allow_special_use_domains: bool,
    /// Accept invisible characters (they then face the ordinary rules). Default false.
    pub allow_invisible_characters: bool,
    /// Accept bidi control characters (they then face the ordinary rules). Default false.
    pub allow_bidi_controls: bool,
    /// Accept emoji and other symbol characters (they then face the ordinary rules). Default false.
    pub allow_symbols: bool,
}

/// The default cap on unique valid addresses in one batch.
pub const DEFAULT_MAX_ADDRESSES: usize = 200;
/// The default bound on the input size, in bytes.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 64 * 1024;
/// The bound on the input size whatever [`ParseOptions::max_input_bytes`] says: 1 GiB.
pub const MAX_INPUT_CEILING: usize = 1 << 30;

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_addresses: DEFAULT_MAX_ADDRESSES,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            case_sensitive_local_part: false,
            allow_quoted_local_part: false,
            allow_ip_literal: false,
            allow_dotless_domain: false,
            allow_comments: false,
            allow_special_use_domains: false,
            allow_invisible_characters: false,
            allow_bidi_controls: false,
            allow_symbols: false,
        }
    }
}

/// One entry of a pasted list: a place in the input and the verdict on it.
///
/// Serializes with the field names of the public JSON interface (`invitekit check --json`):
/// `index`, `raw`, `start`, `end`, `line`, `column`, `name`, `address`, `normalized`, `key`,
/// `smtputf8`, `error`, `duplicate_of`, null where they do not apply.
///
/// An entry is one allocation (its texts share it), which keeps a million-entry list fast.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// `raw`, then whichever of the normalized form, the key and the name it does not hold.
    pub(super) text: Box<str>,
    // Offsets, positions and the index fit in `u32`: inputs are at most MAX_INPUT_CEILING.
    // Small entries keep million-entry lists compact.
    pub(super) index: u32,
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) line: u32,
    pub(super) column: u32,
    pub(super) name: Span,
    pub(super) address: Span,
    pub(super) normalized: Span,
    pub(super) key: Span,
    /// `u32::MAX` for none.
    pub(super) duplicate_of: u32,
    pub(super) error: Option<ErrorCode>,
    pub(super) smtputf8: bool,
}

/// A range of an entry's text, or none. `u32` suffices: inputs are at most
/// [`MAX_INPUT_CEILING`], and an entry's text is at most twice its raw text plus two addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

/// Narrows an offset known to be within [`MAX_INPUT_CEILING`] (or a text built from one).
pub(crate) fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Span {
    /// No range.
    pub(crate) const NONE: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };

    pub(crate) fn new(start: usize, len: usize) -> Self {
        Span {
            start: narrow(start),
            end: narrow(start + len),
        }
    }

    pub(crate) fn from_option(span: Option<Span>) -> Self {
        span.unwrap_or(Span::NONE)
    }
}

impl Entry {
    fn part(&self, span: Span) -> Option<&str> {
        if span == Span::NONE {
            return None;
        }
        self.text.get(span.start as usize..span.end as usize)
    }

    /// Position in [`AddressList::entries`], from 0.
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// The entry's text exactly as in the input: `&input[entry.start()..entry.end()]`.
    pub fn raw(&self) -> &str {
        self.text
            .get(..(self.end - self.start) as usize)
            .unwrap_or_default()
    }

    /// Byte offset of the entry's first byte in the input.
    pub fn start(&self) -> usize {
        self.start as usize
    }

    /// Byte offset just past the entry's last byte.
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// Line of [`Entry::start`], from 1. LF, CR, CRLF, U+2028 and U+2029 end a line.
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// Column of [`Entry::start`] on its line, from 1, counted in Unicode scalar values (a
    /// leading byte-order mark is not counted).
    pub fn column(&self) -> usize {
        self.column as usize
    }

    /// The display name, if the entry has one (`Jane Doe` in `Jane Doe <jane@x.com>`).
    pub fn name(&self) -> Option<&str> {
        self.part(self.name)
    }

    /// The address as typed, once names, brackets, `mailto:` and punctuation are trimmed;
    /// `None` for [`ErrorCode::NotAnAddress`].
    pub fn address(&self) -> Option<&str> {
        self.part(self.address)
    }

    /// The normalized address: NFC local part, lowercase punycode domain. `None` when the
    /// address is invalid (a duplicate or an over-limit entry has one).
    pub fn normalized(&self) -> Option<&str> {
        self.part(self.normalized)
    }

    /// The dedup key: the normalized address with its local part lowercased unless
    /// [`ParseOptions::case_sensitive_local_part`]. `None` when the address is invalid.
    pub fn key(&self) -> Option<&str> {
        self.part(self.key)
    }

    /// Whether the local part is non-ASCII, so delivery needs SMTPUTF8.
    pub fn smtputf8(&self) -> bool {
        self.smtputf8
    }

    /// Why the entry cannot be used, if it cannot.
    pub fn error(&self) -> Option<ErrorCode> {
        self.error
    }

    /// For [`ErrorCode::Duplicate`]: the index of the first entry with the same key.
    pub fn duplicate_of(&self) -> Option<usize> {
        (self.duplicate_of != u32::MAX).then_some(self.duplicate_of as usize)
    }

    /// Whether this entry is a unique valid address within the cap.
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }
}

/// The texts of an entry, for building one by hand in this crate's tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct EntryTexts<'a> {
    pub raw: &'a str,
    pub name: Option<&'a str>,
    pub address: Option<&'a str>,
    pub normalized: Option<&'a str>,
    pub key: Option<&'a str>,
}

#[cfg(test)]
impl Entry {
    /// An entry with these texts and every number zero or empty, to be set by the test.
    pub(crate) fn from_texts(texts: EntryTexts<'_>) -> Entry {
        let mut text = texts.raw.to_owned();
        let mut span = |part: Option<&str>| {
            part.map(|part| {
                let span = Span::new(text.len(), part.len());
                text.push_str(part);
                span
            })
        };
        let (name, address) = (span(texts.name), span(texts.address));
        let (normalized, key) = (span(texts.normalized), span(texts.key));
        Entry {
            text: text.into_boxed_str(),
            index: 0,
            start: 0,
            end: narrow(texts.raw.len()),
            line: 1,
            column: 1,
            name: Span::from_option(name),
            address: Span::from_option(address),
            normalized: Span::from_option(normalized),
            key: Span::from_option(key),
            duplicate_of: u32::MAX,
            error: None,
            smtputf8: false,
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("index", &self.index())
            .field("raw", &self.raw())
            .field("start", &self.start())
            .field("end", &self.end())
            .field("line", &self.line())
            .field("column", &self.column())
            .field("name", &self.name())
            .field("address", &self.address())
            .field("normalized", &self.normalized())
            .field("key", &self.key())
            .field("smtputf8", &self.smtputf8)
            .field("error", &self.error)
            .field("duplicate_of", &self.duplicate_of())
            .finish()
    }
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Entry", 13)?;
        s.serialize_field("index", &self.index())?;
        s.serialize_field("raw", self.raw())?;
        s.serialize_field("start", &self.start())?;
        s.serialize_field("end", &self.end())?;
        s.serialize_field("line", &self.line())?;
        s.serialize_field("column", &self.column())?;
        s.serialize_field("name", &self.name())?;
        s.serialize_field("address", &self.address())?;
        s.serialize_field("normalized", &self.normalized())?;
        s.serialize_field("key", &self.key())?;
        s.serialize_field("smtputf8", &self.smtputf8)?;
        s.serialize_field("error", &self.error)?;
        s.serialize_field("duplicate_of", &self.duplicate_of())?;
        s.end()
    }
}

/// The result of [`parse`]: every entry, and the counts a form shows.
///
/// Serializes as the public JSON document of `invitekit check --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressList {
    /// No invalid and no over-limit entries: the list may be used as a batch.
    pub acceptable: bool,
    /// Unique valid addresses within the cap.
    pub valid: usize,
    /// Entries with an error other than [`ErrorCode::Duplicate`] and [`ErrorCode::OverLimit`].
    pub invalid: usize,
    /// Entries with [`ErrorCode::Duplicate`].
    pub duplicates: usize,
    /// Entries with [`ErrorCode::OverLimit`].
    pub over_limit: usize,
    /// Every entry, in input order.
    pub entries: Vec<Entry>,
}

/// The counts a form shows of a batch (a pasted list, or the rows of a file): how many are
/// valid, invalid, duplicates and over the cap, and whether the batch may be used.
///
/// ```
/// use invitekit::address::Counts;
/// use invitekit::ErrorCode;
///
/// let counts = Counts::of([None, Some(ErrorCode::Duplicate), None]);
/// assert_eq!((counts.valid, counts.duplicates), (2, 1));
/// assert!(counts.acceptable());
/// assert!(!Counts::of([None, Some(ErrorCode::OverLimit)]).acceptable());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Unique valid addresses within the cap.
    pub valid: usize,
    /// Items with an error other than [`ErrorCode::Duplicate`] and [`ErrorCode::OverLimit`].
    pub invalid: usize,
    /// Items with [`ErrorCode::Duplicate`].
    pub duplicates: usize,
    /// Items with [`ErrorCode::OverLimit`].
    pub over_limit: usize,
}

impl Counts {
    /// The counts of items with these errors (`None` for a valid one).
    pub fn of(errors: impl IntoIterator<Item = Option<ErrorCode>>) -> Self {
        let mut counts = Counts::default();
        for error in errors {
            match error {
                None => counts.valid += 1,
                Some(ErrorCode::Duplicate) => counts.duplicates += 1,
                Some(ErrorCode::OverLimit) => counts.over_limit += 1,
                Some(_) => counts.invalid += 1,
            }
        }
        counts
    }

    /// No invalid and no over-limit items: the batch may be used (duplicates are merged, not
    /// refused).
    pub fn acceptable(&self) -> bool {
        self.invalid == 0 && self.over_limit == 0
    }
}

impl AddressList {
    /// The list of these entries, with the counts they make.
    pub(crate) fn from_entries(entries: Vec<Entry>) -> Self {
        let counts = Counts::of(entries.iter().map(Entry::error));
        AddressList {
            acceptable: counts.acceptable(),
            valid: counts.valid,
            invalid: counts.invalid,
            duplicates: counts.duplicates,
            over_limit: counts.over_limit,
            entries,
        }
    }

    /// The unique valid entries within the cap, in input order.
    pub fn valid_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|entry| entry.is_valid())
    }
}

/// Parses a pasted list of addresses.
///
/// # Errors
///
/// [`ErrorCode::InputTooLarge`] when `input` is longer than
/// [`ParseOptions::max_input_bytes`] (or [`MAX_INPUT_CEILING`]); that check comes first and
/// takes constant time. Every other
/// problem is reported on its entry, never as an error.
pub fn parse(input: &str, options: &ParseOptions) -> Result<AddressList, Error> {
    check_size(input.len(), options)?;
    Ok(AddressList::from_entries(group::entries(input, options)))
}

fn check_size(len: usize, options: &ParseOptions) -> Result<(), Error> {
    let limit = options.max_input_bytes.min(MAX_INPUT_CEILING);
    if len > limit {
        return Err(Error::new(ErrorKind::InputTooLarge { limit }));
    }
    Ok(())
}

/// Parses a pasted list given as bytes, which must be UTF-8.
///
/// # Errors
///
/// [`ErrorCode::InputTooLarge`] as for [`parse`] (checked first, on the byte length), then
/// [`ErrorCode::InvalidUtf8`] when the bytes are not UTF-8.
///
/// ```
/// use invitekit::address::{parse_bytes, ParseOptions};
/// use invitekit::ErrorCode;
///
/// let error = parse_bytes(b"jane@example.com \xff", &ParseOptions::default()).unwrap_err();
/// assert_eq!(error.code(), ErrorCode::InvalidUtf8);
/// ```
pub fn parse_bytes(input: &[u8], options: &ParseOptions) -> Result<AddressList, Error> {
    check_size(input.len(), options)?;
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::new(ErrorKind::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        })
    })?;
    parse(text, options)
}

/// Parses text that must be exactly one valid address (an identity's email, a form field), and
/// returns its normalized form and dedup key, the same as [`parse`] gives in a list.
///
/// The text is bounded by [`ParseOptions::max_input_bytes`] like a list.
///
/// # Errors
///
/// [`ErrorCode::InputTooLarge`] as for [`parse`]; otherwise an [`ErrorKind::InvalidAddress`]
/// whose code is the entry's verdict ([`ErrorCode::InvalidDomain`], ...),
/// [`ErrorCode::NotAnAddress`] for text with no entry, or [`ErrorCode::UnexpectedText`] for text
/// with more than one.
///
/// ```
/// use invitekit::address::{parse_one, ParseOptions};
/// use invitekit::ErrorCode;
///
/// let email = parse_one(" Jane@Example.COM ", &ParseOptions::default())?;
/// assert_eq!((email.address.as_str(), email.key.as_str()), ("Jane@example.com", "jane@example.com"));
/// let error = parse_one("jane@example", &ParseOptions::default()).unwrap_err();
/// assert_eq!(error.code(), ErrorCode::DotlessDomain);
/// # Ok::<(), invitekit::Error>(())
/// ```
pub fn parse_one(text: &str, options: &ParseOptions) -> Result<crate::model::Email, Error> {
    let mut one = OneAddress::default();
    let (address, key) = one.check(text, options)?;
    Ok(crate::model::Email {
        address: address.to_owned(),
        key: key.to_owned(),
    })
}

/// [`parse_one`] for many texts in turn (a bulk import's rows): it reuses its buffer and
/// remembers IDNA verdicts from one text to the next, as [`parse`] does within a list.
#[derive(Default)]
pub(crate) struct OneAddress {
    /// The last valid address's normalized form, then its key.
    forms: String,
    idna: validate::IdnaCache,
}

impl OneAddress {
    /// [`parse_one`]'s verdict on `text`; when valid, its normalized form and key.
    ///
    /// A text that the lexer would find to be a single word is judged without building a
    /// list: its one entry would be the word trimmed (or none, for a word of bullets), and its
    /// verdict that of [`validate::check`] (the cap of one is never reached, and there is no
    /// earlier entry to duplicate). A plain ASCII address (`jane.doe@example.com`) takes the
    /// one-pass path of `check` before even that.
    pub(crate) fn check(
        &mut self,
        text: &str,
        options: &ParseOptions,
    ) -> Result<(&str, &str), Error> {
        check_size(text.len(), options)?;
        let invalid = |code| Error::new(ErrorKind::InvalidAddress { code });
        let out = &mut self.forms;
        out.clear();
        if validate::check_common(text, options, out).is_some() {
            return Ok(out.split_at(text.len()));
        }
        out.clear();
        if !text.starts_with(group::BOM) && lexer::whole_word(text) {
            if !text.contains('@') && group::is_punctuation(text) {
                return Err(invalid(ErrorCode::NotAnAddress));
            }
            return match validate::check(group::trim(text), options, out, &mut self.idna) {
                Ok(valid) => Ok(out.split_at(valid.normalized_len)),
                Err(code) => Err(invalid(code)),
            };
        }
        let list = parse(
            text,
            &ParseOptions {
                max_addresses: 1,
                ..options.clone()
            },
        )?;
        let [entry] = list.entries.as_slice() else {
            return Err(invalid(if list.entries.is_empty() {
                ErrorCode::NotAnAddress
            } else {
                ErrorCode::UnexpectedText
            }));
        };
        if let Some(code) = entry.error() {
            return Err(invalid(code));
        }
        match (entry.normalized(), entry.key()) {
            (Some(address), Some(key)) => {
                out.push_str(address);
                out.push_str(key);
                Ok(out.split_at(address.len()))
            }
            _ => Err(invalid(ErrorCode::NotAnAddress)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_or_a_precise_error() {
        let options = ParseOptions::default();
        let code = |text: &str| parse_one(text, &options).map_err(|e| e.code());
        assert!(code("Jane Doe <jane@example.com>").is_ok());
        assert_eq!(code(""), Err(ErrorCode::NotAnAddress));
        assert_eq!(code("jane"), Err(ErrorCode::NotAnAddress));
        assert_eq!(
            code("a@example.com b@example.com"),
            Err(ErrorCode::UnexpectedText)
        );
        assert_eq!(
            code("a@example.com a@example.com"),
            Err(ErrorCode::UnexpectedText)
        );
        assert_eq!(code("a@b..com"), Err(ErrorCode::InvalidDomain));
    }

    /// `parse_one` as it was before its one-pass path: always through a one-entry list.
    fn parse_one_by_list(
        text: &str,
        options: &ParseOptions,
    ) -> Result<(String, String), ErrorCode> {
        let list = parse(
            text,
            &ParseOptions {
                max_addresses: 1,
                ..options.clone()
            },
        )
        .map_err(|e| e.code())?;
        let [entry] = list.entries.as_slice() else {
            return Err(if list.entries.is_empty() {
                ErrorCode::NotAnAddress
            } else {
                ErrorCode::UnexpectedText
            });
        };
        if let Some(code) = entry.error() {
            return Err(code);
        }
        match (entry.normalized(), entry.key()) {
            (Some(address), Some(key)) => Ok((address.to_owned(), key.to_owned())),
            _ => Err(ErrorCode::NotAnAddress),
        }
    }

    /// Text around, in and instead of an address: what a cell or a form field may hold.
    fn one_address_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let before = "|[ <(\"'.,;•\t*-]|mailto:|MailTo:|\u{feff}|\u{3000}|Jane |\"Doe, J\" ";
        let local = "[a-zA-Z0-9.+_'!#$%&*/=?^`{|}~-]{0,12}|[a-z]{1,3}|m[a-z]{0,4}|[a-zé用\u{200B}\u{202E}☺.\u{301}]{1,6}|\"[a-z ]{0,4}\"|[a-z]{1,3}\\([a-z]{0,2}\\)";
        let at = "@|@@|";
        let domain = "[a-zA-Z0-9.-]{0,14}|[a-z]{1,4}\\.[a-zA-Z]{1,5}|[a-z]{1,3}\\.(local|test|Invalid|onion|localhost|arpa|xn--bcher-kva|com|c1)|[a-z]{1,3}\\.xn--[a-z]{1,3}\\.com|(bücher|Bücher|例え|xn--bcher-kva|münchen|a_b|xn--zz)\\.(example|jp|de|com)|\\[[0-9.]{1,9}\\]|\\[IPv6:[0-9a-f:]{1,9}\\]|[a-z]{1,3}";
        let after = "|[ >)\"'.,;:\t、]|\\?x|\\)|\\(c\\)|\\(Jane Doe\\)| [a-z]@b\\.co|\u{3000}|\n|\u{2028}|\u{a0}";
        prop_oneof![
            8 => (before, local, at, domain, after).prop_map(|(b, l, a, d, e)| format!("{b}{l}{a}{d}{e}")),
            1 => "\\PC{0,16}",
            1 => "[ -~]{0,16}",
        ]
    }

    fn one_address_options() -> impl proptest::strategy::Strategy<Value = ParseOptions> {
        use proptest::prelude::*;
        (
            prop_oneof![Just(DEFAULT_MAX_INPUT_BYTES), 0usize..30],
            any::<u16>(),
        )
            .prop_map(|(max_input_bytes, flags)| ParseOptions {
                max_addresses: usize::from(flags & 1),
                max_input_bytes,
                case_sensitive_local_part: flags & 2 != 0,
                allow_quoted_local_part: flags & 4 != 0,
                allow_ip_literal: flags & 8 != 0,
                allow_dotless_domain: flags & 16 != 0,
                allow_comments: flags & 32 != 0,
                allow_special_use_domains: flags & 64 != 0,
                allow_invisible_characters: flags & 128 != 0,
                allow_bidi_controls: flags & 256 != 0,
                allow_symbols: flags & 512 != 0,
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1_500))]

        /// `parse_one`'s shortcuts (the one-pass path, a single word judged without a list,
        /// IDNA verdicts kept from one text to the next) give the list's verdict and forms,
        /// whatever the text around an address and whatever the options.
        #[test]
        fn parse_one_agrees_with_the_list(
            texts in proptest::collection::vec(one_address_text(), 1..8),
            options in one_address_options(),
        ) {
            let mut one = OneAddress::default();
            for text in &texts {
                let expected = parse_one_by_list(text, &options);
                let fresh = parse_one(text, &options).map(|e| (e.address, e.key)).map_err(|e| e.code());
                proptest::prop_assert_eq!(&fresh, &expected, "{:?}", text);
                let reused = one
                    .check(text, &options)
                    .map(|(address, key)| (address.to_owned(), key.to_owned()))
                    .map_err(|e| e.code());
                proptest::prop_assert_eq!(&reused, &expected, "{:?}", text);
            }
        }
    }

    #[test]
    fn parse_one_takes_the_one_pass_path_for_plain_addresses() {
        let options = ParseOptions::default();
        let mut one = OneAddress::default();
        // The last ones once tripped up a shortcut being written.
        for text in [
            "Jane.Doe@Example.COM",
            "-x@a.bc",
            "m@mailto.com",
            "'a'@b.co",
            "mailto:?@",
            "\u{feff}@?x",
            "\u{3000}@",
            "@ a@b.co",
            "•a@b.co",
            "\"a\"@b.co",
        ] {
            let forms = one
                .check(text, &options)
                .map(|(address, key)| (address.to_owned(), key.to_owned()))
                .map_err(|e| e.code());
            assert_eq!(forms, parse_one_by_list(text, &options), "{text}");
        }
        assert!(
            validate::check_common("Jane.Doe@Example.COM", &options, &mut String::new()).is_some()
        );
    }

    #[test]
    fn entries_stay_compact() {
        // A million-entry list is a million of these: keep them small.
        assert!(
            std::mem::size_of::<Entry>() <= 80,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }
}
