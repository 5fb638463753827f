//! From words to entries: display names, comments, trimming; then verdicts, duplicates, the
//! cap, and each entry's single allocation.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::chars::Separator;
use super::lexer::{Word, Words};
use super::validate::{self, IdnaCache, Valid};
use super::{Entry, ParseOptions, Span, narrow};
use crate::error::ErrorCode;

pub(super) const BOM: &str = "\u{FEFF}";
const QUOTE_PAIRS: [(char, char); 4] = [('"', '"'), ('\'', '\''), ('“', '”'), ('‘', '’')];

/// Cuts `input` into entries and judges each.
pub(super) fn entries(input: &str, options: &ParseOptions) -> Vec<Entry> {
    let begin = if input.starts_with(BOM) { BOM.len() } else { 0 };
    let mut grouper = Grouper {
        input,
        options,
        names: Vec::new(),
        comma_at: None,
        attach: false,
        draft: None,
        scratch: String::new(),
        idna: IdnaCache::default(),
        // About one entry per 24 bytes of a real list: room without regrowth in most cases.
        list: List::with_capacity(input.len() / 24),
    };
    for word in Words::new(input, begin) {
        grouper.word(word);
    }
    grouper.flush_names(usize::MAX);
    grouper.finish_draft();
    grouper.list.entries
}

/// The last entry found, kept open because a `(comment)` after it may still join it. Its
/// normalized form and key, when valid, are in [`Grouper::scratch`].
struct Draft<'a> {
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    name: Option<Cow<'a, str>>,
    address: Option<&'a str>,
    verdict: Result<Valid, ErrorCode>,
}

struct Grouper<'a> {
    input: &'a str,
    options: &'a ParseOptions,
    /// Words that may be the display name of an `<address>` still to come.
    names: Vec<Word>,
    /// Where in `names` the one comma a name may span falls.
    comma_at: Option<usize>,
    /// The draft is an address that a `(comment)` after white space may name.
    attach: bool,
    draft: Option<Draft<'a>>,
    scratch: String,
    idna: IdnaCache,
    list: List,
}

/// The entries so far, with what duplicates and the cap need.
struct List {
    entries: Vec<Entry>,
    /// The hash of each key and the index of the first entry with it (the keys themselves
    /// live in `entries`: no copies; the full hash spares most key comparisons).
    first_by_key: HashTable<(u64, usize)>,
    hasher: DefaultHashBuilder,
    unique_valid: usize,
}

impl List {
    /// Room for about `entries` entries: a guess from the input's size, to spare regrowth.
    fn with_capacity(entries: usize) -> Self {
        List {
            entries: Vec::with_capacity(entries),
            first_by_key: HashTable::with_capacity(entries),
            hasher: DefaultHashBuilder::default(),
            unique_valid: 0,
        }
    }
}

