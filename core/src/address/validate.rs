//! The policy for one address: is it valid, and what are its normalized form and dedup key?
//!
//! The input is the address alone, already cut out of the pasted list and trimmed by the lexer.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use email_address::EmailAddress;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::UnicodeNormalization;

use super::ParseOptions;
use super::chars::refused_character;
use crate::error::ErrorCode;

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;
const MAX_LABEL: usize = 63;
const MAX_ADDRESS: usize = 254;
/// A typed domain longer than this is too long in any form; we stop before IDNA work.
const MAX_TYPED_DOMAIN: usize = 1024;
const SPECIAL_USE_TLDS: [&str; 6] = ["local", "test", "invalid", "onion", "localhost", "arpa"];

/// A valid address, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Valid {
    /// The normalized form (NFC local part, `@`, lowercase punycode domain) is the first this
    /// many bytes of the output; the key (the normalized form with the local part case-folded
    /// unless the options say otherwise) follows.
    pub normalized_len: usize,
    /// The local part is not ASCII.
    pub smtputf8: bool,
}

/// Judges one address under `options`; when valid, appends its normalized form and its key to
/// `out`, which must be empty (it is the caller's reused buffer: no allocation per address).
pub(super) fn check(
    address: &str,
    options: &ParseOptions,
    out: &mut String,
    idna: &mut IdnaCache,
) -> Result<Valid, ErrorCode> {
    if check_common(address, options, out).is_some() {
        return Ok(Valid {
            normalized_len: address.len(),
            smtputf8: false,
        });
    }
    out.clear();
    let forms = check_general(address, options, idna)?;
    out.push_str(&forms.normalized);
    out.push_str(&forms.key);
    Ok(Valid {
        normalized_len: forms.normalized.len(),
        smtputf8: forms.smtputf8,
    })
}

/// The forms of a valid address, from the general path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Forms {
    normalized: String,
    key: String,
    smtputf8: bool,
}

/// ASCII `atext` and the dot, as a table.
static LOCAL_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = b as u8 == b'.' || is_atext(b as u8);
        b += 1;
    }
    table
};

/// Letters, digits and hyphens, as a table.
static LDH_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b as u8 == b'-';
        b += 1;
    }
    table
};

/// The common case in one pass: a valid ASCII dot-atom at an ordinary ASCII host name.
///
/// `None` means "not that simple", never "invalid": [`check_general`] then decides, and gives
/// the same verdict for any address this accepts (a test holds the two together). On `Some`,
/// `out` holds the normalized form and the key.
pub(super) fn check_common(address: &str, options: &ParseOptions, out: &mut String) -> Option<()> {
    let bytes = address.as_bytes();
    // The local part, up to the first `@`, checked in the same pass that finds it.
    let mut previous = b'.';
    let mut upper = false;
    let mut at = 0;
    loop {
        let b = *bytes.get(at)?;
        if b == b'@' {
            break;
        }
        if !LOCAL_BYTE[usize::from(b)] || (b == b'.' && previous == b'.') {
            return None;
        }
        upper |= b.is_ascii_uppercase();
        previous = b;
        at += 1;
    }
    let domain = &bytes[at + 1..];
    if at == 0
        || previous == b'.'
        || at > MAX_LOCAL
        || domain.len() > MAX_DOMAIN
        || bytes.len() > MAX_ADDRESS
    {
        return None;
    }
    let mut label_start = 0;
    let mut labels = 0;
    for (i, &b) in domain.iter().enumerate() {
        if b == b'.' {
            check_common_label(&domain[label_start..i])?;
            labels += 1;
            label_start = i + 1;
        } else if !LDH_BYTE[usize::from(b)] {
            return None;
        }
    }
    let tld = &domain[label_start..];
    check_common_label(tld)?;
    if labels == 0 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    // The special-use names are 4 to 9 letters; most top-level labels are shorter.
    if tld.len() >= 4
        && SPECIAL_USE_TLDS
            .iter()
            .any(|special| special.as_bytes().eq_ignore_ascii_case(tld))
    {
        return None;
    }
    out.push_str(address);
    out[at + 1..].make_ascii_lowercase();
    out.extend_from_within(..);
    if upper && !options.case_sensitive_local_part {
        let len = address.len();
        out[len..len + at].make_ascii_lowercase();
    }
    Some(())
}

