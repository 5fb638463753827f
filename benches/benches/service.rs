//! The service on SQLite (and, for the ratio, on `MemoryStore`): a 200-client batch with
//! invitations (their mail delivered within the call, or only queued for a worker), accept, and the never-invited report and list filters on a large organization.
//!
//! `INVITEKIT_BENCH_CLIENTS` sets the large organization's size (default 1,000,000; the smoke
//! run in `scripts/test` uses fewer). Its database is built once and kept under
//! `target/bench-data/`, since building it takes a while; delete the file to rebuild it.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone as _, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use invitekit::access::Member;
use invitekit::address::ParseOptions;
use invitekit::clock::FixedClock;
use invitekit::lifecycle::{ClientRecord, NewInvitation, StatusKind};
use invitekit::mailer::MemoryMailer;
use invitekit::model::{Actor, Client, ClientId, Email, GroupId, Identity, OrgId, Role};
use invitekit::service::{ClientFilter, Invitations, NewClients, NewOrganization, ServiceOptions};
use invitekit::store::{Change, MemoryStore, Store};
use invitekit::token::Token;
use invitekit_sqlite::SqliteStore;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .expect("instant")
}

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data directory");
    dir
}

struct Bench {
    service: Invitations,
    mailer: Arc<MemoryMailer>,
    org: OrgId,
    admin: Member,
}

fn service_on(store: Arc<dyn Store>) -> Bench {
    let mailer = Arc::new(MemoryMailer::new());
    let clock = Arc::new(FixedClock::new(t0()));
    let service = Invitations::new(store, mailer.clone(), clock);
    let (org, admin) = service
        .create_organization(&NewOrganization::new("acme", "Acme", "admin@acme.example"))
        .expect("organization");
    Bench {
        service,
        mailer,
        org: org.id,
        admin,
    }
}

fn fresh_sqlite(name: &str) -> Arc<dyn Store> {
    let path = data_dir().join(format!("{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Arc::new(SqliteStore::open(&path).expect("sqlite store"))
}

/// A paste of 200 new addresses; `round` keeps them new from one iteration to the next.
fn paste(round: u64) -> String {
    (0..200)
        .map(|i| format!("Client {i} <client{round}x{i}@example.com>"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn batch_200(c: &mut Criterion) {
    let mut group = c.benchmark_group("service");
    group.sample_size(20);
    let send = NewClients {
        send: true,
        ..NewClients::default()
    };
    for (name, store, inline) in [
        ("batch_200_sqlite", fresh_sqlite("batch"), true),
        ("batch_200_sqlite_queued", fresh_sqlite("queued"), false),
        (
            "batch_200_memory",
            Arc::new(MemoryStore::new()) as Arc<dyn Store>,
            true,
        ),
    ] {
        let mut bench = service_on(store);
        bench.service = bench.service.with_options(ServiceOptions {
            deliver_inline: inline,
            ..ServiceOptions::default()
        });
        let mut round = 0u64;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    round += 1;
                    let text = paste(round);
                    let start = Instant::now();
                    let report = bench
                        .service
                        .create_clients(&bench.org, &bench.admin, &text, &send)
                        .expect("batch");
                    spent += start.elapsed();
                    assert_eq!(report.invited, 200);
                    bench.mailer.take();
                }
                spent
            });
        });
    }
    group.finish();
}

fn accept(c: &mut Criterion) {
    let mut group = c.benchmark_group("service");
    group.sample_size(20);
    let bench = service_on(fresh_sqlite("accept"));
    let send = NewClients {
        send: true,
        ..NewClients::default()
    };
    let mut round = 0u64;
    let options = ParseOptions::default();
    group.bench_function("accept_sqlite", |b| {
        b.iter_custom(|iters| {
            // Invite as many clients as there are accepts to time, untimed.
            let mut links = Vec::new();
            while (links.len() as u64) < iters {
                round += 1;
                bench
                    .service
                    .create_clients(&bench.org, &bench.admin, &paste(round), &send)
                    .expect("batch");
                for message in bench.mailer.take() {
                    let text = &message.message.text;
                    let start = text.find("/invitations/").expect("link") + "/invitations/".len();
                    let token: String = text[start..start + 43].to_owned();
                    let identity =
                        Identity::from_email(&message.message.to, &options).expect("identity");
                    links.push((token, identity));
                }
            }
            let start = Instant::now();
            for (token, identity) in links.iter().take(iters as usize) {
                let accepted = bench.service.accept(token, identity).expect("accept");
                black_box(accepted.activated_now);
            }
            start.elapsed()
        });
    });
    group.finish();
}

