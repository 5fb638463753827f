//! From words to entries: display names, comments, trimming; then verdicts, duplicates, the
//! cap, and line and column numbers.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::chars::Separator;
use super::lexer::{Word, Words};
use super::validate::{self, Valid};
use super::{Entry, ParseOptions};
use crate::error::ErrorCode;

const BOM: &str = "\u{FEFF}";
const QUOTE_PAIRS: [(char, char); 4] = [('"', '"'), ('\'', '\''), ('“', '”'), ('‘', '’')];

/// An entry before duplicates, the cap and positions are known.
struct Draft {
    start: usize,
    line: usize,
    column: usize,
    end: usize,
    name: Option<String>,
    address: Option<String>,
    verdict: Result<Valid, ErrorCode>,
}

/// Cuts `input` into entries and judges each.
pub(super) fn entries(input: &str, options: &ParseOptions) -> Vec<Entry> {
    let begin = if input.starts_with(BOM) { BOM.len() } else { 0 };
    let mut grouper = Grouper {
        input,
        options,
        drafts: Vec::new(),
        names: Vec::new(),
        comma_at: None,
        attach: false,
    };
    for word in Words::new(input, begin) {
        grouper.word(word);
    }
    grouper.flush_names(usize::MAX);
    finish(input, options, grouper.drafts)
}

struct Grouper<'a> {
    input: &'a str,
    options: &'a ParseOptions,
    drafts: Vec<Draft>,
    /// Words that may be the display name of an `<address>` still to come.
    names: Vec<Word>,
    /// Where in `names` the one comma a name may span falls.
    comma_at: Option<usize>,
    /// The last draft is an address that a `(comment)` after white space may name.
    attach: bool,
}

impl Grouper<'_> {
    fn text(&self, word: &Word) -> &str {
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
        if whole_quote || whole_paren || !self.text(&word).contains('@') {
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
        let words: Vec<Word> = self.names.drain(..at).collect();
        for word in words {
            let text = trim(self.text(&word));
            if is_punctuation(text) {
                continue;
            }
            let verdict = validate::check(text, self.options);
            let address = (verdict != Err(ErrorCode::NotAnAddress)).then(|| text.to_owned());
            self.drafts.push(Draft {
                start: word.start,
                line: word.line,
                column: word.column,
                end: word.end,
                name: None,
                address,
                verdict,
            });
        }
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
        let start = first.start;
        let mut name = display_name(&self.input[start..open]);
        self.names.clear();
        self.comma_at = None;
        let address = trim(self.input[open + 1..close].trim());
        let suffix = self.input[close + 1..word.end].trim_end_matches(['.', ',', ';', '>']);
        let mut verdict = Ok(());
        if let Some(comment) = suffix.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            name = name.or_else(|| display_name(comment));
        } else if !suffix
            .trim_end_matches(['.', ',', ';', ')', '>'])
            .is_empty()
        {
            verdict = Err(ErrorCode::UnexpectedText);
        }
        let verdict = verdict.and_then(|()| validate::check(address, self.options));
        let address = (verdict != Err(ErrorCode::NotAnAddress)).then(|| address.to_owned());
        self.drafts.push(Draft {
            start,
            line: first.line,
            column: first.column,
            end: word.end,
            name,
            address,
            verdict,
        });
        self.attach = true;
    }

    /// A bare address, maybe with a `(comment)` glued at its end.
    fn plain_entry(&mut self, word: Word) {
        let mut text_end = word.end;
        let mut name = None;
        if let Some((open, close)) = word.paren {
            let glued_at_end = open > word.start && close + 1 == word.end;
            if glued_at_end && self.input[word.start..open].contains('@') {
                text_end = open;
                name = display_name(&self.input[open + 1..close]);
            }
        }
        let address = trim(&self.input[word.start..text_end]);
        let verdict = validate::check(address, self.options);
        let address = (verdict != Err(ErrorCode::NotAnAddress)).then(|| address.to_owned());
        self.drafts.push(Draft {
            start: word.start,
            line: word.line,
            column: word.column,
            end: word.end,
            name,
            address,
            verdict,
        });
        self.attach = true;
    }

    /// `address (Name)`: the comment joins the entry before it.
    fn attach_comment(&mut self, word: Word) {
        let comment = display_name(&self.input[word.start + 1..word.end - 1]);
        if let Some(last) = self.drafts.last_mut() {
            last.end = word.end;
            if last.name.is_none() {
                last.name = comment;
            }
        }
    }
}

