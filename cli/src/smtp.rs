//! [`SmtpMailer`]: delivers each message through an SMTP server with lettre.
//!
//! The server is named by a URL, as lettre reads it:
//!
//! | URL | connection |
//! |---|---|
//! | `smtp://host:25` | plain text, no TLS (a relay on loopback, a test server) |
//! | `smtp://host:587?tls=required` | STARTTLS, refused if the server does not offer it |
//! | `smtp://host:587?tls=opportunistic` | STARTTLS when offered, else plain |
//! | `smtps://host:465` | TLS from the first byte (implicit TLS) |
//!
//! `user:password@` before the host logs in (percent-encode special characters); a path
//! (`smtp://host/client.example`) names the client in `EHLO`. Certificates are checked against
//! the system's roots, plus the one given with `--smtp-ca` (a private CA).

use std::time::Duration;

use invitekit::mailer::{Mailer, OutboxMessage};
use invitekit::{Error, ErrorKind};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, Message, SmtpTransport, Transport as _};

/// How long one SMTP exchange may take before the delivery fails (and stays in the outbox).
const TIMEOUT: Duration = Duration::from_secs(30);

/// Delivers through one SMTP server, reusing its connections.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: never printed.
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

fn invalid_url(message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::DeliveryFailed {
        message: format!("--smtp: {message}"),
    })
}

impl SmtpMailer {
    /// A mailer for the server at `url` (see the module's table), sending as `from`, trusting `ca_pem` (a PEM certificate) besides the
    /// system's roots.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DeliveryFailed`] naming what is wrong with the URL or the certificate. No connection is made yet.
    pub fn new(url: &str, from: Mailbox, ca_pem: Option<&[u8]>) -> Result<SmtpMailer, Error> {
        let parsed = url::Url::parse(url).map_err(invalid_url)?;
        let mut builder = SmtpTransport::from_url(url).map_err(invalid_url)?;
        if let Some(pem) = ca_pem {
            let host = parsed
                .host_str()
                .ok_or_else(|| invalid_url("no host"))?
                .to_owned();
            let certificate = Certificate::from_pem(pem)
                .map_err(|e| invalid_url(format!("--smtp-ca is not a PEM certificate: {e}")))?;
            let parameters = TlsParameters::builder(host)
                .add_root_certificate(certificate)
                .build_rustls()
                .map_err(invalid_url)?;
            let tls = parsed
                .query_pairs()
                .find(|(key, _)| key == "tls")
                .map(|(_, value)| value.into_owned());
            builder = match (parsed.scheme(), tls.as_deref()) {
                ("smtps", _) => builder.tls(Tls::Wrapper(parameters)),
                ("smtp", Some("required")) => builder.tls(Tls::Required(parameters)),
                ("smtp", Some("opportunistic")) => builder.tls(Tls::Opportunistic(parameters)),
                _ => {
                    return Err(invalid_url(
                        "--smtp-ca needs a TLS connection (smtps:// or ?tls=required)",
                    ));
                }
            };
        }
        Ok(SmtpMailer {
            transport: builder.timeout(Some(TIMEOUT)).build(),
            from,
        })
    }
}

/// The MIME message for `message`: text and HTML alternatives, UTF-8 headers encoded by lettre.
pub fn build_message(message: &OutboxMessage, from: &Mailbox) -> Result<Message, Error> {
    let failed = |what: String| {
        Error::new(ErrorKind::DeliveryFailed {
            message: format!("cannot build the message {}: {what}", message.id),
        })
    };
    let address = message
        .message
        .to
        .parse::<Address>()
        .map_err(|e| failed(format!("recipient: {e}")))?;
    let to = Mailbox::new(message.message.to_name.clone(), address);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.message.subject.clone())
        .message_id(Some(format!("<{}@invitekit.invalid>", message.id)))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(message.message.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(message.message.html.clone()),
                ),
        )
        .map_err(|e| failed(e.to_string()))
}

impl Mailer for SmtpMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        let email = build_message(message, &self.from)?;
        self.transport.send(&email).map(|_| ()).map_err(|e| {
            Error::new(ErrorKind::DeliveryFailed {
                message: format!("SMTP: {e}"),
            })
        })
    }
}
