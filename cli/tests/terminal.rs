//! What a person at a terminal sees: aligned tables, colors only on a terminal (or
//! `--color always`), a progress bar for imports and sends over 1,000 rows (run under a
//! pseudo-terminal with `script`), and quiet exits when a pager or `head` closes the pipe.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, invitekit};

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// An organization with three clients: one activated, one pending, one provisioned, and
/// `rows` more imported from a CSV when asked.
fn organization(dir: &Path) {
    ok(invitekit(
        dir,
        &["init", "--admin", "admin@acme.example", "--now", T0],
    ));
    ok(invitekit(
        dir,
        &[
            "create",
            "jane@example.com, bob@example.org",
            "--send",
            "--now",
            T0,
        ],
    ));
    ok(invitekit(
        dir,
        &["create", "Zoë Ndiaye <zoe@example.net>", "--now", T0],
    ));
}

#[test]
fn list_is_an_aligned_table_colored_only_when_asked() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    organization(dir);
    let plain = ok(invitekit(dir, &["list", "--now", T0]));
    assert!(!plain.contains('\x1b'), "no escapes when piped: {plain}");
    let lines: Vec<&str> = plain.lines().collect();
    assert!(lines[0].starts_with("EMAIL"), "{plain}");
    let status_column = lines[0].find("STATUS").expect("STATUS header");
    for line in &lines[1..5] {
        // Every row's status starts under the header: the columns are aligned.
        let rest = &line[line
            .char_indices()
            .nth(status_column)
            .expect("wide enough")
            .0..];
        assert!(
            ["Activated", "Invite Pending", "Provisioned"]
                .iter()
                .any(|s| rest.starts_with(s)),
            "{line:?} in\n{plain}"
        );
    }
    assert!(plain.contains("Zoë Ndiaye"));
    assert!(plain.ends_with("4 clients, 25% activated.\n"), "{plain}");

    let colored = ok(invitekit(dir, &["list", "--color", "always", "--now", T0]));
    assert!(colored.contains("\x1b[1mEMAIL\x1b[0m"), "{colored}");
    assert!(colored.contains("\x1b[32mActivated\x1b[0m"), "{colored}");
    assert!(
        colored.contains("\x1b[33mInvite Pending\x1b[0m"),
        "{colored}"
    );
    let never = ok(invitekit(dir, &["list", "--color", "never", "--now", T0]));
    assert_eq!(never, plain);

    // 15 days later the pending ones are expired, in red.
    let later = ok(invitekit(
        dir,
        &[
            "list",
            "--color",
            "always",
            "--status",
            "invite_expired",
            "--now",
            "2026-12-06T09:00:00Z",
        ],
    ));
    assert!(later.contains("\x1b[31mInvite Expired\x1b[0m"), "{later}");
    assert!(later.contains("jane@example.com") && later.contains("bob@example.org"));
    assert!(!later.contains("zoe@example.net"));
}

#[test]
fn staff_filter_outbox_and_report_print_tables() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    organization(dir);
    ok(invitekit(
        dir,
        &["create", "sam@acme.example", "--role", "staff", "--now", T0],
    ));
    ok(invitekit(
        dir,
        &[
            "assign",
            "zoe@example.net",
            "--staff",
            "sam@acme.example",
            "--now",
            T0,
        ],
    ));
    let mine = ok(invitekit(
        dir,
        &["list", "--staff", "sam@acme.example", "--now", T0],
    ));
    assert!(mine.contains("zoe@example.net"), "{mine}");
    assert!(!mine.contains("jane@example.com"), "{mine}");

    let outbox = ok(invitekit(dir, &["outbox", "--now", T0]));
    assert!(outbox.starts_with("ID"), "{outbox}");
    assert_eq!(outbox.matches("  sent").count(), 2, "{outbox}");
    assert!(outbox.ends_with("2 messages, 0 waiting.\n"), "{outbox}");

    let report = ok(invitekit(dir, &["report", "never-invited", "--now", T0]));
    assert!(report.starts_with("EMAIL"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("zoe@example.net ") && l.ends_with("  Zoë Ndiaye")),
        "{report}"
    );
    assert!(report.contains("sam@acme.example"), "{report}");

    let resent = ok(invitekit(
        dir,
        &[
            "resend",
            "jane@example.com",
            "--color",
            "always",
            "--now",
            T0,
        ],
    ));
    assert!(
        resent.contains("jane@example.com"),
        "addresses, not ids: {resent}"
    );
    assert!(resent.contains("\x1b[33mInvite Pending\x1b[0m"), "{resent}");
}