/// A label of an ordinary host name: 1 to 63 bytes, no hyphen at either end nor in the third
/// and fourth places (which also keeps `xn--` labels for the IDNA path).
#[inline]
fn check_common_label(label: &[u8]) -> Option<()> {
    let ok = !label.is_empty()
        && label.len() <= MAX_LABEL
        && label[0] != b'-'
        && label[label.len() - 1] != b'-'
        && !(label.len() >= 4 && label[2] == b'-' && label[3] == b'-');
    ok.then_some(())
}

/// Every rule, for any address.
fn check_general(
    address: &str,
    options: &ParseOptions,
    idna: &mut IdnaCache,
) -> Result<Forms, ErrorCode> {
    if let Some(code) = refused_character(
        address,
        options.allow_invisible_characters,
        options.allow_bidi_controls,
        options.allow_symbols,
    ) {
        return Err(code);
    }
    if !address.contains('@') {
        return Err(ErrorCode::NotAnAddress);
    }
    let address = match strip_comments(address) {
        None => Cow::Borrowed(address),
        Some(_) if !options.allow_comments => return Err(ErrorCode::Comment),
        Some(stripped) => Cow::Owned(stripped),
    };
    let Some(at) = last_at_outside_quotes(&address) else {
        // The only `@` was inside a quoted string.
        return Err(ErrorCode::NotAnAddress);
    };
    let (local, domain) = (&address[..at], &address[at + 1..]);
    if local.is_empty() {
        return Err(ErrorCode::MissingLocalPart);
    }
    if domain.is_empty() {
        return Err(ErrorCode::MissingDomain);
    }
    // Even when invisible characters are allowed: a normalized form starting with U+FEFF would
    // not parse back to itself, since a list's leading U+FEFF is read as a byte-order mark.
    if local.starts_with('\u{FEFF}') {
        return Err(ErrorCode::InvisibleCharacter);
    }
    let local = check_local(local, options)?;
    let domain = check_domain(domain, options, idna)?;
    let unicode_domain_len = domain.unicode_len.unwrap_or(domain.ascii.len());
    if local.len() + 1 + domain.ascii.len().max(unicode_domain_len) > MAX_ADDRESS {
        return Err(ErrorCode::AddressTooLong);
    }
    let smtputf8 = !local.is_ascii();
    let mut normalized = String::with_capacity(local.len() + 1 + domain.ascii.len());
    normalized.push_str(&local);
    normalized.push('@');
    normalized.push_str(&domain.ascii);
    let key = if options.case_sensitive_local_part {
        normalized.clone()
    } else if !smtputf8 {
        normalized.to_ascii_lowercase()
    } else {
        let mut key: String = local.to_lowercase().nfc().collect();
        key.push('@');
        key.push_str(&domain.ascii);
        key
    };
    Ok(Forms {
        normalized,
        key,
        smtputf8,
    })
}

/// The byte offset of the last `@` outside a quoted string, if any. A `"` opens a quoted
/// string only if a closing `"` follows; otherwise it is an ordinary character.
fn last_at_outside_quotes(address: &str) -> Option<usize> {
    let bytes = address.as_bytes();
    let mut last = None;
    let mut i = 0;
    // Once a quote is found unclosed, no later one can close either.
    let mut unclosed = false;
    while i < bytes.len() {
        match bytes[i] {
            b'@' => last = Some(i),
            b'"' if !unclosed => match closing_quote(bytes, i) {
                Some(close) => i = close,
                None => unclosed = true,
            },
            _ => {}
        }
        i += 1;
    }
    last
}

/// The `"` closing the quoted string opened at `open`, honouring `\` escapes.
fn closing_quote(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Removes balanced `(comments)` outside quoted strings (they may nest). `None` when there is
/// none; unbalanced parentheses are left in place for the character rules to refuse.
fn strip_comments(address: &str) -> Option<String> {
    if !address.contains('(') {
        return None;
    }
    let bytes = address.as_bytes();
    let mut out = String::with_capacity(address.len());
    let mut removed = false;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                if let Some(close) = closing_quote(bytes, i) {
                    i = close;
                }
            }
            b'(' => {
                if let Some(close) = comment_end(bytes, i) {
                    out.push_str(&address[copied..i]);
                    copied = close + 1;
                    i = close;
                    removed = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !removed {
        return None;
    }
    out.push_str(&address[copied.min(address.len())..]);
    Some(out)
}

/// The index of the `)` closing the comment opened at `open`, with nesting and `\` escapes.
fn comment_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `atext` of RFC 5322, ASCII part.
const fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// Checks a local part; returns its normalized (NFC, unquoted where possible) form.
fn check_local<'a>(local: &'a str, options: &ParseOptions) -> Result<Cow<'a, str>, ErrorCode> {
    if local.starts_with('"') {
        return check_quoted_local(local, options);
    }
    check_dot_atom(local)?;
    let local: Cow<'a, str> = if local.is_ascii() {
        Cow::Borrowed(local)
    } else {
        Cow::Owned(local.nfc().collect())
    };
    if local.len() > MAX_LOCAL {
        return Err(ErrorCode::LocalPartTooLong);
    }
    Ok(local)
}

