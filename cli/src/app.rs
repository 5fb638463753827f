//! The commands that run the service on the embedded SQLite database: `init`, `create`, `list`,
//! `preview`, `accept` and `outbox`.
//!
//! Each converts its flags into one call of [`invitekit::service::Invitations`] and prints the
//! answer as text or, with `--json`, as one JSON document. An error of the core is printed with
//! its stable code (`{"error": {"code": ..., "message": ..., "entries": [...]}}` with `--json`)
//! and exits 1.

use std::io::{self, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use invitekit::access::Member;
use invitekit::clock::{Clock, FixedClock, SystemClock};
use invitekit::lifecycle::StatusKind;
use invitekit::mailer::{DeliveryState, Mailer};
use invitekit::message::MessageOptions;
use invitekit::model::{GroupId, Identity, OrgId, ProgramId, Role};
use invitekit::policy::{ExpiryWindow, TimeZone};
use invitekit::service::{ClientFilter, EntryOutcome, Invitations, NewClients, NewOrganization};
use invitekit::store::Store;
use invitekit::{Error, ErrorKind};
use invitekit_sqlite::SqliteStore;
use lettre::message::Mailbox;
use serde_json::json;

use crate::mail::FileMailer;
use crate::smtp::SmtpMailer;
use crate::term::say;
use crate::term::{self, ColorChoice, CountingReader, Paint, Progress, ProgressMailer, Table};

/// Exit status when the core refused (bad input, forbidden, expired...).
const EXIT_REFUSED: u8 = 1;
/// The largest pasted list or CSV file read, in bytes.
const MAX_INPUT_BYTES: u64 = 256 << 20;

/// The options every service command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The database: a SQLite file (created with its schema on first use), or a
    /// `postgres://user@host/db` URL (its schema migrated on first use).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "invitekit.db"
    )]
    pub db: PathBuf,
    /// The organization.
    #[arg(long, global = true, value_name = "NAME", default_value = "default")]
    pub org: String,
    /// The acting member's address (default: the organization's first admin).
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    pub acting: Option<String>,
    /// The instant to use instead of the clock (RFC 3339), for audits and tests.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Print one JSON document (a stable interface) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to color the text output: on a terminal unless NO_COLOR is set (auto), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The folder invitation emails are written to, one `.eml` file each.
    #[arg(long, global = true, value_name = "DIR", default_value = "outbox")]
    pub outbox: PathBuf,
    /// Deliver through this SMTP server instead of writing files: smtp://host:25 (plain),
    /// smtp://host:587?tls=required (STARTTLS), smtps://host:465 (TLS); user:password@ logs in.
    #[arg(long, global = true, value_name = "URL", value_parser = parse_smtp_url)]
    pub smtp: Option<String>,
    /// A PEM certificate to trust for --smtp besides the system's roots (a private CA).
    #[arg(long, global = true, value_name = "FILE", requires = "smtp")]
    pub smtp_ca: Option<PathBuf>,
    /// The sender of invitation emails.
    #[arg(long, global = true, value_name = "MAILBOX", default_value = crate::mail::DEFAULT_FROM,
          value_parser = parse_mailbox)]
    pub from: Mailbox,
}

fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.parse::<Mailbox>()
        .map_err(|e| format!("not an address or `Name <address>` ({e})"))
}

fn parse_smtp_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "smtp" | "smtps" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(text.to_owned()),
        "smtp" | "smtps" => Err("no host, e.g. smtp://localhost:25".to_owned()),
        other => Err(format!("the scheme is {other:?}, not smtp or smtps")),
    }
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 instant ({e}), e.g. 2026-11-21T09:00:00Z"))
}

/// `invitekit init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The first admin's address.
    #[arg(long, value_name = "EMAIL")]
    admin: String,
    /// The organization's name, shown in invitations (default: its id).
    #[arg(long, value_name = "ORG")]
    name: Option<String>,
    /// How many days an invitation stays valid (1 to 90).
    #[arg(long, value_name = "N", default_value_t = 14)]
    expiry_days: i64,
    /// The accept link's template, with {token}.
    #[arg(
        long,
        value_name = "TEMPLATE",
        default_value = "https://app.example.com/invitations/{token}"
    )]
    accept_url: String,
    /// The IANA time zone deadlines are stated in.
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    timezone: String,
}