/// How many clients the large organization has.
fn population() -> usize {
    std::env::var("INVITEKIT_BENCH_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

/// Builds (once) a SQLite organization of `n` clients: 10% never invited, 40% pending, 20%
/// expired, 20% activated, 5% archived, 5% without email; in 10 groups, under 20 staff.
fn large_org(n: usize) -> Arc<dyn Store> {
    let path = data_dir().join(format!("org-{n}.db"));
    let done = data_dir().join(format!("org-{n}.done"));
    if path.exists() && done.exists() {
        return Arc::new(SqliteStore::open(&path).expect("sqlite store"));
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = SqliteStore::open(&path).expect("sqlite store");
    let mut org = invitekit::model::Organization::new(OrgId::new("big"), "Big", t0());
    org.accept_url = "https://app.example.com/invitations/{token}".to_owned();
    store
        .apply(&[Change::InsertOrganization(org.clone())])
        .expect("organization");
    let started = Instant::now();
    let mut changes = Vec::with_capacity(10_000);
    for i in 0..n {
        let created = t0() - chrono::Duration::days(60) + chrono::Duration::seconds(i as i64);
        let bucket = i % 20;
        let email = (bucket != 19).then(|| Email {
            address: format!("Client{i}@Example.com"),
            key: format!("client{i}@example.com"),
        });
        let mut client = Client::new(
            ClientId::new(format!("c{i:08}")),
            org.id.clone(),
            email,
            if i % 50 == 0 {
                Role::Staff
            } else {
                Role::Client
            },
            created,
        );
        client.name = Some(format!("Client Number {i}"));
        client.groups.push(GroupId::new(format!("g{}", i % 10)));
        client.assigned_staff = Some(ClientId::new(format!("c{:08}", (i % 20) * 50)));
        let (mut record, _) = ClientRecord::create(client, Actor::System);
        let sent_at = match bucket {
            2..=9 => Some(t0() - chrono::Duration::days(1)),
            10..=13 => Some(t0() - chrono::Duration::days(30)),
            14..=17 => Some(t0() - chrono::Duration::days(5)),
            18 => Some(t0() - chrono::Duration::days(40)),
            _ => None,
        };
        if let Some(at) = sent_at {
            let hash = Token::mint().expect("entropy").hash();
            record
                .send(
                    &org,
                    NewInvitation {
                        id: format!("i{i:08}").as_str().into(),
                        token_hash: hash,
                    },
                    Actor::System,
                    at,
                )
                .expect("send");
        }
        if (14..=17).contains(&bucket) {
            record.client.activated_at = Some(t0() - chrono::Duration::days(4));
        }
        if bucket == 18 {
            record.client.archived_at = Some(t0() - chrono::Duration::days(2));
        }
        changes.push(Change::InsertClient(record));
        if changes.len() == 10_000 {
            store.apply(&changes).expect("insert");
            changes.clear();
        }
    }
    store.apply(&changes).expect("insert");
    std::fs::write(&done, b"").expect("marker");
    eprintln!("built {} clients in {:?}", n, started.elapsed());
    Arc::new(store)
}

fn large(c: &mut Criterion) {
    let n = population();
    let store = large_org(n);
    let clock = Arc::new(FixedClock::new(t0()));
    let service = Invitations::new(store, Arc::new(MemoryMailer::new()), clock);
    let org = OrgId::new("big");
    let admin = Member {
        id: ClientId::new("admin"),
        role: Role::Admin,
    };
    let mut group = c.benchmark_group(format!("org_{n}"));
    group.sample_size(10);
    group.bench_function("never_invited_page", |b| {
        b.iter(|| {
            let report = service
                .never_invited(&org, &admin, 0, Some(100))
                .expect("report");
            assert_eq!(report.clients.len(), 100.min(report.total as usize));
            black_box(report.total)
        });
    });
    group.bench_function("never_invited_all", |b| {
        b.iter(|| {
            let report = service
                .never_invited(&org, &admin, 0, None)
                .expect("report");
            black_box(report.clients.len())
        });
    });
    let filters = [
        (
            "list_status_pending",
            ClientFilter {
                status: Some(StatusKind::InvitePending),
                limit: Some(50),
                ..ClientFilter::default()
            },
        ),
        (
            "list_group_staff_role",
            ClientFilter {
                role: Some(Role::Client),
                group: Some(GroupId::new("g3")),
                staff: Some(ClientId::new("c00000150")),
                limit: Some(50),
                ..ClientFilter::default()
            },
        ),
        (
            "list_search",
            ClientFilter {
                search: Some("number 4242".to_owned()),
                limit: Some(50),
                ..ClientFilter::default()
            },
        ),
        (
            "list_all_counts",
            ClientFilter {
                new_since: Some(t0() - chrono::Duration::days(50)),
                limit: Some(50),
                ..ClientFilter::default()
            },
        ),
    ];
    for (name, filter) in filters {
        group.bench_function(name, |b| {
            b.iter(|| {
                let list = service.list_clients(&org, &admin, &filter).expect("list");
                black_box((list.total, list.new, list.activated))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, batch_200, accept, large);
criterion_main!(benches);
