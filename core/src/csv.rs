//! CSV import of a bulk-invite file, and export of the client table.
//!
//! # Import
//!
//! [`import`] reads a CSV file as a stream of [`ImportRow`]s, one per record, each with its line
//! number and at most one error code, so a form can list every bad row at once. Memory does not
//! grow with the file: records are read one at a time, and only the dedup keys of the valid
//! rows are kept, at most [`ParseOptions::max_addresses`] of them.
//!
//! - **Encoding**: UTF-8, with or without a byte-order mark. A row that is not UTF-8 is
//!   [`ErrorCode::InvalidUtf8`]; the rest of the file goes on.
//! - **Delimiter**: `,`, `;` or tab, whichever the first line has most of outside quotes (a
//!   comma when it has none).
//! - **Header**: the first record is a header when one of its cells names the email column:
//!   `email`, `e-mail`, `Email Address`, `mail`, `E-mail addresses`, `primary email`, ... (case,
//!   spaces and punctuation are ignored). Optional columns: `name` (or `full name`, `display
//!   name`, or `first name` with `last name`), `role`, `group` (or `team`) and `program`. A file
//!   without a header is read from its first record, and its email column is the first cell of
//!   that record that is a valid address. With neither, the call fails with
//!   [`ErrorCode::NoEmailColumn`].
//! - **Rows**: the email cell must be one valid address under the same rules as a pasted list
//!   ([`crate::address::parse_one`]); an empty one is [`ErrorCode::MissingEmail`]. A role cell
//!   must name a role ([`ErrorCode::InvalidRole`]). A row whose address appeared earlier is
//!   [`ErrorCode::Duplicate`] with the earlier row's line; valid rows beyond the cap are
//!   [`ErrorCode::OverLimit`]. Rows whose cells are all empty or white space are skipped.
//! - **Bounds**: the file may hold at most [`ImportOptions::max_bytes`] bytes
//!   ([`ErrorCode::InputTooLarge`], reported when the reader passes the bound, so the rows
//!   before it have been seen but a batch must not be made of them).
//! - **Counts**: [`crate::address::Counts`] counts the rows as a pasted list is counted, and
//!   says whether the file may be used as a batch (no invalid and no over-limit rows).
//!
//! ```
//! use invitekit::csv::{import, ImportOptions};
//! use invitekit::ErrorCode;
//!
//! let file = "\u{feff}Name;E-mail Address;Role\nJane Doe;jane@example.com;client\nBob;bob@;guest\n";
//! let rows: Vec<_> = import(file.as_bytes(), &ImportOptions::default())?.collect::<Result<_, _>>()?;
//! assert_eq!(rows[0].email.as_ref().map(|e| e.key.as_str()), Some("jane@example.com"));
//! assert_eq!(rows[0].name.as_deref(), Some("Jane Doe"));
//! assert_eq!((rows[1].line, rows[1].error), (3, Some(ErrorCode::MissingDomain)));
//! # Ok::<(), invitekit::Error>(())
//! ```
//!
//! # Export
//!
//! [`Export`] writes the client table: name, email, role, status, group, assigned staff email,
//! last visit, date created, activation date (instants in RFC 3339, UTC). A cell starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so a spreadsheet
//! opening the file never runs it as a formula.

use std::hash::BuildHasher as _;
use std::io::{self, Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use hashbrown::DefaultHashBuilder;

use crate::address::{OneAddress, ParseOptions, parse_one};
use crate::error::{Error, ErrorCode, ErrorKind};
use crate::model::{Email, Role};

/// The default bound on an imported file: 256 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// How far into the file the delimiter is looked for: the first line, up to this many bytes.
const SNIFF_BYTES: usize = 64 * 1024;

/// How [`import`] reads a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportOptions {
    /// The address rules and the cap (`max_addresses`: valid unique rows beyond it are
    /// [`ErrorCode::OverLimit`]). `max_input_bytes` is not used: see `max_bytes`.
    pub addresses: ParseOptions,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            addresses: ParseOptions::default(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Where [`import`] found each column (0-based), and how the file is cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The field delimiter: `b','`, `b';'` or `b'\t'`.
    pub delimiter: u8,
    /// Whether the first record is a header.
    pub header: bool,
    /// The email column.
    pub email: usize,
    /// The name column.
    pub name: Option<usize>,
    /// First and last name columns, joined with a space when there is no name column.
    pub first_name: Option<usize>,
    /// See `first_name`.
    pub last_name: Option<usize>,
    /// The role column.
    pub role: Option<usize>,
    /// The group column.
    pub group: Option<usize>,
    /// The program column.
    pub program: Option<usize>,
}

/// One record of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The line the record starts on, from 1.
    pub line: u64,
    /// The email cell as written (trimmed).
    pub raw_email: String,
    /// The address and its key, when valid (also for duplicates).
    pub email: Option<Email>,
    /// The name, if a column gives one.
    pub name: Option<String>,
    /// The role, if a column gives one.
    pub role: Option<Role>,
    /// The group named, if any.
    pub group: Option<String>,
    /// The program named, if any.
    pub program: Option<String>,
    /// Why the row cannot be used; `None` when it can.
    pub error: Option<ErrorCode>,
    /// For a duplicate: the line of the row with the same address.
    pub duplicate_of_line: Option<u64>,
}