/// `invitekit create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The pasted list (addresses separated by commas, spaces, semicolons or new lines).
    #[arg(value_name = "TEXT", conflicts_with_all = ["file", "csv"])]
    text: Option<String>,
    /// Read the list from a file (`-`: standard input).
    #[arg(long, value_name = "F", conflicts_with = "csv")]
    file: Option<PathBuf>,
    /// Read a CSV file of clients (header detected: email, name, role, group, program).
    #[arg(long, value_name = "F")]
    csv: Option<PathBuf>,
    /// Their role: admin, staff, client or guest.
    #[arg(long, value_name = "R", default_value = "client", value_parser = parse_role)]
    role: Role,
    /// A program to put them in, by name.
    #[arg(long, value_name = "P")]
    program: Option<String>,
    /// A group to put them in, by name.
    #[arg(long, value_name = "G")]
    group: Option<String>,
    /// A member of staff to assign them to, by address.
    #[arg(long, value_name = "EMAIL")]
    staff: Option<String>,
    /// Invite them now.
    #[arg(long)]
    send: bool,
    /// The email's subject.
    #[arg(long, value_name = "S")]
    subject: Option<String>,
    /// The email's button text.
    #[arg(long, value_name = "B")]
    button: Option<String>,
    /// Show what would happen, write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|e| e.to_string())
}

fn parse_status(text: &str) -> Result<StatusKind, String> {
    text.parse::<StatusKind>().map_err(|e| e.to_string())
}

/// `invitekit list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this role.
    #[arg(long, value_name = "R", value_parser = parse_role)]
    role: Option<Role>,
    /// Only this status: provisioned, invite_pending, invite_expired, activated, archived.
    #[arg(long, value_name = "S", value_parser = parse_status)]
    status: Option<StatusKind>,
    /// Only this group's members, by name.
    #[arg(long, value_name = "G")]
    group: Option<String>,
    /// Only clients assigned to this member of staff, by address.
    #[arg(long, value_name = "EMAIL")]
    staff: Option<String>,
    /// Only names or addresses containing this text.
    #[arg(long, value_name = "Q")]
    search: Option<String>,
}

/// `invitekit preview`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The token from the invitation link (it may start with `-`).
    #[arg(value_name = "TOKEN", allow_hyphen_values = true)]
    pub(crate) token: String,
}

/// `invitekit accept` and `invitekit join`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The token from the link (it may start with `-`).
    #[arg(value_name = "TOKEN", allow_hyphen_values = true)]
    pub(crate) token: String,
    /// The signed-in account's address.
    #[arg(long, value_name = "EMAIL")]
    pub(crate) email: String,
}

/// `invitekit outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Deliver the messages waiting (pending or failed) now.
    #[arg(long)]
    deliver: bool,
}

/// The service on the database, writing mail into the outbox folder.
pub(crate) struct Session {
    pub(crate) service: Invitations,
    pub(crate) org: OrgId,
    pub(crate) json: bool,
    /// Colors for text output.
    pub(crate) paint: Paint,
    /// The progress bar of long imports and sends (moved on by each delivery).
    pub(crate) progress: Progress,
}

impl Session {
    pub(crate) fn open(global: &Global) -> Result<Session, Error> {
        let store: Arc<dyn Store> = match global.db.to_str() {
            Some(url) if invitekit_postgres::is_postgres_url(url) => {
                Arc::new(invitekit_postgres::PgStore::connect(url)?)
            }
            _ => Arc::new(SqliteStore::open(&global.db)?),
        };
        let clock: Arc<dyn Clock> = match global.now {
            Some(now) => Arc::new(FixedClock::new(now)),
            None => Arc::new(SystemClock),
        };
        let mailer: Arc<dyn Mailer> = match &global.smtp {
            Some(url) => {
                let ca = global.smtp_ca.as_ref().map(read_bounded).transpose()?;
                Arc::new(SmtpMailer::new(url, global.from.clone(), ca.as_deref())?)
            }
            None => Arc::new(FileMailer::new(global.outbox.clone(), global.from.clone())),
        };
        let progress = Progress::for_terminal(global.json);
        let mailer = Arc::new(ProgressMailer::new(mailer, progress.clone()));
        Ok(Session {
            service: Invitations::new(store, mailer, clock),
            org: OrgId::new(global.org.clone()),
            json: global.json,
            paint: Paint {
                enabled: global.color.enabled(),
            },
            progress,
        })
    }

