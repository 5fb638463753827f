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
    /// A role name other than admin, staff, client, guest.
    InvalidRole = "invalid_role", "not a role: expected admin, staff, client or guest";
    /// A status name other than the five statuses.
    InvalidStatus = "invalid_status", "not a status: expected provisioned, invite_pending, invite_expired, activated or archived";
    /// An expiry window outside 1 to 90 days.
    InvalidExpiryWindow = "invalid_expiry_window", "the expiry window must be a whole number of days from 1 to 90";
    /// A time zone name the IANA database does not have.
    InvalidTimeZone = "invalid_time_zone", "not a time zone name from the IANA database";
    /// A link token that is malformed or does not match its invitation or sign-up link.
    InvalidToken = "invalid_token", "the link's token is malformed or does not match";
    /// The operating system gave no random bytes to mint a token.
    EntropyUnavailable = "entropy_unavailable", "the operating system gave no random bytes for a token";
    /// No client with this id (or address) in the organization.
    ClientNotFound = "client_not_found", "no such client in the organization";
    /// No invitation matches the link.
    InvitationNotFound = "invitation_not_found", "no invitation matches this link";
    /// A client with the same dedup key already exists in the organization.
    ClientExists = "client_exists", "a client with this address already exists in the organization";
    /// An invitation with this id already exists.
    InvitationExists = "invitation_exists", "an invitation with this id already exists";
    /// The client has no email address to send to.
    NoEmail = "no_email", "the client has no email address to send to";
    /// Send to a client already invited (resend instead).
    AlreadyInvited = "already_invited", "the client has been invited already: resend instead";
    /// Resend or revoke for a client with no open invitation.
    NotInvited = "not_invited", "the client has no invitation to resend or revoke";
    /// The invitation's deadline has passed.
    InvitationExpired = "invitation_expired", "the invitation has expired";
    /// The invitation was revoked.
    InvitationRevoked = "invitation_revoked", "the invitation was revoked";
    /// The client has accepted already (by another identity, or the command needs a client not yet active).
    AlreadyActivated = "already_activated", "the client has already accepted an invitation";
    /// The client is archived: nothing but restore applies.
    ClientArchived = "client_archived", "the client is archived";
    /// Archive of a client already archived.
    AlreadyArchived = "already_archived", "the client is archived already";
    /// Restore of a client not archived.
    NotArchived = "not_archived", "the client is not archived";
    /// The accepting identity's email does not satisfy the organization's email binding.
    EmailMismatch = "email_mismatch", "the signed-in account's email does not match the invited address";
    /// The acting member lacks a permission (the error names it).
    Forbidden = "forbidden", "the acting member lacks the permission this needs";
    /// The sign-up link was disabled.
    SignupLinkDisabled = "signup_link_disabled", "the sign-up link has been disabled";
    /// The sign-up link reached its maximum number of uses.
    SignupLinkExhausted = "signup_link_exhausted", "the sign-up link has been used as many times as allowed";
    /// The sign-up link does not allow the email's domain.
    EmailDomainNotAllowed = "email_domain_not_allowed", "the sign-up link does not allow this email domain";
    /// A CSV row whose email cell is empty.
    MissingEmail = "missing_email", "the row has no email address";
    /// A CSV file with no header naming an email column and no address in its first row.
    NoEmailColumn = "no_email_column", "no column of email addresses was found in the file";
    /// Reading the input failed (an I/O error of the host's reader).
    ReadFailed = "read_failed", "the input could not be read";
    /// Writing the output failed (an I/O error of the host's writer).
    WriteFailed = "write_failed", "the output could not be written";
    /// A batch with invalid entries (or more than the cap): nothing was created; the error lists them.
    InvalidBatch = "invalid_batch", "the batch has invalid entries, so nothing was created";
    /// A batch with no address in it.
    EmptyBatch = "empty_batch", "the batch has no address in it";
    /// A subject, button text or name with a line break or another control character.
    InvalidMessageText = "invalid_message_text", "the text has a line break or another control character";
    /// An accept-link template or form link that is not an http(s) URL (with `{token}` for templates).
    InvalidUrl = "invalid_url", "not an http or https link, or an accept-link template without {token}";
    /// No organization with this id.
    OrganizationNotFound = "organization_not_found", "no such organization";
    /// An organization with this id exists already.
    OrganizationExists = "organization_exists", "an organization with this id already exists";
    /// No group with this id (or name) in the organization.
    GroupNotFound = "group_not_found", "no such group in the organization";
    /// A group with this name exists already in the organization.
    GroupExists = "group_exists", "a group with this name already exists in the organization";
    /// No program with this id (or name) in the organization.
    ProgramNotFound = "program_not_found", "no such program in the organization";
    /// No sign-up link matches.
    SignupLinkNotFound = "signup_link_not_found", "no sign-up link matches";
    /// No outbox message with this id.
    MessageNotFound = "message_not_found", "no such message in the outbox";
    /// A compare-and-set lost: the record changed since it was read. Nothing was written.
    Conflict = "conflict", "the record changed since it was read, so nothing was written: retry";
    /// The store failed (database error, I/O, a host store's exception).
    StorageFailed = "storage_failed", "the store failed";
    /// The mailer could not deliver a message; it stays in the outbox to retry.
    DeliveryFailed = "delivery_failed", "the mailer could not deliver the message; it will be retried";
}

