//! Races between PROCESSES, each with its own `PgStore` (its own connections) on one schema:
//! the test binary runs itself again as child processes (an ignored test each, its work in an
//! environment variable), which wait for a go signal (a file appearing) so that they start at
//! once.
//!
//! - 8 processes accept one invitation link: exactly one activation, one InvitationAccepted
//!   event;
//! - 8 processes create overlapping batches of addresses: no duplicate client, every address
//!   created exactly once;
//! - 2 processes drain one outbox of 500 messages with `deliver_pending`, each with a mailer
//!   that appends to a file of its own: every message delivered exactly once overall.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::{BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use invitekit::address::ParseOptions;
use invitekit::clock::FixedClock;
use invitekit::lifecycle::StatusKind;
use invitekit::mailer::{DeliveryState, Mailer, MemoryMailer, OutboxMessage};
use invitekit::model::{Action, Identity, OrgId};
use invitekit::service::{
    ClientFilter, EntryOutcome, Invitations, NewClients, NewOrganization, ServiceOptions,
};
use invitekit::{Error, ErrorCode};
use invitekit_postgres::{PgOptions, PgStore};

use common::{Schema, spawn_child, spec, spec_get, t0, wait_for_go, wait_for_line};

const PROCESSES: usize = 8;

/// A folder for the go signal and the mailers' files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let dir = std::env::temp_dir().join(common::unique_schema(label));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A service on a store of its own in the child's schema, at `t0 + 1 hour`.
fn child_service(spec: &str, mailer: Arc<dyn Mailer>, options: ServiceOptions) -> Invitations {
    let store = PgStore::connect_with(
        &spec_get(spec, "url"),
        &PgOptions {
            max_connections: 2,
            ..PgOptions::in_schema(spec_get(spec, "schema"))
        },
    )
    .unwrap_or_else(|e| panic!("child connect: {e}"));
    let clock = Arc::new(FixedClock::new(t0() + Duration::hours(1)));
    Invitations::new(Arc::new(store), mailer, clock).with_options(options)
}

/// Starts `PROCESSES` children of `test`, waits until each is ready, then lets them go at once;
/// returns each child's lines that start with `RESULT `.
fn race(test: &str, var: &str, specs: &[String], go: &Path) -> Vec<Vec<String>> {
    let mut children: Vec<_> = specs
        .iter()
        .map(|spec| {
            let mut child = spawn_child(test, var, spec);
            let out = BufReader::new(child.stdout.take().unwrap());
            (child, out)
        })
        .collect();
    for (_, out) in &mut children {
        wait_for_line(out, "READY");
    }
    std::fs::write(go, b"go").unwrap();
    children
        .into_iter()
        .enumerate()
        .map(|(i, (mut child, mut out))| {
            let results = common::lines_with(&mut out, "RESULT ");
            let status = child.wait().unwrap();
            assert!(status.success(), "child {i} failed: {status}");
            results
        })
        .collect()
}

fn ready_then_wait(spec: &str) {
    println!("READY");
    wait_for_go(Path::new(&spec_get(spec, "go")));
}

// ----- (a) one link, eight processes -----

const ACCEPT_CHILD: &str = "INVITEKIT_PG_ACCEPT_CHILD";
const ACCEPTS: usize = 25;

#[test]
#[ignore = "the child process of eight_processes_accepting_one_link_make_one_activation"]
fn accept_child() {
    let Ok(spec) = std::env::var(ACCEPT_CHILD) else {
        return;
    };
    let service = child_service(
        &spec,
        Arc::new(MemoryMailer::new()),
        ServiceOptions::default(),
    );
    let token = spec_get(&spec, "token");
    let jane = Identity::from_email("jane@example.com", &ParseOptions::default()).unwrap();
    let mallory = Identity::from_email("mallory@example.com", &ParseOptions::default()).unwrap();
    let wrong_account = spec_get(&spec, "index") == "7";
    ready_then_wait(&spec);
    let (mut activations, mut already) = (0, 0);
    for attempt in 0..ACCEPTS {
        if wrong_account && attempt % 5 == 0 {
            // Another account never wins the link, before or after.
            let error = service.accept(&token, &mallory).unwrap_err();
            assert!(
                matches!(
                    error.code(),
                    ErrorCode::EmailMismatch | ErrorCode::AlreadyActivated
                ),
                "{error}"
            );
        }
        let accepted = service
            .accept(&token, &jane)
            .unwrap_or_else(|e| panic!("accept: {e}"));
        if accepted.activated_now {
            activations += 1;
        } else {
            already += 1;
        }
    }
    println!("RESULT {activations} {already}");
}