    /// The acting member: `--as`, or the organization's first activated admin.
    pub(crate) fn member(&self, acting: Option<&str>) -> Result<Member, Error> {
        match acting {
            Some(email) => self.service.member(&self.org, email),
            None => self.service.first_admin(&self.org),
        }
    }
}

/// Prints `error` (as JSON with `--json`) on standard output or error, and gives exit 1.
pub(crate) fn refused(error: &Error, json: bool) -> ExitCode {
    if json {
        let entries = match error.kind() {
            ErrorKind::InvalidBatch { entries } => serde_json::to_value(entries).ok(),
            _ => None,
        };
        let mut body = json!({"code": error.code().as_str(), "message": error.to_string()});
        if let Some(entries) = entries {
            body["entries"] = entries;
        }
        say!("{}", json!({ "error": body }));
    } else {
        eprintln!("invitekit: {error}");
        if let ErrorKind::InvalidBatch { entries } = error.kind() {
            for entry in entries {
                eprintln!(
                    "  line {} column {}: {:?}: {} ({})",
                    entry.line,
                    entry.column,
                    entry.text,
                    entry.code,
                    entry.code.meaning()
                );
            }
        }
    }
    ExitCode::from(EXIT_REFUSED)
}

fn finish(result: Result<(), Error>, json: bool) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => refused(&error, json),
    }
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        Error::new(ErrorKind::WriteFailed {
            message: e.to_string(),
        })
    })?;
    say!("{text}");
    Ok(())
}

/// `invitekit init`.
pub fn init(global: &Global, args: &InitArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let mut new = NewOrganization::new(
            &global.org,
            args.name.as_deref().unwrap_or(&global.org),
            &args.admin,
        );
        new.expiry = ExpiryWindow::new(args.expiry_days)?;
        new.time_zone = TimeZone::parse(&args.timezone)?;
        new.accept_url = Some(args.accept_url.clone());
        let (org, admin) = session.service.create_organization(&new)?;
        if session.json {
            print_json(&json!({"organization": org, "admin": admin}))
        } else {
            say!(
                "Created organization {} ({}) in {}, admin {}.",
                org.id,
                org.name,
                global.db.display(),
                args.admin
            );
            Ok(())
        }
    };
    finish(run(), global.json)
}

pub(crate) fn read_bounded(path: &PathBuf) -> Result<Vec<u8>, Error> {
    let read_failed = |e: io::Error| {
        Error::new(ErrorKind::ReadFailed {
            message: format!("{}: {e}", path.display()),
        })
    };
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_failed)?;
    } else {
        std::fs::File::open(path)
            .map_err(read_failed)?
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_failed)?;
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::new(ErrorKind::InputTooLarge {
            limit: MAX_INPUT_BYTES as usize,
        }));
    }
    Ok(bytes)
}

