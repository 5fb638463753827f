//! Checks shared by the fuzz targets and the property tests (cargo feature `testkit`).
//!
//! The fuzz target `parse_addresses` (in `fuzz/`) and property tests parse arbitrary input and
//! hand the result to [`check_list_invariants`], which panics, naming the input, the entry and
//! the broken rule, when the result contradicts what [`crate::address`] promises. The feature is
//! off by default: nothing here is part of the library's public interface for applications.
//!
//! ```
//! use invitekit::address::{parse, ParseOptions};
//! use invitekit::testkit::check_list_invariants;
//!
//! let input = "Jane <jane@example.com>, bob@, JANE@example.com";
//! let options = ParseOptions::default();
//! let list = parse(input, &options)?;
//! check_list_invariants(input, &options, &list); // panics if a promise is broken
//! # Ok::<(), invitekit::Error>(())
//! ```

use std::collections::HashMap;

use crate::ErrorCode;
use crate::address::{AddressList, Entry, ParseOptions, parse};

/// Panics with a message naming the broken promise if `list` is not a possible answer of
/// [`parse`]`(input, options)`.
///
/// The promises checked:
///
/// - **Spans.** Every entry is non-empty, lies inside `input`, starts and ends on character
///   boundaries, and `input[start..end] == raw`; entries are in input order and do not overlap.
///   `line` and `column` are those of `start` (lines end at LF, CR, CRLF, U+2028 and U+2029;
///   columns count Unicode scalar values from 1; a leading byte-order mark is not counted).
/// - **Index.** `index` is the entry's position in `entries`.
/// - **Fields by verdict.** Only entry codes appear ([`ErrorCode::is_entry_code`]). A valid,
///   duplicate or over-limit entry has `address`, `normalized` and `key`; an entry with any other
///   error has neither `normalized` nor `key`. An entry has an `address` exactly when its error is
///   not [`ErrorCode::NotAnAddress`]. `smtputf8` says whether the normalized local part is
///   non-ASCII. Only a duplicate has `duplicate_of`.
/// - **Duplicates.** A [`ErrorCode::Duplicate`]'s `duplicate_of` is the first entry with the same
///   key, which is earlier and itself valid or over the limit; no two valid or over-limit entries
///   share a key.
/// - **The cap.** At most `options.max_addresses` valid entries, and an over-limit entry comes
///   only after exactly that many.
/// - **Counts.** `valid`, `invalid`, `duplicates` and `over_limit` count the entries by verdict,
///   and `acceptable` is `invalid == 0 && over_limit == 0`.
/// - **Normal form.** Each valid entry's normalized form, parsed alone with the same options,
///   is one valid entry with the same normalized form and key.
///
/// # Panics
///
/// When a promise is broken; that is its purpose.
pub fn check_list_invariants(input: &str, options: &ParseOptions, list: &AddressList) {
    let fail = |entry: Option<&Entry>, rule: &str| -> ! {
        match entry {
            Some(entry) => panic!(
                "address list invariant broken: {rule}\n  entry: {entry:?}\n  options: \
                 {options:?}\n  input: {input:?}"
            ),
            None => panic!(
                "address list invariant broken: {rule}\n  counts: acceptable={} valid={} \
                 invalid={} duplicates={} over_limit={}\n  options: {options:?}\n  input: \
                 {input:?}",
                list.acceptable, list.valid, list.invalid, list.duplicates, list.over_limit
            ),
        }
    };

    // A leading byte-order mark is skipped: it is not counted in the first line's columns.
    let mut previous_end = if input.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut position = Position::default();
    let (mut valid, mut invalid, mut duplicates, mut over_limit) = (0, 0, 0, 0);
    // The first valid or over-limit entry of each key.
    let mut first_of_key: HashMap<&str, usize> = HashMap::new();

    for (index, entry) in list.entries.iter().enumerate() {
        let this = Some(entry);

        // Spans.
        if entry.index() != index {
            fail(
                this,
                &format!("index is {} at position {index}", entry.index()),
            );
        }
        if entry.start() >= entry.end() {
            fail(this, "empty or reversed span (start >= end)");
        }
        if entry.start() < previous_end {
            fail(
                this,
                &format!(
                    "span starts at {} before the previous entry (or the leading byte-order mark) \
                     ends at {previous_end}",
                    entry.start()
                ),
            );
        }
        if entry.end() > input.len() {
            fail(
                this,
                &format!(
                    "span ends at {} past the input's {} bytes",
                    entry.end(),
                    input.len()
                ),
            );
        }
        if !input.is_char_boundary(entry.start()) || !input.is_char_boundary(entry.end()) {
            fail(this, "span does not start and end on character boundaries");
        }
        if &input[entry.start()..entry.end()] != entry.raw() {
            fail(
                this,
                &format!(
                    "raw differs from input[start..end] = {:?}",
                    &input[entry.start()..entry.end()]
                ),
            );
        }
        position.advance(&input[previous_end..entry.start()]);
        if (entry.line(), entry.column()) != (position.line, position.column) {
            fail(
                this,
                &format!(
                    "line:column is {}:{}, but byte {} is at {}:{}",
                    entry.line(),
                    entry.column(),
                    entry.start(),
                    position.line,
                    position.column
                ),
            );
        }
        position.advance(entry.raw());
        previous_end = entry.end();

        // Fields by verdict.
        let usable = matches!(
            entry.error(),
            None | Some(ErrorCode::Duplicate | ErrorCode::OverLimit)
        );
        if let Some(code) = entry.error()
            && !code.is_entry_code()
        {
            fail(this, &format!("{code} is not an entry code"));
        }
        if usable
            && (entry.address().is_none() || entry.normalized().is_none() || entry.key().is_none())
        {
            fail(
                this,
                "a valid, duplicate or over-limit entry lacks address, normalized or key",
            );
        }
        if !usable && (entry.normalized().is_some() || entry.key().is_some()) {
            fail(this, "an invalid entry has a normalized form or a key");
        }
        if entry.address().is_some() == (entry.error() == Some(ErrorCode::NotAnAddress)) {
            fail(
                this,
                "an entry has an address exactly when it is not not_an_address",
            );
        }
        if let Some(normalized) = entry.normalized() {
            let local = normalized
                .rsplit_once('@')
                .map_or(normalized, |(local, _)| local);
            if entry.smtputf8() == local.is_ascii() {
                fail(
                    this,
                    "smtputf8 does not say whether the normalized local part is non-ASCII",
                );
            }
        }
        if entry.duplicate_of().is_some() != (entry.error() == Some(ErrorCode::Duplicate)) {
            fail(this, "duplicate_of is set exactly on duplicates");
        }

        // Duplicates and the cap.
        match entry.error() {
            None | Some(ErrorCode::OverLimit) => {
                let key = entry.key().unwrap_or_default();
                if let Some(first) = first_of_key.insert(key, index) {
                    fail(
                        this,
                        &format!("same key as entry {first}, but not a duplicate"),
                    );
                }
                if entry.error().is_none() {
                    valid += 1;
                    if valid > options.max_addresses {
                        fail(
                            this,
                            &format!(
                                "valid entry number {valid} beyond the cap of {}",
                                options.max_addresses
                            ),
                        );
                    }
                } else {
                    over_limit += 1;
                    if valid != options.max_addresses {
                        fail(
                            this,
                            &format!(
                                "over the limit after only {valid} of {} valid entries",
                                options.max_addresses
                            ),
                        );
                    }
                }
            }
            Some(ErrorCode::Duplicate) => {
                duplicates += 1;
                let key = entry.key().unwrap_or_default();
                let first = first_of_key.get(key).copied();
                if entry.duplicate_of() != first {
                    fail(
                        this,
                        &format!(
                            "duplicate_of should be the first valid or over-limit entry with the \
                             same key, {first:?}"
                        ),
                    );
                }
            }
            Some(_) => invalid += 1,
        }
    }

    // Counts.
    if (list.valid, list.invalid, list.duplicates, list.over_limit)
        != (valid, invalid, duplicates, over_limit)
    {
        fail(
            None,
            &format!(
                "counts disagree with the entries: valid={valid} invalid={invalid} \
                 duplicates={duplicates} over_limit={over_limit}"
            ),
        );
    }
    if list.acceptable != (invalid == 0 && over_limit == 0) {
        fail(None, "acceptable disagrees with the counts");
    }

    // Normal form: a normalized address is a valid address that normalizes to itself.
    for entry in list.valid_entries() {
        let normalized = entry.normalized().unwrap_or_default();
        let alone = ParseOptions {
            max_addresses: options.max_addresses.max(1),
            max_input_bytes: options.max_input_bytes.max(normalized.len()),
            ..options.clone()
        };
        let again = match parse(normalized, &alone) {
            Ok(again) => again,
            Err(error) => fail(
                Some(entry),
                &format!("re-parsing the normalized form fails: {error}"),
            ),
        };
        match again.entries.as_slice() {
            [one]
                if one.error().is_none()
                    && one.normalized() == entry.normalized()
                    && one.key() == entry.key() => {}
            _ => fail(
                Some(entry),
                &format!(
                    "the normalized form, parsed alone, is not one valid entry with the same normalized form and key: {:?}",
                    again.entries
                ),
            ),
        }
    }
}