#[test]
fn eight_processes_accepting_one_link_make_one_activation() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "accept");
    let mailer = Arc::new(MemoryMailer::new());
    let setup = Invitations::new(
        Arc::new(schema.store(2)),
        mailer.clone(),
        Arc::new(FixedClock::new(t0())),
    );
    let mut new = NewOrganization::new("acme", "Acme", "admin@acme.example");
    new.accept_url = Some("https://app.example.com/i/{token}".to_owned());
    let (org, admin) = setup.create_organization(&new).expect("organization");
    setup
        .create_clients(
            &org.id,
            &admin,
            "jane@example.com",
            &NewClients {
                send: true,
                ..NewClients::default()
            },
        )
        .expect("invite");
    let text = mailer.messages()[0].message.text.clone();
    let start = text.find("/i/").expect("link") + 3;
    let token = text[start..start + 43].to_owned();

    let scratch = Scratch::new("accept");
    let go = scratch.0.join("go");
    let specs: Vec<String> = (0..PROCESSES)
        .map(|i| {
            spec(&[
                ("url", &url),
                ("schema", &schema.name),
                ("token", &token),
                ("go", &go.display().to_string()),
                ("index", &i.to_string()),
            ])
        })
        .collect();
    let results = race("accept_child", ACCEPT_CHILD, &specs, &go);
    let (mut activations, mut already) = (0, 0);
    for (i, lines) in results.iter().enumerate() {
        assert_eq!(lines.len(), 1, "child {i} reported {lines:?}");
        let numbers: Vec<usize> = lines[0].split(' ').map(|n| n.parse().unwrap()).collect();
        activations += numbers[0];
        already += numbers[1];
    }
    assert_eq!(activations, 1, "exactly one activation among the processes");
    assert_eq!(already, PROCESSES * ACCEPTS - 1);
    let activated = setup
        .list_clients(
            &org.id,
            &admin,
            &ClientFilter {
                status: Some(StatusKind::Activated),
                ..ClientFilter::default()
            },
        )
        .expect("list");
    assert_eq!(activated.total, 2, "the admin and jane");
    let events = setup.events(&org.id, &admin, 0, 100_000).expect("events");
    let accepted = events
        .iter()
        .filter(|e| matches!(e.action, Action::InvitationAccepted { .. }))
        .count();
    assert_eq!(accepted, 1, "one InvitationAccepted event");
}

// ----- (b) overlapping batches, eight processes -----

const BATCH_CHILD: &str = "INVITEKIT_PG_BATCH_CHILD";
/// Addresses in all; each process pastes `PER_PROCESS` of them, so each address is in
/// `PROCESSES * PER_PROCESS / ADDRESSES` = 4 processes' batches.
const ADDRESSES: usize = 400;
const PER_PROCESS: usize = 200;

fn address(n: usize) -> String {
    format!("user{n:03}@example.com")
}

#[test]
#[ignore = "the child process of eight_processes_creating_overlapping_batches_create_each_address_once"]
fn batch_child() {
    let Ok(spec) = std::env::var(BATCH_CHILD) else {
        return;
    };
    let service = child_service(
        &spec,
        Arc::new(MemoryMailer::new()),
        ServiceOptions::default(),
    );
    let index: usize = spec_get(&spec, "index").parse().unwrap();
    let org = OrgId::new(spec_get(&spec, "org"));
    let admin = service.first_admin(&org).expect("admin");
    // A window of the addresses, in a different order per process (reversed for odd ones,
    // rotated by the index), so that batches meet their common addresses in every order.
    let mut mine: Vec<usize> = (0..PER_PROCESS)
        .map(|k| (index * ADDRESSES / PROCESSES + k) % ADDRESSES)
        .collect();
    if index % 2 == 1 {
        mine.reverse();
    }
    mine.rotate_left(index * 7 % PER_PROCESS);
    let paste = mine
        .iter()
        .map(|&n| address(n))
        .collect::<Vec<_>>()
        .join("\n");
    ready_then_wait(&spec);
    let report = service
        .create_clients(
            &org,
            &admin,
            &paste,
            &NewClients {
                send: true,
                ..NewClients::default()
            },
        )
        .unwrap_or_else(|e| panic!("batch of process {index}: {e}"));
    for entry in &report.entries {
        match &entry.outcome {
            EntryOutcome::Created { client, .. } => {
                let client = client.as_ref().expect("a created client has an id");
                println!("RESULT created {} {client}", entry.address);
            }
            EntryOutcome::Existing { client, .. } => {
                println!("RESULT existing {} {client}", entry.address);
            }
            EntryOutcome::Duplicate { .. } => println!("RESULT duplicate {}", entry.address),
        }
    }
}

