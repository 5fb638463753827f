//! Fuzz `invitekit::address::parse_bytes`: any bytes, any options.
//!
//! The first two bytes choose the options, the rest is the pasted list:
//!
//! - byte 0, bits 0 to 7: `allow_quoted_local_part`, `allow_ip_literal`, `allow_dotless_domain`,
//!   `allow_comments`, `allow_special_use_domains`, `allow_invisible_characters`,
//!   `allow_bidi_controls`, `allow_symbols`;
//! - byte 1, bits 0 to 3: `max_addresses` from 0 to 14, or the default (200) for 15;
//!   bit 4: `case_sensitive_local_part`; bit 5: `max_input_bytes` of 64 instead of the default.
//!
//! A result is checked with `invitekit::testkit::check_list_invariants`; a refusal must be the
//! right one (`input_too_large` exactly when the input is over the bound, else `invalid_utf8`
//! exactly when it is not UTF-8); and `parse` on the same text must agree with `parse_bytes`.

#![no_main]

use invitekit::ErrorCode;
use invitekit::address::{MAX_INPUT_CEILING, ParseOptions, parse, parse_bytes};
use invitekit::testkit::check_list_invariants;
use libfuzzer_sys::fuzz_target;

fn options_and_input(data: &[u8]) -> (ParseOptions, &[u8]) {
    let (&allow, rest) = data.split_first().unwrap_or((&0, &[]));
    let (&limits, input) = rest.split_first().unwrap_or((&0x0f, &[]));
    let bit = |byte: u8, n: u8| byte & (1 << n) != 0;
    let defaults = ParseOptions::default();
    let options = ParseOptions {
        max_addresses: match limits & 0x0f {
            0x0f => defaults.max_addresses,
            small => usize::from(small),
        },
        max_input_bytes: if bit(limits, 5) {
            64
        } else {
            defaults.max_input_bytes
        },
        case_sensitive_local_part: bit(limits, 4),
        allow_quoted_local_part: bit(allow, 0),
        allow_ip_literal: bit(allow, 1),
        allow_dotless_domain: bit(allow, 2),
        allow_comments: bit(allow, 3),
        allow_special_use_domains: bit(allow, 4),
        allow_invisible_characters: bit(allow, 5),
        allow_bidi_controls: bit(allow, 6),
        allow_symbols: bit(allow, 7),
    };
    (options, input)
}

fuzz_target!(|data: &[u8]| {
    let (options, input) = options_and_input(data);
    let text = std::str::from_utf8(input);
    let too_large = input.len() > options.max_input_bytes.min(MAX_INPUT_CEILING);
    match parse_bytes(input, &options) {
        Ok(list) => {
            assert!(!too_large, "accepted an input over the bound");
            let text = text.expect("parse_bytes accepted bytes that are not UTF-8");
            check_list_invariants(text, &options, &list);
            let again = parse(text, &options);
            assert_eq!(again.as_ref(), Ok(&list), "parse and parse_bytes disagree");
        }
        Err(error) => {
            let expected = if too_large {
                ErrorCode::InputTooLarge
            } else {
                assert!(
                    text.is_err(),
                    "refused UTF-8 text within the bound: {error}"
                );
                ErrorCode::InvalidUtf8
            };
            assert_eq!(error.code(), expected, "wrong refusal: {error}");
        }
    }
});
