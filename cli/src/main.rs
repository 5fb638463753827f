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
    Accept(app::LinkArgs),
    /// List the outbox; --deliver sends the messages waiting.
    Outbox(app::OutboxArgs),
}

fn main() -> ExitCode {
    // On a usage error clap prints the problem on stderr and exits with status 2.
    let cli = Cli::parse();
    match cli.command {
        Command::Check(mut args) => {
            args.json = cli.global.json;
            check::run(&args)
        }
        Command::Init(args) => app::init(&cli.global, &args),
        Command::Create(args) => app::create(&cli.global, &args),
        Command::List(args) => app::list(&cli.global, &args),
        Command::Preview(args) => app::preview(&cli.global, &args),
        Command::Accept(args) => app::accept(&cli.global, &args),
        Command::Outbox(args) => app::outbox(&cli.global, &args),
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
