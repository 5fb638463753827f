//! The store conformance suite and every service flow on [`DocumentStore`] over
//! [`MemoryDocuments`], and what only a document store can get wrong: one commit per batch,
//! several stores (processes) racing on one backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use invitekit::ErrorCode;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::OutboxMessage;
use invitekit::message::Message;
use invitekit::model::{Client, ClientId, Email, MessageId, OrgId, Organization, Role};
use invitekit::store::document::{Document, Write};
use invitekit::store::{Change, Claim, DocumentStore, Documents, MemoryDocuments, Store};

fn make() -> DocumentStore {
    DocumentStore::new(Arc::new(MemoryDocuments::new()))
}

mod conformance {
    invitekit::store_conformance_tests!(super::make());
}

mod flows {
    invitekit::service_flow_tests!(std::sync::Arc::new(super::make()));
}

#[test]
fn memory_documents_keep_the_contract() {
    invitekit::store::document::conformance(&MemoryDocuments::new());
}

/// A backend that counts commits and their writes.
#[derive(Default)]
struct Counting {
    inner: MemoryDocuments,
    commits: AtomicUsize,
    writes: AtomicUsize,
}

impl Documents for Counting {
    fn get(&self, kind: &str, key: &str) -> Result<Option<Document>, invitekit::Error> {
        self.inner.get(kind, key)
    }

    fn scan(&self, kind: &str, prefix: &str) -> Result<Vec<Document>, invitekit::Error> {
        self.inner.scan(kind, prefix)
    }

    fn commit(&self, writes: &[Write]) -> Result<(), invitekit::Error> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        self.writes.fetch_add(writes.len(), Ordering::SeqCst);
        self.inner.commit(writes)
    }
}

fn org(id: &str) -> Organization {
    Organization::new(OrgId::new(id), id, invitekit::store::conformance::t0())
}

fn client(org: &str, id: &str, address: &str) -> ClientRecord {
    ClientRecord {
        client: Client::new(
            ClientId::new(id),
            OrgId::new(org),
            Some(Email {
                address: address.to_owned(),
                key: address.to_lowercase(),
            }),
            Role::Client,
            invitekit::store::conformance::t0(),
        ),
        invitations: Vec::new(),
    }
}

fn message(id: &str) -> OutboxMessage {
    OutboxMessage::new(
        MessageId::new(id),
        OrgId::new("acme"),
        ClientId::new("c"),
        None,
        Message {
            to: "c@example.com".to_owned(),
            to_name: None,
            subject: "Hello".to_owned(),
            text: "text".to_owned(),
            html: "<p>html</p>".to_owned(),
        },
        invitekit::store::conformance::t0(),
    )
}

#[test]
fn a_batch_is_one_commit() {
    let backend = Arc::new(Counting::default());
    let store = DocumentStore::new(backend.clone());
    store
        .apply(&[Change::InsertOrganization(org("acme"))])
        .expect("org");
    let before = backend.commits.load(Ordering::SeqCst);
    let mut changes: Vec<Change> = (0..50)
        .map(|i| {
            Change::InsertClient(client(
                "acme",
                &format!("c{i}"),
                &format!("u{i}@example.com"),
            ))
        })
        .collect();
    changes.extend((0..50).map(|i| Change::Enqueue(message(&format!("m{i}")))));
    store.apply(&changes).expect("batch");
    assert_eq!(backend.commits.load(Ordering::SeqCst), before + 1);
    // A refused batch commits nothing at all.
    let before = backend.commits.load(Ordering::SeqCst);
    let error = store
        .apply(&[
            Change::InsertClient(client("acme", "new", "new@example.com")),
            Change::InsertClient(client("acme", "dup", "U1@example.com")),
        ])
        .expect_err("duplicate key");
    assert_eq!(error.code(), ErrorCode::ClientExists);
    assert_eq!(backend.commits.load(Ordering::SeqCst), before);
    assert!(
        store
            .client(&OrgId::new("acme"), &ClientId::new("new"))
            .expect("read")
            .is_none()
    );
}

