//! The commands on chosen clients and on the organization: `invite`, `resend`, `revoke`,
//! `archive`, `restore`, `assign`, `report never-invited`, `groups`, `signup-link`, `join`,
//! `export` and `import`. Clients are named by address; each command prints one line per client
//! (or one JSON document) and exits 1 when any client was refused.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use invitekit::access::Member;
use invitekit::message::MessageOptions;
use invitekit::model::{Assignment, ClientId, GroupId, Identity, OrgId, Role, SignupLinkId};
use invitekit::service::{ClientOutcome, Invitations, NewClients, NewSignupLink};
use invitekit::{Error, ErrorKind};
use serde_json::json;

use crate::app::{self, Global, Session};
use crate::term::say;
use crate::term::{self, CountingReader, Table};

/// `invitekit invite`.
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The clients to invite, by address.
    #[arg(value_name = "EMAIL", required_unless_present = "never_invited")]
    emails: Vec<String>,
    /// Invite every client never invited (see `report never-invited`).
    #[arg(long, conflicts_with = "emails")]
    never_invited: bool,
    /// With --never-invited: leave these out.
    #[arg(long, value_name = "EMAIL", requires = "never_invited")]
    except: Vec<String>,
    /// The email's subject.
    #[arg(long, value_name = "S")]
    subject: Option<String>,
    /// The email's button text.
    #[arg(long, value_name = "B")]
    button: Option<String>,
}

/// `invitekit resend|revoke|archive|restore`.
#[derive(Debug, Args)]
pub struct ClientsArgs {
    /// The clients, by address.
    #[arg(value_name = "EMAIL", required = true)]
    emails: Vec<String>,
}

/// `invitekit assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The clients, by address.
    #[arg(value_name = "EMAIL", required = true)]
    emails: Vec<String>,
    /// Into this group, by name.
    #[arg(long, value_name = "G", group = "target")]
    group: Option<String>,
    /// Into this program, by name.
    #[arg(long, value_name = "P", group = "target")]
    program: Option<String>,
    /// Under this member of staff, by address.
    #[arg(long, value_name = "EMAIL", group = "target")]
    staff: Option<String>,
}

/// `invitekit report`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Clients with an email never invited (not activated, not archived).
    NeverInvited,
}

/// `invitekit groups`.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Create a group.
    Add {
        /// Its name.
        name: String,
    },
    /// Rename a group.
    Rename {
        /// Its name now.
        name: String,
        /// Its new name.
        new_name: String,
    },
    /// Delete a group (its members leave it).
    Delete {
        /// Its name.
        name: String,
    },
}

/// `invitekit signup-link`.
#[derive(Debug, Subcommand)]
pub enum SignupLinkCommand {
    /// Create a sign-up link; prints its token once.
    Create {
        /// The role people joining get.
        #[arg(long, default_value = "client", value_parser = app::parse_role)]
        role: Role,
        /// How many may join.
        #[arg(long, value_name = "N")]
        max_uses: Option<u32>,
        /// Email domains allowed (repeatable).
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
    },
    /// Replace a link's token; prints the new one.
    Rotate {
        /// The link's id.
        id: String,
    },
    /// Disable a link.
    Disable {
        /// The link's id.
        id: String,
    },
}

/// `invitekit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "F")]
    out: Option<PathBuf>,
}

/// `invitekit import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    #[arg(value_name = "F")]
    file: PathBuf,
    /// Invite the clients created.
    #[arg(long)]
    send: bool,
}

fn resolve(service: &Invitations, org: &OrgId, emails: &[String]) -> Result<Vec<ClientId>, Error> {
    emails
        .iter()
        .map(|email| app::client_id(service, org, email))
        .collect()
}

/// Prints one line (or JSON object) per outcome; exit 1 when any was refused.
fn outcomes(session: &Session, outcomes: &[ClientOutcome]) -> Result<bool, Error> {
    let all_ok = outcomes.iter().all(|o| o.result.is_ok());
    if session.json {
        let rows: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(status) => json!({"client": o.client, "status": status, "delivery": o.delivery}),
                Err(e) => json!({"client": o.client, "error": {"code": e.code().as_str(), "message": e.to_string()}}),
            })
            .collect();
        app::print_json(&json!({ "results": rows }))?;
    } else {
        // The clients by address, read in one query.
        let ids: Vec<ClientId> = outcomes.iter().map(|o| o.client.clone()).collect();
        let records = session.service.store().clients(&session.org, &ids)?;
        let address: HashMap<&ClientId, &str> = records
            .iter()
            .filter_map(|r| Some((&r.client.id, r.client.email.as_ref()?.address.as_str())))
            .collect();
        let mut table = Table::new(&["CLIENT", "RESULT"]);
        for o in outcomes {
            let client = address
                .get(&o.client)
                .map_or_else(|| o.client.to_string(), |a| (*a).to_owned());
            table.row(vec![
                (client, ""),
                match &o.result {
                    Ok(status) => (status.label().to_owned(), term::status_color(*status)),
                    Err(e) => (format!("refused: {e}"), term::RED),
                },
            ]);
        }
        table.print(session.paint)?;
    }
    Ok(all_ok)
}