fn check_dot_atom(local: &str) -> Result<(), ErrorCode> {
    let mut chars_ok = true;
    if local.is_ascii() {
        chars_ok = local.bytes().all(|b| b == b'.' || is_atext(b));
    } else {
        for c in local.chars() {
            let ok = if c.is_ascii() {
                c == '.' || is_atext(c as u8)
            } else {
                // A separator (`，` `、` `；`) would split the address when its normal form is
                // pasted again: refused, so that the normal form always parses back to itself.
                !c.is_control()
                    && !c.is_whitespace()
                    && c != '\u{FFFD}'
                    && super::chars::separator(c).is_none()
            };
            if !ok {
                chars_ok = false;
                break;
            }
        }
    }
    if !chars_ok {
        return Err(ErrorCode::InvalidLocalPart);
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(ErrorCode::LocalPartDots);
    }
    Ok(())
}

fn check_quoted_local<'a>(
    local: &'a str,
    options: &ParseOptions,
) -> Result<Cow<'a, str>, ErrorCode> {
    if !options.allow_quoted_local_part {
        return Err(ErrorCode::QuotedLocalPart);
    }
    let local: Cow<'a, str> = if local.is_ascii() {
        Cow::Borrowed(local)
    } else {
        Cow::Owned(local.nfc().collect())
    };
    if local.len() > MAX_LOCAL {
        return Err(ErrorCode::LocalPartTooLong);
    }
    // RFC 5322 quoted-string syntax, from the `email_address` crate; it also refuses an
    // empty pair of quotes. Controls other than tab are refused by its qtext rule.
    if local.len() < 2 || !local.ends_with('"') || !EmailAddress::is_valid_local_part(&local) {
        return Err(ErrorCode::InvalidLocalPart);
    }
    let inner = &local[1..local.len() - 1];
    // `"john"@x` is `john@x`: drop quotes that quote nothing.
    if !inner.contains('\\') && check_dot_atom(inner).is_ok() {
        return Ok(Cow::Owned(inner.to_owned()));
    }
    Ok(local)
}

/// A checked domain: its lowercase ASCII form, and the byte length of its Unicode form when
/// that differs.
#[derive(Debug, Clone)]
struct Domain {
    ascii: String,
    unicode_len: Option<usize>,
}

fn check_domain(
    domain: &str,
    options: &ParseOptions,
    idna: &mut IdnaCache,
) -> Result<Domain, ErrorCode> {
    if domain.starts_with('[') {
        return check_ip_literal(domain, options);
    }
    if domain.len() > MAX_TYPED_DOMAIN {
        return Err(ErrorCode::DomainTooLong);
    }
    let domain = if domain.is_ascii() && !has_punycode_label(domain) {
        let ascii = domain.to_ascii_lowercase();
        check_ldh_labels(&ascii)?;
        Domain {
            ascii,
            unicode_len: None,
        }
    } else {
        idna.domain(domain)?
    };
    let ascii = &domain.ascii;
    let unicode_len = domain.unicode_len.unwrap_or(ascii.len());
    if ascii.len() > MAX_DOMAIN || unicode_len > MAX_DOMAIN {
        return Err(ErrorCode::DomainTooLong);
    }
    let tld = match ascii.rsplit_once('.') {
        Some((_, tld)) => tld,
        None if options.allow_dotless_domain => ascii.as_str(),
        None => return Err(ErrorCode::DotlessDomain),
    };
    let dotless = tld.len() == ascii.len();
    let letters = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic());
    let numeric = tld.bytes().all(|b| b.is_ascii_digit());
    // A dotless host (when allowed) may hold digits, `server1`, but not be a number.
    if (!dotless && !letters && !tld.starts_with("xn--")) || numeric {
        return Err(ErrorCode::InvalidTld);
    }
    if !options.allow_special_use_domains && SPECIAL_USE_TLDS.contains(&tld) {
        return Err(ErrorCode::SpecialUseDomain);
    }
    Ok(domain)
}

