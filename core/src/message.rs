//! The invitation email, rendered safely: a plain-text part and an HTML part, as the outbox
//! records them.
//!
//! The sender may edit the subject and the button text and add a link to a form
//! ([`MessageOptions`]); everything else comes from the records. Some of it is typed by users
//! (the organization's name, the inviter's and the client's names), so [`render`]:
//!
//! - keeps every header on one line: a custom subject or button text with a line break or another
//!   control character is refused ([`MessageOptions::validate`]), and names are put on one line
//!   (control characters and line breaks become spaces) before they reach the subject or the
//!   recipient's display name;
//! - escapes `&`, `<`, `>`, `"` and `'` in everything it writes into the HTML part, links
//!   included, so user text can never open a tag or leave an attribute;
//! - accepts only absolute `http`/`https` links without white space, quotes or angle brackets
//!   ([`validate_accept_url`]);
//! - puts the token in the accept link and nowhere else; [`Message`]'s `Debug` does not show the
//!   bodies, which hold the link.
//!
//! The deadline is stated in the organization's time zone
//! ([`crate::policy::TimeZone::format_deadline`]).
//!
//! ```
//! use chrono::{TimeZone as _, Utc};
//! use invitekit::address::{parse_one, ParseOptions};
//! use invitekit::message::{render, Invite, MessageOptions};
//! use invitekit::model::{OrgId, Organization};
//! use invitekit::policy::TimeZone;
//! use invitekit::token::Token;
//!
//! let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
//! let mut org = Organization::new(OrgId::new("acme"), "Acme", now);
//! org.time_zone = TimeZone::parse("Europe/Paris")?;
//! org.accept_url = "https://app.example.com/invitations/{token}".into();
//! let to = parse_one("jane@example.com", &ParseOptions::default())?;
//! let token = Token::mint()?;
//! let invite = Invite {
//!     org: &org,
//!     inviter: Some("Bob Smith"),
//!     to: &to,
//!     name: Some("Jane Doe"),
//!     token: &token,
//!     expires_at: org.expiry.deadline(now),
//! };
//!
//! let message = render(&invite, &MessageOptions::default())?;
//! assert_eq!(message.to, "jane@example.com");
//! assert_eq!(message.subject, "Bob Smith invited you to Acme");
//! let link = format!("https://app.example.com/invitations/{}", token.expose_secret());
//! assert!(message.text.lines().any(|line| line == link));
//! assert!(message.text.contains("This invitation expires on 5 December 2026 at 10:00 CET."));
//! assert!(message.html.contains(">Accept invitation</a>"));
//!
//! // A custom subject must stay on one line.
//! let options = MessageOptions { subject: Some("Hi\r\nBcc: everyone@example.com".into()), ..MessageOptions::default() };
//! assert_eq!(render(&invite, &options).unwrap_err().code(), invitekit::ErrorCode::InvalidMessageText);
//! # Ok::<(), invitekit::Error>(())
//! ```

use std::fmt;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::model::{Email, Organization};
use crate::token::Token;

/// The button text when the sender sets none.
pub const DEFAULT_BUTTON: &str = "Accept invitation";

/// The longest custom subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// The longest custom button text, in characters.
pub const MAX_BUTTON_CHARS: usize = 60;

/// The longest accept-link template or form link, in bytes.
pub const MAX_URL_BYTES: usize = 2000;

/// How many characters of a name (the organization's, the inviter's) the default subject keeps;
/// a longer name is cut and ends with `…`. Two names and the words fit in [`MAX_SUBJECT_CHARS`].
pub const MAX_NAME_IN_SUBJECT_CHARS: usize = 80;

/// The placeholder an accept-link template has, exactly once, where the token goes.
pub const TOKEN_PLACEHOLDER: &str = "{token}";

/// Sender-editable parts of the invitation email. `None` = default.
///
/// Serialized with the field names, `null` (or absent) for a default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageOptions {
    /// The subject; by default [`default_subject`] of the organization's and the inviter's names.
    /// Surrounding white space is dropped.
    #[serde(default)]
    pub subject: Option<String>,
    /// The button's text; [`DEFAULT_BUTTON`] by default. Surrounding white space is dropped.
    #[serde(default)]
    pub button: Option<String>,
    /// A link to a form the invitee should fill in before starting, mentioned in its own
    /// paragraph; none by default.
    #[serde(default)]
    pub form_url: Option<String>,
}

