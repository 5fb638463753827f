//! invitekit's errors as one uniffi error enum: `InvitekitException` in Kotlin (a sealed class,
//! one subclass per family), `InvitekitError` in Swift (an enum conforming to `Error`).
//!
//! Each case is a family of [`invitekit::ErrorFamily`], the Python package's exception classes,
//! for a host to catch what it can act on (`catch (e: InvitekitException.NotFound)`, or HTTP
//! 404). Every case carries the same fields:
//!
//! | field | what |
//! |---|---|
//! | `code` | the stable code, one of `testdata/error_codes.json` (`errorCodes()`) |
//! | `reason` | the core's message, `"code: text"` |
//! | `details` | the error's particulars by name, as text: `permission`, `command`, `status`, `limit`, `validUpTo`, `days`, `name`, `binding`, `maxUses`, `field`, `reason` |
//! | `entries` | for `invalid_batch`, the entries at fault, with UTF-16 offsets into the pasted text; else empty |
//!
//! (Kotlin reserves `message` for the exception's own text, which uniffi builds from these
//! fields; hence `reason`.)
//!
//! A Rust panic (a bug) never crosses the boundary: uniffi catches it in every call and throws
//! its internal exception (`InternalException` in Kotlin) with the panic's message; the process
//! goes on.

use std::collections::HashMap;

use invitekit::address::offsets::Utf16Offsets;
use invitekit::{Error, ErrorCode, ErrorFamily, ErrorKind};

/// One entry of a refused batch: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntryError {
    /// Its index among the batch's entries, from 0.
    pub index: u64,
    /// Its line, from 1 (for CSV, the row's first line).
    pub line: u64,
    /// Its column, from 1, in characters (1 for a CSV row).
    pub column: u64,
    /// Its start in the pasted text, in UTF-16 code units (Kotlin's and Java's string indices;
    /// Swift's `utf16` view); `0` for a CSV row.
    pub start: u64,
    /// Its end (exclusive), as `start`.
    pub end: u64,
    /// The text as written.
    pub text: String,
    /// What is wrong: an entry code.
    pub code: ErrorCode,
    /// For a duplicate, the index of the entry it repeats.
    pub duplicate_of: Option<u64>,
}

