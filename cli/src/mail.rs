//! [`FileMailer`]: delivers each message as an RFC 5322 `.eml` file in a folder.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use invitekit::mailer::{Mailer, OutboxMessage};
use invitekit::{Error, ErrorKind};
use lettre::message::Mailbox;

/// The sender written in the `From` header of `.eml` files.
pub const DEFAULT_FROM: &str = "invitekit <invitations@invitekit.invalid>";

/// Writes each delivered message to `<folder>/<message id>.eml`: headers, then a
/// `multipart/alternative` body with the text and HTML parts, 8-bit UTF-8 (lines stay far below
/// RFC 5322's 998 characters, and the accept link stays one line a person or a test can copy).
#[derive(Debug, Clone)]
pub struct FileMailer {
    folder: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// A mailer writing into `folder` (created when missing), with `from` as the sender.
    pub fn new(folder: PathBuf, from: Mailbox) -> Self {
        FileMailer { folder, from }
    }
}

/// A header value: ASCII as it is, anything else as an RFC 2047 encoded word.
fn header_text(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
    }
}

/// An address header's value: `"Name" <address>` (the name encoded when not ASCII), or the
/// bare address.
fn mailbox_header(name: Option<&str>, address: &str) -> String {
    match name {
        Some(name) => format!(
            "{} <{address}>",
            header_text(&format!("\"{}\"", name.replace(['"', '\\'], "")))
        ),
        None => address.to_owned(),
    }
}

/// The whole `.eml` file of `message`.
pub fn render_eml(message: &OutboxMessage, from: &Mailbox, date: &str) -> String {
    let from = mailbox_header(from.name.as_deref(), from.email.as_ref());
    let boundary = format!("invitekit-{}", message.id);
    let to = mailbox_header(message.message.to_name.as_deref(), &message.message.to);
    let mut eml = String::new();
    let _ = write!(
        eml,
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{}@invitekit.invalid>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n",
        header_text(&message.message.subject),
        message.id,
    );
    for (kind, body) in [
        ("text/plain", &message.message.text),
        ("text/html", &message.message.html),
    ] {
        let _ = write!(
            eml,
            "--{boundary}\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            body.replace("\r\n", "\n").replace('\n', "\r\n")
        );
    }
    let _ = write!(eml, "--{boundary}--\r\n");
    eml
}

impl Mailer for FileMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        let failed = |e: std::io::Error| {
            Error::new(ErrorKind::DeliveryFailed {
                message: format!("cannot write into {}: {e}", self.folder.display()),
            })
        };
        fs::create_dir_all(&self.folder).map_err(failed)?;
        let date = chrono::Utc::now().to_rfc2822();
        let eml = render_eml(message, &self.from, &date);
        // Written under a temporary name, then renamed: a reader never sees half a message.
        let path = self.folder.join(format!("{}.eml", message.id));
        let partial = self.folder.join(format!(".{}.eml.partial", message.id));
        let mut file = fs::File::create(&partial).map_err(failed)?;
        file.write_all(eml.as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        fs::rename(&partial, &path).map_err(failed)?;
        Ok(())
    }
}
