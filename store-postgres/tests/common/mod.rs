//! Shared by the integration tests: the server's URL (from `INVITEKIT_PG_URL`), a store in a
//! schema of its own (dropped with it) so that tests run in parallel on one database, and
//! child processes of the test binary for the cross-process races.
//!
//! Without `INVITEKIT_PG_URL` a test prints `SKIPPED: ...` and passes, unless `CI` is set:
//! then it fails, so that CI never passes without having run against a server.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone as _, Utc};
use invitekit::Error;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::model::{
    ClientId, Event, Group, MessageId, OrgId, Organization, Program, SignupLink,
};
use invitekit::store::{Change, Claim, ClientPage, ClientQuery, Store};
use invitekit::token::TokenHash;
use invitekit_postgres::{PgOptions, PgStore};

/// The environment variable holding the server's URL.
pub const URL_VAR: &str = "INVITEKIT_PG_URL";

/// The fixtures' instant: 2026-11-21 09:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

/// The server's URL; `None` (after saying so on stderr) when it is not set and this is not CI.
///
/// # Panics
///
/// When it is not set and `CI` is.
pub fn url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{URL_VAR} is not set, and CI is: start a server with \
                     `eval \"$(scripts/postgres.sh start)\"`"
                );
            }
            // Straight to stderr, past the test harness's capture, so that it is seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {URL_VAR} is not set (start a server with \
                 `eval \"$(scripts/postgres.sh start)\"`)"
            );
            None
        }
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A schema name no other test (in this process or another) uses.
pub fn unique_schema(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "ikt_{label}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A schema of its own, dropped (with everything in it) when this is dropped.
pub struct Schema {
    pub url: String,
    pub name: String,
}

impl Schema {
    /// A new schema name (the store creates the schema on connect).
    pub fn new(url: &str, label: &str) -> Schema {
        Schema {
            url: url.to_owned(),
            name: unique_schema(label),
        }
    }

    /// A store on this schema, with `max_connections` connections at most.
    pub fn store(&self, max_connections: usize) -> PgStore {
        PgStore::connect_with(
            &self.url,
            &PgOptions {
                max_connections,
                ..PgOptions::in_schema(&self.name)
            },
        )
        .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name))
    }

    /// A plain connection with this schema first in its `search_path`.
    pub fn raw(&self) -> postgres::Client {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("raw connect: {e}"));
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.name))
            .unwrap_or_else(|e| panic!("search_path: {e}"));
        client
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Best effort: a schema left behind only takes room.
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

/// A [`PgStore`] in a schema of its own, dropped with it.
pub struct TestStore {
    // Dropped first: its connections are closed before the schema is dropped.
    pub store: PgStore,
    pub schema: Schema,
}

impl TestStore {
    /// A store in a new schema; `None` when the tests are skipped.
    pub fn new() -> Option<TestStore> {
        let url = url()?;
        let schema = Schema::new(&url, "t");
        let store = schema.store(10);
        Some(TestStore { store, schema })
    }
}

impl Store for TestStore {
    fn organization(&self, id: &OrgId) -> Result<Option<Organization>, Error> {
        self.store.organization(id)
    }
    fn client(&self, org: &OrgId, id: &ClientId) -> Result<Option<ClientRecord>, Error> {
        self.store.client(org, id)
    }
    fn clients(&self, org: &OrgId, ids: &[ClientId]) -> Result<Vec<ClientRecord>, Error> {
        self.store.clients(org, ids)
    }
    fn clients_by_key(&self, org: &OrgId, keys: &[String]) -> Result<Vec<ClientRecord>, Error> {
        self.store.clients_by_key(org, keys)
    }
    fn client_by_invitation(&self, token: &TokenHash) -> Result<Option<ClientRecord>, Error> {
        self.store.client_by_invitation(token)
    }
    fn list_clients(&self, org: &OrgId, query: &ClientQuery) -> Result<ClientPage, Error> {
        self.store.list_clients(org, query)
    }
    fn groups(&self, org: &OrgId) -> Result<Vec<Group>, Error> {
        self.store.groups(org)
    }
    fn programs(&self, org: &OrgId) -> Result<Vec<Program>, Error> {
        self.store.programs(org)
    }
    fn signup_links(&self, org: &OrgId) -> Result<Vec<SignupLink>, Error> {
        self.store.signup_links(org)
    }
    fn signup_link_by_token(&self, token: &TokenHash) -> Result<Option<SignupLink>, Error> {
        self.store.signup_link_by_token(token)
    }
    fn events(&self, org: &OrgId, skip: u64, limit: usize) -> Result<Vec<Event>, Error> {
        self.store.events(org, skip, limit)
    }
    fn apply(&self, changes: &[Change]) -> Result<(), Error> {
        self.store.apply(changes)
    }
    fn claim_messages(&self, claim: &Claim) -> Result<Vec<OutboxMessage>, Error> {
        self.store.claim_messages(claim)
    }
    fn mark_sent(&self, ids: &[MessageId], at: DateTime<Utc>) -> Result<(), Error> {
        self.store.mark_sent(ids, at)
    }
    fn mark_failed(&self, id: &MessageId, reason: &str) -> Result<(), Error> {
        self.store.mark_failed(id, reason)
    }
    fn messages(
        &self,
        org: &OrgId,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, Error> {
        self.store.messages(org, state, limit)
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes: the test binary run again, on one ignored test, with its work in an
// environment variable.

/// A child process running test `name` of this binary with `var` set to `value`.
pub fn spawn_child(name: &str, var: &str, value: &str) -> Child {
    let exe = std::env::current_exe().expect("current_exe");
    Command::new(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(var, value)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {name}: {e}"))
}

/// Reads `out` until a line containing `marker`; panics if the child ends first.
pub fn wait_for_line(out: &mut BufReader<ChildStdout>, marker: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        let read = out.read_line(&mut line).expect("read the child");
        assert!(read > 0, "the child ended before saying {marker:?}");
        if line.contains(marker) {
            return;
        }
    }
}

/// The lines of `out` from here to its end that start with `prefix`, without it.
pub fn lines_with(out: &mut BufReader<ChildStdout>, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).expect("read the child") == 0 {
            return found;
        }
        if let Some(rest) = line.trim_end().strip_prefix(prefix) {
            found.push(rest.to_owned());
        }
    }
}

/// Waits (up to 30 s) until the file `go` exists: the signal for children to start at once.
pub fn wait_for_go(go: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !go.exists() {
        assert!(std::time::Instant::now() < deadline, "no go signal");
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// The spec a parent hands a child: `key=value` lines.
pub fn spec(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of `key` in a spec made by [`spec`].
pub fn spec_get(spec: &str, key: &str) -> String {
    spec.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} missing from the child's spec"))
        .to_owned()
}
