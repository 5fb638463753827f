//! `parse_addresses` and `parse_one`: the pasted-list parser, with the GIL released.
//!
//! A parsed list stays in Rust: `AddressList` holds the core's list and hands out
//! `AddressEntry` views, whose attributes become Python objects only when read. So a
//! 200-address paste costs one parse and one Python object, not a few thousand.
//!
//! Entry positions are Python string indices (code points): `text[e.start:e.end] == e.raw`.
//! The core counts bytes; the conversion is one forward pass over the text, and none for ASCII.

use std::sync::Arc;

use invitekit::address::{
    self, DEFAULT_MAX_ADDRESSES, DEFAULT_MAX_INPUT_BYTES, Entry, MAX_INPUT_CEILING, ParseOptions,
};
use invitekit::{Error, ErrorKind};
use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyDict, PyList, PySlice, PyString};

use crate::convert::type_name;
use crate::errors::to_py_err;

/// Converts byte offsets into a text to Python string indices (code points), walking forward:
/// offsets asked in increasing order cost one pass over the text in all.
pub(crate) struct CharOffsets<'a> {
    text: &'a [u8],
    ascii: bool,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    /// A converter for offsets into `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        CharOffsets {
            text: text.as_bytes(),
            ascii: text.is_ascii(),
            byte: 0,
            chars: 0,
        }
    }

    /// The string index of byte offset `byte` (clamped to the text's length).
    pub(crate) fn index(&mut self, byte: usize) -> usize {
        if self.ascii {
            return byte.min(self.text.len());
        }
        let byte = byte.min(self.text.len());
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        let between = self.text.get(self.byte..byte).unwrap_or_default();
        // Every byte but a UTF-8 continuation byte (0b10xx_xxxx) starts a code point.
        self.chars += between.iter().filter(|&&b| (b as i8) >= -0x40).count();
        self.byte = byte;
        self.chars
    }
}

/// A parsed list and its entries' spans as string indices.
struct Parsed {
    list: address::AddressList,
    /// `(start, end)` per entry in string indices; `None` when they equal the byte offsets
    /// (an ASCII text).
    spans: Option<Vec<(usize, usize)>>,
}

impl Parsed {
    fn new(text: &str, list: address::AddressList) -> Self {
        let spans = (!text.is_ascii()).then(|| {
            let mut offsets = CharOffsets::new(text);
            list.entries
                .iter()
                .map(|entry| (offsets.index(entry.start()), offsets.index(entry.end())))
                .collect()
        });
        Parsed { list, spans }
    }

    fn span(&self, index: usize) -> (usize, usize) {
        match &self.spans {
            Some(spans) => spans.get(index).copied().unwrap_or_default(),
            None => self
                .list
                .entries
                .get(index)
                .map_or((0, 0), |entry| (entry.start(), entry.end())),
        }
    }
}

/// The parser's options, as keyword arguments.
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub(crate) fn options(
    max_addresses: usize,
    max_input_bytes: usize,
    case_sensitive_local_part: bool,
    allow_quoted_local_part: bool,
    allow_ip_literal: bool,
    allow_dotless_domain: bool,
    allow_comments: bool,
    allow_special_use_domains: bool,
    allow_invisible_characters: bool,
    allow_bidi_controls: bool,
    allow_symbols: bool,
) -> ParseOptions {
    ParseOptions {
        max_addresses,
        max_input_bytes,
        case_sensitive_local_part,
        allow_quoted_local_part,
        allow_ip_literal,
        allow_dotless_domain,
        allow_comments,
        allow_special_use_domains,
        allow_invisible_characters,
        allow_bidi_controls,
        allow_symbols,
    }
}