fn has_punycode_label(domain: &str) -> bool {
    domain.split('.').any(|label| {
        label.len() >= 4
            && label.as_bytes()[..2].eq_ignore_ascii_case(b"xn")
            && &label[2..4] == "--"
    })
}

/// Letters, digits and hyphens; no empty label; no hyphen at either end of a label nor in its
/// third and fourth places (the rules IDNA's STD3 and CheckHyphens apply); then label lengths.
fn check_ldh_labels(ascii: &str) -> Result<(), ErrorCode> {
    for label in ascii.split('.') {
        let bytes = label.as_bytes();
        if bytes.is_empty()
            || !bytes
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            || bytes[0] == b'-'
            || bytes[bytes.len() - 1] == b'-'
            || (bytes.len() >= 4 && &bytes[2..4] == b"--")
        {
            return Err(ErrorCode::InvalidDomain);
        }
    }
    if ascii.split('.').any(|label| label.len() > MAX_LABEL) {
        return Err(ErrorCode::LabelTooLong);
    }
    Ok(())
}

/// The IDNA verdicts of one parse call, by domain as typed: real lists repeat their domains,
/// and IDNA is the costliest step. Bounded, so a list of distinct domains cannot grow it
/// without limit.
#[derive(Default)]
pub(super) struct IdnaCache {
    verdicts: HashMap<Box<str>, Result<Domain, ErrorCode>>,
}

impl IdnaCache {
    const CAPACITY: usize = 1024;

    fn domain(&mut self, domain: &str) -> Result<Domain, ErrorCode> {
        if let Some(verdict) = self.verdicts.get(domain) {
            return verdict.clone();
        }
        let verdict = idna_domain(domain);
        if self.verdicts.len() < Self::CAPACITY {
            self.verdicts.insert(domain.into(), verdict.clone());
        }
        verdict
    }
}

/// The IDNA path, for non-ASCII domains and ones with `xn--` labels.
fn idna_domain(domain: &str) -> Result<Domain, ErrorCode> {
    if domain.is_ascii() {
        // Bound the punycode work: ASCII labels are final in length already.
        check_lengths_before_idna(domain)?;
    }
    let uts46 = Uts46::new();
    let ascii = uts46
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .map_err(|_| ErrorCode::InvalidDomain)?;
    let ascii = ascii.into_owned();
    if ascii.split('.').any(str::is_empty) {
        return Err(ErrorCode::InvalidDomain);
    }
    // The Unicode form, for its lengths: each `xn--` label decoded (to_ascii has validated them).
    let mut unicode_len = ascii.bytes().filter(|&b| b == b'.').count();
    for label in ascii.split('.') {
        let unicode_label_len = match label.strip_prefix("xn--") {
            Some(encoded) => idna::punycode::decode_to_string(encoded)
                .ok_or(ErrorCode::InvalidDomain)?
                .len(),
            None => label.len(),
        };
        if label.len() > MAX_LABEL || unicode_label_len > MAX_LABEL {
            return Err(ErrorCode::LabelTooLong);
        }
        unicode_len += unicode_label_len;
    }
    Ok(Domain {
        unicode_len: Some(unicode_len),
        ascii,
    })
}

fn check_lengths_before_idna(domain: &str) -> Result<(), ErrorCode> {
    if domain.split('.').any(|label| label.len() > MAX_LABEL) {
        return Err(ErrorCode::LabelTooLong);
    }
    if domain.len() > MAX_DOMAIN {
        return Err(ErrorCode::DomainTooLong);
    }
    Ok(())
}