impl MessageOptions {
    /// Checks the options as [`render`] does, so a form can refuse them before anything is sent.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidMessageText`] with `field` `"subject"` or `"button"` (code
    ///   [`crate::ErrorCode::InvalidMessageText`]) when that text has a character that
    ///   [`char::is_control`] (CR, LF, TAB, NUL, U+0085, ...) or is U+2028 or U+2029 (line and
    ///   paragraph separators) or a bidi control (U+202A to U+202E, U+2066 to U+2069). The same kind refuses a text that is empty or only white space,
    ///   and one longer than [`MAX_SUBJECT_CHARS`] or [`MAX_BUTTON_CHARS`] characters. The subject
    ///   is checked first.
    /// - [`ErrorKind::InvalidUrl`] with `field` `"form_url"` (code [`crate::ErrorCode::InvalidUrl`])
    ///   when the form link is not an absolute `http://` or `https://` link with a host, or has
    ///   white space, a control character, a quote (`"`, `'`, `` ` ``), a backslash or an angle
    ///   bracket, credentials (`user@host`), or more than [`MAX_URL_BYTES`] bytes.
    ///
    /// ```
    /// use invitekit::message::MessageOptions;
    /// use invitekit::{ErrorCode, ErrorKind};
    ///
    /// let options = MessageOptions { button: Some("Join Acme".into()), ..MessageOptions::default() };
    /// assert!(options.validate().is_ok());
    /// let options = MessageOptions { subject: Some("Welcome\nto Acme".into()), ..MessageOptions::default() };
    /// let error = options.validate().unwrap_err();
    /// assert_eq!(error.code(), ErrorCode::InvalidMessageText);
    /// assert_eq!(error.kind(), &ErrorKind::InvalidMessageText { field: "subject" });
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(subject) = &self.subject {
            check_text(subject, MAX_SUBJECT_CHARS, "subject")?;
        }
        if let Some(button) = &self.button {
            check_text(button, MAX_BUTTON_CHARS, "button")?;
        }
        if let Some(form_url) = &self.form_url
            && !is_acceptable_url(form_url, false)
        {
            return Err(Error::new(ErrorKind::InvalidUrl { field: "form_url" }));
        }
        Ok(())
    }
}

/// Checks an accept-link template such as `https://app.example.com/invitations/{token}`.
///
/// # Errors
///
/// [`ErrorKind::InvalidUrl`] with `field` `"accept_url"` (code [`crate::ErrorCode::InvalidUrl`])
/// unless the template starts with `https://` or `http://` and a host, has [`TOKEN_PLACEHOLDER`]
/// exactly once and after the host (in the path, query or fragment), has no white space, control
/// character, quote (`"`, `'`, `` ` ``), backslash or angle bracket, no credentials
/// (`user@host`), and at most [`MAX_URL_BYTES`] bytes.
///
/// ```
/// use invitekit::message::validate_accept_url;
/// use invitekit::ErrorCode;
///
/// assert!(validate_accept_url("https://app.example.com/join?t={token}").is_ok());
/// let error = validate_accept_url("https://app.example.com/join").unwrap_err();
/// assert_eq!(error.code(), ErrorCode::InvalidUrl);
/// ```
pub fn validate_accept_url(template: &str) -> Result<(), Error> {
    if is_acceptable_url(template, true) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::InvalidUrl {
            field: "accept_url",
        }))
    }
}

/// The accept link: `template` with [`TOKEN_PLACEHOLDER`] replaced by the token's text (URL-safe
/// base64, which needs no escaping).
///
/// # Errors
///
/// As [`validate_accept_url`]. The error never holds the token.
///
/// ```
/// use invitekit::message::accept_link;
/// use invitekit::token::Token;
///
/// let token = Token::mint()?;
/// let link = accept_link("https://app.example.com/invitations/{token}", &token)?;
/// assert_eq!(link, format!("https://app.example.com/invitations/{}", token.expose_secret()));
/// # Ok::<(), invitekit::Error>(())
/// ```
pub fn accept_link(template: &str, token: &Token) -> Result<String, Error> {
    validate_accept_url(template)?;
    Ok(template.replacen(TOKEN_PLACEHOLDER, token.expose_secret(), 1))
}

/// What the email is about.
///
/// Its `Debug` shows the token as `Token(<redacted>)`.
#[derive(Debug, Clone, Copy)]
pub struct Invite<'a> {
    /// The organization inviting: its name, accept-link template and time zone.
    pub org: &'a Organization,
    /// The name of the member who sends the invitation, if known (`None` for the system).
    pub inviter: Option<&'a str>,
    /// The invitee's address.
    pub to: &'a Email,
    /// The invitee's name, if known.
    pub name: Option<&'a str>,
    /// The invitation's token, written into the accept link only.
    pub token: &'a Token,
    /// When the invitation expires.
    pub expires_at: DateTime<Utc>,
}

/// A rendered email, as recorded in the outbox.
///
/// The bodies hold the accept link and so the token: `Debug` shows them as `<redacted>`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The recipient's address ([`Email::address`]).
    pub to: String,
    /// The recipient's display name, on one line (no control character), if known.
    pub to_name: Option<String>,
    /// The subject, on one line (no control character).
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part: a whole HTML document.
    pub html: String,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("to_name", &self.to_name)
            .field("subject", &self.subject)
            .field("text", &format_args!("<redacted>"))
            .field("html", &format_args!("<redacted>"))
            .finish()
    }
}