#[test]
fn eight_processes_creating_overlapping_batches_create_each_address_once() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "batch");
    let setup = Invitations::new(
        Arc::new(schema.store(2)),
        Arc::new(MemoryMailer::new()),
        Arc::new(FixedClock::new(t0())),
    );
    let (org, admin) = setup
        .create_organization(&NewOrganization::new("acme", "Acme", "admin@acme.example"))
        .expect("organization");
    let scratch = Scratch::new("batch");
    let go = scratch.0.join("go");
    let specs: Vec<String> = (0..PROCESSES)
        .map(|i| {
            spec(&[
                ("url", &url),
                ("schema", &schema.name),
                ("org", org.id.as_str()),
                ("go", &go.display().to_string()),
                ("index", &i.to_string()),
            ])
        })
        .collect();
    let results = race("batch_child", BATCH_CHILD, &specs, &go);

    // Who created each address, and which client each process was told it is.
    let mut creators: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut told: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (process, lines) in results.iter().enumerate() {
        assert_eq!(
            lines.len(),
            PER_PROCESS,
            "process {process} reported {} entries",
            lines.len()
        );
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_ne!(parts[0], "duplicate", "process {process}: {line}");
            if parts[0] == "created" {
                creators
                    .entry(parts[1].to_owned())
                    .or_default()
                    .push(process);
            }
            told.entry(parts[1].to_owned())
                .or_default()
                .insert(parts[2].to_owned());
        }
    }
    let all: BTreeSet<String> = (0..ADDRESSES).map(address).collect();
    assert_eq!(
        creators.keys().cloned().collect::<BTreeSet<_>>(),
        all,
        "every address was created"
    );
    for (address, processes) in &creators {
        assert_eq!(processes.len(), 1, "{address} was created by {processes:?}");
    }
    for (address, clients) in &told {
        assert_eq!(
            clients.len(),
            1,
            "{address} is reported as several clients: {clients:?}"
        );
    }
    // The database agrees: one client per address, the admin besides.
    let keys: Vec<String> = all.iter().cloned().collect();
    let stored = setup.store().clients_by_key(&org.id, &keys).expect("read");
    assert_eq!(stored.len(), ADDRESSES);
    let list = setup
        .list_clients(&org.id, &admin, &ClientFilter::default())
        .expect("list");
    assert_eq!(list.total, ADDRESSES as u64 + 1);
    for record in &stored {
        let key = &record.client.email.as_ref().expect("address").key;
        let reported = told.get(key).expect("reported");
        assert!(
            reported.contains(record.client.id.as_str()),
            "{key}: stored as {}, reported as {reported:?}",
            record.client.id
        );
    }
    let events = setup.events(&org.id, &admin, 0, 100_000).expect("events");
    let created = events
        .iter()
        .filter(|e| matches!(e.action, Action::ClientCreated { .. }))
        .count();
    assert_eq!(created, ADDRESSES + 1, "one ClientCreated event per client");
}

// ----- (c) one outbox, two workers -----

const OUTBOX_CHILD: &str = "INVITEKIT_PG_OUTBOX_CHILD";
const MESSAGES: usize = 500;
const WORKERS: usize = 2;

/// A mailer that appends each message's id to a file, and takes a little time per message.
struct FileMailer {
    file: Mutex<std::fs::File>,
}