impl ErrorCode {
    /// Whether this code marks one entry of a parsed list (as opposed to refusing a whole call).
    pub const fn is_entry_code(self) -> bool {
        // Entry codes come first in the published list, up to the first whole-call code.
        (self as usize) < (ErrorCode::InputTooLarge as usize)
    }

    /// The family this code belongs to: what kind of failure it is, for a host to map to its
    /// own idiom (an exception class, an HTTP status, a form error). Every binding uses these
    /// families: Python's exception classes, Node's `errorFamily`, Kotlin's and Swift's error
    /// cases.
    ///
    /// ```
    /// use invitekit::{ErrorCode, ErrorFamily};
    /// assert_eq!(ErrorCode::Duplicate.family(), ErrorFamily::InvalidAddresses);
    /// assert_eq!(ErrorCode::InvitationExpired.family(), ErrorFamily::Expired);
    /// assert_eq!(ErrorFamily::NotFound.as_str(), "not_found");
    /// ```
    pub const fn family(self) -> ErrorFamily {
        use ErrorCode as C;
        if self.is_entry_code() {
            return ErrorFamily::InvalidAddresses;
        }
        match self {
            C::MissingEmail | C::InvalidBatch | C::EmptyBatch => ErrorFamily::InvalidAddresses,
            C::Forbidden | C::EmailMismatch | C::EmailDomainNotAllowed => ErrorFamily::Forbidden,
            C::ClientNotFound
            | C::InvitationNotFound
            | C::OrganizationNotFound
            | C::GroupNotFound
            | C::ProgramNotFound
            | C::SignupLinkNotFound
            | C::MessageNotFound => ErrorFamily::NotFound,
            C::ClientExists | C::InvitationExists | C::OrganizationExists | C::GroupExists => {
                ErrorFamily::AlreadyExists
            }
            C::InvitationExpired
            | C::InvitationRevoked
            | C::SignupLinkDisabled
            | C::SignupLinkExhausted => ErrorFamily::Expired,
            C::AlreadyInvited
            | C::NotInvited
            | C::AlreadyActivated
            | C::ClientArchived
            | C::AlreadyArchived
            | C::NotArchived
            | C::NoEmail
            | C::Conflict => ErrorFamily::Conflict,
            C::StorageFailed | C::ReadFailed | C::WriteFailed | C::EntropyUnavailable => {
                ErrorFamily::Storage
            }
            C::DeliveryFailed => ErrorFamily::Delivery,
            C::InputTooLarge
            | C::InvalidUtf8
            | C::InvalidRole
            | C::InvalidStatus
            | C::InvalidExpiryWindow
            | C::InvalidTimeZone
            | C::InvalidToken
            | C::NoEmailColumn
            | C::InvalidMessageText
            | C::InvalidUrl => ErrorFamily::InvalidInput,
            // Entry codes, answered above; listing them here too would repeat the published
            // list's first part.
            _ => ErrorFamily::InvalidAddresses,
        }
    }
}

