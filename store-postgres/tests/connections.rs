//! Eight stores (their own connections) in one process race to update one client from one
//! version: one wins, every other try is a conflict, none fails otherwise. Readers on their
//! own stores see whole batches while a writer commits. A store keeps working after the
//! server closed its idle connections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use invitekit::ErrorCode;
use invitekit::lifecycle::ClientRecord;
use invitekit::model::{Client, ClientId, Email, OrgId, Organization, Role};
use invitekit::store::{Change, ClientQuery, Store};

use common::{Schema, t0};

const THREADS: usize = 8;
const TRIES: usize = 50;

fn jane(org: &OrgId) -> ClientRecord {
    ClientRecord {
        client: Client::new(
            ClientId::new("c1"),
            org.clone(),
            Some(Email {
                address: "jane@example.com".to_owned(),
                key: "jane@example.com".to_owned(),
            }),
            Role::Client,
            t0(),
        ),
        invitations: Vec::new(),
    }
}

#[test]
fn racing_stores_have_one_winner() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "race");
    let org = Organization::new(OrgId::new("acme"), "Acme", t0());
    let record = jane(&org.id);
    schema
        .store(1)
        .apply(&[
            Change::InsertOrganization(org.clone()),
            Change::InsertClient(record.clone()),
        ])
        .unwrap();
    let wins = AtomicUsize::new(0);
    let conflicts = AtomicUsize::new(0);
    let start = std::sync::Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (schema, record, wins, conflicts, start) =
                (&schema, &record, &wins, &conflicts, &start);
            scope.spawn(move || {
                let store = schema.store(1);
                start.wait();
                for attempt in 0..TRIES {
                    let mut mine = record.clone();
                    mine.client.name = Some(format!("writer {thread} try {attempt}"));
                    mine.client.version = 1;
                    match store.apply(&[Change::UpdateClient {
                        record: mine,
                        expected_version: 0,
                    }]) {
                        Ok(()) => {
                            wins.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) if e.code() == ErrorCode::Conflict => {
                            conflicts.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => panic!("thread {thread} try {attempt}: {e}"),
                    }
                }
            });
        }
    });
    assert_eq!(wins.into_inner(), 1, "updates from one version");
    assert_eq!(conflicts.into_inner(), THREADS * TRIES - 1);
    let stored = schema
        .store(1)
        .client(&org.id, &record.client.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.client.version, 1);
    assert!(stored.client.name.unwrap().starts_with("writer "));
}

#[test]
fn readers_see_whole_batches_while_others_write() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "readers");
    let org = Organization::new(OrgId::new("acme"), "Acme", t0());
    schema
        .store(1)
        .apply(&[Change::InsertOrganization(org.clone())])
        .unwrap();
    const BATCHES: usize = 40;
    const BATCH: usize = 25;
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let store = schema.store(1);
            for batch in 0..BATCHES {
                let changes: Vec<Change> = (0..BATCH)
                    .map(|i| {
                        Change::InsertClient(ClientRecord {
                            client: Client::new(
                                ClientId::new(format!("c{batch}-{i}")),
                                org.id.clone(),
                                None,
                                Role::Client,
                                t0(),
                            ),
                            invitations: Vec::new(),
                        })
                    })
                    .collect();
                store.apply(&changes).unwrap();
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                let store = schema.store(1);
                let query = ClientQuery::all(t0());
                loop {
                    let page = store.list_clients(&org.id, &query).unwrap();
                    let total = usize::try_from(page.total).unwrap();
                    assert_eq!(total % BATCH, 0, "a reader saw part of a batch");
                    assert_eq!(page.records.len(), total, "the page and the count disagree");
                    if total == BATCHES * BATCH {
                        break;
                    }
                }
            });
        }
        writer.join().unwrap();
    });
}

#[test]
fn a_store_outlives_its_connections_being_closed_by_the_server() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "reconnect");
    // Its own application name, so that only its connections are closed.
    let name = common::unique_schema("app");
    let separator = if url.contains('?') { '&' } else { '?' };
    let store = invitekit_postgres::PgStore::connect_with(
        &format!("{url}{separator}application_name={name}"),
        &invitekit_postgres::PgOptions {
            max_connections: 3,
            ..invitekit_postgres::PgOptions::in_schema(&schema.name)
        },
    )
    .unwrap();
    let org = Organization::new(OrgId::new("acme"), "Acme", t0());
    store
        .apply(&[Change::InsertOrganization(org.clone())])
        .unwrap();
    // Three connections open in the pool.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..20 {
                    store.organization(&org.id).unwrap();
                }
            });
        }
    });
    // The server ends every connection of this store (an administrator, a restart).
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1",
            &[&name],
        )
        .unwrap()
        .len();
    assert!(killed >= 1, "no connection was closed");
    std::thread::sleep(std::time::Duration::from_millis(100));
    for _ in 0..5 {
        assert_eq!(store.organization(&org.id).unwrap(), Some(org.clone()));
        store
            .apply(&[Change::InsertClient(jane(&org.id))])
            .map_or_else(|e| assert_eq!(e.code(), ErrorCode::ClientExists), drop);
    }
}