/// A text handed over from Python, readable without the GIL.
enum Input {
    Text(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl Input {
    /// `text` as `str` or `bytes`; a `str` with more code points than `limit` is refused as too
    /// large before it is copied (it has at least as many bytes).
    fn from_py(text: &Bound<'_, PyAny>, limit: usize) -> PyResult<Input> {
        let limit = limit.min(MAX_INPUT_CEILING);
        if let Ok(string) = text.cast::<PyString>() {
            if string.len()? > limit {
                return Err(to_py_err(Error::new(ErrorKind::InputTooLarge { limit })));
            }
            return Ok(Input::Text(string.extract()?));
        }
        if let Ok(bytes) = text.cast::<PyBytes>() {
            return Ok(Input::Bytes(bytes.extract()?));
        }
        Err(PyTypeError::new_err(format!(
            "expected str or bytes, got {}",
            type_name(text)
        )))
    }
}

// The signatures spell the defaults out, so Python sees them (`inspect.signature`, stubtest).
const _: () = assert!(DEFAULT_MAX_ADDRESSES == 200 && DEFAULT_MAX_INPUT_BYTES == 65536);

/// Parses a pasted list of addresses: see `invitekit.parse_addresses` in the stubs.
#[pyfunction]
#[pyo3(signature = (
    text,
    *,
    max_addresses = 200,
    max_input_bytes = 65536,
    case_sensitive_local_part = false,
    allow_quoted_local_part = false,
    allow_ip_literal = false,
    allow_dotless_domain = false,
    allow_comments = false,
    allow_special_use_domains = false,
    allow_invisible_characters = false,
    allow_bidi_controls = false,
    allow_symbols = false,
))]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
fn parse_addresses(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    max_addresses: usize,
    max_input_bytes: usize,
    case_sensitive_local_part: bool,
    allow_quoted_local_part: bool,
    allow_ip_literal: bool,
    allow_dotless_domain: bool,
    allow_comments: bool,
    allow_special_use_domains: bool,
    allow_invisible_characters: bool,
    allow_bidi_controls: bool,
    allow_symbols: bool,
) -> PyResult<AddressList> {
    let options = options(
        max_addresses,
        max_input_bytes,
        case_sensitive_local_part,
        allow_quoted_local_part,
        allow_ip_literal,
        allow_dotless_domain,
        allow_comments,
        allow_special_use_domains,
        allow_invisible_characters,
        allow_bidi_controls,
        allow_symbols,
    );
    let input = Input::from_py(text, max_input_bytes)?;
    // Borrowed, not moved: the Python objects are released here, with the GIL held.
    let parsed = py.detach(|| -> Result<Parsed, Error> {
        match &input {
            Input::Text(text) => {
                let text: &str = text;
                Ok(Parsed::new(text, address::parse(text, &options)?))
            }
            Input::Bytes(bytes) => {
                let list = address::parse_bytes(bytes, &options)?;
                // parse_bytes checked that the bytes are UTF-8.
                let text = std::str::from_utf8(bytes).unwrap_or_default();
                Ok(Parsed::new(text, list))
            }
        }
    });
    parsed
        .map(|parsed| AddressList {
            inner: Arc::new(parsed),
        })
        .map_err(to_py_err)
}

/// Parses text that must be exactly one valid address: see `invitekit.parse_one` in the stubs.
#[pyfunction]
#[pyo3(signature = (
    text,
    *,
    max_input_bytes = 65536,
    case_sensitive_local_part = false,
    allow_quoted_local_part = false,
    allow_ip_literal = false,
    allow_dotless_domain = false,
    allow_comments = false,
    allow_special_use_domains = false,
    allow_invisible_characters = false,
    allow_bidi_controls = false,
    allow_symbols = false,
))]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
fn parse_one<'py>(
    py: Python<'py>,
    text: &str,
    max_input_bytes: usize,
    case_sensitive_local_part: bool,
    allow_quoted_local_part: bool,
    allow_ip_literal: bool,
    allow_dotless_domain: bool,
    allow_comments: bool,
    allow_special_use_domains: bool,
    allow_invisible_characters: bool,
    allow_bidi_controls: bool,
    allow_symbols: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let options = options(
        DEFAULT_MAX_ADDRESSES,
        max_input_bytes,
        case_sensitive_local_part,
        allow_quoted_local_part,
        allow_ip_literal,
        allow_dotless_domain,
        allow_comments,
        allow_special_use_domains,
        allow_invisible_characters,
        allow_bidi_controls,
        allow_symbols,
    );
    let email = address::parse_one(text, &options).map_err(to_py_err)?;
    let dict = PyDict::new(py);
    dict.set_item("address", email.address)?;
    dict.set_item("key", email.key)?;
    Ok(dict)
}

/// The result of `parse_addresses`: a read-only sequence of `AddressEntry`, with the counts a
/// form shows.
#[pyclass(frozen, sequence, module = "invitekit")]
pub(crate) struct AddressList {
    inner: Arc<Parsed>,
}

impl AddressList {
    fn entry(&self, index: usize) -> AddressEntry {
        AddressEntry {
            inner: Arc::clone(&self.inner),
            index,
        }
    }

    fn len(&self) -> usize {
        self.inner.list.entries.len()
    }
}

#[pymethods]
impl AddressList {
    fn __len__(&self) -> usize {
        self.len()
    }