fn check_ip_literal(domain: &str, options: &ParseOptions) -> Result<Domain, ErrorCode> {
    if !options.allow_ip_literal {
        return Err(ErrorCode::IpLiteral);
    }
    let inner = domain
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .ok_or(ErrorCode::InvalidIpLiteral)?;
    let ascii = match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => {
            let ip: Ipv6Addr = inner[5..]
                .parse()
                .map_err(|_| ErrorCode::InvalidIpLiteral)?;
            format!("[IPv6:{ip}]")
        }
        _ => {
            let ip: Ipv4Addr = inner.parse().map_err(|_| ErrorCode::InvalidIpLiteral)?;
            format!("[{ip}]")
        }
    };
    Ok(Domain {
        ascii,
        unicode_len: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forms `check` gives.
    fn check(address: &str, options: &ParseOptions) -> Result<Forms, ErrorCode> {
        let mut out = String::new();
        let valid = super::check(address, options, &mut out, &mut IdnaCache::default())?;
        let (normalized, key) = out.split_at(valid.normalized_len);
        Ok(Forms {
            normalized: normalized.into(),
            key: key.into(),
            smtputf8: valid.smtputf8,
        })
    }

    fn verdict(address: &str) -> Result<String, ErrorCode> {
        check(address, &ParseOptions::default()).map(|v| v.normalized)
    }

    #[test]
    fn plain_addresses_normalize_their_domain_only() {
        assert_eq!(
            verdict("Jane.Doe@Example.COM"),
            Ok("Jane.Doe@example.com".into())
        );
        let valid = check("Jane.Doe@Example.COM", &ParseOptions::default()).expect("valid");
        assert_eq!(valid.key, "jane.doe@example.com");
        assert!(!valid.smtputf8);
    }

    #[test]
    fn idn_domains_become_punycode() {
        assert_eq!(
            verdict("a@Bücher.example.com"),
            Ok("a@xn--bcher-kva.example.com".into())
        );
        assert_eq!(
            verdict("a@xn--bcher-kva.example.com"),
            Ok("a@xn--bcher-kva.example.com".into())
        );
        assert_eq!(
            verdict("a@xn--zz.example.com"),
            Err(ErrorCode::InvalidDomain)
        );
    }

    #[test]
    fn domain_rules() {
        assert_eq!(verdict("a@localhost"), Err(ErrorCode::DotlessDomain));
        assert_eq!(verdict("a@x.c"), Err(ErrorCode::InvalidTld));
        assert_eq!(verdict("a@x.123"), Err(ErrorCode::InvalidTld));
        assert_eq!(verdict("a@x.local"), Err(ErrorCode::SpecialUseDomain));
        assert_eq!(verdict("a@-x.com"), Err(ErrorCode::InvalidDomain));
        assert_eq!(verdict("a@x..com"), Err(ErrorCode::InvalidDomain));
        assert_eq!(verdict("a@x_y.com"), Err(ErrorCode::InvalidDomain));
        assert_eq!(verdict("a@[461.0.0.1]"), Err(ErrorCode::IpLiteral));
        let dotless = ParseOptions {
            allow_dotless_domain: true,
            ..ParseOptions::default()
        };
        assert_eq!(
            check("a@server1", &dotless).map(|v| v.normalized),
            Ok("a@server1".into())
        );
        assert_eq!(check("a@5", &dotless), Err(ErrorCode::InvalidTld));
        let invisible = ParseOptions {
            allow_invisible_characters: true,
            ..ParseOptions::default()
        };
        assert!(check("a\u{FEFF}b@x.com", &invisible).is_ok());
        assert_eq!(
            check("\u{FEFF}b@x.com", &invisible),
            Err(ErrorCode::InvisibleCharacter)
        );
        let ip = ParseOptions {
            allow_ip_literal: true,
            ..ParseOptions::default()
        };
        assert_eq!(
            check("a@[461.0.0.1]", &ip),
            Err(ErrorCode::InvalidIpLiteral)
        );
        assert_eq!(
            check("a@[192.0.2.1]", &ip).map(|v| v.normalized),
            Ok("a@[192.0.2.1]".into())
        );
        assert_eq!(
            check("a@[ipv6:2001:DB8::1]", &ip).map(|v| v.normalized),
            Ok("a@[IPv6:2001:db8::1]".into())
        );
    }

    #[test]
    fn local_part_rules() {
        assert_eq!(verdict(".a@x.com"), Err(ErrorCode::LocalPartDots));
        assert_eq!(verdict("a..b@x.com"), Err(ErrorCode::LocalPartDots));
        assert_eq!(verdict("a@b@x.com"), Err(ErrorCode::InvalidLocalPart));
        assert_eq!(verdict("a\"b@x.com"), Err(ErrorCode::InvalidLocalPart));
        // Found by the fuzzer: `<om；am@x.com>` was valid, but its normal form, pasted
        // alone, is two entries.
        assert_eq!(verdict("om；am@x.com"), Err(ErrorCode::InvalidLocalPart));
        assert_eq!(verdict("om，am@x.com"), Err(ErrorCode::InvalidLocalPart));
        assert_eq!(verdict("om、am@x.com"), Err(ErrorCode::InvalidLocalPart));
        assert_eq!(verdict("\"a b\"@x.com"), Err(ErrorCode::QuotedLocalPart));
        assert_eq!(verdict("a(c)@x.com"), Err(ErrorCode::Comment));
        let quoted = ParseOptions {
            allow_quoted_local_part: true,
            ..ParseOptions::default()
        };
        assert_eq!(
            check("\"a b\"@x.com", &quoted).map(|v| v.normalized),
            Ok("\"a b\"@x.com".into())
        );
        assert_eq!(
            check("\"ab\"@x.com", &quoted).map(|v| v.normalized),
            Ok("ab@x.com".into())
        );
        let comments = ParseOptions {
            allow_comments: true,
            ..ParseOptions::default()
        };
        assert_eq!(
            check("a(c(d))@x.com", &comments).map(|v| v.normalized),
            Ok("a@x.com".into())
        );
    }

    #[test]
    fn nfd_and_nfc_spellings_share_a_key() {
        let nfc = check("jos\u{e9}@x.com", &ParseOptions::default()).expect("valid");
        let nfd = check("jose\u{301}@x.com", &ParseOptions::default()).expect("valid");
        assert_eq!(nfc, nfd);
        assert!(nfc.smtputf8);
    }

    #[test]
    fn the_common_path_agrees_with_the_general_one() {
        let options = ParseOptions::default();
        for address in [
            "Jane.Doe@Example.COM",
            "a@b.co",
            "x+tag@mail.example.org",
            "a@xn--bcher-kva.example.com",
            "a@ab--c.com",
            "a@-b.com",
            "a@b.local",
            "a@b.c1",
            "a.@b.com",
            "a..b@c.com",
            "a@b@c.com",
        ] {
            let mut out = String::new();
            if check_common(address, &options, &mut out).is_some() {
                let general =
                    check_general(address, &options, &mut IdnaCache::default()).expect("valid");
                assert_eq!(out, general.normalized.clone() + &general.key, "{address}");
                assert!(!general.smtputf8);
            }
        }
        let common = |address| check_common(address, &options, &mut String::new());
        assert!(common("Jane.Doe@Example.COM").is_some());
        assert!(common("a@xn--bcher-kva.example.com").is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]

        /// Whatever the one-pass path accepts, the general path accepts with the same forms.
        #[test]
        fn the_common_path_never_disagrees(
            address in "[a-zA-Z0-9.+_'-]{0,70}@[a-zA-Z0-9.-]{0,70}|[a-z.]{1,3}@[a-z]{1,3}\\.[a-zA-Z]{1,6}",
            case_sensitive in proptest::bool::ANY,
        ) {
            let options = ParseOptions { case_sensitive_local_part: case_sensitive, ..ParseOptions::default() };
            let mut out = String::new();
            if check_common(&address, &options, &mut out).is_some() {
                let general = check_general(&address, &options, &mut IdnaCache::default());
                proptest::prop_assert_eq!(
                    general.map(|forms| forms.normalized + &forms.key),
                    Ok(out)
                );
            }
        }
    }

    #[test]
    fn byte_limits() {
        let local64 = "a".repeat(64);
        assert!(verdict(&format!("{local64}@x.com")).is_ok());
        assert_eq!(
            verdict(&format!("a{local64}@x.com")),
            Err(ErrorCode::LocalPartTooLong)
        );
        let label63 = "b".repeat(63);
        assert!(verdict(&format!("a@{label63}.com")).is_ok());
        assert_eq!(
            verdict(&format!("a@b{label63}.com")),
            Err(ErrorCode::LabelTooLong)
        );
        // 64 + 1 + 189 = 254 bytes is the longest address.
        let domain189 = format!("{label63}.{label63}.{}.com", "c".repeat(57));
        assert_eq!(domain189.len(), 189);
        assert!(verdict(&format!("{local64}@{domain189}")).is_ok());
        let domain190 = format!("{label63}.{label63}.{}.com", "c".repeat(58));
        assert_eq!(
            verdict(&format!("{local64}@{domain190}")),
            Err(ErrorCode::AddressTooLong)
        );
    }
}