/// What kind of failure an [`ErrorCode`] is ([`ErrorCode::family`]).
///
/// | family | codes |
/// |---|---|
/// | `invalid_addresses` | every entry code, `missing_email`, `invalid_batch`, `empty_batch` |
/// | `invalid_input` | `input_too_large`, `invalid_utf8`, `invalid_role`, `invalid_status`, `invalid_expiry_window`, `invalid_time_zone`, `invalid_token`, `no_email_column`, `invalid_message_text`, `invalid_url` |
/// | `forbidden` | `forbidden`, `email_mismatch`, `email_domain_not_allowed` |
/// | `not_found` | `client_not_found`, `invitation_not_found`, `organization_not_found`, `group_not_found`, `program_not_found`, `signup_link_not_found`, `message_not_found` |
/// | `already_exists` | `client_exists`, `invitation_exists`, `organization_exists`, `group_exists` |
/// | `expired` | the link no longer works: `invitation_expired`, `invitation_revoked`, `signup_link_disabled`, `signup_link_exhausted` |
/// | `conflict` | the record's state refuses the command: `already_invited`, `not_invited`, `already_activated`, `client_archived`, `already_archived`, `not_archived`, `no_email`, and `conflict` (a lost compare-and-set) |
/// | `storage` | something outside invitekit failed: `storage_failed`, `read_failed`, `write_failed`, `entropy_unavailable` |
/// | `delivery` | `delivery_failed` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorFamily {
    /// Addresses are not acceptable; the error lists the entries at fault.
    InvalidAddresses,
    /// The input is malformed.
    InvalidInput,
    /// The acting member or the accepting identity is not allowed.
    Forbidden,
    /// A record does not exist.
    NotFound,
    /// A record exists already.
    AlreadyExists,
    /// A link no longer works.
    Expired,
    /// The record's state refuses the command, or a compare-and-set lost.
    Conflict,
    /// Something outside invitekit failed: the store, a reader or writer, the entropy source.
    Storage,
    /// The mailer failed.
    Delivery,
}

