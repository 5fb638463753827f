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