    fn __getitem__<'py>(&self, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = index.py();
        if let Ok(slice) = index.cast::<PySlice>() {
            let len = isize::try_from(self.len()).unwrap_or(isize::MAX);
            let indices = slice.indices(len)?;
            let list = PyList::empty(py);
            let mut i = indices.start;
            for _ in 0..indices.slicelength {
                list.append(self.entry(usize::try_from(i).unwrap_or_default()))?;
                i += indices.step;
            }
            return Ok(list.into_any());
        }
        let i: isize = index.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "AddressList indices must be integers or slices, not {}",
                type_name(index)
            ))
        })?;
        let len = self.len();
        let resolved = if i < 0 {
            len.checked_sub(i.unsigned_abs())
        } else {
            Some(i.unsigned_abs()).filter(|&i| i < len)
        };
        match resolved {
            Some(i) => Ok(Bound::new(py, self.entry(i))?.into_any()),
            None => Err(PyIndexError::new_err("AddressList index out of range")),
        }
    }

    fn __iter__(&self) -> AddressListIter {
        AddressListIter {
            inner: Arc::clone(&self.inner),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn __repr__(&self) -> String {
        let list = &self.inner.list;
        format!(
            "<AddressList {} entries: {} valid, {} invalid, {} duplicates, {} over limit{}>",
            list.entries.len(),
            list.valid,
            list.invalid,
            list.duplicates,
            list.over_limit,
            if list.acceptable {
                ""
            } else {
                ", not acceptable"
            }
        )
    }

    /// No invalid and no over-limit entries: the list may be used as a batch (duplicates are
    /// merged, not refused).
    #[getter]
    fn acceptable(&self) -> bool {
        self.inner.list.acceptable
    }

    /// Unique valid addresses within the cap.
    #[getter]
    fn valid(&self) -> usize {
        self.inner.list.valid
    }

    /// Entries with an error other than `duplicate` and `over_limit`.
    #[getter]
    fn invalid(&self) -> usize {
        self.inner.list.invalid
    }

    /// Entries with `duplicate`.
    #[getter]
    fn duplicates(&self) -> usize {
        self.inner.list.duplicates
    }

    /// Entries with `over_limit`.
    #[getter]
    fn over_limit(&self) -> usize {
        self.inner.list.over_limit
    }

    /// Every entry, in input order, as a new list.
    #[getter]
    fn entries(&self) -> Vec<AddressEntry> {
        (0..self.len()).map(|i| self.entry(i)).collect()
    }

    /// The unique valid entries within the cap, in input order.
    fn valid_entries(&self) -> Vec<AddressEntry> {
        self.inner
            .list
            .entries
            .iter()
            .filter(|entry| entry.is_valid())
            .map(|entry| self.entry(entry.index()))
            .collect()
    }

    /// The list as the JSON document of `invitekit check --json`, except that `start` and
    /// `end` are string indices.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let list = &self.inner.list;
        let dict = PyDict::new(py);
        dict.set_item("acceptable", list.acceptable)?;
        dict.set_item("valid", list.valid)?;
        dict.set_item("invalid", list.invalid)?;
        dict.set_item("duplicates", list.duplicates)?;
        dict.set_item("over_limit", list.over_limit)?;
        let entries = PyList::empty(py);
        for i in 0..self.len() {
            entries.append(self.entry(i).to_dict(py)?)?;
        }
        dict.set_item("entries", entries)?;
        Ok(dict)
    }
}

/// An iterator over an `AddressList`.
#[pyclass(frozen, module = "invitekit")]
pub(crate) struct AddressListIter {
    inner: Arc<Parsed>,
    next: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl AddressListIter {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self) -> Option<AddressEntry> {
        use std::sync::atomic::Ordering;
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        if index < self.inner.list.entries.len() {
            Some(AddressEntry {
                inner: Arc::clone(&self.inner),
                index,
            })
        } else {
            // Stay exhausted.
            self.next
                .store(self.inner.list.entries.len(), Ordering::Relaxed);
            None
        }
    }
}

/// One entry of a parsed list: a place in the text and the verdict on it.
#[pyclass(frozen, eq, module = "invitekit")]
pub(crate) struct AddressEntry {
    inner: Arc<Parsed>,
    index: usize,
}

impl PartialEq for AddressEntry {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get() && self.span() == other.span()
    }
}

impl AddressEntry {
    fn get(&self) -> Option<&Entry> {
        self.inner.list.entries.get(self.index)
    }