impl ErrorFamily {
    /// Every family, in the order of the table above.
    pub const ALL: &'static [ErrorFamily] = &[
        ErrorFamily::InvalidAddresses,
        ErrorFamily::InvalidInput,
        ErrorFamily::Forbidden,
        ErrorFamily::NotFound,
        ErrorFamily::AlreadyExists,
        ErrorFamily::Expired,
        ErrorFamily::Conflict,
        ErrorFamily::Storage,
        ErrorFamily::Delivery,
    ];

    /// The family's snake_case name, for example `"not_found"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorFamily::InvalidAddresses => "invalid_addresses",
            ErrorFamily::InvalidInput => "invalid_input",
            ErrorFamily::Forbidden => "forbidden",
            ErrorFamily::NotFound => "not_found",
            ErrorFamily::AlreadyExists => "already_exists",
            ErrorFamily::Expired => "expired",
            ErrorFamily::Conflict => "conflict",
            ErrorFamily::Storage => "storage",
            ErrorFamily::Delivery => "delivery",
        }
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
    /// One address was expected and the text is not one valid address
    /// ([`crate::address::parse_one`]); `code` is the verdict an entry would carry.
    InvalidAddress {
        /// The entry code: [`ErrorCode::NotAnAddress`], [`ErrorCode::InvalidDomain`], ...
        code: ErrorCode,
    },
    /// Not a role name.
    InvalidRole,
    /// Not a status name.
    InvalidStatus,
    /// An expiry window outside 1 to 90 days.
    InvalidExpiryWindow {
        /// The days asked for.
        days: i64,
    },
    /// Not an IANA time zone.
    InvalidTimeZone {
        /// The name given (at most its first 64 bytes).
        name: String,
    },
    /// A malformed link token, or one that does not match. The token is never repeated.
    InvalidToken,
    /// The operating system gave no random bytes.
    EntropyUnavailable,
    /// The transition table refused a command ([`crate::lifecycle::TRANSITIONS`]), or a link's
    /// own state did (revoked, expired).
    Refused {
        /// The table's code: [`ErrorCode::AlreadyActivated`], [`ErrorCode::InvitationExpired`], ...
        code: ErrorCode,
        /// The command refused.
        command: crate::lifecycle::CommandKind,
        /// The client's status when it was refused (`None`: no such record).
        status: Option<crate::lifecycle::StatusKind>,
    },
    /// An invitation with this id already exists for the client.
    InvitationExists,
    /// The client has no email address.
    NoEmail,
    /// The accepting identity does not satisfy the organization's binding.
    EmailMismatch {
        /// The binding in force.
        binding: crate::policy::EmailBinding,
    },
    /// The acting member lacks `permission`.
    Forbidden {
        /// The missing permission.
        permission: crate::access::Permission,
    },
    /// The sign-up link is disabled.
    SignupLinkDisabled,
    /// The sign-up link has no uses left.
    SignupLinkExhausted {
        /// Its maximum.
        max_uses: u32,
    },
    /// The sign-up link does not allow the email's domain.
    EmailDomainNotAllowed,
    /// A CSV file without an email column.
    NoEmailColumn,
    /// The reader failed.
    ReadFailed {
        /// What it said.
        message: String,
    },
    /// The writer failed.
    WriteFailed {
        /// What it said.
        message: String,
    },
    /// A batch with invalid entries; nothing was created.
    InvalidBatch {
        /// The entries at fault, in input order.
        entries: Vec<EntryError>,
    },
    /// A batch with no address.
    EmptyBatch,
    /// A text field with a control character.
    InvalidMessageText {
        /// Which field: `"subject"`, `"button"`, `"name"`, ...
        field: &'static str,
    },
    /// A URL that is not acceptable.
    InvalidUrl {
        /// Which field: `"accept_url"` or `"form_url"`.
        field: &'static str,
    },
    /// A record that does not exist; `code` says which kind
    /// ([`ErrorCode::ClientNotFound`], [`ErrorCode::GroupNotFound`], ...).
    NotFound {
        /// The code.
        code: ErrorCode,
    },
    /// A record that exists already; `code` says which kind
    /// ([`ErrorCode::ClientExists`], [`ErrorCode::GroupExists`], ...).
    Exists {
        /// The code.
        code: ErrorCode,
    },
    /// A compare-and-set lost.
    Conflict,
    /// The store failed.
    StorageFailed {
        /// What the store said (never a token).
        message: String,
    },
    /// The mailer failed.
    DeliveryFailed {
        /// What the mailer said.
        message: String,
    },
}

