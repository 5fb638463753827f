//! One error type with stable codes.
//!
//! Every failure invitekit reports, whether it stops a whole call ([`Error`]) or marks one entry
//! of a pasted list ([`crate::address::Entry::error`]), is named by an [`ErrorCode`]. Codes are
//! snake_case strings that never change once published; the list, with a one-line meaning for
//! each, is `testdata/error_codes.json`, and a test fails when that file and [`ErrorCode::ALL`]
//! drift apart. Hosts (Python, Node, Kotlin) map codes to their own idiom and test that every code
//! is mapped.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $meaning:literal; )+) => {
        /// A stable, published error code.
        ///
        /// [`ErrorCode::as_str`] gives the snake_case string hosts see; [`ErrorCode::meaning`] a
        /// one-line explanation in words. Serialized as its string.
        ///
        /// ```
        /// use invitekit::ErrorCode;
        /// assert_eq!(ErrorCode::NotAnAddress.as_str(), "not_an_address");
        /// assert_eq!("duplicate".parse::<ErrorCode>(), Ok(ErrorCode::Duplicate));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in the order of `testdata/error_codes.json`.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The code as hosts see it, for example `"not_an_address"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// What the code means, in one line of words (the reason the CLI prints).
            pub const fn meaning(self) -> &'static str {
                match self { $( ErrorCode::$variant => $meaning, )+ }
            }
        }

        impl std::str::FromStr for ErrorCode {
            type Err = UnknownErrorCode;

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                match code {
                    $( $code => Ok(ErrorCode::$variant), )+
                    _ => Err(UnknownErrorCode),
                }
            }
        }
    };
}

error_codes! {
    /// A word with no `@`: not an address at all.
    NotAnAddress = "not_an_address", "not an email address: there is no @";
    /// Nothing before the `@`.
    MissingLocalPart = "missing_local_part", "nothing before the @";
    /// Nothing after the `@`.
    MissingDomain = "missing_domain", "nothing after the @";
    /// A character not allowed in an unquoted local part (including a second `@`).
    InvalidLocalPart = "invalid_local_part", "a character not allowed before the @";
    /// A local part that starts or ends with a dot, or has two dots in a row.
    LocalPartDots = "local_part_dots", "a dot at the start or end of the part before the @, or two dots in a row";
    /// A quoted local part such as `"john doe"@example.com`, refused by default.
    QuotedLocalPart = "quoted_local_part", "a quoted part before the @ is not accepted";
    /// A comment such as `john(work)@example.com` inside the address, refused by default.
    Comment = "comment", "a comment in parentheses inside the address is not accepted";
    /// A domain that is not a valid host name (bad character, empty label, misplaced hyphen, IDNA failure).
    InvalidDomain = "invalid_domain", "the domain is not a valid host name";
    /// A domain with a single label, such as `localhost`, refused by default.
    DotlessDomain = "dotless_domain", "the domain has no dot";
    /// A top-level domain that is neither two or more letters nor a valid `xn--` label.
    InvalidTld = "invalid_tld", "the top-level domain is not two or more letters";
    /// A special-use domain (`.local`, `.test`, `.invalid`, `.onion`, `.localhost`, `.arpa`), refused by default.
    SpecialUseDomain = "special_use_domain", "the domain is reserved for special use and cannot receive mail";
    /// An IP literal such as `a@[192.0.2.1]`, refused by default.
    IpLiteral = "ip_literal", "an IP address in brackets is not accepted as a domain";
    /// An IP literal that is not a real IPv4 or IPv6 address (when IP literals are allowed).
    InvalidIpLiteral = "invalid_ip_literal", "the bracketed IP address is not a valid IPv4 or IPv6 address";
    /// An invisible character (zero-width, soft hyphen, other format characters), refused by default.
    InvisibleCharacter = "invisible_character", "an invisible character is hidden in the address";
    /// A bidirectional control character, refused by default.
    BidiControl = "bidi_control", "a text-direction control character is hidden in the address";
    /// An emoji or other symbol character, refused by default.
    SymbolCharacter = "symbol_character", "an emoji or symbol character is in the address";
    /// A local part longer than 64 bytes.
    LocalPartTooLong = "local_part_too_long", "the part before the @ is longer than 64 bytes";
    /// A domain longer than 253 bytes (in its Unicode or its ASCII form).
    DomainTooLong = "domain_too_long", "the domain is longer than 253 bytes";
    /// A domain label longer than 63 bytes (in its Unicode or its ASCII form).
    LabelTooLong = "label_too_long", "a part of the domain between dots is longer than 63 bytes";
    /// An address longer than 254 bytes (in its Unicode or its ASCII form).
    AddressTooLong = "address_too_long", "the address is longer than 254 bytes";
    /// Text glued after `<address>` that is neither punctuation nor a `(comment)`.
    UnexpectedText = "unexpected_text", "unexpected text after the address";
    /// The same address as an earlier entry (see `duplicate_of`).
    Duplicate = "duplicate", "the same address appears earlier in the list";
    /// A valid address beyond the batch cap.
    OverLimit = "over_limit", "more addresses than a batch may hold";
    /// The whole input is larger than the size bound.
    InputTooLarge = "input_too_large", "the input is larger than the size limit";
    /// The input is not valid UTF-8.
    InvalidUtf8 = "invalid_utf8", "the input is not valid UTF-8 text";
}

impl ErrorCode {
    /// Whether this code marks one entry of a parsed list (as opposed to refusing a whole call).
    pub const fn is_entry_code(self) -> bool {
        !matches!(self, ErrorCode::InputTooLarge | ErrorCode::InvalidUtf8)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string given to [`ErrorCode`]'s `FromStr` is not a published code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a published invitekit error code")
    }
}

impl std::error::Error for UnknownErrorCode {}

/// What went wrong, with the details a caller may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is larger than the bound the caller set; nothing was parsed.
    InputTooLarge {
        /// The bound, in bytes.
        limit: usize,
    },
    /// The input is not UTF-8; `valid_up_to` bytes were.
    InvalidUtf8 {
        /// How many leading bytes were valid UTF-8.
        valid_up_to: usize,
    },
}

/// The error every fallible invitekit call returns.
///
/// [`Error::code`] gives its stable [`ErrorCode`]; [`Error::kind`] the details. Messages never
/// contain secrets such as tokens.
///
/// ```
/// use invitekit::address::{parse, ParseOptions};
/// use invitekit::ErrorCode;
///
/// let options = ParseOptions { max_input_bytes: 8, ..ParseOptions::default() };
/// let error = parse("jane@example.com", &options).unwrap_err();
/// assert_eq!(error.code(), ErrorCode::InputTooLarge);
/// assert_eq!(error.to_string(), "input_too_large: the input is larger than the limit of 8 bytes");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    /// An error of this kind.
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    /// The details.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            ErrorKind::InputTooLarge { .. } => ErrorCode::InputTooLarge,
            ErrorKind::InvalidUtf8 { .. } => ErrorCode::InvalidUtf8,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::InputTooLarge { limit } => {
                write!(
                    f,
                    "input_too_large: the input is larger than the limit of {limit} bytes"
                )
            }
            ErrorKind::InvalidUtf8 { valid_up_to } => write!(
                f,
                "invalid_utf8: the input is not valid UTF-8 after byte {valid_up_to}"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_strings() {
        for &code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            let json = serde_json::to_string(&code).expect("serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        assert_eq!("no_such_code".parse::<ErrorCode>(), Err(UnknownErrorCode));
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{s}"
            );
            assert!(!code.meaning().is_empty());
        }
    }
}