fn run_outcomes(
    global: &Global,
    work: impl FnOnce(&Session, &Member) -> Result<Vec<ClientOutcome>, Error>,
) -> ExitCode {
    let run = || -> Result<bool, Error> {
        let session = Session::open(global)?;
        let by = session.member(global.acting.as_deref())?;
        let results = work(&session, &by);
        session.progress.finish();
        outcomes(&session, &results?)
    };
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => app::refused(&error, global.json),
    }
}

/// `invitekit invite`.
pub fn invite(global: &Global, args: &InviteArgs) -> ExitCode {
    let options = MessageOptions {
        subject: args.subject.clone(),
        button: args.button.clone(),
        form_url: None,
    };
    run_outcomes(global, |session, by| {
        let (service, org) = (&session.service, &session.org);
        if args.never_invited {
            let except = resolve(service, org, &args.except)?;
            if session.progress.enabled() {
                let never = service.never_invited(org, by, 0, Some(0))?;
                session.progress.expect_mail(never.total);
            }
            service.invite_never_invited(org, by, &except, &options)
        } else {
            let ids = resolve(service, org, &args.emails)?;
            session.progress.expect_mail(ids.len() as u64);
            service.send(org, by, &ids, &options)
        }
    })
}

/// Which bulk command `ClientsArgs` runs.
#[derive(Debug, Clone, Copy)]
pub enum Bulk {
    /// A further invitation.
    Resend,
    /// Revoke open invitations.
    Revoke,
    /// Archive.
    Archive,
    /// Restore.
    Restore,
}

/// `invitekit resend|revoke|archive|restore`.
pub fn bulk(global: &Global, args: &ClientsArgs, command: Bulk) -> ExitCode {
    run_outcomes(global, |session, by| {
        let (service, org) = (&session.service, &session.org);
        let ids = resolve(service, org, &args.emails)?;
        session.progress.expect_mail(ids.len() as u64);
        match command {
            Bulk::Resend => service.resend(org, by, &ids, &MessageOptions::default()),
            Bulk::Revoke => service.revoke(org, by, &ids),
            Bulk::Archive => service.archive(org, by, &ids),
            Bulk::Restore => service.restore(org, by, &ids),
        }
    })
}

/// `invitekit assign`.
pub fn assign(global: &Global, args: &AssignArgs) -> ExitCode {
    run_outcomes(global, |session, by| {
        let (service, org) = (&session.service, &session.org);
        let assignment = match (&args.group, &args.program, &args.staff) {
            (Some(g), _, _) => Assignment::Group(app::group_id(service, org, g)?),
            (_, Some(p), _) => Assignment::Program(app::program_id(service, org, p)?),
            (_, _, Some(s)) => Assignment::Staff(Some(app::client_id(service, org, s)?)),
            _ => Assignment::Staff(None),
        };
        let ids = resolve(service, org, &args.emails)?;
        service.assign(org, by, &ids, &assignment)
    })
}

fn simple(global: &Global, work: impl FnOnce(&Session, &Member) -> Result<(), Error>) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let by = session.member(global.acting.as_deref())?;
        work(&session, &by)
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => app::refused(&error, global.json),
    }
}

/// `invitekit report never-invited`.
pub fn report(global: &Global, _command: &ReportCommand) -> ExitCode {
    simple(global, |session, by| {
        let list = session.service.never_invited(&session.org, by, 0, None)?;
        let rows: Vec<serde_json::Value> = list
            .clients
            .iter()
            .map(|c| json!({"id": c.record.client.id, "email": c.record.client.email.as_ref().map(|e| &e.address), "name": c.record.client.name}))
            .collect();
        if session.json {
            return app::print_json(&json!({"total": list.total, "clients": rows}));
        }
        let mut table = Table::new(&["EMAIL", "NAME"]);
        for c in &list.clients {
            let client = &c.record.client;
            table.row(vec![
                term::address_cell(client),
                (client.name.clone().unwrap_or_default(), ""),
            ]);
        }
        table.print(session.paint)?;
        say!("{} clients never invited.", list.total);
        Ok(())
    })
}