impl Mailer for FileMailer {
    fn deliver(&self, message: &OutboxMessage) -> Result<(), Error> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(file, "{}", message.id).expect("append");
        file.flush().expect("flush");
        drop(file);
        std::thread::sleep(std::time::Duration::from_micros(500));
        Ok(())
    }
}

#[test]
#[ignore = "the child process of two_processes_draining_one_outbox_deliver_each_message_once"]
fn outbox_child() {
    let Ok(spec) = std::env::var(OUTBOX_CHILD) else {
        return;
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(spec_get(&spec, "file"))
        .expect("the mailer's file");
    let mailer = Arc::new(FileMailer {
        file: Mutex::new(file),
    });
    let service = child_service(&spec, mailer, ServiceOptions::default());
    ready_then_wait(&spec);
    let (mut rounds, mut sent) = (0, 0);
    loop {
        let report = service.deliver_pending(10).expect("deliver");
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        if report.sent.is_empty() {
            break;
        }
        rounds += 1;
        sent += report.sent.len();
    }
    println!("RESULT {rounds} {sent}");
}

#[test]
fn two_processes_draining_one_outbox_deliver_each_message_once() {
    let Some(url) = common::url() else {
        return;
    };
    let schema = Schema::new(&url, "outbox");
    let setup = Invitations::new(
        Arc::new(schema.store(2)),
        Arc::new(MemoryMailer::new()),
        Arc::new(FixedClock::new(t0())),
    )
    .with_options(ServiceOptions {
        deliver_inline: false,
        ..ServiceOptions::default()
    });
    let (org, admin) = setup
        .create_organization(&NewOrganization::new("acme", "Acme", "admin@acme.example"))
        .expect("organization");
    // Batches are capped at 200 addresses.
    let mut invited = 0;
    for start in (0..MESSAGES).step_by(200) {
        let paste = (start..(start + 200).min(MESSAGES))
            .map(|n| format!("client{n}@example.com"))
            .collect::<Vec<_>>()
            .join("\n");
        let report = setup
            .create_clients(
                &org.id,
                &admin,
                &paste,
                &NewClients {
                    send: true,
                    ..NewClients::default()
                },
            )
            .unwrap_or_else(|e| panic!("queue: {}", e.code()));
        invited += report.invited;
    }
    assert_eq!(invited, MESSAGES);
    let pending = setup
        .outbox(&org.id, &admin, Some(DeliveryState::Pending), 10_000)
        .expect("outbox");
    assert_eq!(pending.len(), MESSAGES);

    let scratch = Scratch::new("outbox");
    let go = scratch.0.join("go");
    let files: Vec<PathBuf> = (0..WORKERS)
        .map(|i| scratch.0.join(format!("mailer-{i}.txt")))
        .collect();
    let specs: Vec<String> = files
        .iter()
        .map(|file| {
            spec(&[
                ("url", &url),
                ("schema", &schema.name),
                ("go", &go.display().to_string()),
                ("file", &file.display().to_string()),
            ])
        })
        .collect();
    let results = race("outbox_child", OUTBOX_CHILD, &specs, &go);

    let mut deliveries: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_worker = Vec::new();
    for (file, lines) in files.iter().zip(&results) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let ids: Vec<&str> = text.lines().collect();
        per_worker.push(ids.len());
        for id in ids {
            *deliveries.entry(id.to_owned()).or_default() += 1;
        }
        assert_eq!(lines.len(), 1, "{lines:?}");
    }
    let expected: BTreeSet<String> = pending.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(
        deliveries.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every message was delivered"
    );
    let twice: Vec<_> = deliveries.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(per_worker.iter().sum::<usize>(), MESSAGES);
    assert!(
        per_worker.iter().all(|&n| n > 0),
        "both workers delivered some ({per_worker:?}): the race did not happen"
    );
    let stored = setup.outbox(&org.id, &admin, None, 10_000).expect("outbox");
    assert_eq!(stored.len(), MESSAGES);
    assert!(
        stored
            .iter()
            .all(|m| m.state == DeliveryState::Sent && m.attempts == 1),
        "every message sent, each claimed once"
    );
    eprintln!("deliveries per worker: {per_worker:?}");
}