/// Counts bytes read and refuses to read past the bound.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more than the bound means the file is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(TooLarge(self.limit))),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} bytes", self.0)
    }
}

impl std::error::Error for TooLarge {}

fn read_error(error: &io::Error) -> Error {
    if let Some(TooLarge(limit)) = error.get_ref().and_then(|e| e.downcast_ref::<TooLarge>()) {
        return Error::new(ErrorKind::InputTooLarge {
            limit: usize::try_from(*limit).unwrap_or(usize::MAX),
        });
    }
    Error::new(ErrorKind::ReadFailed {
        message: error.to_string(),
    })
}

/// One CSV record: its cells, and the line it starts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Record {
    /// Every cell's bytes, one after the other.
    bytes: Vec<u8>,
    /// Where each cell ends in `bytes`.
    ends: Vec<usize>,
    /// The line the record starts on, from 1.
    line: u64,
}

impl Record {
    /// Where cell `i` lies in `bytes`.
    fn span(&self, i: usize) -> Option<(usize, usize)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        (start <= end && end <= self.bytes.len()).then_some((start, end))
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = self.span(i)?;
        self.bytes.get(start..end)
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.ends.len()).filter_map(|i| self.get(i))
    }
}

/// Reads CSV records (RFC 4180, leniently) and counts lines exactly: LF, CRLF and a lone CR
/// each end a line, inside quoted cells too.
///
/// A cell that starts with `"` is quoted: `""` inside is one `"`, and text after the closing
/// quote up to the next delimiter is kept as written. Quotes inside an unquoted cell are
/// ordinary. A quote left open runs to the end of the file.
struct RecordReader<R> {
    inner: R,
    delimiter: u8,
    /// The line of the next byte.
    line: u64,
    /// A CR ended the last buffer: an LF right after it is part of the same line break.
    after_cr: bool,
    /// The bytes that end a run of ordinary bytes in a plain cell: the delimiter and line breaks.
    plain_stop: [u8; 3],
    /// The same inside quotes: `"` and line breaks (which are counted).
    quoted_stop: [u8; 3],
}

/// The length of the run of bytes at the start of `bytes` that are none of `stops`.
///
/// Eight bytes at a time: a byte of `x ^ broadcast(stop)` is zero where `x` holds `stop`, and
/// `(y - 0x01..) & !y & 0x80..` sets the top bit of (at least) the lowest zero byte of `y` and of
/// no byte below it.
fn run_len(bytes: &[u8], stops: [u8; 3]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const TOPS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_bytes = |y: u64| y.wrapping_sub(ONES) & !y & TOPS;
    let [a, b, c] = stops.map(|stop| u64::from(stop) * ONES);
    let mut chunks = bytes.chunks_exact(8);
    let mut start = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let found = zero_bytes(x ^ a) | zero_bytes(x ^ b) | zero_bytes(x ^ c);
        if found != 0 {
            return start + (found.trailing_zeros() / 8) as usize;
        }
        start += 8;
    }
    let rest = chunks.remainder();
    start
        + rest
            .iter()
            .position(|b| stops.contains(b))
            .unwrap_or(rest.len())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CellState {
    /// At the start of a cell.
    Start,
    /// In an unquoted cell, or after a quoted part.
    Plain,
    /// Inside quotes.
    Quoted,
    /// Inside quotes, just after a `"`: either `""` or the closing quote.
    QuoteInQuoted,
}

impl<R: io::BufRead> RecordReader<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        RecordReader {
            inner,
            delimiter,
            line: 1,
            after_cr: false,
            plain_stop: [delimiter, b'\n', b'\r'],
            quoted_stop: [b'"', b'\n', b'\r'],
        }
    }

    /// Reads the next record into `record`; `false` at the end of the input.
    ///
    /// Runs of ordinary bytes are found eight bytes at a time ([`run_len`]) and copied whole:
    /// most bytes of a file are in them.
    fn read(&mut self, record: &mut Record) -> io::Result<bool> {
        record.bytes.clear();
        record.ends.clear();
        let mut state = CellState::Start;
        let mut started = false;
        let (plain_stop, quoted_stop) = (self.plain_stop, self.quoted_stop);
        loop {
            let buffer = self.inner.fill_buf()?;
            if buffer.is_empty() {
                if started {
                    record.ends.push(record.bytes.len());
                }
                return Ok(started);
            }
            let mut i = 0;
            let mut done = false;
            while i < buffer.len() {
                if std::mem::take(&mut self.after_cr) && buffer[i] == b'\n' {
                    // The LF of a CRLF whose CR ended the last record (skipped) or a line inside
                    // quotes (kept: a CR inside a record leaves it in quotes).
                    i += 1;
                    if started {
                        record.bytes.push(b'\n');
                    }
                    continue;
                }
                if !started {
                    started = true;
                    record.line = self.line;
                }
                match state {
                    CellState::Quoted => {
                        let rest = &buffer[i..];
                        let run = run_len(rest, quoted_stop);
                        record.bytes.extend_from_slice(&rest[..run]);
                        i += run;
                        let Some(&byte) = buffer.get(i) else {
                            break;
                        };
                        i += 1;
                        if byte == b'"' {
                            state = CellState::QuoteInQuoted;
                        } else {
                            self.line += 1;
                            self.after_cr = byte == b'\r';
                            record.bytes.push(byte);
                        }
                        continue;
                    }
                    CellState::QuoteInQuoted if buffer[i] == b'"' => {
                        i += 1;
                        record.bytes.push(b'"');
                        state = CellState::Quoted;
                        continue;
                    }
                    CellState::Start if buffer[i] == b'"' => {
                        i += 1;
                        state = CellState::Quoted;
                        continue;
                    }
                    _ => {}
                }
                let rest = &buffer[i..];
                let run = run_len(rest, plain_stop);
                if run > 0 {
                    record.bytes.extend_from_slice(&rest[..run]);
                    state = CellState::Plain;
                }
                i += run;
                let Some(&byte) = buffer.get(i) else {
                    break;
                };
                i += 1;
                record.ends.push(record.bytes.len());
                if byte == self.delimiter {
                    state = CellState::Start;
                } else {
                    self.line += 1;
                    self.after_cr = byte == b'\r';
                    done = true;
                    break;
                }
            }
            self.inner.consume(i);
            if done {
                return Ok(true);
            }
        }
    }
}