impl<'a> Grouper<'a> {
    fn text(&self, word: &Word) -> &'a str {
        &self.input[word.start..word.end]
    }

    fn word(&mut self, word: Word) {
        match word.before {
            Separator::Hard => self.flush_names(usize::MAX),
            Separator::Comma => {
                if let Some(at) = self.comma_at {
                    self.flush_names(at);
                }
                self.comma_at = (!self.names.is_empty()).then_some(self.names.len());
            }
            Separator::Space => {}
        }
        let attach = std::mem::replace(&mut self.attach, false);
        if word.angle.is_some() {
            self.angle_entry(word);
            return;
        }
        let whole_paren = word
            .paren
            .is_some_and(|(open, close)| open == word.start && close + 1 == word.end);
        if whole_paren && attach && word.before == Separator::Space && self.names.is_empty() {
            self.attach_comment(word);
            return;
        }
        let whole_quote = word
            .quote
            .is_some_and(|(open, close)| open == word.start && close + 1 == word.end);
        if whole_quote || whole_paren || !self.text(&word).bytes().any(|b| b == b'@') {
            if !self.names.is_empty() || !is_punctuation(self.text(&word)) {
                self.names.push(word);
            }
            return;
        }
        self.flush_names(usize::MAX);
        self.plain_entry(word);
    }

    /// Words kept as possible names before `names[at]` (all when `at` is past the end) become
    /// entries of their own.
    fn flush_names(&mut self, at: usize) {
        let at = at.min(self.names.len());
        for i in 0..at {
            let word = self.names[i];
            let text = trim(self.text(&word));
            if !is_punctuation(text) {
                self.open_draft(word, word.end, None, text, Ok(()));
            }
        }
        self.names.drain(..at);
        self.comma_at = match self.comma_at {
            Some(comma) if comma > at => Some(comma - at),
            _ => None,
        };
    }

    /// `[Name] <address> [(comment)]`, with the name in earlier words or glued before `<`.
    fn angle_entry(&mut self, word: Word) {
        let Some((open, close)) = word.angle else {
            return;
        };
        let first = self.names.first().copied().unwrap_or(word);
        let input = self.input;
        let mut name = display_name(&input[first.start..open]);
        self.names.clear();
        self.comma_at = None;
        let address = trim(input[open + 1..close].trim());
        let suffix = input[close + 1..word.end].trim_end_matches(['.', ',', ';', '>']);
        let mut precheck = Ok(());
        if let Some(comment) = suffix.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            name = name.or_else(|| display_name(comment));
        } else if !suffix
            .trim_end_matches(['.', ',', ';', ')', '>'])
            .is_empty()
        {
            precheck = Err(ErrorCode::UnexpectedText);
        }
        self.open_draft(first, word.end, name, address, precheck);
        self.attach = true;
    }

    /// A bare address, maybe with a `(comment)` glued at its end.
    fn plain_entry(&mut self, word: Word) {
        let input = self.input;
        let mut text_end = word.end;
        let mut name = None;
        if let Some((open, close)) = word.paren {
            let glued_at_end = open > word.start && close + 1 == word.end;
            if glued_at_end && input[word.start..open].contains('@') {
                text_end = open;
                name = display_name(&input[open + 1..close]);
            }
        }
        let address = trim(&input[word.start..text_end]);
        self.open_draft(word, word.end, name, address, Ok(()));
        self.attach = true;
    }

    /// `address (Name)`: the comment joins the draft before it.
    fn attach_comment(&mut self, word: Word) {
        let comment = display_name(&self.input[word.start + 1..word.end - 1]);
        if let Some(draft) = &mut self.draft {
            draft.end = word.end;
            if draft.name.is_none() {
                draft.name = comment;
            }
        }
    }

    /// Closes the previous draft and opens one from `first.start` to `end` for `address`.
    fn open_draft(
        &mut self,
        first: Word,
        end: usize,
        name: Option<Cow<'a, str>>,
        address: &'a str,
        precheck: Result<(), ErrorCode>,
    ) {
        self.finish_draft();
        self.scratch.clear();
        let verdict = precheck.and_then(|()| {
            validate::check(address, self.options, &mut self.scratch, &mut self.idna)
        });
        self.draft = Some(Draft {
            start: first.start,
            end,
            line: first.line,
            column: first.column,
            name,
            address: (verdict != Err(ErrorCode::NotAnAddress)).then_some(address),
            verdict,
        });
    }

    /// Turns the open draft into an entry: duplicates, the cap, and the entry's one allocation.
    fn finish_draft(&mut self) {
        let Some(draft) = self.draft.take() else {
            return;
        };
        let list = &mut self.list;
        let index = list.entries.len();
        let (mut error, mut duplicate_of, mut valid_forms) = (None, None, None);
        match draft.verdict {
            Err(code) => error = Some(code),
            Ok(Valid {
                normalized_len,
                smtputf8,
            }) => {
                let (normalized, key) = self.scratch.split_at(normalized_len);
                let hash = list.hasher.hash_one(key);
                let entries = &list.entries;
                let same_key =
                    |&(h, first): &(u64, usize)| h == hash && entries[first].key() == Some(key);
                match list.first_by_key.find(hash, same_key) {
                    Some(&(_, first)) => {
                        error = Some(ErrorCode::Duplicate);
                        duplicate_of = Some(first);
                    }
                    None => {
                        if list.unique_valid >= self.options.max_addresses {
                            error = Some(ErrorCode::OverLimit);
                        } else {
                            list.unique_valid += 1;
                        }
                        list.first_by_key
                            .insert_unique(hash, (hash, index), |&(h, _)| h);
                    }
                }
                valid_forms = Some((normalized, key, smtputf8));
            }
        }
        list.entries.push(build_entry(
            self.input,
            index,
            &draft,
            valid_forms,
            error,
            duplicate_of,
        ));
    }
}