/// Declares [`InvitekitError`] with one case per family, each with the same fields, and the
/// functions that build and read them by family.
macro_rules! families {
    ($( $(#[$doc:meta])* $case:ident = $family:ident; )+) => {
        /// Every failure of invitekit, by family, with its stable code (see the module
        /// documentation).
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        pub enum InvitekitError {
            $(
                $(#[$doc])*
                $case {
                    /// The code.
                    code: ErrorCode,
                    /// The message, `"code: text"`.
                    reason: String,
                    /// The particulars, by name.
                    details: HashMap<String, String>,
                    /// For `invalid_batch`, the entries at fault; else empty.
                    entries: Vec<EntryError>,
                },
            )+
        }

        impl InvitekitError {
            /// The error of `code` with this message, particulars and entries, in its code's
            /// family.
            fn build(
                code: ErrorCode,
                reason: String,
                details: HashMap<String, String>,
                entries: Vec<EntryError>,
            ) -> Self {
                match code.family() {
                    $( ErrorFamily::$family => InvitekitError::$case { code, reason, details, entries }, )+
                    // A family added to the core after this binding was written.
                    _ => InvitekitError::InvalidInput { code, reason, details, entries },
                }
            }

            /// The family of this case.
            pub fn family(&self) -> ErrorFamily {
                match self {
                    $( InvitekitError::$case { .. } => ErrorFamily::$family, )+
                }
            }

            fn parts(&self) -> (&ErrorCode, &str, &HashMap<String, String>) {
                match self {
                    $( InvitekitError::$case { code, reason, details, .. } => (code, reason, details), )+
                }
            }
        }
    };
}

families! {
    /// Addresses are not acceptable: an entry code, `missing_email`, `invalid_batch` or
    /// `empty_batch`; `entries` lists the entries at fault.
    InvalidAddresses = InvalidAddresses;
    /// The input is malformed: too large, not UTF-8, a bad role, status, window, time zone,
    /// token, CSV layout, message text or URL.
    InvalidInput = InvalidInput;
    /// The acting member or the accepting identity is not allowed (`forbidden` names the
    /// missing `permission` in `details`).
    Forbidden = Forbidden;
    /// A record does not exist.
    NotFound = NotFound;
    /// A record exists already.
    AlreadyExists = AlreadyExists;
    /// The link no longer works: expired, revoked, a disabled or exhausted sign-up link.
    Expired = Expired;
    /// The record's state refuses the command (`command` and `status` in `details`), or a
    /// compare-and-set lost (`conflict`).
    Conflict = Conflict;
    /// Something outside invitekit failed: the store, a reader or writer, the entropy source
    /// (`reason` in `details`: what it said).
    Storage = Storage;
    /// The mailer failed (`reason` in `details`: what it said).
    Delivery = Delivery;
}

impl std::fmt::Display for InvitekitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for InvitekitError {}

impl InvitekitError {
    /// The core's `error`, whose entries' byte offsets become UTF-16 offsets into `text` (the
    /// pasted text the batch came from).
    pub(crate) fn in_text(error: Error, text: &str) -> Self {
        Self::convert(error, Some(text))
    }

    fn convert(error: Error, text: Option<&str>) -> Self {
        let entries = match error.kind() {
            ErrorKind::InvalidBatch { entries } => {
                let mut offsets = text.map(Utf16Offsets::new);
                entries
                    .iter()
                    .map(|entry| {
                        let (start, end) = match offsets.as_mut() {
                            Some(offsets) => (offsets.at(entry.start), offsets.at(entry.end)),
                            None => (entry.start, entry.end),
                        };
                        EntryError {
                            index: entry.index as u64,
                            line: entry.line,
                            column: entry.column,
                            start: start as u64,
                            end: end as u64,
                            text: entry.text.clone(),
                            code: entry.code,
                            duplicate_of: entry.duplicate_of.map(|i| i as u64),
                        }
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        Self::build(
            error.code(),
            error.to_string(),
            details(error.kind()),
            entries,
        )
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        *self.parts().0
    }

    /// The message, `"code: text"`.
    pub fn reason(&self) -> &str {
        self.parts().1
    }

    /// The particulars.
    pub fn details(&self) -> &HashMap<String, String> {
        self.parts().2
    }
}

impl From<Error> for InvitekitError {
    /// The core's error; a refused batch's entries keep their byte offsets (use
    /// `InvitekitError::in_text` when the pasted text is at hand).
    fn from(error: Error) -> Self {
        Self::convert(error, None)
    }
}

/// The particulars of an error's kind, camelCase names as in Node's `.details`.
fn details(kind: &ErrorKind) -> HashMap<String, String> {
    let pairs: Vec<(&str, String)> = match kind {
        ErrorKind::InputTooLarge { limit } => vec![("limit", limit.to_string())],
        ErrorKind::InvalidUtf8 { valid_up_to } => vec![("validUpTo", valid_up_to.to_string())],
        ErrorKind::InvalidExpiryWindow { days } => vec![("days", days.to_string())],
        ErrorKind::InvalidTimeZone { name } => vec![("name", name.clone())],
        ErrorKind::Refused {
            command, status, ..
        } => {
            let mut pairs = vec![("command", command.as_str().to_owned())];
            if let Some(status) = status {
                pairs.push(("status", status.as_str().to_owned()));
            }
            pairs
        }
        ErrorKind::EmailMismatch { binding } => vec![("binding", binding.as_str().to_owned())],
        ErrorKind::Forbidden { permission } => {
            vec![("permission", permission.as_str().to_owned())]
        }
        ErrorKind::SignupLinkExhausted { max_uses } => vec![("maxUses", max_uses.to_string())],
        ErrorKind::InvalidMessageText { field } | ErrorKind::InvalidUrl { field } => {
            vec![("field", (*field).to_owned())]
        }
        ErrorKind::ReadFailed { message }
        | ErrorKind::WriteFailed { message }
        | ErrorKind::StorageFailed { message }
        | ErrorKind::DeliveryFailed { message } => vec![("reason", message.clone())],
        _ => Vec::new(),
    };
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// Every published error code, in the order of `testdata/error_codes.json`.
#[uniffi::export]
pub fn error_codes() -> Vec<ErrorCode> {
    ErrorCode::ALL.to_vec()
}

/// What a published code means, in one line of words; `null` for a text that is not a
/// published code.
#[uniffi::export]
pub fn error_meaning(code: String) -> Option<String> {
    let code = code.parse::<ErrorCode>().ok()?;
    Some(code.meaning().to_owned())
}

/// The family of a published code: `invalid_addresses`, `invalid_input`, `forbidden`,
/// `not_found`, `already_exists`, `expired`, `conflict`, `storage` or `delivery`, the case of
/// `InvitekitError` its errors come as; `null` for a text that is not a published code.
#[uniffi::export]
pub fn error_family(code: String) -> Option<String> {
    let code = code.parse::<ErrorCode>().ok()?;
    Some(code.family().as_str().to_owned())
}

/// Panics with `message`: lets the tests check that a Rust panic becomes uniffi's
/// `InternalException` and the process goes on. Only with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn panic_for_test(message: String) {
    std::panic::panic_any(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_lands_in_its_family_with_its_code() {
        for &code in ErrorCode::ALL {
            let error = InvitekitError::build(code, code.to_string(), HashMap::new(), Vec::new());
            let family = error.family();
            // The case's name is its family's, in CamelCase (`not_found`: `NotFound { .. }`).
            let camel: String = family
                .as_str()
                .split('_')
                .map(|word| word[..1].to_uppercase() + &word[1..])
                .collect();
            assert!(
                format!("{error:?}").starts_with(&camel),
                "{code}: {error:?}"
            );
            assert_eq!(family, code.family(), "{code}");
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn a_refused_batch_points_into_the_text_by_utf16_offsets() {
        let text = "Zoë <zoe@example.com>, 😀 bad@@example.com";
        let options = invitekit::address::ParseOptions::default();
        let list = invitekit::address::parse(text, &options).expect("parses");
        let entries: Vec<invitekit::EntryError> = list
            .entries
            .iter()
            .filter(|e| e.error().is_some())
            .map(|e| invitekit::EntryError {
                index: e.index(),
                line: e.line() as u64,
                column: e.column() as u64,
                start: e.start(),
                end: e.end(),
                text: e.raw().to_owned(),
                code: e.error().unwrap_or(ErrorCode::NotAnAddress),
                duplicate_of: None,
            })
            .collect();
        let error = Error::new(ErrorKind::InvalidBatch { entries });
        let InvitekitError::InvalidAddresses { entries, code, .. } =
            InvitekitError::in_text(error, text)
        else {
            panic!("not InvalidAddresses");
        };
        assert_eq!(code, ErrorCode::InvalidBatch);
        let utf16: Vec<u16> = text.encode_utf16().collect();
        for entry in entries {
            let slice = String::from_utf16_lossy(&utf16[entry.start as usize..entry.end as usize]);
            assert_eq!(slice, entry.text);
        }
    }
}