/// A header cell as compared: lowercase letters and digits only.
fn header_name(cell: &[u8]) -> String {
    String::from_utf8_lossy(cell)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const EMAIL_HEADERS: &[&str] = &[
    "email",
    "emails",
    "emailaddress",
    "emailaddresses",
    "mail",
    "mailaddress",
    "primaryemail",
    "workemail",
    "emailid",
];
const NAME_HEADERS: &[&str] = &[
    "name",
    "fullname",
    "displayname",
    "clientname",
    "contactname",
];
const FIRST_NAME_HEADERS: &[&str] = &["firstname", "givenname", "first"];
const LAST_NAME_HEADERS: &[&str] = &["lastname", "surname", "familyname", "last"];
const ROLE_HEADERS: &[&str] = &["role"];
const GROUP_HEADERS: &[&str] = &["group", "groups", "team"];
const PROGRAM_HEADERS: &[&str] = &["program", "programme", "programs"];

/// The delimiter the first line has most of, outside double quotes.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let (mut quoted, mut counts) = (false, [0usize; 3]);
    for &byte in head {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delimiters = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delimiters[best]
}

/// The header's layout, if `record` is a header.
fn header_layout(record: &Record, delimiter: u8) -> Option<Layout> {
    let names: Vec<String> = record.iter().map(header_name).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    Some(Layout {
        delimiter,
        header: true,
        email: find(EMAIL_HEADERS)?,
        name: find(NAME_HEADERS),
        first_name: find(FIRST_NAME_HEADERS),
        last_name: find(LAST_NAME_HEADERS),
        role: find(ROLE_HEADERS),
        group: find(GROUP_HEADERS),
        program: find(PROGRAM_HEADERS),
    })
}

/// What an import reads from: the head read to find the delimiter, then the rest, bounded.
type Source<R> = io::BufReader<io::Chain<io::Cursor<Vec<u8>>, Bounded<R>>>;

/// A stream of [`ImportRow`]s: see the module doc. Made by [`import`].
pub struct Import<R: Read> {
    reader: RecordReader<Source<R>>,
    record: Record,
    /// The first record, already read to find the layout, when it is a row.
    pending: Option<Record>,
    rows: Rows,
    failed: bool,
}

/// What turns records into rows.
struct Rows {
    layout: Layout,
    options: ParseOptions,
    /// Dedup keys of the valid rows, with their lines: at most the cap.
    seen: Seen,
    /// Judges each row's address, reusing its buffer and IDNA verdicts.
    one: OneAddress,
}

/// The dedup keys of the valid rows, each with the line of its row: a hash table made for a
/// million keys and more, where a row costs about one cache miss.
///
/// - `entries` holds every key with its line, one after the other, only ever appended to (no
///   allocation per key): `[line: u64 LE][length: u32 LE][key][zeros to a multiple of 8]`.
/// - `slots` is an open-addressing table with linear probing, at most 3/4 full. A slot is 0
///   (empty), or the key's 32-bit hash in its high half and its entry's offset / 8 + 1 in its
///   low half. The low bits of that hash pick the slot a key starts from, so growing the table
///   never reads the entries, and a probe reads another key's entry only when all 32 bits agree.
///   Looking a new key up and inserting it touch the same cache line.
struct Seen {
    entries: Vec<u8>,
    /// How many keys `entries` holds.
    count: usize,
    slots: Vec<u64>,
    /// Keys whose entry would start past what a slot can address (32 GiB of entries; in theory).
    overflow: hashbrown::HashMap<Box<str>, u64>,
    /// The largest offset / 8 + 1 a slot takes: `u32::MAX` (lower in tests).
    slot_offset_limit: u32,
    hasher: DefaultHashBuilder,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            entries: Vec::new(),
            count: 0,
            slots: Vec::new(),
            overflow: hashbrown::HashMap::new(),
            slot_offset_limit: u32::MAX,
            hasher: DefaultHashBuilder::default(),
        }
    }
}