/// `invitekit groups`.
pub fn groups(global: &Global, command: &GroupsCommand) -> ExitCode {
    simple(global, |session, by| {
        let (service, org) = (&session.service, &session.org);
        let group = match command {
            GroupsCommand::Add { name } => Some(service.create_group(org, by, name, &[])?),
            GroupsCommand::Rename { name, new_name } => {
                let id = app::group_id(service, org, name)?;
                Some(service.rename_group(org, by, &id, new_name)?)
            }
            GroupsCommand::Delete { name } => {
                let id: GroupId = app::group_id(service, org, name)?;
                service.delete_group(org, by, &id)?;
                None
            }
        };
        if session.json {
            return app::print_json(&json!({ "group": group }));
        }
        match group {
            Some(group) => say!("{}\t{}", group.id, group.name),
            None => say!("Deleted."),
        }
        Ok(())
    })
}

/// `invitekit signup-link`.
pub fn signup_link(global: &Global, command: &SignupLinkCommand) -> ExitCode {
    simple(global, |session, by| {
        let (service, org) = (&session.service, &session.org);
        let (id, token) = match command {
            SignupLinkCommand::Create {
                role,
                max_uses,
                domains,
            } => {
                let new = NewSignupLink {
                    role: *role,
                    max_uses: *max_uses,
                    allowed_domains: domains.clone(),
                };
                let (link, token) = service.create_signup_link(org, by, &new)?;
                (link.id, Some(token))
            }
            SignupLinkCommand::Rotate { id } => {
                let id = SignupLinkId::new(id.clone());
                let token = service.rotate_signup_link(org, by, &id)?;
                (id, Some(token))
            }
            SignupLinkCommand::Disable { id } => {
                let link = service.disable_signup_link(org, by, &SignupLinkId::new(id.clone()))?;
                (link.id, None)
            }
        };
        let token = token.as_ref().map(|t| t.expose_secret());
        if session.json {
            return app::print_json(&json!({ "id": id, "token": token }));
        }
        match token {
            Some(token) => say!("{id}\t{token}"),
            None => say!("{id}\tdisabled"),
        }
        Ok(())
    })
}

/// `invitekit join`.
pub fn join(global: &Global, args: &app::AcceptArgs) -> ExitCode {
    let run = || -> Result<(), Error> {
        let session = Session::open(global)?;
        let email = args.email.as_str();
        let identity = Identity::from_email(email, &Default::default())?;
        let record = session.service.join(&args.token, &identity)?;
        if session.json {
            return app::print_json(
                &json!({"client": record.client.id, "role": record.client.role}),
            );
        }
        say!("{email} joined as {}.", record.client.role.label());
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => app::refused(&error, global.json),
    }
}

/// `invitekit export`.
pub fn export(global: &Global, args: &ExportArgs) -> ExitCode {
    simple(global, |session, by| {
        let write_failed = |e: std::io::Error| {
            Error::new(ErrorKind::WriteFailed {
                message: e.to_string(),
            })
        };
        match &args.out {
            Some(path) => {
                let file = std::fs::File::create(path).map_err(write_failed)?;
                let (_, rows) = session.service.export_clients(
                    &session.org,
                    by,
                    std::io::BufWriter::new(file),
                )?;
                eprintln!("Exported {rows} clients to {}.", path.display());
            }
            None => {
                let closed = std::rc::Rc::new(std::cell::Cell::new(false));
                let stdout = term::PipeWriter::new(std::io::stdout().lock(), closed.clone());
                match session.service.export_clients(&session.org, by, stdout) {
                    // The reader went away (`invitekit export | head`): not a failure.
                    Err(_) if closed.get() => {}
                    result => {
                        result?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// `invitekit import`: a CSV file of any size (the batch cap is lifted), all or nothing.
pub fn import(global: &Global, args: &ImportArgs) -> ExitCode {
    simple(global, |session, by| {
        let mut options = session.service.options().clone();
        options.addresses.max_addresses = usize::MAX;
        let service = session.service.clone().with_options(options);
        let bytes = app::read_bounded(&args.file)?;
        let new = NewClients {
            send: args.send,
            ..NewClients::default()
        };
        let rows = app::line_count(&bytes);
        session.progress.reading(rows);
        if args.send {
            session.progress.expect_mail(rows);
        }
        let reader = CountingReader::new(bytes.as_slice(), session.progress.clone());
        let report = service.import_clients(&session.org, by, reader, &new, false);
        session.progress.finish();
        let report = report?;
        if session.json {
            return app::print_json(&json!({
                "created": report.created,
                "invited": report.invited,
                "existing": report.existing,
                "duplicates": report.duplicates,
            }));
        }
        say!(
            "Imported {} clients ({} invited); {} already clients, {} repeated.",
            report.created,
            report.invited,
            report.existing,
            report.duplicates
        );
        Ok(())
    })
}
