//! A process killed (SIGKILL) in the middle of a large batch leaves all of it or none: the test
//! runs this test binary again as a child that applies 20,000 clients (with invitations and
//! events) in one batch, kills it while the batch is in flight, waits until the server has
//! ended the child's session, and counts what is stored.
//!
//! Just before each kill the test reads, from `pg_stat_activity`, whether the child's
//! transaction has written rows already (it has a transaction id then): a kill after that
//! which leaves 0 clients shows the server rolled back a transaction that had written rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufReader, Read as _};
use std::time::{Duration, Instant};

use invitekit::lifecycle::{ClientRecord, NewInvitation};
use invitekit::model::{
    Action, Actor, Client, ClientId, Email, Event, OrgId, Organization, Role, Subject,
};
use invitekit::store::{Change, ClientQuery, Store};
use invitekit::token::Token;
use invitekit_postgres::{PgOptions, PgStore};

use common::{Schema, spawn_child, spec, spec_get, t0, wait_for_line};

const CHILD: &str = "INVITEKIT_PG_CRASH_CHILD";
const APPLYING: &str = "invitekit-crash-child: applying";
const APPLIED: &str = "invitekit-crash-child: applied";
const CLIENTS: usize = 20_000;

/// The URL with an application name, by which the test finds the child's session.
fn named(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={name}")
}

#[test]
#[ignore = "the child process of a_batch_killed_mid_transaction_leaves_all_or_nothing"]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let store = PgStore::connect_with(
        &named(&spec_get(&spec, "url"), &spec_get(&spec, "name")),
        &PgOptions {
            max_connections: 1,
            ..PgOptions::in_schema(spec_get(&spec, "schema"))
        },
    )
    .unwrap_or_else(|e| panic!("child connect: {e}"));
    let org = Organization::new(OrgId::new(spec_get(&spec, "org")), "Crash", t0());
    let mut changes = Vec::with_capacity(CLIENTS * 2);
    for i in 0..CLIENTS {
        let address = format!("client{i}@example.com");
        let mut client = Client::new(
            ClientId::new(format!("{}-{i:05}", org.id)),
            org.id.clone(),
            Some(Email {
                key: address.clone(),
                address,
            }),
            Role::Client,
            t0(),
        );
        client.name = Some(format!("Client number {i} {}", "n".repeat(200)));
        let mut record = ClientRecord {
            client,
            invitations: Vec::new(),
        };
        let token = Token::mint().unwrap();
        record
            .send(
                &org,
                NewInvitation {
                    id: format!("i{i}").as_str().into(),
                    token_hash: token.hash(),
                },
                Actor::System,
                t0(),
            )
            .unwrap();
        changes.push(Change::RecordEvent(Event {
            org: org.id.clone(),
            actor: Actor::System,
            action: Action::ClientCreated { role: Role::Client },
            subject: Subject::Client(record.client.id.clone()),
            at: t0(),
        }));
        changes.push(Change::InsertClient(record));
    }
    println!("{APPLYING}");
    store
        .apply(&changes)
        .unwrap_or_else(|e| panic!("child apply: {e}"));
    println!("{APPLIED}");
}

/// Whether a session named `name` exists, and whether its transaction has written rows.
fn session(admin: &mut postgres::Client, name: &str) -> (bool, bool) {
    let rows = admin
        .query(
            "SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .unwrap();
    (
        !rows.is_empty(),
        rows.iter().any(|row| row.get::<_, bool>(0)),
    )
}

#[test]
fn a_batch_killed_mid_transaction_leaves_all_or_nothing() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "crash");
    let store = schema.store(2);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut delay = Duration::from_millis(300);
    // Kills that landed before `apply` returned; of those, kills after the transaction had
    // written rows (which the server must roll back).
    let (mut killed_in_flight, mut killed_after_writes, mut completed) = (0, 0, 0);
    for attempt in 0..30 {
        let org = OrgId::new(format!("crash{attempt}"));
        store
            .apply(&[Change::InsertOrganization(Organization::new(
                org.clone(),
                "Crash",
                t0(),
            ))])
            .unwrap();
        let name = common::unique_schema("crash_child");
        let child_spec = spec(&[
            ("url", &url),
            ("schema", &schema.name),
            ("org", org.as_str()),
            ("name", &name),
        ]);
        let mut child = spawn_child("crash_child", CHILD, &child_spec);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        wait_for_line(&mut stdout, APPLYING);
        std::thread::sleep(delay);
        let (_, wrote) = session(&mut admin, &name);
        // SIGKILL; fails only when the child already exited.
        child.kill().ok();
        child.wait().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let applied = rest.contains(APPLIED);
        // The server ends the session when it sees the socket closed: wait for that, so that
        // nothing of the child's is still in flight when counting.
        let deadline = Instant::now() + Duration::from_secs(30);
        while session(&mut admin, &name).0 {
            assert!(Instant::now() < deadline, "the child's session did not end");
            std::thread::sleep(Duration::from_millis(5));
        }
        let stored = store
            .list_clients(
                &org,
                &ClientQuery {
                    limit: Some(0),
                    ..ClientQuery::all(t0())
                },
            )
            .unwrap()
            .total;
        let events = store.events(&org, 0, CLIENTS * 2).unwrap().len() as u64;
        eprintln!(
            "attempt {attempt}: delay {delay:?} wrote {wrote} applied {applied} stored {stored} \
             events {events}"
        );
        assert!(
            stored == 0 || stored == CLIENTS as u64,
            "attempt {attempt}: {stored} of {CLIENTS} clients after a kill {delay:?} into the \
             batch"
        );
        assert_eq!(
            events, stored,
            "attempt {attempt}: events and clients disagree"
        );
        if applied {
            assert_eq!(stored, CLIENTS as u64, "a batch that returned Ok was lost");
        }
        if stored == CLIENTS as u64 {
            completed += 1;
            // Too late: kill sooner.
            delay /= 2;
        } else {
            killed_in_flight += 1;
            if wrote {
                killed_after_writes += 1;
            }
            // Land the next kill further into the batch.
            delay = delay * 3 / 2 + Duration::from_millis(1);
        }
        if killed_after_writes >= 2 {
            break;
        }
    }
    eprintln!(
        "kills in flight {killed_in_flight}, after writes {killed_after_writes}, completed \
         batches {completed}"
    );
    assert!(
        killed_after_writes >= 1,
        "no kill landed while the batch was in flight and writing ({killed_in_flight} kills in \
         flight, {completed} batches completed)"
    );
}