/// The size of an entry's header: the line, then the key's length.
const ENTRY_HEADER: usize = 12;

impl Seen {
    fn len(&self) -> usize {
        self.count + self.overflow.len()
    }

    /// The key's 32-bit hash for [`Seen::insert`], and the line of the row with `key`, if any.
    fn find(&self, key: &str) -> (u32, Option<u64>) {
        let full = self.hasher.hash_one(key);
        // Folded to 32 bits: truncation is the point.
        let hash = (full ^ (full >> 32)) as u32;
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut i = hash as usize & mask;
            loop {
                let slot = self.slots[i];
                if slot == 0 {
                    break;
                }
                if (slot >> 32) as u32 == hash
                    && let Some(line) = self.line_of(slot, key)
                {
                    return (hash, Some(line));
                }
                i = (i + 1) & mask;
            }
        }
        if self.overflow.is_empty() {
            (hash, None)
        } else {
            (hash, self.overflow.get(key).copied())
        }
    }

    /// The line in the entry of `slot`, if its key is `key`.
    fn line_of(&self, slot: u64, key: &str) -> Option<u64> {
        let offset = (slot as u32 as usize - 1) * 8;
        let header = self.entries.get(offset..offset + ENTRY_HEADER)?;
        let (line, length) = header.split_at(8);
        let length = u32::from_le_bytes(length.try_into().ok()?) as usize;
        let start = offset + ENTRY_HEADER;
        if self.entries.get(start..start + length)? != key.as_bytes() {
            return None;
        }
        Some(u64::from_le_bytes(line.try_into().ok()?))
    }

    /// Records `key`, not yet seen, whose hash [`Seen::find`] gave, at `line`.
    fn insert(&mut self, hash: u32, key: &str, line: u64) {
        let offset = self.entries.len();
        let slot_offset = u32::try_from(offset / 8 + 1)
            .ok()
            .filter(|&o| o <= self.slot_offset_limit);
        let (Some(slot_offset), Ok(length)) = (slot_offset, u32::try_from(key.len())) else {
            self.overflow.insert(key.into(), line);
            return;
        };
        if (self.count + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.entries.extend_from_slice(&line.to_le_bytes());
        self.entries.extend_from_slice(&length.to_le_bytes());
        self.entries.extend_from_slice(key.as_bytes());
        self.entries
            .resize(self.entries.len().next_multiple_of(8), 0);
        self.count += 1;
        Self::place(
            &mut self.slots,
            (u64::from(hash) << 32) | u64::from(slot_offset),
        );
    }

    /// Doubles the table (64 slots at first).
    fn grow(&mut self) {
        let slots = vec![0; (self.slots.len() * 2).max(64)];
        for slot in std::mem::replace(&mut self.slots, slots) {
            if slot != 0 {
                Self::place(&mut self.slots, slot);
            }
        }
    }

    /// Puts `slot` in the first empty slot from the one its hash picks.
    fn place(slots: &mut [u64], slot: u64) {
        let mask = slots.len() - 1;
        let mut i = (slot >> 32) as usize & mask;
        while slots[i] != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = slot;
    }
}