/// The default subject: `Jane Doe invited you to Acme`, or `You're invited to Acme` without an
/// inviter.
///
/// The names are put on one line first (control characters, U+2028 and U+2029 become spaces,
/// runs of white space one space, surrounding white space dropped) and cut to
/// [`MAX_NAME_IN_SUBJECT_CHARS`] characters, so the subject is a safe header of at most
/// [`MAX_SUBJECT_CHARS`] characters. An inviter's name that is empty on one line counts as none.
///
/// ```
/// use invitekit::message::default_subject;
///
/// assert_eq!(default_subject("Acme", Some("Jane Doe")), "Jane Doe invited you to Acme");
/// assert_eq!(default_subject("Acme", None), "You're invited to Acme");
/// assert_eq!(default_subject("Acme\r\nBcc: x@example.com", None), "You're invited to Acme Bcc: x@example.com");
/// ```
pub fn default_subject(org_name: &str, inviter: Option<&str>) -> String {
    let org = cut(one_line(org_name), MAX_NAME_IN_SUBJECT_CHARS);
    let inviter = inviter
        .map(one_line)
        .filter(|name| !name.is_empty())
        .map(|name| cut(name, MAX_NAME_IN_SUBJECT_CHARS));
    match (inviter, org.is_empty()) {
        (Some(inviter), false) => format!("{inviter} invited you to {org}"),
        (Some(inviter), true) => format!("{inviter} invited you"),
        (None, false) => format!("You're invited to {org}"),
        (None, true) => "You're invited".to_owned(),
    }
}

/// Renders the invitation email.
///
/// The text part greets the invitee (by name if known), says who invited them to which
/// organization, gives the accept link on its own line, states the deadline in the
/// organization's time zone (`This invitation expires on 5 December 2026 at 10:00 CET.`) and,
/// with a form link, asks to fill in the form first. The HTML part is a small HTML document with
/// the same content and the accept link as a button. Names are put on one line; all text in the
/// HTML part is escaped (see the module doc).
///
/// # Errors
///
/// As [`MessageOptions::validate`], then as [`validate_accept_url`] for the organization's
/// `accept_url`; and [`ErrorKind::InvalidMessageText`] with `field` `"to"` when the address has
/// white space or a control character (an [`Email`] built by hand rather than by
/// [`crate::address`]).
pub fn render(invite: &Invite<'_>, options: &MessageOptions) -> Result<Message, Error> {
    options.validate()?;
    let link = accept_link(&invite.org.accept_url, invite.token)?;
    let to = &invite.to.address;
    if to.is_empty() || to.chars().any(|c| c.is_whitespace() || breaks_line(c)) {
        return Err(Error::new(ErrorKind::InvalidMessageText { field: "to" }));
    }

    let org = one_line(&invite.org.name);
    let org = if org.is_empty() {
        "the organization".to_owned()
    } else {
        org
    };
    let inviter = invite.inviter.map(one_line).filter(|n| !n.is_empty());
    let name = invite.name.map(one_line).filter(|n| !n.is_empty());
    let subject = match &options.subject {
        Some(subject) => subject.trim().to_owned(),
        None => default_subject(&invite.org.name, invite.inviter),
    };
    let button = options.button.as_deref().map_or(DEFAULT_BUTTON, str::trim);
    let form_url = options.form_url.as_deref();
    let deadline = invite.org.time_zone.format_deadline(invite.expires_at);

    let content = Content {
        greeting: match &name {
            Some(name) => format!("Hello {name},"),
            None => "Hello,".to_owned(),
        },
        inviter: inviter.as_deref(),
        org: &org,
        link: &link,
        button,
        deadline: &deadline,
        form_url,
    };

    Ok(Message {
        to: to.clone(),
        to_name: name,
        text: content.text(),
        html: content.html(&subject),
        subject,
    })
}

/// The parts both bodies say, already on one line.
struct Content<'a> {
    greeting: String,
    inviter: Option<&'a str>,
    org: &'a str,
    link: &'a str,
    button: &'a str,
    deadline: &'a str,
    form_url: Option<&'a str>,
}

const IGNORE: &str = "If you did not expect this invitation, you can ignore this email.";

impl Content<'_> {
    fn text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "{}\n", self.greeting);
        match self.inviter {
            Some(inviter) => {
                let _ = writeln!(text, "{inviter} invited you to join {}.\n", self.org);
            }
            None => {
                let _ = writeln!(text, "You have been invited to join {}.\n", self.org);
            }
        }
        let _ = writeln!(
            text,
            "To accept the invitation, open this link:\n{}\n",
            self.link
        );
        let _ = writeln!(text, "This invitation expires on {}.\n", self.deadline);
        if let Some(form_url) = self.form_url {
            let _ = writeln!(
                text,
                "Before you start, please fill in this form: {form_url}\n"
            );
        }
        text.push_str(IGNORE);
        text.push('\n');
        text
    }

    fn html(&self, subject: &str) -> String {
        let link = escape(self.link);
        let mut html = String::new();
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(html, "<title>{}</title>", escape(subject));
        html.push_str("</head>\n<body style=\"margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1f2937;background-color:#ffffff\">\n");
        let _ = writeln!(html, "<p>{}</p>", escape(&self.greeting));
        // The same tags with or without an inviter, so user text never changes the structure.
        match self.inviter {
            Some(inviter) => {
                let _ = writeln!(
                    html,
                    "<p>{} invited you to join <strong>{}</strong>.</p>",
                    escape(inviter),
                    escape(self.org)
                );
            }
            None => {
                let _ = writeln!(
                    html,
                    "<p>You have been invited to join <strong>{}</strong>.</p>",
                    escape(self.org)
                );
            }
        }
        let _ = writeln!(
            html,
            "<p style=\"margin:24px 0\"><a href=\"{link}\" style=\"display:inline-block;padding:12px 24px;background-color:#2563eb;color:#ffffff;text-decoration:none;font-weight:bold;border-radius:6px\">{}</a></p>",
            escape(self.button)
        );
        let _ = writeln!(
            html,
            "<p>If the button does not work, copy this link into your browser:<br>\n<a href=\"{link}\">{link}</a></p>"
        );
        let _ = writeln!(
            html,
            "<p>This invitation expires on {}.</p>",
            escape(self.deadline)
        );
        if let Some(form_url) = self.form_url {
            let form_url = escape(form_url);
            let _ = writeln!(
                html,
                "<p>Before you start, please fill in this form: <a href=\"{form_url}\">{form_url}</a></p>"
            );
        }
        let _ = writeln!(
            html,
            "<p style=\"color:#6b7280;font-size:14px\">{IGNORE}</p>"
        );
        html.push_str("</body>\n</html>\n");
        html
    }
}

