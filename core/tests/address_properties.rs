//! Property tests of [`invitekit::address::parse`]: whatever the input and the options, the
//! answer keeps the promises [`invitekit::testkit::check_list_invariants`] lists (spans ordered,
//! disjoint, on character boundaries and slicing the input to `raw`; counts; duplicates; the cap;
//! normalized forms that parse back to themselves), and lists of valid addresses joined by any
//! separators parse back to exactly those addresses.

use invitekit::address::{ParseOptions, parse};
use invitekit::testkit::check_list_invariants;
use proptest::prelude::*;

/// Pieces that exercise every branch of the lexer and the policy when strung together.
const PIECES: &[&str] = &[
    "a",
    "B",
    "z",
    "0",
    "9",
    ".",
    "..",
    "@",
    "@@",
    "-",
    "_",
    "+",
    "'",
    "\"",
    "\\",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    ":",
    ",",
    ";",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    "\u{2029}",
    "，",
    "；",
    "、",
    "•",
    "*",
    "ü",
    "é",
    "e\u{301}",
    "例",
    "ß",
    "İ",
    "😀",
    "☺",
    "\u{200b}",
    "\u{ad}",
    "\u{202e}",
    "\u{feff}",
    "\u{fe0f}",
    "ｘ",
    "。",
    "mailto:",
    "MAILTO:",
    "?subject=x",
    "xn--",
    "xn--bcher-kva",
    "example.com",
    "x.co",
    "localhost",
    ".local",
    ".test",
    "[192.0.2.1]",
    "[IPv6:2001:db8::1]",
    "[461.0.0.1]",
    "\"Last, First\"",
    "Jane Doe",
    "Smith,",
];

fn pasted_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(PIECES), 0..48).prop_map(|p| p.concat()),
        1 => any::<String>(),
        1 => "[ -~\\n]{0,80}",
    ]
}

fn options() -> impl Strategy<Value = ParseOptions> {
    (prop::collection::vec(any::<bool>(), 9), 0usize..6).prop_map(|(flags, max)| ParseOptions {
        max_addresses: if flags[0] { max } else { 200 },
        case_sensitive_local_part: flags[1],
        allow_quoted_local_part: flags[2],
        allow_ip_literal: flags[3],
        allow_dotless_domain: flags[4],
        allow_comments: flags[5],
        allow_special_use_domains: flags[6],
        allow_invisible_characters: flags[7],
        allow_bidi_controls: flags[8],
        allow_symbols: flags[8],
        ..ParseOptions::default()
    })
}

/// A valid address under the default policy, by construction; `n` makes its key unique.
fn valid_address(n: usize) -> impl Strategy<Value = String> {
    let atom = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,8}|[üéß例]{1,3}";
    let local = prop::collection::vec(atom, 1..4).prop_map(|atoms| atoms.join("."));
    let label = "[a-zA-Z0-9]([a-zA-Z0-9]{0,6}[a-zA-Z0-9])?|bücher|例え|xn--bcher-kva";
    let tld = "[a-zA-Z]{2,6}".prop_filter("not special-use", |tld| {
        !["local", "test", "invalid", "onion", "localhost", "arpa"]
            .contains(&tld.to_ascii_lowercase().as_str())
    });
    (local, prop::collection::vec(label, 1..4), tld)
        .prop_map(move |(local, labels, tld)| format!("{local}{n}@{}.{tld}", labels.join(".")))
}

const SEPARATORS: &[&str] = &[
    ",", ";", " ", "\t", "\n", "\r", "\r\n", "\u{a0}", "\u{3000}", "\u{2028}", "，", "；", "、",
];

fn separator_run() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SEPARATORS), 1..4).prop_map(|s| s.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_input_keeps_every_promise(input in pasted_text(), options in options()) {
        match parse(&input, &options) {
            Ok(list) => check_list_invariants(&input, &options, &list),
            Err(error) => prop_assert!(false, "only size can fail parse: {error}"),
        }
    }

    #[test]
    fn valid_addresses_joined_by_separators_parse_back_to_themselves(
        addresses in (1usize..12).prop_flat_map(|n| (0..n).map(valid_address).collect::<Vec<_>>()),
        separators in prop::collection::vec(separator_run(), 13),
        edges in (any::<bool>(), any::<bool>()),
    ) {
        let mut input = String::new();
        if edges.0 {
            input.push_str(&separators[12]);
        }
        for (i, address) in addresses.iter().enumerate() {
            if i > 0 {
                input.push_str(&separators[i]);
            }
            input.push_str(address);
        }
        if edges.1 {
            input.push_str(&separators[0]);
        }
        let list = parse(&input, &ParseOptions::default()).expect("small input");
        prop_assert!(list.acceptable, "{input:?}: {:?}", list.entries);
        let typed: Vec<&str> = list.entries.iter().filter_map(|e| e.address()).collect();
        prop_assert_eq!(&typed, &addresses);
        for entry in &list.entries {
            prop_assert_eq!(Some(entry.raw()), entry.address());
        }
    }
}

#[test]
fn oversized_input_is_refused_before_it_is_read() {
    let options = ParseOptions {
        max_input_bytes: 10,
        ..ParseOptions::default()
    };
    let error = parse(&"a".repeat(11), &options).expect_err("too large");
    assert_eq!(error.code(), invitekit::ErrorCode::InputTooLarge);
    assert!(parse(&"a".repeat(10), &options).is_ok());
}
