//! `--smtp`: the built binary delivering through a real SMTP server on loopback (aiosmtpd,
//! started by `smtp_server.py`), in plain text, with STARTTLS and a login, and with implicit TLS.
//!
//! The server needs a Python with aiosmtpd and trustme: `INVITEKIT_TEST_PYTHON`, or
//! `target/venv/bin/python` as `scripts/test` installs it. Without one these tests fail under CI
//! (`CI` set) and are skipped, loudly, elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, invitekit, json};

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;

/// The Python to run the server with, or `None` (outside CI) when there is none.
fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("INVITEKIT_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/bin/python"));
    let usable = Command::new(&candidate)
        .args(["-c", "import aiosmtpd, trustme"])
        .output()
        .is_ok_and(|o| o.status.success());
    if usable {
        return Some(candidate);
    }
    let why = format!(
        "{} cannot import aiosmtpd and trustme (run scripts/test, or set INVITEKIT_TEST_PYTHON)",
        candidate.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("SKIPPED: {why}");
    None
}

/// A running SMTP server; stopped (its standard input closed) when dropped.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    folder: tempfile::TempDir,
}

impl Server {
    fn start(python: &Path, mode: &str) -> Server {
        let folder = tempfile::tempdir().expect("server folder");
        let mut child = Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py"))
            .arg(mode)
            .arg(folder.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("the server said {line:?}"))
            .parse()
            .expect("a port");
        let stdin = child.stdin.take();
        Server {
            child,
            stdin,
            port,
            folder,
        }
    }

    fn ca(&self) -> PathBuf {
        self.folder.path().join("ca.pem")
    }