/// Whether `c` would break a header or a line: a control character (CR, LF, TAB, NUL, U+0085,
/// ...), the line and paragraph separators U+2028 and U+2029, or a bidi control.
fn breaks_line(c: char) -> bool {
    // Line and paragraph separators, and the bidi controls that make a subject read otherwise
    // than it is (U+202A..U+202E, U+2066..U+2069).
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A sender's text (subject, button): refused unless it is one line of 1 to `max` characters
/// with something other than white space.
fn check_text(text: &str, max: usize, field: &'static str) -> Result<(), Error> {
    let refused = text.chars().any(breaks_line)
        || text.trim().is_empty()
        // Bounded work: a text with more bytes than 4 × max has more than max characters.
        || text.len() > 4 * max
        || text.chars().count() > max;
    if refused {
        Err(Error::new(ErrorKind::InvalidMessageText { field }))
    } else {
        Ok(())
    }
}

/// `text` on one line: control characters and white space (line breaks included) become spaces,
/// runs of them one space, and surrounding ones are dropped.
fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || breaks_line(c) {
            space = !line.is_empty();
        } else {
            if space {
                line.push(' ');
                space = false;
            }
            line.push(c);
        }
    }
    line
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max => {
            let mut cut = text[..end].trim_end().to_owned();
            cut.push('…');
            cut
        }
        _ => text,
    }
}