/// `invitekit create`.
pub fn create(global: &Global, args: &CreateArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let by = session.member(global.acting.as_deref())?;
        let org = &session.org;
        let service = &session.service;
        let mut new = NewClients {
            role: args.role,
            send: args.send,
            message: MessageOptions {
                subject: args.subject.clone(),
                button: args.button.clone(),
                form_url: None,
            },
            ..NewClients::default()
        };
        if let Some(name) = &args.group {
            new.group = Some(group_id(service, org, name)?);
        }
        if let Some(name) = &args.program {
            new.program = Some(program_id(service, org, name)?);
        }
        if let Some(email) = &args.staff {
            new.staff = Some(client_id(service, org, email)?);
        }
        let progress = &session.progress;
        let report = if let Some(path) = &args.csv {
            let bytes = read_bounded(path)?;
            let rows = line_count(&bytes);
            progress.reading(rows);
            if args.send {
                progress.expect_mail(rows);
            }
            let reader = CountingReader::new(bytes.as_slice(), progress.clone());
            service.import_clients(org, &by, reader, &new, args.dry_run)
        } else {
            let text = match (&args.text, &args.file) {
                (Some(text), _) => text.clone(),
                (None, Some(path)) => String::from_utf8(read_bounded(path)?).map_err(|e| {
                    Error::new(ErrorKind::InvalidUtf8 {
                        valid_up_to: e.utf8_error().valid_up_to(),
                    })
                })?,
                (None, None) => {
                    String::from_utf8(read_bounded(&PathBuf::from("-"))?).map_err(|e| {
                        Error::new(ErrorKind::InvalidUtf8 {
                            valid_up_to: e.utf8_error().valid_up_to(),
                        })
                    })?
                }
            };
            // No bar here: a pasted list holds at most 200 addresses, below the bar's threshold
            // (CSV files of any size go through `--csv` and `import`).
            if args.dry_run {
                service.preview_clients(org, &by, &text, &new)
            } else {
                service.create_clients(org, &by, &text, &new)
            }
        };
        progress.finish();
        let report = report?;
        if session.json {
            return print_json(&report);
        }
        let mut table = Table::new(&["ADDRESS", "OUTCOME"]);
        for entry in &report.entries {
            let outcome = match &entry.outcome {
                EntryOutcome::Created { invited: true, .. } => {
                    ("created, invited".to_owned(), term::GREEN)
                }
                EntryOutcome::Created { .. } => ("created".to_owned(), term::GREEN),
                EntryOutcome::Existing { status, .. } => (
                    format!("already a client ({})", status.label()),
                    term::YELLOW,
                ),
                EntryOutcome::Duplicate { of } => (format!("repeats entry {}", of + 1), term::DIM),
            };
            table.row(vec![(entry.address.clone(), ""), outcome]);
        }
        table.print(session.paint)?;
        let verb = if report.committed {
            "Created"
        } else {
            "Would create"
        };
        say!(
            "{verb} {} clients, {} invited; {} already clients, {} repeated. Mail: {} sent, {} failed (kept in the outbox).",
            report.created,
            report.invited,
            report.existing,
            report.duplicates,
            report.delivery.sent.len(),
            report.delivery.failed.len()
        );
        Ok(())
    };
    finish(run(), global.json)
}

/// The number of lines in `bytes` (a last line without a newline counts).
pub(crate) fn line_count(bytes: &[u8]) -> u64 {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

pub(crate) fn group_id(service: &Invitations, org: &OrgId, name: &str) -> Result<GroupId, Error> {
    Ok(service.group_named(org, name)?.id)
}

pub(crate) fn program_id(
    service: &Invitations,
    org: &OrgId,
    name: &str,
) -> Result<ProgramId, Error> {
    Ok(service.program_named(org, name)?.id)
}

/// The client of `org` with address `email` (a member of staff, or any client).
pub(crate) fn client_id(
    service: &Invitations,
    org: &OrgId,
    email: &str,
) -> Result<invitekit::model::ClientId, Error> {
    Ok(service.client_by_email(org, email)?.client.id)
}

/// `invitekit list`.
pub fn list(global: &Global, args: &ListArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let by = session.member(global.acting.as_deref())?;
        let (service, org) = (&session.service, &session.org);
        let filter = ClientFilter {
            role: args.role,
            status: args.status,
            group: args
                .group
                .as_deref()
                .map(|g| group_id(service, org, g))
                .transpose()?,
            staff: args
                .staff
                .as_deref()
                .map(|s| client_id(service, org, s))
                .transpose()?,
            search: args.search.clone(),
            ..ClientFilter::default()
        };
        let list = service.list_clients(org, &by, &filter)?;
        if session.json {
            let clients: Vec<serde_json::Value> = list
                .clients
                .iter()
                .map(|c| {
                    let client = &c.record.client;
                    json!({
                        "id": client.id,
                        "email": client.email.as_ref().map(|e| &e.address),
                        "name": client.name,
                        "role": client.role,
                        "status": c.status.kind(),
                        "status_label": c.status.label(),
                        "created_at": client.created_at,
                        "activated_at": client.activated_at,
                    })
                })
                .collect();
            return print_json(&json!({
                "total": list.total,
                "activated": list.activated,
                "clients": clients,
            }));
        }
        let zone = service.organization(org)?.time_zone;
        let mut table = Table::new(&["EMAIL", "NAME", "ROLE", "STATUS", "DETAIL"]);
        for c in &list.clients {
            let client = &c.record.client;
            table.row(vec![
                term::address_cell(client),
                (client.name.clone().unwrap_or_default(), ""),
                (client.role.label().to_owned(), ""),
                (
                    c.status.label().to_owned(),
                    term::status_color(c.status.kind()),
                ),
                (c.status.detail(list.now, zone), term::DIM),
            ]);
        }
        table.print(session.paint)?;
        say!(
            "{} clients, {:.0}% activated.",
            list.total,
            list.activated_share() * 100.0
        );
        Ok(())
    };
    finish(run(), global.json)
}