    /// The messages received: (envelope, raw message, decoded text part), in arrival order.
    fn received(&self) -> Vec<(Value, String, String)> {
        let mut received = Vec::new();
        for n in 1.. {
            let base = self.folder.path().join(n.to_string());
            let Ok(raw) = std::fs::read_to_string(base.with_extension("eml")) else {
                break;
            };
            let envelope =
                std::fs::read_to_string(base.with_extension("envelope.json")).expect("envelope");
            let text = std::fs::read_to_string(base.with_extension("txt")).expect("text part");
            received.push((serde_json::from_str(&envelope).expect("JSON"), raw, text));
        }
        received
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if self.child.try_wait().ok().flatten().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn init(dir: &Path) {
    json(&invitekit(
        dir,
        &[
            "init",
            "--admin",
            "admin@acme.example",
            "--name",
            "Acme",
            "--now",
            T0,
            "--json",
        ],
    ));
}

/// Creates and invites three clients through `smtp` (plus `extra` flags), checks that the
/// server got exactly those three messages, and accepts one through the link it carries.
fn invite_three_through(server: &Server, smtp: &str, extra: &[&str]) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    init(dir);
    let mut args = vec![
        "create",
        "Jane Doe <jane@example.com>, bob@example.org, Zoë <zoe@example.net>",
        "--send",
        "--now",
        T0,
        "--json",
        "--smtp",
        smtp,
        "--from",
        "Acme Invitations <invitations@acme.example>",
    ];
    args.extend_from_slice(extra);
    let report = json(&invitekit(dir, &args));
    assert_eq!(report["invited"], 3, "{report}");
    assert_eq!(
        report["delivery"]["sent"].as_array().expect("sent").len(),
        3
    );
    assert!(
        report["delivery"]["failed"]
            .as_array()
            .expect("failed")
            .is_empty()
    );
    assert!(!dir.join("outbox").exists(), "nothing written as files");

    let received = server.received();
    assert_eq!(received.len(), 3, "one message per client");
    let mut recipients: Vec<&str> = received
        .iter()
        .map(|(envelope, _, _)| envelope["to"][0].as_str().expect("recipient"))
        .collect();
    recipients.sort_unstable();
    assert_eq!(
        recipients,
        ["bob@example.org", "jane@example.com", "zoe@example.net"]
    );
    let (envelope, raw, text) = received
        .iter()
        .find(|(envelope, _, _)| envelope["to"][0] == "zoe@example.net")
        .expect("Zoë's message");
    assert_eq!(envelope["from"], "invitations@acme.example");
    assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
    assert!(raw.contains("text/html"), "{raw}");
    assert!(text.contains("Acme"), "{text}");

    // The link in the delivered message works.
    let start = text.find("/invitations/").expect("accept link") + "/invitations/".len();
    let token = &text[start..start + 43];
    let accepted = json(&invitekit(
        dir,
        &["accept", token, "--email", "zoe@example.net", "--json"],
    ));
    assert_eq!(accepted["status"], "activated");
    let outbox = json(&invitekit(dir, &["outbox", "--json"]));
    let states: Vec<&str> = outbox["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["sent", "sent", "sent"]);
}

#[test]
fn plain_smtp_delivers_every_invitation_with_a_working_link() {
    let Some(python) = python() else { return };
    let server = Server::start(&python, "plain");
    invite_three_through(&server, &format!("smtp://127.0.0.1:{}", server.port), &[]);
    assert_eq!(server.received()[0].0["login"], Value::Null);
}

#[test]
fn starttls_with_a_login_delivers_and_checks_the_certificate() {
    let Some(python) = python() else { return };
    let server = Server::start(&python, "starttls");
    let ca = server.ca();
    // The password holds ':', '/' and '@', percent-encoded in the URL.
    let url = format!(
        "smtp://mailer:s3cret%3A%2F%40@localhost:{}?tls=required",
        server.port
    );
    invite_three_through(&server, &url, &["--smtp-ca", ca.to_str().expect("path")]);
    assert_eq!(server.received()[0].0["login"], "mailer");

    // Without the CA, the server's certificate is not trusted: nothing is delivered, and the
    // messages wait in the outbox with the reason.
    let dir = tempfile::tempdir().expect("temporary folder");
    init(dir.path());
    let report = json(&invitekit(
        dir.path(),
        &[
            "create",
            "ann@example.com",
            "--send",
            "--json",
            "--smtp",
            &url,
        ],
    ));
    assert_eq!(
        report["delivery"]["failed"]
            .as_array()
            .expect("failed")
            .len(),
        1
    );
    assert_eq!(server.received().len(), 3);
}

#[test]
fn implicit_tls_delivers() {
    let Some(python) = python() else { return };
    let server = Server::start(&python, "tls");
    let ca = server.ca();
    invite_three_through(
        &server,
        &format!("smtps://localhost:{}", server.port),
        &["--smtp-ca", ca.to_str().expect("path")],
    );
}

#[test]
fn a_failed_delivery_stays_in_the_outbox_and_is_retried() {
    let Some(python) = python() else { return };
    let server = Server::start(&python, "starttls");
    let ca = server.ca();
    let ca = ca.to_str().expect("path");
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    init(dir);
    // A wrong password: the server refuses the login, the clients exist, the mail waits.
    let wrong = format!("smtp://mailer:wrong@localhost:{}?tls=required", server.port);
    let report = json(&invitekit(
        dir,
        &[
            "create",
            "ann@example.com, ben@example.com",
            "--send",
            "--json",
            "--smtp",
            &wrong,
            "--smtp-ca",
            ca,
        ],
    ));
    assert_eq!(report["created"], 2);
    assert_eq!(
        report["delivery"]["failed"]
            .as_array()
            .expect("failed")
            .len(),
        2
    );
    let outbox = json(&invitekit(dir, &["outbox", "--json"]));
    for message in outbox["messages"].as_array().expect("messages") {
        assert_eq!(message["state"], "failed");
        assert!(
            message["last_error"]
                .as_str()
                .expect("reason")
                .contains("SMTP"),
            "{message}"
        );
    }
    assert!(server.received().is_empty());

    // The right password: `outbox --deliver` sends each waiting message once.
    let right = format!(
        "smtp://mailer:s3cret%3A%2F%40@localhost:{}?tls=required",
        server.port
    );
    let delivered = json(&invitekit(
        dir,
        &[
            "outbox",
            "--deliver",
            "--json",
            "--smtp",
            &right,
            "--smtp-ca",
            ca,
        ],
    ));
    assert_eq!(
        delivered["delivered"]["sent"]
            .as_array()
            .expect("sent")
            .len(),
        2
    );
    assert_eq!(server.received().len(), 2);
    let again = json(&invitekit(
        dir,
        &[
            "outbox",
            "--deliver",
            "--json",
            "--smtp",
            &right,
            "--smtp-ca",
            ca,
        ],
    ));
    assert!(
        again["delivered"]["sent"]
            .as_array()
            .expect("sent")
            .is_empty()
    );
    assert_eq!(server.received().len(), 2, "nothing delivered twice");
}

#[test]
fn a_bad_smtp_url_or_sender_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for args in [
        &["list", "--smtp", "http://localhost:25"][..],
        &["list", "--smtp", "not a url"],
        &["list", "--from", "not an address"],
        &["list", "--smtp-ca", "ca.pem"],
    ] {
        let output = invitekit(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}