/// Runs `invitekit ARGS` in `dir` under a pseudo-terminal (util-linux `script`), so that its
/// standard output and error are a terminal; returns what the terminal showed.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_invitekit"));
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn imports_and_sends_over_1000_rows_show_a_progress_bar_on_a_terminal_only() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    ok(invitekit(
        dir,
        &["init", "--admin", "admin@acme.example", "--now", T0],
    ));
    let mut csv = String::from("email,name\n");
    for i in 0..1_500 {
        csv.push_str(&format!("c{i}@example.com,Client {i}\n"));
    }
    std::fs::write(dir.join("big.csv"), &csv).expect("csv");
    let shown = on_a_terminal(dir, &format!("import big.csv --send --now {T0}"));
    assert!(shown.contains("sending ["), "{shown}");
    assert!(
        shown.contains("Imported 1500 clients (1500 invited)"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_dir(dir.join("outbox"))
            .expect("outbox")
            .count(),
        1_500
    );
    // On a terminal the table is colored.
    let list = on_a_terminal(dir, &format!("list --status invite_pending --now {T0}"));
    assert!(list.contains("\x1b[33mInvite Pending"), "{list}");

    // Piped, the same work draws nothing on standard error.
    let small = dir.join("again");
    std::fs::create_dir(&small).expect("folder");
    std::fs::write(small.join("big.csv"), &csv).expect("csv");
    ok(invitekit(
        &small,
        &["init", "--admin", "admin@acme.example", "--now", T0],
    ));
    let piped = invitekit(&small, &["import", "big.csv", "--send", "--now", T0]);
    assert!(piped.status.success(), "{piped:?}");
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );

    // 1,000 rows or fewer: no bar, even on a terminal.
    let few = dir.join("few");
    std::fs::create_dir(&few).expect("folder");
    ok(invitekit(
        &few,
        &["init", "--admin", "admin@acme.example", "--now", T0],
    ));
    std::fs::write(
        few.join("few.csv"),
        &csv[..csv.match_indices('\n').nth(500).expect("500 rows").0 + 1],
    )
    .expect("csv");
    let shown = on_a_terminal(&few, &format!("import few.csv --send --now {T0}"));
    assert!(!shown.contains("sending ["), "{shown}");
    assert!(shown.contains("Imported 500 clients"), "{shown}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    ok(invitekit(
        dir,
        &["init", "--admin", "admin@acme.example", "--now", T0],
    ));
    let mut csv = String::from("email\n");
    for i in 0..3_000 {
        csv.push_str(&format!("client-with-a-long-address-{i}@example.com\n"));
    }
    std::fs::write(dir.join("clients.csv"), csv).expect("csv");
    ok(invitekit(dir, &["import", "clients.csv", "--now", T0]));
    // Far more than a pipe holds (64 KiB), to a reader that is already gone.
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["export"],
        &["report", "never-invited"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_invitekit"))
            .args(args)
            .args(["--now", T0])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("exit");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert!(output.stderr.is_empty(), "{args:?}: {output:?}");
    }
}

#[test]
fn a_token_starting_with_a_dash_is_a_token_not_a_flag() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    ok(invitekit(
        dir,
        &["init", "--admin", "admin@acme.example", "--now", T0],
    ));
    let token = "-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for args in [
        &["preview", token, "--json"][..],
        &["accept", token, "--email", "jane@example.com", "--json"],
        &["join", token, "--email", "jane@example.com", "--json"],
    ] {
        let output = invitekit(dir, args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "refused, not a usage error: {output:?}"
        );
        let body: Value = serde_json::from_slice(&output.stdout).expect("json");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
}
