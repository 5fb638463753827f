//! `invitekit --db postgres://...`: the main job on a real PostgreSQL server, each test in a
//! database of its own. The server's URL comes from `INVITEKIT_PG_URL` (`scripts/test` starts
//! one with `scripts/postgres.sh`); without it the tests fail under CI and are skipped, loudly,
//! elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{T0, invitekit, json, token_for};

/// A database created for one test, dropped when it ends.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    fn create(tag: &str) -> Option<Database> {
        let Ok(admin) = std::env::var("INVITEKIT_PG_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "INVITEKIT_PG_URL is not set (scripts/test starts a server)"
            );
            eprintln!("SKIPPED: INVITEKIT_PG_URL is not set");
            return None;
        };
        let name = format!("invitekit_cli_{tag}_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("server");
        // One statement each: a multi-statement batch is one transaction, and these refuse one.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("no leftover database");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a database of its own");
        let (base, _db) = admin.rsplit_once('/').expect("a URL ending in /database");
        let url = format!("{base}/{name}");
        Some(Database { admin, name, url })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[test]
fn the_first_minute_on_postgres() {
    let Some(db) = Database::create("first") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", db.url.as_str()];
        all.extend_from_slice(args);
        invitekit(dir, &all)
    };
    json(&run(&[
        "init",
        "--admin",
        "admin@acme.example",
        "--now",
        T0,
        "--json",
    ]));
    assert!(
        !dir.join("invitekit.db").exists(),
        "no SQLite file: the records are on the server"
    );

    let refused = run(&[
        "create",
        "a@example.com, b@example, c@example.com",
        "--json",
        "--now",
        T0,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let report = json(&run(&[
        "create",
        "jane@example.com, bob@example.org, zoe@example.net",
        "--send",
        "--json",
        "--now",
        T0,
    ]));
    assert_eq!(report["invited"], 3);
    let token = token_for(dir, "jane@example.com");
    let accepted = json(&run(&[
        "accept",
        &token,
        "--email",
        "jane@example.com",
        "--json",
        "--now",
        T0,
    ]));
    assert_eq!(accepted["status"], "activated");

    let later = "2026-12-06T09:00:00Z";
    let expired = json(&run(&[
        "list",
        "--status",
        "invite_expired",
        "--json",
        "--now",
        later,
    ]));
    assert_eq!(expired["total"], 2);
    json(&run(&[
        "resend",
        "bob@example.org",
        "zoe@example.net",
        "--json",
        "--now",
        later,
    ]));
    let pending = json(&run(&[
        "list",
        "--status",
        "invite_pending",
        "--json",
        "--now",
        later,
    ]));
    assert_eq!(pending["total"], 2);

    let mut csv = String::from("email,name\n");
    for i in 0..2_000 {
        csv.push_str(&format!("client{i}@example.net,Client {i}\n"));
    }
    std::fs::write(dir.join("clients.csv"), csv).expect("csv");
    let imported = json(&run(&["import", "clients.csv", "--json", "--now", later]));
    assert_eq!(imported["created"], 2_000);
    let export = run(&["export", "--now", later]);
    assert!(export.status.success(), "{export:?}");
    let text = String::from_utf8(export.stdout).expect("UTF-8");
    assert_eq!(text.lines().count(), 1 + 4 + 2_000);
    assert!(text.contains("jane@example.com,client,Activated"));
}