/// `text` escaped for HTML text and double- or single-quoted attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `text` without `prefix`, compared ASCII case-insensitively.
fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Whether `url` is an absolute http(s) link safe to put in an email (see
/// [`validate_accept_url`]), with [`TOKEN_PLACEHOLDER`] exactly once after the host if
/// `template`.
fn is_acceptable_url(url: &str, template: bool) -> bool {
    if url.len() > MAX_URL_BYTES {
        return false;
    }
    let Some(rest) = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"))
    else {
        return false;
    };
    if url.chars().any(|c| {
        c.is_whitespace() || breaks_line(c) || matches!(c, '"' | '\'' | '`' | '\\' | '<' | '>')
    }) {
        return false;
    }
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, after) = rest.split_at(host_end);
    // A host name (international ones too), an IPv4 or IPv6 address, a port; no credentials.
    let host_ok = host.starts_with(|c: char| c.is_alphanumeric() || c == '[')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '[' | ']'));
    if !host_ok {
        return false;
    }
    !template || (after.matches(TOKEN_PLACEHOLDER).count() == 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::ErrorCode;
    use crate::address::{ParseOptions, parse_one};
    use crate::model::OrgId;
    use crate::policy::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("instant")
    }

    struct Fixture {
        org: Organization,
        to: Email,
        token: Token,
    }

    impl Fixture {
        fn new(org_name: &str) -> Self {
            let mut org = Organization::new(OrgId::new("acme"), org_name, at(2026, 11, 21, 9, 0));
            org.accept_url = "https://app.example.com/invitations/{token}".into();
            Fixture {
                org,
                to: parse_one("jane@example.com", &ParseOptions::default()).expect("address"),
                token: Token::mint().expect("entropy"),
            }
        }

        fn invite<'a>(&'a self, inviter: Option<&'a str>, name: Option<&'a str>) -> Invite<'a> {
            Invite {
                org: &self.org,
                inviter,
                to: &self.to,
                name,
                token: &self.token,
                expires_at: at(2026, 12, 5, 9, 0),
            }
        }

        fn link(&self) -> String {
            format!(
                "https://app.example.com/invitations/{}",
                self.token.expose_secret()
            )
        }
    }

    fn with_subject(subject: &str) -> MessageOptions {
        MessageOptions {
            subject: Some(subject.into()),
            ..MessageOptions::default()
        }
    }

    fn with_button(button: &str) -> MessageOptions {
        MessageOptions {
            button: Some(button.into()),
            ..MessageOptions::default()
        }
    }

    fn with_form(form_url: &str) -> MessageOptions {
        MessageOptions {
            form_url: Some(form_url.into()),
            ..MessageOptions::default()
        }
    }

    #[test]
    fn defaults_name_the_inviter_and_the_organization() {
        let fixture = Fixture::new("Acme");
        let message = render(
            &fixture.invite(Some("Bob Smith"), Some("Jane Doe")),
            &MessageOptions::default(),
        )
        .expect("renders");
        assert_eq!(message.to, "jane@example.com");
        assert_eq!(message.to_name.as_deref(), Some("Jane Doe"));
        assert_eq!(message.subject, "Bob Smith invited you to Acme");
        let link = fixture.link();
        assert_eq!(
            message.text,
            format!(
                "Hello Jane Doe,\n\n\
                 Bob Smith invited you to join Acme.\n\n\
                 To accept the invitation, open this link:\n{link}\n\n\
                 This invitation expires on 5 December 2026 at 09:00 UTC.\n\n\
                 If you did not expect this invitation, you can ignore this email.\n"
            )
        );
        assert!(
            message
                .html
                .starts_with("<!DOCTYPE html>\n<html lang=\"en\">")
        );
        assert!(message.html.ends_with("</body>\n</html>\n"));
        assert!(
            message
                .html
                .contains("<title>Bob Smith invited you to Acme</title>")
        );
        assert!(message.html.contains("<p>Hello Jane Doe,</p>"));
        assert!(
            message
                .html
                .contains("<p>Bob Smith invited you to join <strong>Acme</strong>.</p>")
        );
        assert!(message.html.contains(&format!("<a href=\"{link}\" style=")));
        assert!(message.html.contains(">Accept invitation</a>"));
        assert!(
            message
                .html
                .contains("expires on 5 December 2026 at 09:00 UTC.")
        );
        assert!(!message.html.contains("fill in this form"));
    }

    #[test]
    fn without_inviter_or_name_the_email_still_reads() {
        let fixture = Fixture::new("Acme");
        let message =
            render(&fixture.invite(None, None), &MessageOptions::default()).expect("renders");
        assert_eq!(message.subject, "You're invited to Acme");
        assert_eq!(message.to_name, None);
        assert!(
            message
                .text
                .starts_with("Hello,\n\nYou have been invited to join Acme.\n")
        );
        assert!(
            message
                .html
                .contains("<title>You&#39;re invited to Acme</title>")
        );
        // A name that is only white space or control characters counts as none.
        let message = render(
            &fixture.invite(Some(" \r\n"), Some("\t")),
            &MessageOptions::default(),
        )
        .expect("renders");
        assert_eq!(message.subject, "You're invited to Acme");
        assert_eq!(message.to_name, None);
        assert!(message.text.starts_with("Hello,\n"));
    }

    #[test]
    fn default_subjects() {
        assert_eq!(
            default_subject("Acme", Some("Jane Doe")),
            "Jane Doe invited you to Acme"
        );
        assert_eq!(default_subject("Acme", None), "You're invited to Acme");
        assert_eq!(
            default_subject("Acme", Some("  ")),
            "You're invited to Acme"
        );
        assert_eq!(default_subject("", None), "You're invited");
        assert_eq!(default_subject("\n", Some("Jane")), "Jane invited you");
        assert_eq!(
            default_subject(" Acme\r\n\u{2028}Inc\0 ", Some("Jane\u{85}Doe")),
            "Jane Doe invited you to Acme Inc"
        );
        let long = default_subject(&"a".repeat(5_000), Some(&"b".repeat(5_000)));
        assert!(long.chars().count() <= MAX_SUBJECT_CHARS, "{long}");
        assert!(long.starts_with(&format!("{}… invited you to", "b".repeat(79))));
        assert!(long.ends_with(&format!("{}…", "a".repeat(79))));
        let exact = "c".repeat(MAX_NAME_IN_SUBJECT_CHARS);
        assert_eq!(
            default_subject(&exact, None),
            format!("You're invited to {exact}")
        );
    }

    #[test]
    fn custom_subject_and_button() {
        let fixture = Fixture::new("Acme");
        let options = MessageOptions {
            subject: Some("  Welcome aboard, Jane!  ".into()),
            button: Some("Join Acme now".into()),
            form_url: None,
        };
        let message = render(&fixture.invite(Some("Bob"), None), &options).expect("renders");
        assert_eq!(message.subject, "Welcome aboard, Jane!");
        assert!(
            message
                .html
                .contains("<title>Welcome aboard, Jane!</title>")
        );
        assert!(message.html.contains(">Join Acme now</a>"));
        assert!(!message.html.contains(DEFAULT_BUTTON));
        assert_eq!(
            serde_json::from_str::<MessageOptions>(&serde_json::to_string(&options).expect("json"))
                .expect("back"),
            options
        );
        assert_eq!(
            serde_json::from_str::<MessageOptions>("{}").expect("defaults"),
            MessageOptions::default()
        );
    }

    #[test]
    fn line_breaks_and_control_characters_are_refused_in_subject_and_button() {
        for bad in [
            "Hi\rthere",
            "Hi\nthere",
            "Hi\r\nBcc: x@example.com",
            "Hi\0",
            "Hi\tthere",
            "Hi\u{85}there",
            "Hi\u{2028}there",
            "Hi\u{2029}there",
            "\u{1b}[31mred",
        ] {
            for (options, field) in [(with_subject(bad), "subject"), (with_button(bad), "button")] {
                let error = options.validate().expect_err(bad);
                assert_eq!(error.code(), ErrorCode::InvalidMessageText, "{bad:?}");
                assert_eq!(error.kind(), &ErrorKind::InvalidMessageText { field });
                let fixture = Fixture::new("Acme");
                let error = render(&fixture.invite(None, None), &options).expect_err(bad);
                assert_eq!(error.kind(), &ErrorKind::InvalidMessageText { field });
            }
        }
        // The subject is checked first.
        let options = MessageOptions {
            subject: Some("a\nb".into()),
            button: Some("c\nd".into()),
            form_url: Some("ftp://x".into()),
        };
        assert_eq!(
            options.validate().expect_err("both").kind(),
            &ErrorKind::InvalidMessageText { field: "subject" }
        );
    }

    #[test]
    fn empty_and_over_long_texts_are_refused() {
        for (options, field) in [
            (with_subject(""), "subject"),
            (with_subject("   "), "subject"),
            (with_subject(&"s".repeat(MAX_SUBJECT_CHARS + 1)), "subject"),
            (with_subject(&"é".repeat(MAX_SUBJECT_CHARS + 1)), "subject"),
            (with_button(""), "button"),
            (with_button(" \u{3000} "), "button"),
            (with_button(&"b".repeat(MAX_BUTTON_CHARS + 1)), "button"),
            (with_button(&"b".repeat(1_000_000)), "button"),
        ] {
            let error = options.validate().expect_err(field);
            assert_eq!(error.code(), ErrorCode::InvalidMessageText);
            assert_eq!(error.kind(), &ErrorKind::InvalidMessageText { field });
        }
        // At the limits, in characters rather than bytes.
        assert!(
            with_subject(&"é".repeat(MAX_SUBJECT_CHARS))
                .validate()
                .is_ok()
        );
        assert!(
            with_button(&"\u{1f600}".repeat(MAX_BUTTON_CHARS))
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn user_text_is_escaped_in_html() {
        let script = "<script>alert('x')</script>";
        let fixture = Fixture::new(&format!("Acme {script} & Co \"quoted\""));
        let options = MessageOptions {
            subject: Some(format!("Hi {script}")),
            button: Some("<b onclick=\"x\">Go</b>".into()),
            form_url: Some("https://forms.example.com/f?a=1&b=2".into()),
        };
        let message = render(
            &fixture.invite(
                Some(&format!("Bob {script}")),
                Some(&format!("Jane {script}")),
            ),
            &options,
        )
        .expect("renders");
        assert!(!message.html.contains("<script"));
        assert!(!message.html.contains("<b onclick"));
        assert!(message.html.contains(
            "Acme &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co &quot;quoted&quot;"
        ));
        assert!(message.html.contains("<p>Hello Jane &lt;script&gt;"));
        assert!(message.html.contains("<p>Bob &lt;script&gt;"));
        assert!(message.html.contains("<title>Hi &lt;script&gt;"));
        assert!(
            message
                .html
                .contains(">&lt;b onclick=&quot;x&quot;&gt;Go&lt;/b&gt;</a>")
        );
        assert!(message.html.contains(
            "<a href=\"https://forms.example.com/f?a=1&amp;b=2\">https://forms.example.com/f?a=1&amp;b=2</a>"
        ));
        // The text part is plain text: kept as written, on one line.
        assert!(message.text.contains(&format!("Bob {script} invited you")));
        assert!(message.text.contains("https://forms.example.com/f?a=1&b=2"));
    }

    #[test]
    fn names_are_put_on_one_line() {
        let fixture = Fixture::new("Acme\r\nX-Evil: 1");
        let message = render(
            &fixture.invite(
                Some("Bob\nBcc: all@example.com"),
                Some("Jane\r\nDoe\u{2028}"),
            ),
            &MessageOptions::default(),
        )
        .expect("renders");
        assert_eq!(
            message.subject,
            "Bob Bcc: all@example.com invited you to Acme X-Evil: 1"
        );
        assert_eq!(message.to_name.as_deref(), Some("Jane Doe"));
        assert!(message.text.starts_with(
            "Hello Jane Doe,\n\nBob Bcc: all@example.com invited you to join Acme X-Evil: 1.\n"
        ));
    }

    #[test]
    fn a_hand_built_address_with_a_line_break_is_refused() {
        let mut fixture = Fixture::new("Acme");
        fixture.to = Email {
            address: "jane@example.com\r\nBcc: all@example.com".into(),
            key: "jane@example.com".into(),
        };
        let error = render(&fixture.invite(None, None), &MessageOptions::default())
            .expect_err("line break");
        assert_eq!(error.kind(), &ErrorKind::InvalidMessageText { field: "to" });
    }

    #[test]
    fn the_deadline_is_stated_in_the_organizations_time_zone() {
        let mut fixture = Fixture::new("Acme");
        fixture.org.time_zone = TimeZone::parse("Europe/Paris").expect("zone");
        let mut invite = fixture.invite(None, None);
        let message = render(&invite, &MessageOptions::default()).expect("renders");
        assert!(
            message
                .text
                .contains("\nThis invitation expires on 5 December 2026 at 10:00 CET.\n"),
            "{}",
            message.text
        );
        assert!(
            message
                .html
                .contains("expires on 5 December 2026 at 10:00 CET.")
        );
        invite.expires_at = at(2026, 7, 1, 16, 0);
        let message = render(&invite, &MessageOptions::default()).expect("renders");
        assert!(
            message
                .text
                .contains("This invitation expires on 1 July 2026 at 18:00 CEST.")
        );
    }

    #[test]
    fn accept_url_templates() {
        for good in [
            "https://app.example.com/invitations/{token}",
            "http://localhost:8080/accept?token={token}",
            "HTTPS://App.Example.com/i/{token}/accept",
            "https://[::1]:8443/#/invite/{token}",
            "https://bücher.example/einladung/{token}",
            "https://app.example.com/{token}?utm_source=email&utm_medium=invite",
        ] {
            assert!(validate_accept_url(good).is_ok(), "{good}");
        }
        let long = format!("https://example.com/{}{{token}}", "a".repeat(MAX_URL_BYTES));
        for bad in [
            "",
            "https://app.example.com/invitations/",
            "https://app.example.com/{token}/{token}",
            "ftp://files.example.com/{token}",
            "javascript:alert(1)//{token}",
            "//app.example.com/{token}",
            "app.example.com/{token}",
            "https:///{token}",
            "https://:8080/{token}",
            "https://./{token}",
            "https://{token}.example.com/",
            "https://app.example.com@evil.example/{token}",
            "https://app.example.com/invitations/ {token}",
            "https://app.example.com/invitations/{token}\n",
            "https://app.example.com/\"onmouseover=\"x/{token}",
            "https://app.example.com/'/{token}",
            "https://app.example.com/<b>/{token}",
            "https://app.example.com\\@evil.example/{token}",
            "https://app.example.com/\u{2028}/{token}",
            long.as_str(),
        ] {
            let error = validate_accept_url(bad).expect_err(bad);
            assert_eq!(error.code(), ErrorCode::InvalidUrl, "{bad:?}");
            assert_eq!(
                error.kind(),
                &ErrorKind::InvalidUrl {
                    field: "accept_url"
                }
            );
        }
        let token = Token::mint().expect("entropy");
        let error = accept_link("https://app.example.com/", &token).expect_err("no token");
        assert!(!error.to_string().contains(token.expose_secret()));
        assert!(!format!("{error:?}").contains(token.expose_secret()));
        assert_eq!(
            accept_link("https://app.example.com/i?t={token}&x=1", &token).expect("link"),
            format!("https://app.example.com/i?t={}&x=1", token.expose_secret())
        );
    }

    #[test]
    fn an_invalid_organization_template_is_refused_on_render() {
        let mut fixture = Fixture::new("Acme");
        fixture.org.accept_url = "https://app.example.com/invitations".into();
        let error =
            render(&fixture.invite(None, None), &MessageOptions::default()).expect_err("no token");
        assert_eq!(
            error.kind(),
            &ErrorKind::InvalidUrl {
                field: "accept_url"
            }
        );
    }

    #[test]
    fn the_form_link_is_mentioned_only_when_set() {
        let fixture = Fixture::new("Acme");
        let invite = fixture.invite(None, None);
        let message =
            render(&invite, &with_form("https://forms.example.com/onboarding")).expect("renders");
        assert!(message.text.contains(
            "\nBefore you start, please fill in this form: https://forms.example.com/onboarding\n"
        ));
        assert!(message.html.contains("<p>Before you start, please fill in this form: <a href=\"https://forms.example.com/onboarding\">https://forms.example.com/onboarding</a></p>"));
        let message = render(&invite, &MessageOptions::default()).expect("renders");
        assert!(!message.text.contains("form"));
        assert!(!message.html.contains("fill in this form"));

        for bad in [
            "",
            "forms.example.com/onboarding",
            "ftp://forms.example.com/",
            "javascript:alert(1)",
            "https://",
            "https://forms.example.com/on boarding",
            "https://forms.example.com/\"><script>",
            "https://forms.example.com/\r\n",
            "https://user:pass@forms.example.com/",
        ] {
            let error = with_form(bad).validate().expect_err(bad);
            assert_eq!(error.code(), ErrorCode::InvalidUrl, "{bad:?}");
            assert_eq!(error.kind(), &ErrorKind::InvalidUrl { field: "form_url" });
            assert_eq!(
                render(&invite, &with_form(bad)).expect_err(bad).kind(),
                &ErrorKind::InvalidUrl { field: "form_url" }
            );
        }
        // A form link needs no placeholder, and one is left as written: the token goes nowhere
        // but the accept link.
        let message =
            render(&invite, &with_form("https://forms.example.com/{token}")).expect("renders");
        assert!(message.text.contains("https://forms.example.com/{token}"));
        assert_eq!(
            message.text.matches(fixture.token.expose_secret()).count(),
            1
        );
    }

    #[test]
    fn the_token_is_in_the_link_only_and_debug_hides_it() {
        let fixture = Fixture::new("Acme");
        let message = render(
            &fixture.invite(Some("Bob"), Some("Jane")),
            &MessageOptions::default(),
        )
        .expect("renders");
        let secret = fixture.token.expose_secret();
        let link = fixture.link();
        assert_eq!(message.text.matches(secret).count(), 1);
        assert_eq!(message.text.matches(&link).count(), 1);
        // The button, and the fallback link's href and text.
        assert_eq!(message.html.matches(secret).count(), 3);
        assert_eq!(message.html.matches(&link).count(), 3);
        assert!(!message.subject.contains(secret));

        let debug = format!("{message:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(debug.contains("jane@example.com"));
        assert!(debug.contains("Bob invited you to Acme"));
        assert!(debug.contains("text: <redacted>"));
        assert!(debug.contains("html: <redacted>"));
        let debug = format!("{:?}", fixture.invite(None, None));
        assert!(!debug.contains(secret), "{debug}");

        let json = serde_json::to_string(&message).expect("json");
        assert_eq!(
            serde_json::from_str::<Message>(&json).expect("back"),
            message
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Text users might type, and text meant to break things.
        fn user_text() -> impl Strategy<Value = String> {
            prop_oneof![
                ".{0,40}",
                "[a-zA-Z <>&\"'`/=\r\n\t\u{0}\u{85}\u{2028}\u{2029}\u{3000}é]{0,40}",
                any::<String>(),
            ]
        }

        /// How many times each character HTML gives meaning to appears.
        fn specials(html: &str) -> [usize; 4] {
            ['<', '>', '"', '\''].map(|c| html.matches(c).count())
        }

        proptest! {
            #[test]
            fn user_text_never_breaks_a_header_or_the_html(
                org_name in user_text(),
                inviter in proptest::option::of(user_text()),
                name in proptest::option::of(user_text()),
                subject in proptest::option::of(user_text()),
                button in proptest::option::of(user_text()),
            ) {
                let mut fixture = Fixture::new("Acme");
                // The same email with harmless text: its tags are the template's.
                let plain = render(&fixture.invite(Some("Bob"), Some("Jane")), &MessageOptions {
                    subject: Some("Hello".into()),
                    button: Some("Go".into()),
                    form_url: None,
                }).expect("renders");
                fixture.org.name = org_name;
                let options = MessageOptions { subject, button, form_url: None };
                let invite = fixture.invite(inviter.as_deref(), name.as_deref());
                match (options.validate(), render(&invite, &options)) {
                    (Err(error), Err(same)) => {
                        prop_assert_eq!(&error, &same);
                        prop_assert_eq!(error.code(), ErrorCode::InvalidMessageText);
                    }
                    (Ok(()), Ok(message)) => {
                        for header in std::iter::once(&message.subject).chain(&message.to_name) {
                            prop_assert!(!header.chars().any(breaks_line), "{:?}", header);
                            prop_assert_eq!(header.trim(), header.as_str());
                        }
                        prop_assert!(!message.subject.is_empty());
                        prop_assert!(message.subject.chars().count() <= MAX_SUBJECT_CHARS);
                        // Every <, >, " and ' in the HTML is the template's own.
                        prop_assert_eq!(specials(&message.html), specials(&plain.html));
                        prop_assert_eq!(message.html.matches(fixture.token.expose_secret()).count(), 3);
                        prop_assert_eq!(message.text.matches(fixture.token.expose_secret()).count(), 1);
                        prop_assert!(message.text.lines().any(|line| line == fixture.link()));
                    }
                    (validated, rendered) => {
                        prop_assert!(false, "validate {:?} but render {:?}", validated, rendered);
                    }
                }
            }

            #[test]
            fn any_template_is_refused_or_gives_a_link_with_the_token(template in prop_oneof![
                ".{0,60}",
                "(https?|ftp|HTTP)://[a-z.@:\\[\\] ]{0,12}[/?#]?[a-z/{}<>\" ]{0,12}(\\{token\\}){0,2}[a-z/?=&]{0,8}",
            ]) {
                let token = Token::mint().expect("entropy");
                match accept_link(&template, &token) {
                    Ok(link) => {
                        let lower = link.to_ascii_lowercase();
                        prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                        prop_assert_eq!(link.matches(token.expose_secret()).count(), 1);
                        prop_assert!(!link.contains(TOKEN_PLACEHOLDER));
                        prop_assert!(!link.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')));
                    }
                    Err(error) => prop_assert_eq!(error.kind(), &ErrorKind::InvalidUrl { field: "accept_url" }),
                }
            }

            #[test]
            fn well_formed_templates_are_accepted(
                template in "(https?|HTTPS)://[a-z0-9]{1,8}(\\.[a-z]{2,4})?(:[0-9]{2,4})?[/?#][a-z0-9/=&._~%-]{0,8}\\{token\\}[a-z0-9/?=&._~%-]{0,8}",
            ) {
                let token = Token::mint().expect("entropy");
                let link = accept_link(&template, &token).expect("well formed");
                prop_assert_eq!(link, template.replace(TOKEN_PLACEHOLDER, token.expose_secret()));
            }
        }
    }
}