/// Starts reading a bulk-invite CSV file (see the module doc).
///
/// # Errors
///
/// [`ErrorCode::NoEmailColumn`] when neither a header nor the first record shows an email
/// column; [`ErrorCode::InputTooLarge`] or [`ErrorCode::ReadFailed`] when reading fails. Rows
/// report their own problems as they are read.
pub fn import<R: Read>(reader: R, options: &ImportOptions) -> Result<Import<R>, Error> {
    let mut bounded = Bounded {
        inner: reader,
        left: options.max_bytes,
        limit: options.max_bytes,
    };
    // The head: enough to see the first line (or SNIFF_BYTES of it).
    let mut head = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    while head.len() < SNIFF_BYTES && !head.contains(&b'\n') {
        let n = bounded.read(&mut chunk).map_err(|e| read_error(&e))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    if head.starts_with(b"\xef\xbb\xbf") {
        head.drain(..3);
    }
    let delimiter = sniff_delimiter(&head);
    let source = io::Cursor::new(head).chain(bounded);
    let mut reader = RecordReader::new(io::BufReader::with_capacity(64 * 1024, source), delimiter);
    let mut first = Record::default();
    let has_first = reader.read(&mut first).map_err(|e| read_error(&e))?;
    let (layout, pending) = match header_layout(&first, delimiter) {
        Some(layout) => (layout, None),
        None => {
            let email = first
                .iter()
                .position(|cell| {
                    std::str::from_utf8(cell)
                        .is_ok_and(|cell| parse_one(cell, &options.addresses).is_ok())
                })
                .filter(|_| has_first)
                .ok_or_else(|| Error::new(ErrorKind::NoEmailColumn))?;
            let layout = Layout {
                delimiter,
                header: false,
                email,
                name: None,
                first_name: None,
                last_name: None,
                role: None,
                group: None,
                program: None,
            };
            (layout, Some(first))
        }
    };
    Ok(Import {
        reader,
        record: Record::default(),
        pending,
        rows: Rows {
            layout,
            options: options.addresses.clone(),
            seen: Seen::default(),
            one: OneAddress::default(),
        },
        failed: false,
    })
}

impl<R: Read> Import<R> {
    /// Where the columns were found.
    pub fn layout(&self) -> &Layout {
        &self.rows.layout
    }
}

/// Whether every cell of `record` is empty or white space: it makes no row.
fn is_blank(record: &Record) -> bool {
    // The cells cover the record's bytes.
    record.bytes.iter().all(u8::is_ascii_whitespace)
}

/// `text.trim()`, quicker for text that starts and ends with a printable ASCII character.
fn trim(text: &str) -> &str {
    let ascii = text.trim_ascii();
    match (ascii.as_bytes().first(), ascii.as_bytes().last()) {
        // What `trim_ascii` leaves of the ends is not white space in any sense.
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => ascii,
        _ => text.trim(),
    }
}

impl Rows {
    /// The row of a record that is not blank.
    fn row(&mut self, record: &Record) -> ImportRow {
        let line = record.line;
        // One UTF-8 check for the whole record: when it passes, a cell is UTF-8 exactly when it
        // starts and ends on character boundaries (delimiters and quotes are ASCII).
        let whole = std::str::from_utf8(&record.bytes).ok();
        let mut error = None;
        let mut cell = |column: Option<usize>| -> Option<&str> {
            let (start, end) = record.span(column?)?;
            let text = match whole {
                Some(whole) => whole.get(start..end),
                None => std::str::from_utf8(&record.bytes[start..end]).ok(),
            };
            match text {
                Some(text) => Some(trim(text)).filter(|t| !t.is_empty()),
                None => {
                    error.get_or_insert(ErrorCode::InvalidUtf8);
                    None
                }
            }
        };
        let layout = &self.layout;
        let raw_email = cell(Some(layout.email)).unwrap_or_default();
        let name = match cell(layout.name) {
            Some(name) => Some(name.to_owned()),
            None => match (cell(layout.first_name), cell(layout.last_name)) {
                (Some(first), Some(last)) => {
                    let mut name = String::with_capacity(first.len() + 1 + last.len());
                    name.push_str(first);
                    name.push(' ');
                    name.push_str(last);
                    Some(name)
                }
                (Some(part), None) | (None, Some(part)) => Some(part.to_owned()),
                (None, None) => None,
            },
        };
        let role_text = cell(layout.role);
        let group = cell(layout.group).map(str::to_owned);
        let program = cell(layout.program).map(str::to_owned);
        let verdict = match error {
            Some(error) => Verdict::refused(error),
            None => self.verdict(raw_email, role_text, line),
        };
        ImportRow {
            line,
            raw_email: raw_email.to_owned(),
            email: verdict.email,
            name,
            role: verdict.role,
            group,
            program,
            error: verdict.error,
            duplicate_of_line: verdict.duplicate_of_line,
        }
    }

    /// The address, role and dedup verdict of a row whose cells are UTF-8.
    fn verdict(&mut self, raw_email: &str, role_text: Option<&str>, line: u64) -> Verdict {
        if raw_email.is_empty() {
            return Verdict::refused(ErrorCode::MissingEmail);
        }
        let (address, key) = match self.one.check(raw_email, &self.options) {
            Ok(forms) => forms,
            Err(e) => return Verdict::refused(e.code()),
        };
        let mut verdict = Verdict {
            email: Some(Email {
                address: address.to_owned(),
                key: key.to_owned(),
            }),
            role: None,
            error: None,
            duplicate_of_line: None,
        };
        if let Some(text) = role_text {
            match text.parse::<Role>() {
                Ok(role) => verdict.role = Some(role),
                Err(e) => {
                    verdict.error = Some(e.code());
                    return verdict;
                }
            }
        }
        match self.seen.find(key) {
            (_, Some(first)) => {
                verdict.error = Some(ErrorCode::Duplicate);
                verdict.duplicate_of_line = Some(first);
            }
            _ if self.seen.len() >= self.options.max_addresses => {
                verdict.error = Some(ErrorCode::OverLimit);
            }
            (hash, None) => self.seen.insert(hash, key, line),
        }
        verdict
    }
}

/// The part of an [`ImportRow`] that judges it.
struct Verdict {
    email: Option<Email>,
    role: Option<Role>,
    error: Option<ErrorCode>,
    duplicate_of_line: Option<u64>,
}

impl Verdict {
    fn refused(error: ErrorCode) -> Self {
        Verdict {
            email: None,
            role: None,
            error: Some(error),
            duplicate_of_line: None,
        }
    }
}

impl<R: Read> Iterator for Import<R> {
    type Item = Result<ImportRow, Error>;

    /// The next row, or the error that stopped the file ([`ErrorCode::InputTooLarge`],
    /// [`ErrorCode::ReadFailed`]); after an error, `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(first) = self.pending.take()
            && !is_blank(&first)
        {
            return Some(Ok(self.rows.row(&first)));
        }
        while !self.failed {
            match self.reader.read(&mut self.record) {
                Ok(true) if is_blank(&self.record) => {}
                Ok(true) => return Some(Ok(self.rows.row(&self.record))),
                Ok(false) => return None,
                Err(error) => {
                    self.failed = true;
                    return Some(Err(read_error(&error)));
                }
            }
        }
        None
    }
}

