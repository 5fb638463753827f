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

mod check;

/// Invite clients to a SaaS platform.
#[derive(Debug, Parser)]
#[command(name = "invitekit", version, about, long_about = None)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check a pasted list of addresses: print each entry and whether the batch is acceptable.
    Check(check::CheckArgs),
}

fn main() -> ExitCode {
    // On a usage error clap prints the problem on stderr and exits with status 2.
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(&args),
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