    fn span(&self) -> (usize, usize) {
        self.inner.span(self.index)
    }
}

#[pymethods]
impl AddressEntry {
    /// Position in the list, from 0.
    #[getter]
    fn index(&self) -> usize {
        self.index
    }

    /// The entry's text exactly as in the input: `text[entry.start:entry.end]`.
    #[getter]
    fn raw(&self) -> &str {
        self.get().map_or("", Entry::raw)
    }

    /// String index (code points) of the entry's first character in the input.
    #[getter]
    fn start(&self) -> usize {
        self.span().0
    }

    /// String index just past the entry's last character.
    #[getter]
    fn end(&self) -> usize {
        self.span().1
    }

    /// Line of `start`, from 1.
    #[getter]
    fn line(&self) -> usize {
        self.get().map_or(0, Entry::line)
    }

    /// Column of `start` on its line, from 1, in code points.
    #[getter]
    fn column(&self) -> usize {
        self.get().map_or(0, Entry::column)
    }

    /// The display name, or `None`.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.get().and_then(Entry::name)
    }

    /// The address as typed, once names, brackets, `mailto:` and punctuation are trimmed;
    /// `None` for `not_an_address`.
    #[getter]
    fn address(&self) -> Option<&str> {
        self.get().and_then(Entry::address)
    }

    /// NFC local part and lowercase punycode domain; `None` when invalid.
    #[getter]
    fn normalized(&self) -> Option<&str> {
        self.get().and_then(Entry::normalized)
    }

    /// The dedup key; `None` when invalid.
    #[getter]
    fn key(&self) -> Option<&str> {
        self.get().and_then(Entry::key)
    }

    /// Whether the local part is non-ASCII (delivery needs SMTPUTF8).
    #[getter]
    fn smtputf8(&self) -> bool {
        self.get().is_some_and(Entry::smtputf8)
    }

    /// The entry's error code, or `None` when it is a unique valid address within the cap.
    #[getter]
    fn error(&self) -> Option<&'static str> {
        self.get().and_then(Entry::error).map(|code| code.as_str())
    }

    /// For `duplicate`: the index of the first entry with the same key.
    #[getter]
    fn duplicate_of(&self) -> Option<usize> {
        self.get().and_then(Entry::duplicate_of)
    }

    /// Whether this entry is a unique valid address within the cap.
    #[getter]
    fn is_valid(&self) -> bool {
        self.get().is_some_and(Entry::is_valid)
    }

    /// The entry as a dict with the keys of `invitekit check --json` (`start` and `end` as
    /// string indices).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("index", self.index)?;
        dict.set_item("raw", self.raw())?;
        dict.set_item("start", self.start())?;
        dict.set_item("end", self.end())?;
        dict.set_item("line", self.line())?;
        dict.set_item("column", self.column())?;
        dict.set_item("name", self.name())?;
        dict.set_item("address", self.address())?;
        dict.set_item("normalized", self.normalized())?;
        dict.set_item("key", self.key())?;
        dict.set_item("smtputf8", self.smtputf8())?;
        dict.set_item("error", self.error())?;
        dict.set_item("duplicate_of", self.duplicate_of())?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        match self.error() {
            Some(code) => format!("<AddressEntry {} {:?} {code}>", self.index, self.raw()),
            None => format!(
                "<AddressEntry {} {:?} {}>",
                self.index,
                self.raw(),
                self.normalized().unwrap_or("")
            ),
        }
    }
}

/// Adds the parser's functions and classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_addresses, m)?)?;
    m.add_function(wrap_pyfunction!(parse_one, m)?)?;
    m.add_class::<AddressList>()?;
    m.add_class::<AddressEntry>()?;
    m.add("DEFAULT_MAX_ADDRESSES", DEFAULT_MAX_ADDRESSES)?;
    m.add("DEFAULT_MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES)?;
    m.add("MAX_INPUT_CEILING", MAX_INPUT_CEILING)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::CharOffsets;

    #[test]
    fn byte_offsets_become_code_point_indices() {
        let text = "é <a@b.co>, 用户@例え.jp 😀 x";
        let mut offsets = CharOffsets::new(text);
        for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let expected = text[..byte].chars().count();
            assert_eq!(offsets.index(byte), expected, "{byte}");
        }
        // Going back starts over.
        assert_eq!(offsets.index(0), 0);
        assert_eq!(offsets.index(2), 1);
        assert_eq!(CharOffsets::new("abc").index(9), 3);
    }
}