#[test]
fn stores_racing_on_one_backend_create_one_client_per_key() {
    let backend: Arc<dyn Documents> = Arc::new(MemoryDocuments::new());
    DocumentStore::new(backend.clone())
        .apply(&[Change::InsertOrganization(org("acme"))])
        .expect("org");
    for round in 0..20 {
        let address = format!("race{round}@example.com");
        let created = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for i in 0..8 {
                // One store per thread: as many processes sharing one host database.
                let store = DocumentStore::new(backend.clone());
                let (address, created) = (&address, &created);
                scope.spawn(move || {
                    match store.apply(&[Change::InsertClient(client(
                        "acme",
                        &format!("r{round}-{i}"),
                        address,
                    ))]) {
                        Ok(()) => {
                            created.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => assert_eq!(e.code(), ErrorCode::ClientExists, "{e}"),
                    }
                });
            }
        });
        assert_eq!(created.into_inner(), 1, "round {round}");
        let store = DocumentStore::new(backend.clone());
        let found = store
            .clients_by_key(&OrgId::new("acme"), std::slice::from_ref(&address))
            .expect("by key");
        assert_eq!(found.len(), 1);
    }
}

#[test]
fn racing_batches_keep_the_event_log_whole() {
    let backend: Arc<dyn Documents> = Arc::new(MemoryDocuments::new());
    let acme = OrgId::new("acme");
    DocumentStore::new(backend.clone())
        .apply(&[Change::InsertOrganization(org("acme"))])
        .expect("org");
    std::thread::scope(|scope| {
        for i in 0..8 {
            let store = DocumentStore::new(backend.clone());
            scope.spawn(move || {
                for j in 0..10 {
                    let event = invitekit::model::Event {
                        org: OrgId::new("acme"),
                        actor: invitekit::model::Actor::Member(ClientId::new(format!("w{i}"))),
                        action: invitekit::model::Action::ClientArchived,
                        subject: invitekit::model::Subject::Client(ClientId::new(format!("c{j}"))),
                        at: invitekit::store::conformance::t0(),
                    };
                    store
                        .apply(&[
                            Change::RecordEvent(event.clone()),
                            Change::RecordEvent(event),
                            Change::Enqueue(message(&format!("m{i}-{j}"))),
                        ])
                        .expect("events from one writer among eight");
                }
            });
        }
    });
    let store = DocumentStore::new(backend);
    let events = store.events(&acme, 0, usize::MAX).expect("events");
    assert_eq!(events.len(), 160);
    // Each writer's events are in its own order, in pairs.
    for i in 0..8 {
        let mine: Vec<String> = events
            .iter()
            .filter(|e| e.actor == invitekit::model::Actor::Member(ClientId::new(format!("w{i}"))))
            .map(|e| format!("{:?}", e.subject))
            .collect();
        let expected: Vec<String> = (0..10)
            .flat_map(|j| {
                let subject = format!(
                    "{:?}",
                    invitekit::model::Subject::Client(ClientId::new(format!("c{j}")))
                );
                [subject.clone(), subject]
            })
            .collect();
        assert_eq!(mine, expected, "writer {i}");
    }
    assert_eq!(store.events(&acme, 150, 100).expect("page").len(), 10);
    assert_eq!(
        store.events(&acme, 3, 5).expect("page"),
        events[3..8].to_vec()
    );
    assert_eq!(
        store
            .messages(&acme, None, usize::MAX)
            .expect("outbox")
            .len(),
        80
    );
}

#[test]
fn concurrent_claims_never_share_a_message() {
    let backend: Arc<dyn Documents> = Arc::new(MemoryDocuments::new());
    let store = DocumentStore::new(backend.clone());
    store
        .apply(&[Change::InsertOrganization(org("acme"))])
        .expect("org");
    let changes: Vec<Change> = (0..200)
        .map(|i| Change::Enqueue(message(&format!("m{i:03}"))))
        .collect();
    store.apply(&changes).expect("enqueue");
    let now = invitekit::store::conformance::t0();
    let claimed: Vec<Vec<OutboxMessage>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let store = DocumentStore::new(backend.clone());
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let got = store
                            .claim_messages(&Claim::new(now, Duration::minutes(5), 7))
                            .expect("claim");
                        if got.is_empty() {
                            break;
                        }
                        mine.extend(got);
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect()
    });
    let mut ids: Vec<String> = claimed
        .iter()
        .flatten()
        .map(|m| m.id.as_str().to_owned())
        .collect();
    assert!(claimed.iter().flatten().all(|m| m.attempts == 1));
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), total, "a message was claimed twice");
    assert_eq!(total, 200, "a message was never claimed");
}