/// One line of the exported client table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportRow<'a> {
    /// The client's name.
    pub name: Option<&'a str>,
    /// The address.
    pub email: Option<&'a str>,
    /// The role.
    pub role: Option<Role>,
    /// The status label ("Invite Pending").
    pub status: &'a str,
    /// The groups' names, joined with "; ".
    pub group: &'a str,
    /// The assigned staff member's address.
    pub assigned_staff_email: Option<&'a str>,
    /// When the client was last seen.
    pub last_visit: Option<DateTime<Utc>>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the client was activated.
    pub activated_at: Option<DateTime<Utc>>,
}

/// The export's header.
pub const EXPORT_HEADER: [&str; 9] = [
    "name",
    "email",
    "role",
    "status",
    "group",
    "assigned staff email",
    "last visit",
    "date created",
    "activation date",
];

/// A cell as a spreadsheet may safely open it: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return gets a `'` before it.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes the client table as CSV, header first.
pub struct Export<W: Write> {
    writer: ::csv::Writer<W>,
}

fn instant(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl<W: Write> Export<W> {
    /// An export into `writer`; writes the header.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::WriteFailed`] when the writer fails.
    pub fn new(writer: W) -> Result<Self, Error> {
        let mut writer = ::csv::Writer::from_writer(writer);
        writer.write_record(EXPORT_HEADER).map_err(write_error)?;
        Ok(Export { writer })
    }

    /// Writes one row, each cell neutralized.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::WriteFailed`] when the writer fails.
    pub fn write(&mut self, row: &ExportRow<'_>) -> Result<(), Error> {
        let cells = [
            neutralize(row.name.unwrap_or("")),
            neutralize(row.email.unwrap_or("")),
            row.role.map_or("", Role::as_str).into(),
            neutralize(row.status),
            neutralize(row.group),
            neutralize(row.assigned_staff_email.unwrap_or("")),
            instant(row.last_visit).into(),
            instant(Some(row.created_at)).into(),
            instant(row.activated_at).into(),
        ];
        self.writer
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(write_error)
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::WriteFailed`] when the writer fails.
    pub fn finish(self) -> Result<W, Error> {
        self.writer
            .into_inner()
            .map_err(|e| write_error(e.into_error().into()))
    }
}

fn write_error(error: ::csv::Error) -> Error {
    Error::new(ErrorKind::WriteFailed {
        message: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn rows(file: &str, options: &ImportOptions) -> Vec<ImportRow> {
        import(file.as_bytes(), options)
            .expect("layout")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows")
    }

    fn verdicts(rows: &[ImportRow]) -> Vec<(u64, Option<ErrorCode>)> {
        rows.iter().map(|r| (r.line, r.error)).collect()
    }

    #[test]
    fn headers_are_found_whatever_their_spelling() {
        for header in [
            "email",
            "E-mail",
            "Email Address",
            "E-MAIL ADDRESSES",
            "mail",
            "Primary Email",
        ] {
            let file = format!("Name,{header}\nJane,jane@example.com\n");
            let imported = import(file.as_bytes(), &ImportOptions::default()).expect(header);
            assert_eq!(imported.layout().email, 1, "{header}");
            assert_eq!(imported.layout().name, Some(0));
            let rows: Vec<_> = imported.collect::<Result<_, _>>().expect("rows");
            assert_eq!(rows[0].name.as_deref(), Some("Jane"));
        }
        let file = "First Name\tLast Name\tEmail\tRole\tTeam\tProgramme\nJane\tDoe\tjane@example.com\tStaff\tBoard\tGold\n";
        let row = &rows(file, &ImportOptions::default())[0];
        assert_eq!(row.name.as_deref(), Some("Jane Doe"));
        assert_eq!(row.role, Some(Role::Staff));
        assert_eq!(
            (row.group.as_deref(), row.program.as_deref()),
            (Some("Board"), Some("Gold"))
        );
    }

    #[test]
    fn delimiters_and_byte_order_marks_are_detected() {
        assert_eq!(sniff_delimiter(b"a,b;c;d\n1,2,3"), b';');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d,e\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter(b"email\n"), b',');
        let file = "\u{feff}email;name\njane@example.com;\"Doe; Jane\"\n";
        let row = &rows(file, &ImportOptions::default())[0];
        assert_eq!(row.name.as_deref(), Some("Doe; Jane"));
        assert_eq!(row.error, None);
    }

    #[test]
    fn headerless_files_use_the_first_address_column() {
        let file = "Jane,jane@example.com\nBob,bob@example.com\n";
        let imported = import(file.as_bytes(), &ImportOptions::default()).expect("layout");
        assert!(!imported.layout().header);
        assert_eq!(imported.layout().email, 1);
        assert_eq!(
            verdicts(&imported.collect::<Result<Vec<_>, _>>().expect("rows")),
            [(1, None), (2, None)]
        );
        let error = import("a,b\nc,d\n".as_bytes(), &ImportOptions::default()).err();
        assert_eq!(error.map(|e| e.code()), Some(ErrorCode::NoEmailColumn));
        let error = import("".as_bytes(), &ImportOptions::default()).err();
        assert_eq!(error.map(|e| e.code()), Some(ErrorCode::NoEmailColumn));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let file = "email,role\njane@example.com,client\n\nbob@,client\n,client\njane@EXAMPLE.com,guest\ncarol@example.com,owner\n\"multi\nline\"@x.com,client\ndan@example.com,\n";
        let got = rows(file, &ImportOptions::default());
        assert_eq!(
            verdicts(&got),
            [
                (2, None),
                (4, Some(ErrorCode::MissingDomain)),
                (5, Some(ErrorCode::MissingEmail)),
                (6, Some(ErrorCode::Duplicate)),
                (7, Some(ErrorCode::InvalidRole)),
                (8, Some(ErrorCode::UnexpectedText)),
                (10, None),
            ]
        );
        assert_eq!(got[3].duplicate_of_line, Some(2));
    }

    #[test]
    fn the_cap_applies_to_valid_unique_rows() {
        let options = ImportOptions {
            addresses: ParseOptions {
                max_addresses: 2,
                ..ParseOptions::default()
            },
            ..ImportOptions::default()
        };
        let file = "email\na@example.com\nb@example.com\na@example.com\nc@example.com\n";
        assert_eq!(
            verdicts(&rows(file, &options)),
            [
                (2, None),
                (3, None),
                (4, Some(ErrorCode::Duplicate)),
                (5, Some(ErrorCode::OverLimit))
            ]
        );
    }

    #[test]
    fn a_row_that_is_not_utf8_is_reported_and_the_rest_goes_on() {
        let file = b"email,name\na@example.com,\xff\nb@example.com,Bob\n";
        let got: Vec<_> = import(&file[..], &ImportOptions::default())
            .expect("layout")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            verdicts(&got),
            [(2, Some(ErrorCode::InvalidUtf8)), (3, None)]
        );
    }

    #[test]
    fn files_over_the_bound_are_refused() {
        let options = ImportOptions {
            max_bytes: 40,
            ..ImportOptions::default()
        };
        let file = "email\na@example.com\nb@example.com\nc@example.com\n";
        let results: Vec<_> = import(file.as_bytes(), &options).expect("layout").collect();
        let last = results.last().expect("a result");
        assert_eq!(
            last.as_ref().err().map(Error::code),
            Some(ErrorCode::InputTooLarge)
        );
        // Exactly at the bound is fine.
        let exact = ImportOptions {
            max_bytes: file.len() as u64,
            ..ImportOptions::default()
        };
        assert_eq!(rows(file, &exact).len(), 3);
    }

    #[test]
    fn exports_neutralize_formulas_and_read_back() {
        let created = Utc
            .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
            .single()
            .expect("instant");
        let mut export = Export::new(Vec::new()).expect("header");
        export
            .write(&ExportRow {
                name: Some("=HYPERLINK(\"http://evil\")"),
                email: Some("jane@example.com"),
                role: Some(Role::Client),
                status: "Invite Pending",
                group: "-Board; Gold",
                assigned_staff_email: Some("@staff@example.com"),
                last_visit: None,
                created_at: created,
                activated_at: Some(created),
            })
            .expect("row");
        let text = String::from_utf8(export.finish().expect("finish")).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "name,email,role,status,group,assigned staff email,last visit,date created,activation date"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "\"'=HYPERLINK(\"\"http://evil\"\")\",jane@example.com,client,Invite Pending,'-Board; Gold,'@staff@example.com,,2026-11-21T09:00:00Z,2026-11-21T09:00:00Z"
            )
        );
        for safe in ["Jane", "", "a=b", "1+1"] {
            assert_eq!(neutralize(safe), safe);
        }
        for formula in ["=1", "+1", "-1", "@x", "\tx", "\rx"] {
            assert!(neutralize(formula).starts_with('\''));
        }
        // The export reads back as an import.
        let back = rows(&text, &ImportOptions::default());
        assert_eq!(
            back[0].email.as_ref().map(|e| e.address.as_str()),
            Some("jane@example.com")
        );
        assert_eq!(back[0].role, Some(Role::Client));
    }

    fn records(input: &[u8], delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut reader = RecordReader::new(io::BufReader::with_capacity(3, input), delimiter);
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut record).expect("in memory") {
            let cells = record
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            out.push((record.line, cells));
        }
        out
    }

    #[test]
    fn runs_stop_at_the_first_stop_byte() {
        let stops = [b',', b'\n', b'\r'];
        for text in [
            &b""[..],
            b"abc",
            b"abcdefgh",
            b"abcdefghijklmnopq",
            b"a,b",
            b"abcdefg,",
            b"abcdefgh,",
            b"abcdefghijklmno\r\n",
            b"\n",
            b"\x80\xff\x01,\x2c",
            b"\xac\xac\xac\xac\xac\xac\xac\xac\xac\xac,",
        ] {
            let expected = text
                .iter()
                .position(|b| stops.contains(b))
                .unwrap_or(text.len());
            assert_eq!(run_len(text, stops), expected, "{text:?}");
        }
    }

    #[test]
    fn seen_keys_are_found_with_their_lines() {
        for limit in [u32::MAX, 1_000] {
            let mut seen = Seen {
                slot_offset_limit: limit,
                ..Seen::default()
            };
            let key = |i: u64| format!("user{}@example{}.com", i * 7919, i % 13);
            for i in 0..20_000 {
                let (hash, found) = seen.find(&key(i));
                assert_eq!(found, None, "{i}");
                seen.insert(hash, &key(i), i + 2);
                assert_eq!(seen.find(&key(i)).1, Some(i + 2));
            }
            assert_eq!(seen.len(), 20_000);
            assert!(limit == u32::MAX || seen.overflow.len() > 10_000);
            for i in 0..20_000 {
                assert_eq!(seen.find(&key(i)).1, Some(i + 2), "{i}");
                assert_eq!(seen.find(&key(i + 20_000)).1, None, "{i}");
            }
            // A prefix or an extension of a key is another key.
            assert_eq!(seen.find("user0@example0.co").1, None);
            assert_eq!(seen.find("user0@example0.com.").1, None);
            assert_eq!(seen.find("").1, None);
            let (hash, _) = seen.find("");
            seen.insert(hash, "", 1);
            assert_eq!(seen.find("").1, Some(1));
        }
    }

    #[test]
    fn records_know_their_lines_whatever_the_line_breaks() {
        // A buffer of 3 bytes splits CRLFs and quotes across reads.
        let got = records(b"a,b\r\n\r\n\"x\r\ny\",z\rq\"\"r,\"s\"\"t\"u\n\nlast", b',');
        assert_eq!(
            got,
            [
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["".into()]),
                (3, vec!["x\r\ny".into(), "z".into()]),
                (5, vec!["q\"\"r".into(), "s\"tu".into()]),
                (6, vec!["".into()]),
                (7, vec!["last".into()]),
            ]
        );
        assert_eq!(records(b"", b','), []);
        assert_eq!(
            records(b"\"open\nquote", b';'),
            [(1, vec!["open\nquote".into()])]
        );
        assert_eq!(
            records(b"a;b,c\n", b';'),
            [(1, vec!["a".into(), "b,c".into()])]
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_bytes_give_rows_in_line_order_or_a_precise_error(input in proptest::collection::vec(any::<u8>(), 0..400)) {
                let lines = 1 + input.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
                match import(&input[..], &ImportOptions::default()) {
                    Err(error) => prop_assert_eq!(error.code(), ErrorCode::NoEmailColumn),
                    Ok(imported) => {
                        let mut last = 0;
                        for row in imported {
                            let row = row.expect("in memory, within the bound");
                            prop_assert!(row.line > last && row.line <= lines);
                            last = row.line;
                            prop_assert_eq!(row.error.is_none(), row.email.is_some() && row.duplicate_of_line.is_none());
                        }
                    }
                }
            }

            #[test]
            fn runs_end_where_a_byte_by_byte_scan_ends(
                input in proptest::collection::vec(proptest::sample::select(vec![0u8, 1, b',', b';', b'\t', b'\n', b'\r', b'"', b'a', 0x2b, 0x2d, 0x7f, 0x80, 0xab, 0xac, 0xff]), 0..40),
                delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
            ) {
                for stops in [[delimiter, b'\n', b'\r'], [b'"', b'\n', b'\r']] {
                    let expected = input.iter().position(|b| stops.contains(b)).unwrap_or(input.len());
                    prop_assert_eq!(run_len(&input, stops), expected);
                }
            }

            #[test]
            fn exported_names_and_addresses_read_back(
                people in proptest::collection::vec(("[a-z]{1,8}", "[ -~\u{e9}\n\r,;\"]{0,12}"), 1..20)
            ) {
                let created = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).single().expect("instant");
                let mut export = Export::new(Vec::new()).expect("header");
                let mut expected = Vec::new();
                for (i, (local, name)) in people.iter().enumerate() {
                    let email = format!("{local}{i}@example.com");
                    export.write(&ExportRow { name: Some(name), email: Some(&email), created_at: created, ..ExportRow::default() }).expect("row");
                    let name = neutralize(name).trim().to_owned();
                    expected.push((email, Some(name).filter(|n| !n.is_empty())));
                }
                let text = export.finish().expect("finish");
                let back: Vec<_> = import(&text[..], &ImportOptions::default())
                    .expect("layout")
                    .map(|row| row.map(|r| (r.raw_email, r.name)))
                    .collect::<Result<_, _>>()
                    .expect("rows");
                prop_assert_eq!(back, expected);
            }
        }
    }
}
