//! `invitekit`: the main job of invitekit from a shell.
//!
//! One subcommand per job, each in its own module. The commands convert arguments and files into
//! calls of the `invitekit` core and print its answers; they make no domain decision of their own.
//!
//! Exit status: 0 when the command succeeded (for `check`: the list is acceptable), 1 when its
//! answer is "no" (the list is not acceptable, or the input as a whole was refused), 2 on a usage
//! error (bad flags, an unreadable file) or when the answer could not be written.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod app;
mod check;
mod mail;
mod manage;
mod smtp;
mod term;

/// Invite clients to a SaaS platform.
#[derive(Debug, Parser)]
#[command(name = "invitekit", version, about, long_about = None)]
struct Cli {
    /// The options every command takes.
    #[command(flatten)]
    global: app::Global,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check a pasted list of addresses: print each entry and whether the batch is acceptable.
    Check(check::CheckArgs),
    /// Create the database (if new) and an organization with its first admin.
    Init(app::InitArgs),
    /// Create clients from a pasted list, a file or a CSV, all or nothing; --send invites them.
    Create(app::CreateArgs),
    /// List the clients with their status, filtered.
    List(app::ListArgs),
    /// Show what an invitation link's holder sees, changing nothing.
    Preview(app::LinkArgs),
    /// Accept an invitation link as the signed-in account --email.
    Accept(app::AcceptArgs),
    /// Invite clients never invited, by address, or all of them (--never-invited).
    Invite(manage::InviteArgs),
    /// Send a further invitation, with a fresh window.
    Resend(manage::ClientsArgs),
    /// Revoke clients' open invitations.
    Revoke(manage::ClientsArgs),
    /// Archive clients.
    Archive(manage::ClientsArgs),
    /// Restore archived clients.
    Restore(manage::ClientsArgs),
    /// Put clients in a group or program, or under a member of staff.
    Assign(manage::AssignArgs),
    /// Reports.
    #[command(subcommand)]
    Report(manage::ReportCommand),
    /// Create, rename and delete groups.
    #[command(subcommand)]
    Groups(manage::GroupsCommand),
    /// Create, rotate and disable sign-up links.
    #[command(subcommand, name = "signup-link")]
    SignupLink(manage::SignupLinkCommand),
    /// Join the organization through a sign-up link as --email.
    Join(app::AcceptArgs),
    /// Export the client table as CSV.
    Export(manage::ExportArgs),
    /// Import a CSV file of clients (any size), all or nothing.
    Import(manage::ImportArgs),
    /// List the outbox; --deliver sends the messages waiting.
    Outbox(app::OutboxArgs),
}

fn main() -> ExitCode {
    // On a usage error clap prints the problem on stderr and exits with status 2.
    let cli = Cli::parse();
    match cli.command {
        Command::Check(mut args) => {
            args.json = cli.global.json;
            args.color = cli.global.color;
            check::run(&args)
        }
        Command::Init(args) => app::init(&cli.global, &args),
        Command::Create(args) => app::create(&cli.global, &args),
        Command::List(args) => app::list(&cli.global, &args),
        Command::Preview(args) => app::preview(&cli.global, &args),
        Command::Accept(args) => app::accept(&cli.global, &args),
        Command::Outbox(args) => app::outbox(&cli.global, &args),
        Command::Invite(args) => manage::invite(&cli.global, &args),
        Command::Resend(args) => manage::bulk(&cli.global, &args, manage::Bulk::Resend),
        Command::Revoke(args) => manage::bulk(&cli.global, &args, manage::Bulk::Revoke),
        Command::Archive(args) => manage::bulk(&cli.global, &args, manage::Bulk::Archive),
        Command::Restore(args) => manage::bulk(&cli.global, &args, manage::Bulk::Restore),
        Command::Assign(args) => manage::assign(&cli.global, &args),
        Command::Report(command) => manage::report(&cli.global, &command),
        Command::Groups(command) => manage::groups(&cli.global, &command),
        Command::SignupLink(command) => manage::signup_link(&cli.global, &command),
        Command::Join(args) => manage::join(&cli.global, &args),
        Command::Export(args) => manage::export(&cli.global, &args),
        Command::Import(args) => manage::import(&cli.global, &args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
