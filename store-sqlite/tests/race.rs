//! Eight threads, each with its own connection (its own `SqliteStore`) on one file, race to
//! update one client from the same version: one wins, every other try is a conflict, and no
//! try fails because the database was busy.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::lifecycle::ClientRecord;
use invitekit::model::{Client, ClientId, Email, OrgId, Organization, Role};
use invitekit::store::{Change, Store};
use invitekit_sqlite::SqliteStore;

const THREADS: usize = 8;
const TRIES: usize = 125;

#[test]
fn racing_connections_have_one_winner_and_never_fail_busy() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("race.db");
    let at = Utc
        .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("instant"));
    let org = Organization::new(OrgId::new("acme"), "Acme", at);
    let record = ClientRecord {
        client: Client::new(
            ClientId::new("c1"),
            org.id.clone(),
            Some(Email {
                address: "jane@example.com".to_owned(),
                key: "jane@example.com".to_owned(),
            }),
            Role::Client,
            at,
        ),
        invitations: Vec::new(),
    };
    SqliteStore::open(&path)
        .and_then(|store| {
            store.apply(&[
                Change::InsertOrganization(org.clone()),
                Change::InsertClient(record.clone()),
            ])
        })
        .unwrap_or_else(|e| panic!("setup: {e}"));

    let wins = AtomicUsize::new(0);
    let conflicts = AtomicUsize::new(0);
    let start = std::sync::Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (path, record, wins, conflicts, start) =
                (&path, &record, &wins, &conflicts, &start);
            scope.spawn(move || {
                let store = SqliteStore::open(path).unwrap_or_else(|e| panic!("open: {e}"));
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
    let stored = SqliteStore::open(&path)
        .and_then(|store| store.client(&org.id, &record.client.id))
        .unwrap_or_else(|e| panic!("read: {e}"))
        .unwrap_or_else(|| panic!("the client vanished"));
    assert_eq!(stored.client.version, 1);
    assert!(
        stored
            .client
            .name
            .is_some_and(|name| name.starts_with("writer ")),
        "the winner's write was kept"
    );
}

/// Readers on their own connections see whole records while writers commit.
#[test]
fn readers_see_whole_batches_while_others_write() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("readers.db");
    let at = Utc
        .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("instant"));
    let org = Organization::new(OrgId::new("acme"), "Acme", at);
    SqliteStore::open(&path)
        .and_then(|store| store.apply(&[Change::InsertOrganization(org.clone())]))
        .unwrap_or_else(|e| panic!("setup: {e}"));
    const BATCHES: usize = 40;
    const BATCH: usize = 25;
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
            for batch in 0..BATCHES {
                let changes: Vec<Change> = (0..BATCH)
                    .map(|i| {
                        Change::InsertClient(ClientRecord {
                            client: Client::new(
                                ClientId::new(format!("c{batch}-{i}")),
                                org.id.clone(),
                                None,
                                Role::Client,
                                at,
                            ),
                            invitations: Vec::new(),
                        })
                    })
                    .collect();
                store
                    .apply(&changes)
                    .unwrap_or_else(|e| panic!("batch {batch}: {e}"));
            }
        });
        for _ in 0..3 {
            scope.spawn(|| {
                let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
                let query = invitekit::store::ClientQuery::all(at);
                loop {
                    let page = store
                        .list_clients(&org.id, &query)
                        .unwrap_or_else(|e| panic!("list: {e}"));
                    let total = usize::try_from(page.total).unwrap_or(usize::MAX);
                    assert_eq!(total % BATCH, 0, "a reader saw part of a batch");
                    assert_eq!(page.records.len(), total, "the page and the count disagree");
                    if total == BATCHES * BATCH {
                        break;
                    }
                }
            });
        }
        writer
            .join()
            .unwrap_or_else(|_| panic!("the writer panicked"));
    });
}