/// Line and column (both from 1) of a place in the input, advanced piece by piece.
#[derive(Debug, Clone, Copy)]
struct Position {
    line: usize,
    column: usize,
    after_cr: bool,
}

impl Default for Position {
    fn default() -> Self {
        Position {
            line: 1,
            column: 1,
            after_cr: false,
        }
    }
}

impl Position {
    fn advance(&mut self, text: &str) {
        for character in text.chars() {
            match character {
                // The LF of a CRLF: the CR already ended the line.
                '\n' if self.after_cr => {}
                '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                    self.line += 1;
                    self.column = 1;
                }
                _ => self.column += 1,
            }
            self.after_cr = character == '\r';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::narrow;

    fn entry(
        index: usize,
        input: &str,
        start: usize,
        end: usize,
        error: Option<ErrorCode>,
    ) -> Entry {
        let usable = matches!(
            error,
            None | Some(ErrorCode::Duplicate | ErrorCode::OverLimit)
        );
        let raw = &input[start..end];
        let lower = raw.to_lowercase();
        let mut position = Position::default();
        position.advance(&input[..start]);
        let mut entry = Entry::from_texts(crate::address::EntryTexts {
            raw,
            address: (error != Some(ErrorCode::NotAnAddress)).then_some(raw),
            normalized: usable.then_some(raw),
            key: usable.then_some(lower.as_str()),
            ..Default::default()
        });
        entry.index = narrow(index);
        entry.start = narrow(start);
        entry.end = narrow(end);
        entry.line = narrow(position.line);
        entry.column = narrow(position.column);
        entry.error = error;
        entry
    }

    fn list(entries: Vec<Entry>) -> AddressList {
        AddressList::from_entries(entries)
    }

    const INPUT: &str = "bob@, x\r\nü@ y";

    /// Entries that break no rule checked before the normal form (none is valid).
    fn sound() -> Vec<Entry> {
        vec![
            entry(0, INPUT, 0, 4, Some(ErrorCode::MissingDomain)),
            entry(1, INPUT, 6, 7, Some(ErrorCode::NotAnAddress)),
            entry(2, INPUT, 9, 12, Some(ErrorCode::MissingDomain)),
            entry(3, INPUT, 13, 14, Some(ErrorCode::NotAnAddress)),
        ]
    }

    #[test]
    fn a_sound_list_passes() {
        let entries = sound();
        assert_eq!(
            (entries[2].line(), entries[2].column(), entries[3].column()),
            (2, 1, 4)
        );
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    #[test]
    fn a_leading_byte_order_mark_is_not_counted() {
        let input = "\u{feff}x";
        let mut only = entry(0, input, 3, 4, Some(ErrorCode::NotAnAddress));
        only.column = 1;
        check_list_invariants(input, &ParseOptions::default(), &list(vec![only]));
    }

    #[test]
    fn what_parse_answers_passes() {
        let inputs = [
            "",
            "Jane Doe <Jane@Example.COM>; Smith, John <john@example.com>\nbob@, jane@example.com",
            "\u{feff}a@b.co\r\nb@c.co\u{2028}x c@d.co (C) mailto:D@E.co?subject=x",
            "\"john doe\"@example.com user@[192.0.2.1] user@intranet j(w)@x.com a@b.test",
            "jürgen@bücher.de JÜRGEN@xn--bcher-kva.de a\u{200b}b@x.co c\u{202e}d@x.co e😀@x.co",
            "a@x.co b@x.co c@x.co A@x.co d@x.co",
        ];
        let all = ParseOptions {
            max_addresses: 2,
            case_sensitive_local_part: true,
            allow_quoted_local_part: true,
            allow_ip_literal: true,
            allow_dotless_domain: true,
            allow_comments: true,
            allow_special_use_domains: true,
            allow_invisible_characters: true,
            allow_bidi_controls: true,
            allow_symbols: true,
            ..ParseOptions::default()
        };
        let few = ParseOptions {
            max_addresses: 3,
            ..ParseOptions::default()
        };
        for options in [ParseOptions::default(), all, few] {
            for input in inputs {
                let list = parse(input, &options).expect("within the bound");
                check_list_invariants(input, &options, &list);
            }
        }
    }

    /// Every case of `testdata/addresses.json` that parses keeps every promise.
    #[test]
    fn every_testdata_case_passes() {
        let document: serde_json::Value =
            serde_json::from_str(include_str!("../../testdata/addresses.json"))
                .expect("testdata/addresses.json is JSON");
        let cases = document["cases"].as_array().expect("a cases array");
        let mut checked = 0;
        for case in cases {
            let input = case["input"].as_str().expect("every case has an input");
            let options: ParseOptions = match case.get("options") {
                Some(options) => serde_json::from_value(options.clone()).expect("valid options"),
                None => ParseOptions::default(),
            };
            if let Ok(list) = parse(input, &options) {
                check_list_invariants(input, &options, &list);
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} cases checked");
    }

    #[test]
    #[should_panic(expected = "raw differs")]
    fn raw_must_be_the_span() {
        let mut entries = sound();
        let start = entries[1].start();
        entries[1] = Entry::from_texts(crate::address::EntryTexts {
            raw: "y",
            ..Default::default()
        });
        (entries[1].index, entries[1].start, entries[1].end) =
            (1, narrow(start), narrow(start + 1));
        entries[1].error = Some(ErrorCode::NotAnAddress);
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    #[test]
    #[should_panic(expected = "character boundaries")]
    fn spans_must_be_on_character_boundaries() {
        let mut entries = sound();
        entries[2].end = 10; // inside the two bytes of ü
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    #[test]
    #[should_panic(expected = "before the previous entry")]
    fn spans_must_not_overlap() {
        let mut entries = sound();
        entries[1] = entry(1, INPUT, 2, 7, Some(ErrorCode::NotAnAddress));
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    #[test]
    #[should_panic(expected = "line:column")]
    fn line_and_column_must_be_those_of_start() {
        let mut entries = sound();
        entries[3].column = 3;
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    #[test]
    #[should_panic(expected = "index is")]
    fn index_must_be_the_position() {
        let mut entries = sound();
        entries[1].index = 5;
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    #[test]
    #[should_panic(expected = "counts disagree")]
    fn counts_must_match() {
        let mut broken = list(sound());
        broken.invalid += 1;
        check_list_invariants(INPUT, &ParseOptions::default(), &broken);
    }

    #[test]
    #[should_panic(expected = "acceptable disagrees")]
    fn acceptable_must_match() {
        let mut broken = list(sound());
        broken.acceptable = true;
        check_list_invariants(INPUT, &ParseOptions::default(), &broken);
    }

    #[test]
    #[should_panic(expected = "has an address exactly")]
    fn not_an_address_has_no_address() {
        let mut entries = sound();
        entries[1].address = crate::address::Span::new(0, 1);
        check_list_invariants(INPUT, &ParseOptions::default(), &list(entries));
    }

    const PAIR: &str = "a@x.com A@x.com";

    #[test]
    #[should_panic(expected = "duplicate_of should be")]
    fn a_duplicate_must_point_at_the_first_entry_with_its_key() {
        let mut second = entry(1, PAIR, 8, 15, Some(ErrorCode::Duplicate));
        second.duplicate_of = 1;
        let first = entry(0, PAIR, 0, 7, Some(ErrorCode::OverLimit));
        let options = ParseOptions {
            max_addresses: 0,
            ..ParseOptions::default()
        };
        check_list_invariants(PAIR, &options, &list(vec![first, second]));
    }

    #[test]
    #[should_panic(expected = "but not a duplicate")]
    fn equal_keys_must_be_duplicates() {
        let first = entry(0, PAIR, 0, 7, Some(ErrorCode::OverLimit));
        let second = entry(1, PAIR, 8, 15, Some(ErrorCode::OverLimit));
        let options = ParseOptions {
            max_addresses: 0,
            ..ParseOptions::default()
        };
        check_list_invariants(PAIR, &options, &list(vec![first, second]));
    }

    #[test]
    #[should_panic(expected = "over the limit after only")]
    fn over_limit_only_past_the_cap() {
        let first = entry(0, PAIR, 0, 7, Some(ErrorCode::OverLimit));
        check_list_invariants(PAIR, &ParseOptions::default(), &list(vec![first]));
    }

    #[test]
    #[should_panic(expected = "beyond the cap")]
    fn valid_entries_stay_within_the_cap() {
        let first = entry(0, PAIR, 0, 7, None);
        let options = ParseOptions {
            max_addresses: 0,
            ..ParseOptions::default()
        };
        check_list_invariants(PAIR, &options, &list(vec![first]));
    }

    #[test]
    #[should_panic(expected = "lacks address, normalized or key")]
    fn a_valid_entry_has_a_normalized_form() {
        let mut first = entry(0, PAIR, 0, 7, None);
        first.normalized = crate::address::Span::NONE;
        check_list_invariants(PAIR, &ParseOptions::default(), &list(vec![first]));
    }

    #[test]
    #[should_panic(expected = "parsed alone")]
    fn a_normalized_form_must_parse_to_itself() {
        // `a@x.com` normalizes to itself; claim it normalized to something invalid.
        let mut first = Entry::from_texts(crate::address::EntryTexts {
            raw: "a@x.com",
            address: Some("a@x.com"),
            normalized: Some("not an address"),
            key: Some("a@x.com"),
            ..Default::default()
        });
        first.end = 7;
        check_list_invariants(PAIR, &ParseOptions::default(), &list(vec![first]));
    }
}