/// An entry in one allocation: its raw text, then whichever of the normalized form, the key
/// and the name are not already found in it.
fn build_entry(
    input: &str,
    index: usize,
    draft: &Draft<'_>,
    valid_forms: Option<(&str, &str, bool)>,
    error: Option<ErrorCode>,
    duplicate_of: Option<usize>,
) -> Entry {
    let raw = &input[draft.start..draft.end];
    // Where `part` lies in `raw`, if it is a slice of it.
    let within_raw = |part: &str| {
        let offset = (part.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
        (offset <= raw.len() && part.len() <= raw.len() - offset)
            .then(|| Span::new(offset, part.len()))
    };
    let address = draft.address.and_then(within_raw);
    // The normalized form is often the address as typed, and the key often the normalized form.
    let (normalized_typed, key_same) = match valid_forms {
        Some((normalized, key, _)) => (draft.address == Some(normalized), key == normalized),
        None => (false, false),
    };
    let name_in_raw = match &draft.name {
        Some(Cow::Borrowed(name)) => within_raw(name),
        _ => None,
    };
    let extra: [Option<&str>; 3] = [
        valid_forms
            .filter(|_| !normalized_typed)
            .map(|(normalized, _, _)| normalized),
        valid_forms.filter(|_| !key_same).map(|(_, key, _)| key),
        draft.name.as_deref().filter(|_| name_in_raw.is_none()),
    ];
    let mut text =
        String::with_capacity(raw.len() + extra.iter().flatten().map(|s| s.len()).sum::<usize>());
    text.push_str(raw);
    let mut spans = [None; 3];
    for (span, part) in spans.iter_mut().zip(extra) {
        if let Some(part) = part {
            *span = Some(Span::new(text.len(), part.len()));
            text.push_str(part);
        }
    }
    let normalized = if normalized_typed { address } else { spans[0] };
    let key = if key_same { normalized } else { spans[1] };
    Entry {
        text: text.into_boxed_str(),
        index: narrow(index),
        start: narrow(draft.start),
        end: narrow(draft.end),
        line: narrow(draft.line),
        column: narrow(draft.column),
        name: Span::from_option(name_in_raw.or(spans[2])),
        address: Span::from_option(address),
        normalized: Span::from_option(normalized),
        key: Span::from_option(key),
        duplicate_of: duplicate_of.map_or(u32::MAX, narrow),
        error,
        smtputf8: valid_forms.is_some_and(|(_, _, smtputf8)| smtputf8),
    }
}

/// Whether a word is only list bullets, or trims to nothing: it makes no entry.
pub(super) fn is_punctuation(word: &str) -> bool {
    trim(word).chars().all(|c| matches!(c, '-' | '*' | '•'))
}

/// Trims what surrounds an address when it is pasted: `mailto:` (and its `?query`), leading
/// bullets and unmatched `(` `<`, trailing `. , ; ) >`, and surrounding quotes.
pub(super) fn trim(mut text: &str) -> &str {
    let (Some(&first), Some(&last)) = (text.as_bytes().first(), text.as_bytes().last()) else {
        return text;
    };
    if first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && !first.eq_ignore_ascii_case(&b'm')
    {
        return text;
    }
    loop {
        let before = text.len();
        text = text.trim_end_matches(['.', ',', ';', ')', '>']);
        text = text.trim_start_matches('•');
        if (text.starts_with('(') && !text.contains(')'))
            || (text.starts_with('<') && !text.contains('>'))
        {
            text = &text[1..];
        }
        text = unquote(text).unwrap_or(text);
        if text.len() >= 7 && text.as_bytes()[..7].eq_ignore_ascii_case(b"mailto:") {
            text = &text[7..];
            text = text
                .split_once('?')
                .map_or(text, |(address, _query)| address);
        }
        if text.len() == before {
            return text;
        }
    }
}

/// The text inside one pair of surrounding quotes (`"…"`, `'…'`, `“…”`, `‘…’`), if any.
fn unquote(text: &str) -> Option<&str> {
    QUOTE_PAIRS
        .iter()
        .find_map(|&(open, close)| text.strip_prefix(open)?.strip_suffix(close))
}

/// A display name as people read it: unquoted, unescaped, white space collapsed.
fn display_name(text: &str) -> Option<Cow<'_, str>> {
    let text = text.trim();
    let text = unquote(text).map_or(text, str::trim);
    let plain = |pair: &[u8]| {
        pair[1] != b'\\' && pair[1].is_ascii() && (pair[1] != b' ' || pair[0] != b' ')
    };
    let bytes = text.as_bytes();
    if text.is_ascii()
        && bytes.first() != Some(&b'\\')
        && bytes.windows(2).all(plain)
        && !text.contains('\t')
    {
        return (!text.is_empty()).then_some(Cow::Borrowed(text));
    }
    let mut name = String::with_capacity(text.len());
    let mut chars = text.chars();
    let mut space = false;
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        };
        if c.is_whitespace() {
            space = !name.is_empty();
            continue;
        }
        if space {
            name.push(' ');
            space = false;
        }
        name.push(c);
    }
    (!name.is_empty()).then_some(Cow::Owned(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_removes_what_surrounds_an_address() {
        assert_eq!(trim("jane@x.com."), "jane@x.com");
        assert_eq!(trim("(jane@x.com)."), "jane@x.com");
        assert_eq!(trim("\"jane@x.com\""), "jane@x.com");
        assert_eq!(trim("“jane@x.com”"), "jane@x.com");
        assert_eq!(trim("MailTo:jane@x.com?subject=hi"), "jane@x.com");
        assert_eq!(trim("•jane@x.com"), "jane@x.com");
        assert_eq!(trim("(c)jane@x.com"), "(c)jane@x.com");
        assert_eq!(trim("\"a b\"@x.com"), "\"a b\"@x.com");
        assert_eq!(trim(".)>"), "");
    }

    #[test]
    fn display_names_are_unquoted_and_collapsed() {
        assert_eq!(
            display_name(" \"Doe,  John\" ").as_deref(),
            Some("Doe, John")
        );
        assert_eq!(display_name("Jane \t Doe").as_deref(), Some("Jane Doe"));
        assert_eq!(display_name("\"A \\\"B\\\"\"").as_deref(), Some("A \"B\""));
        assert_eq!(display_name("  "), None);
    }
}
