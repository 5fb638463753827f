//! End-to-end tests of the service commands: the built binary on a database in a temporary
//! folder, its mail written as `.eml` files there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, invitekit, json, token_for};

use std::path::Path;

use serde_json::Value;

fn statuses(dir: &Path, now: &str) -> Vec<(String, String)> {
    let list = json(&invitekit(dir, &["list", "--json", "--now", now]));
    list["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .map(|c| {
            (
                c["email"].as_str().expect("email").to_owned(),
                c["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_first_minute_invite_accept_expire() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    let init = invitekit(
        dir,
        &[
            "init",
            "--admin",
            "admin@acme.example",
            "--name",
            "Acme",
            "--now",
            T0,
        ],
    );
    assert!(init.status.success(), "{init:?}");
    assert!(dir.join("invitekit.db").exists());

    // One invalid address among three: nothing is created, the entry is named, exit 1.
    let refused = invitekit(
        dir,
        &[
            "create",
            "jane@example.com, bob@example, carol@example.org",
            "--send",
            "--json",
            "--now",
            T0,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&refused.stdout).expect("json");
    assert_eq!(error["error"]["code"], "invalid_batch");
    assert_eq!(error["error"]["entries"][0]["text"], "bob@example");
    assert_eq!(error["error"]["entries"][0]["code"], "dotless_domain");
    assert_eq!(error["error"]["entries"][0]["column"], 19);
    assert_eq!(statuses(dir, T0).len(), 1, "only the admin");
    assert!(
        !dir.join("outbox").exists(),
        "mail was written for a refused batch"
    );

    // Three valid, sent.
    let report = json(&invitekit(
        dir,
        &[
            "create",
            "jane@example.com, bob@example.org, carol@example.org",
            "--send",
            "--json",
            "--now",
            T0,
        ],
    ));
    assert_eq!(report["created"], 3);
    assert_eq!(report["invited"], 3);
    assert_eq!(report["delivery"]["sent"].as_array().map(Vec::len), Some(3));
    let listed = statuses(dir, "2026-11-21T10:00:00Z");
    for address in ["jane@example.com", "bob@example.org", "carol@example.org"] {
        assert!(
            listed.contains(&(address.to_owned(), "invite_pending".to_owned())),
            "{listed:?}"
        );
    }

    // Jane accepts with the token from her .eml.
    let token = token_for(dir, "jane@example.com");
    let preview = json(&invitekit(
        dir,
        &["preview", &token, "--json", "--now", "2026-11-21T10:00:00Z"],
    ));
    assert_eq!(preview["organization"], "Acme");
    assert_eq!(preview["state"], "live");
    let wrong = invitekit(
        dir,
        &[
            "accept",
            &token,
            "--email",
            "mallory@example.com",
            "--now",
            "2026-11-21T10:00:00Z",
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("email_mismatch"));
    let accepted = json(&invitekit(
        dir,
        &[
            "accept",
            &token,
            "--email",
            "jane@example.com",
            "--json",
            "--now",
            "2026-11-21T10:00:00Z",
        ],
    ));
    assert_eq!(accepted["activated_now"], true);
    assert_eq!(accepted["status"], "activated");

    // Fifteen days later the others have expired.
    let later = statuses(dir, "2026-12-06T10:00:00Z");
    assert!(later.contains(&("jane@example.com".to_owned(), "activated".to_owned())));
    assert!(later.contains(&("bob@example.org".to_owned(), "invite_expired".to_owned())));
    assert!(later.contains(&("carol@example.org".to_owned(), "invite_expired".to_owned())));
    let expired = json(&invitekit(
        dir,
        &[
            "list",
            "--status",
            "invite_expired",
            "--json",
            "--now",
            "2026-12-06T10:00:00Z",
        ],
    ));
    assert_eq!(expired["total"], 2);

    // A resend makes them pending again; the export shows each status.
    let resent = json(&invitekit(
        dir,
        &[
            "resend",
            "bob@example.org",
            "carol@example.org",
            "--json",
            "--now",
            "2026-12-06T10:00:00Z",
        ],
    ));
    assert!(
        resent["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["status"] == "invite_pending")
    );
    let export = invitekit(dir, &["export", "--now", "2026-12-06T11:00:00Z"]);
    assert!(export.status.success());
    let csv = String::from_utf8(export.stdout).expect("utf-8");
    assert!(csv.starts_with("name,email,role,status"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains("jane@example.com") && l.contains("Activated")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.contains("bob@example.org") && l.contains("Invite Pending")),
        "{csv}"
    );

    // The outbox lists the three messages, all sent.
    let outbox = json(&invitekit(dir, &["outbox", "--json", "--now", T0]));
    let messages = outbox["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 5);
    assert!(messages.iter().all(|m| m["state"] == "sent"));
}

#[test]
fn usage_errors_exit_2_and_refusals_exit_1() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    assert_eq!(
        invitekit(dir, &["create", "--now", "yesterday", "a@example.com"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        invitekit(dir, &["list", "--role", "boss"]).status.code(),
        Some(2)
    );
    // No organization yet: refused, not a usage error.
    let missing = invitekit(dir, &["list", "--json"]);
    assert_eq!(missing.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&missing.stdout).expect("json");
    assert_eq!(error["error"]["code"], "organization_not_found");
    let bad_zone = invitekit(
        dir,
        &[
            "init",
            "--admin",
            "a@example.com",
            "--timezone",
            "Mars/Base",
        ],
    );
    assert_eq!(bad_zone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_zone.stderr).contains("invalid_time_zone"));
}

#[test]
fn bulk_commands_groups_links_reports_and_a_10000_row_import() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    json(&invitekit(
        dir,
        &[
            "init",
            "--admin",
            "admin@acme.example",
            "--json",
            "--now",
            T0,
        ],
    ));
    json(&invitekit(
        dir,
        &[
            "create",
            "a@example.com b@example.com c@example.com",
            "--json",
            "--now",
            T0,
        ],
    ));
    let report = json(&invitekit(
        dir,
        &["report", "never-invited", "--json", "--now", T0],
    ));
    assert_eq!(report["total"], 3);
    let invited = json(&invitekit(
        dir,
        &[
            "invite",
            "--never-invited",
            "--except",
            "c@example.com",
            "--json",
            "--now",
            T0,
        ],
    ));
    assert_eq!(invited["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        json(&invitekit(
            dir,
            &["report", "never-invited", "--json", "--now", T0]
        ))["total"],
        1
    );
    let again = invitekit(dir, &["invite", "a@example.com", "--json", "--now", T0]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "a second first invitation is refused"
    );
    let again: Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(again["results"][0]["error"]["code"], "already_invited");
    json(&invitekit(
        dir,
        &["revoke", "a@example.com", "--json", "--now", T0],
    ));
    json(&invitekit(
        dir,
        &["archive", "b@example.com", "--json", "--now", T0],
    ));
    let statuses = statuses(dir, T0);
    assert!(statuses.contains(&("a@example.com".to_owned(), "provisioned".to_owned())));
    assert!(statuses.contains(&("b@example.com".to_owned(), "archived".to_owned())));
    json(&invitekit(
        dir,
        &["restore", "b@example.com", "--json", "--now", T0],
    ));

    json(&invitekit(
        dir,
        &["groups", "add", "Cohort", "--json", "--now", T0],
    ));
    json(&invitekit(
        dir,
        &[
            "assign",
            "a@example.com",
            "c@example.com",
            "--group",
            "cohort",
            "--json",
            "--now",
            T0,
        ],
    ));
    let members = json(&invitekit(
        dir,
        &["list", "--group", "Cohort", "--json", "--now", T0],
    ));
    assert_eq!(members["total"], 2);
    json(&invitekit(
        dir,
        &[
            "groups",
            "rename",
            "Cohort",
            "Cohort 2026",
            "--json",
            "--now",
            T0,
        ],
    ));
    json(&invitekit(
        dir,
        &["groups", "delete", "Cohort 2026", "--json", "--now", T0],
    ));
    let gone = invitekit(
        dir,
        &["list", "--group", "Cohort 2026", "--json", "--now", T0],
    );
    assert_eq!(gone.status.code(), Some(1));

    let link = json(&invitekit(
        dir,
        &[
            "signup-link",
            "create",
            "--max-uses",
            "3",
            "--domain",
            "example.org",
            "--json",
            "--now",
            T0,
        ],
    ));
    let token = link["token"].as_str().expect("token").to_owned();
    let outsider = invitekit(
        dir,
        &["join", &token, "--email", "eve@elsewhere.net", "--now", T0],
    );
    assert_eq!(outsider.status.code(), Some(1));
    let joined = json(&invitekit(
        dir,
        &[
            "join",
            &token,
            "--email",
            "zoe@example.org",
            "--json",
            "--now",
            T0,
        ],
    ));
    assert_eq!(joined["role"], "client");
    let id = link["id"].as_str().expect("id").to_owned();
    // Rotating: the old token stops working, the new one joins.
    let rotated = json(&invitekit(
        dir,
        &["signup-link", "rotate", &id, "--json", "--now", T0],
    ));
    let new_token = rotated["token"].as_str().expect("new token").to_owned();
    assert_ne!(new_token, token);
    let old = invitekit(
        dir,
        &[
            "join",
            &token,
            "--email",
            "ann@example.org",
            "--json",
            "--now",
            T0,
        ],
    );
    assert_eq!(old.status.code(), Some(1), "{old:?}");
    let old: Value = serde_json::from_slice(&old.stdout).expect("json");
    assert_eq!(old["error"]["code"], "signup_link_not_found");
    json(&invitekit(
        dir,
        &[
            "join",
            &new_token,
            "--email",
            "ann@example.org",
            "--json",
            "--now",
            T0,
        ],
    ));
    json(&invitekit(
        dir,
        &["signup-link", "disable", &id, "--json", "--now", T0],
    ));
    let disabled = invitekit(
        dir,
        &[
            "join",
            &new_token,
            "--email",
            "al@example.org",
            "--json",
            "--now",
            T0,
        ],
    );
    assert_eq!(disabled.status.code(), Some(1), "{disabled:?}");
    let disabled: Value = serde_json::from_slice(&disabled.stdout).expect("json");
    assert_eq!(disabled["error"]["code"], "signup_link_disabled");

    // A 10,000-row CSV, past the 200 cap of pasted lists.
    let mut csv = String::from("Email Address;Name\n");
    for i in 0..10_000 {
        csv.push_str(&format!("client{i}@example.net;Client {i}\n"));
    }
    std::fs::write(dir.join("clients.csv"), csv).expect("csv");
    let imported = json(&invitekit(
        dir,
        &["import", "clients.csv", "--json", "--now", T0],
    ));
    assert_eq!(imported["created"], 10_000);
    let list = json(&invitekit(
        dir,
        &["list", "--search", "example.net", "--json", "--now", T0],
    ));
    assert_eq!(list["total"], 10_000);
    let export = invitekit(dir, &["export", "--out", "clients-out.csv", "--now", T0]);
    assert!(export.status.success());
    let rows = std::fs::read_to_string(dir.join("clients-out.csv"))
        .expect("export")
        .lines()
        .count();
    assert_eq!(
        rows,
        1 + 10_000 + 6,
        "header, the import, the admin, a, b, c, zoe and ann"
    );
}