/// Whether a word is only list bullets, or trims to nothing: it makes no entry.
fn is_punctuation(word: &str) -> bool {
    trim(word).chars().all(|c| matches!(c, '-' | '*' | '•'))
}

/// Trims what surrounds an address when it is pasted: `mailto:` (and its `?query`), leading
/// bullets and unmatched `(` `<`, trailing `. , ; ) >`, and surrounding quotes.
fn trim(mut text: &str) -> &str {
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
        for (open, close) in QUOTE_PAIRS {
            if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
                text = inner;
            }
        }
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

/// A display name as people read it: unquoted, unescaped, white space collapsed.
fn display_name(text: &str) -> Option<String> {
    let mut text = text.trim();
    for (open, close) in QUOTE_PAIRS {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            text = inner.trim();
            break;
        }
    }
    let plain = |pair: &[u8]| {
        pair[1] != b'\\' && pair[1].is_ascii() && (pair[1] != b' ' || pair[0] != b' ')
    };
    let bytes = text.as_bytes();
    if text.is_ascii()
        && bytes.first() != Some(&b'\\')
        && bytes.windows(2).all(plain)
        && !text.contains('\t')
    {
        return (!text.is_empty()).then(|| text.to_owned());
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
    (!name.is_empty()).then_some(name)
}

/// Duplicates, the cap, positions: drafts become entries.
fn finish(input: &str, options: &ParseOptions, drafts: Vec<Draft>) -> Vec<Entry> {
    // Indices of the first entry with each key; their keys live in `entries` (no copies).
    let mut first_by_key: HashTable<usize> = HashTable::with_capacity(drafts.len());
    let mut hashes: Vec<u64> = Vec::with_capacity(drafts.len());
    let hasher = DefaultHashBuilder::default();
    let mut unique_valid = 0usize;
    let mut entries: Vec<Entry> = Vec::with_capacity(drafts.len());
    for (index, draft) in drafts.into_iter().enumerate() {
        let mut hash = 0;
        let (mut error, mut duplicate_of, mut normalized, mut key, mut smtputf8) =
            (None, None, None, None, false);
        match draft.verdict {
            Err(code) => error = Some(code),
            Ok(valid) => {
                hash = hasher.hash_one(&valid.key);
                let same_key = |&first: &usize| entries[first].key.as_ref() == Some(&valid.key);
                match first_by_key.find(hash, same_key) {
                    Some(&first) => {
                        error = Some(ErrorCode::Duplicate);
                        duplicate_of = Some(first);
                    }
                    None => {
                        if unique_valid >= options.max_addresses {
                            error = Some(ErrorCode::OverLimit);
                        } else {
                            unique_valid += 1;
                        }
                        first_by_key.insert_unique(hash, index, |&first| hashes[first]);
                    }
                }
                normalized = Some(valid.normalized);
                key = Some(valid.key);
                smtputf8 = valid.smtputf8;
            }
        }
        hashes.push(hash);
        entries.push(Entry {
            index,
            raw: input[draft.start..draft.end].to_owned(),
            start: draft.start,
            end: draft.end,
            line: draft.line,
            column: draft.column,
            name: draft.name,
            address: draft.address,
            normalized,
            key,
            smtputf8,
            error,
            duplicate_of,
        });
    }
    entries
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
