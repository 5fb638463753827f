//! What the end-to-end tests share: running the built binary and reading its JSON.

#![allow(dead_code, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The instant the tests' organizations are created at.
pub const T0: &str = "2026-11-21T09:00:00Z";

/// Runs `invitekit ARGS` in `dir` (so `invitekit.db` and `outbox/` land there), with
/// `NO_COLOR` unset so that `--color` alone decides.
pub fn invitekit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invitekit"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

/// The one JSON document a successful command printed.
pub fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

/// The token in the accept link of the `.eml` file sent to `to`.
pub fn token_for(dir: &Path, to: &str) -> String {
    for entry in std::fs::read_dir(dir.join("outbox")).expect("outbox folder") {
        let eml = std::fs::read_to_string(entry.expect("entry").path()).expect("eml");
        if eml.contains(&format!("To: {to}\r\n")) {
            assert!(eml.starts_with("From: "), "{eml}");
            assert!(eml.contains("MIME-Version: 1.0\r\n"));
            assert!(eml.contains("Content-Type: multipart/alternative"));
            let start = eml.find("/invitations/").expect("accept link") + "/invitations/".len();
            return eml[start..start + 43].to_owned();
        }
    }
    panic!("no .eml to {to}");
}