/// One entry of a refused batch: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryError {
    /// Its index among the batch's entries, from 0.
    pub index: usize,
    /// Its line, from 1 (for CSV, the row's first line).
    pub line: u64,
    /// Its column, from 1, in characters (1 for a CSV row).
    pub column: u64,
    /// Its byte offsets in a pasted text (`0..0` for a CSV row).
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// The text as written.
    pub text: String,
    /// What is wrong.
    pub code: ErrorCode,
    /// For a duplicate, the index of the entry it repeats.
    pub duplicate_of: Option<usize>,
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
            ErrorKind::InvalidAddress { code } | ErrorKind::Refused { code, .. } => code,
            ErrorKind::InvalidRole => ErrorCode::InvalidRole,
            ErrorKind::InvalidStatus => ErrorCode::InvalidStatus,
            ErrorKind::InvalidExpiryWindow { .. } => ErrorCode::InvalidExpiryWindow,
            ErrorKind::InvalidTimeZone { .. } => ErrorCode::InvalidTimeZone,
            ErrorKind::InvalidToken => ErrorCode::InvalidToken,
            ErrorKind::EntropyUnavailable => ErrorCode::EntropyUnavailable,
            ErrorKind::InvitationExists => ErrorCode::InvitationExists,
            ErrorKind::NoEmail => ErrorCode::NoEmail,
            ErrorKind::EmailMismatch { .. } => ErrorCode::EmailMismatch,
            ErrorKind::Forbidden { .. } => ErrorCode::Forbidden,
            ErrorKind::SignupLinkDisabled => ErrorCode::SignupLinkDisabled,
            ErrorKind::SignupLinkExhausted { .. } => ErrorCode::SignupLinkExhausted,
            ErrorKind::EmailDomainNotAllowed => ErrorCode::EmailDomainNotAllowed,
            ErrorKind::NoEmailColumn => ErrorCode::NoEmailColumn,
            ErrorKind::ReadFailed { .. } => ErrorCode::ReadFailed,
            ErrorKind::WriteFailed { .. } => ErrorCode::WriteFailed,
            ErrorKind::InvalidBatch { .. } => ErrorCode::InvalidBatch,
            ErrorKind::EmptyBatch => ErrorCode::EmptyBatch,
            ErrorKind::InvalidMessageText { .. } => ErrorCode::InvalidMessageText,
            ErrorKind::InvalidUrl { .. } => ErrorCode::InvalidUrl,
            ErrorKind::NotFound { code } | ErrorKind::Exists { code } => code,
            ErrorKind::Conflict => ErrorCode::Conflict,
            ErrorKind::StorageFailed { .. } => ErrorCode::StorageFailed,
            ErrorKind::DeliveryFailed { .. } => ErrorCode::DeliveryFailed,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match &self.kind {
            ErrorKind::InputTooLarge { limit } => {
                write!(
                    f,
                    "{code}: the input is larger than the limit of {limit} bytes"
                )
            }
            ErrorKind::InvalidUtf8 { valid_up_to } => write!(
                f,
                "{code}: the input is not valid UTF-8 after byte {valid_up_to}"
            ),
            ErrorKind::InvalidExpiryWindow { days } => write!(
                f,
                "{code}: {days} days; the expiry window must be a whole number of days from 1 to 90"
            ),
            ErrorKind::InvalidTimeZone { name } => {
                write!(
                    f,
                    "{code}: {name:?} is not a time zone name from the IANA database"
                )
            }
            ErrorKind::Refused {
                command, status, ..
            } => {
                let status = status.map_or("no record", |s| s.label());
                write!(
                    f,
                    "{code}: {}; cannot {command} (status: {status})",
                    code.meaning()
                )
            }
            ErrorKind::EmailMismatch { binding } => write!(
                f,
                "{code}: the signed-in account's email does not satisfy the organization's {} rule",
                binding.as_str()
            ),
            ErrorKind::Forbidden { permission } => {
                write!(f, "{code}: this needs the {permission} permission")
            }
            ErrorKind::SignupLinkExhausted { max_uses } => write!(
                f,
                "{code}: the sign-up link has been used {max_uses} times, its maximum"
            ),
            ErrorKind::ReadFailed { message }
            | ErrorKind::WriteFailed { message }
            | ErrorKind::StorageFailed { message }
            | ErrorKind::DeliveryFailed { message } => {
                write!(f, "{code}: {}: {message}", code.meaning())
            }
            ErrorKind::InvalidBatch { entries } => {
                write!(
                    f,
                    "{code}: {} invalid entries, nothing was created",
                    entries.len()
                )?;
                if let Some(first) = entries.first() {
                    write!(
                        f,
                        "; first at line {} column {}: {} ({})",
                        first.line,
                        first.column,
                        first.code,
                        first.code.meaning()
                    )?;
                }
                Ok(())
            }
            ErrorKind::InvalidMessageText { field } => {
                write!(
                    f,
                    "{code}: the {field} has a line break or another control character"
                )
            }
            ErrorKind::InvalidUrl { field } => write!(f, "{code}: {field}: {}", code.meaning()),
            _ => write!(f, "{code}: {}", code.meaning()),
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

    #[test]
    fn only_entry_codes_and_batch_refusals_are_invalid_addresses() {
        // A code published later that nobody placed in a family falls into `invalid_addresses`
        // (the match's last arm): this catches it.
        let batch = [
            ErrorCode::MissingEmail,
            ErrorCode::InvalidBatch,
            ErrorCode::EmptyBatch,
        ];
        for &code in ErrorCode::ALL {
            let expected = code.is_entry_code() || batch.contains(&code);
            assert_eq!(
                code.family() == ErrorFamily::InvalidAddresses,
                expected,
                "{code}"
            );
        }
        let used: std::collections::HashSet<_> =
            ErrorCode::ALL.iter().map(|code| code.family()).collect();
        assert_eq!(used.len(), ErrorFamily::ALL.len());
    }
}