/// `invitekit preview`.
pub fn preview(global: &Global, args: &LinkArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let preview = session.service.preview(&args.token)?;
        if session.json {
            return print_json(&preview);
        }
        say!(
            "{} invites {} to {}; {:?}; expires {}.",
            preview.inviter.as_deref().unwrap_or("Someone"),
            preview.masked_email,
            preview.organization,
            preview.state,
            preview.deadline
        );
        Ok(())
    };
    finish(run(), global.json)
}

/// `invitekit accept`.
pub fn accept(global: &Global, args: &AcceptArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let email = args.email.as_str();
        let identity = Identity::from_email(email, &Default::default())?;
        let accepted = session.service.accept(&args.token, &identity)?;
        let status = accepted.record.status(session.service.now());
        if session.json {
            return print_json(&json!({
                "client": accepted.record.client.id,
                "activated_now": accepted.activated_now,
                "status": status.kind(),
            }));
        }
        say!(
            "{} is {}{}.",
            email,
            status.label(),
            if accepted.activated_now {
                ""
            } else {
                " (already accepted)"
            }
        );
        Ok(())
    };
    finish(run(), global.json)
}

/// `invitekit outbox`.
pub fn outbox(global: &Global, args: &OutboxArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let by = session.member(global.acting.as_deref())?;
        let delivery = if args.deliver {
            if session.progress.enabled() {
                let waiting = session
                    .service
                    .outbox(&session.org, &by, None, usize::MAX)?;
                let waiting = waiting.iter().filter(|m| m.state != DeliveryState::Sent);
                session.progress.expect_mail(waiting.count() as u64);
            }
            let delivery = session.service.deliver_pending(usize::MAX);
            session.progress.finish();
            Some(delivery?)
        } else {
            None
        };
        let messages = session
            .service
            .outbox(&session.org, &by, None, usize::MAX)?;
        let rows: Vec<serde_json::Value> = messages
            .iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "to": m.message.to,
                    "subject": m.message.subject,
                    "state": m.state,
                    "attempts": m.attempts,
                    "last_error": m.last_error,
                })
            })
            .collect();
        if session.json {
            return print_json(&json!({ "delivered": delivery, "messages": rows }));
        }
        if let Some(delivery) = &delivery {
            say!(
                "Delivered {}, failed {}.",
                delivery.sent.len(),
                delivery.failed.len()
            );
        }
        let mut table = Table::new(&["ID", "TO", "STATE", "LAST ERROR"]);
        for m in &messages {
            let color = match m.state {
                DeliveryState::Sent => term::GREEN,
                DeliveryState::Pending => term::YELLOW,
                DeliveryState::Failed => term::RED,
            };
            table.row(vec![
                (m.id.to_string(), term::DIM),
                (m.message.to.clone(), ""),
                (m.state.as_str().to_owned(), color),
                (m.last_error.clone().unwrap_or_default(), ""),
            ]);
        }
        table.print(session.paint)?;
        let waiting = messages
            .iter()
            .filter(|m| m.state != DeliveryState::Sent)
            .count();
        say!("{} messages, {waiting} waiting.", messages.len());
        Ok(())
    };
    finish(run(), global.json)
}
