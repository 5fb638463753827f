//! SQLite and PostgreSQL side by side, in one run, through the service: the 200-client batch
//! with invitations, accept, the never-invited report on a large organization, and accepts per
//! second from 8 concurrent clients (threads, each with its own store, so its own connection).
//!
//! PostgreSQL is the server `INVITEKIT_PG_URL` names (`eval "$(scripts/postgres.sh start)"`);
//! without it the PostgreSQL benches are skipped (the SQLite ones still run), unless `CI` is
//! set, where that is an error. Each PostgreSQL bench works in a schema of its own, dropped
//! after it; the large organization is kept in the schema `bench_org_<n>` and in
//! `target/bench-data/org-<n>.db` (shared with `benches/benches/service.rs`), since building
//! it takes a while; drop the schema or delete the file to rebuild it.
//!
//! `INVITEKIT_BENCH_CLIENTS` sets the large organization's size (default 1,000,000).
//!
//! ```sh
//! cargo bench -p invitekit-postgres --bench pg_vs_sqlite               # full run
//! INVITEKIT_BENCH_CLIENTS=20000 cargo bench -p invitekit-postgres -- --quick   # smoke run
//! ```

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone as _, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invitekit::access::Member;
use invitekit::address::ParseOptions;
use invitekit::clock::FixedClock;
use invitekit::lifecycle::{ClientRecord, NewInvitation};
use invitekit::mailer::MemoryMailer;
use invitekit::model::{Actor, Client, ClientId, Email, GroupId, Identity, OrgId, Role};
use invitekit::service::{Invitations, NewClients, NewOrganization};
use invitekit::store::{Change, Store};
use invitekit::token::Token;
use invitekit_postgres::{PgOptions, PgStore};
use invitekit_sqlite::SqliteStore;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .expect("instant")
}

/// The server's URL; `None` (said on stderr) when the PostgreSQL benches are skipped.
fn pg_url() -> Option<String> {
    match std::env::var("INVITEKIT_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "INVITEKIT_PG_URL is not set, and CI is: start a server with \
                 `eval \"$(scripts/postgres.sh start)\"`"
            );
            eprintln!("SKIPPED: the PostgreSQL benches (INVITEKIT_PG_URL is not set)");
            None
        }
    }
}

fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data directory");
    dir
}

/// A PostgreSQL schema for one bench, dropped with it.
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    fn new(url: &str, label: &str) -> PgSchema {
        PgSchema {
            url: url.to_owned(),
            name: format!("bench_{label}_{}", std::process::id()),
        }
    }

    fn store(&self, max_connections: usize) -> PgStore {
        PgStore::connect_with(
            &self.url,
            &PgOptions {
                max_connections,
                ..PgOptions::in_schema(&self.name)
            },
        )
        .expect("postgres store")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn fresh_sqlite(name: &str) -> SqliteStore {
    let path = data_dir().join(format!("pgvs-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    SqliteStore::open(&path).expect("sqlite store")
}

fn remove_sqlite(name: &str) {
    let path = data_dir().join(format!("pgvs-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn sqlite_path(name: &str) -> PathBuf {
    data_dir().join(format!("pgvs-{name}-{}.db", std::process::id()))
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
    let mut new = NewOrganization::new("acme", "Acme", "admin@acme.example");
    new.accept_url = Some("https://app.example.com/invitations/{token}".to_owned());
    let (org, admin) = service.create_organization(&new).expect("organization");
    Bench {
        service,
        mailer,
        org: org.id,
        admin,
    }
}

/// A paste of 200 new addresses; `round` keeps them new from one iteration to the next.
fn paste(round: u64) -> String {
    (0..200)
        .map(|i| format!("Client {i} <client{round}x{i}@example.com>"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn send() -> NewClients {
    NewClients {
        send: true,
        ..NewClients::default()
    }
}

/// Invites 200 new clients (untimed) and returns their links and identities.
fn invite_200(bench: &Bench, round: u64) -> Vec<(String, Identity)> {
    bench
        .service
        .create_clients(&bench.org, &bench.admin, &paste(round), &send())
        .expect("batch");
    let options = ParseOptions::default();
    bench
        .mailer
        .take()
        .into_iter()
        .map(|message| {
            let text = &message.message.text;
            let start = text.find("/invitations/").expect("link") + "/invitations/".len();
            let token = text[start..start + 43].to_owned();
            let identity = Identity::from_email(&message.message.to, &options).expect("identity");
            (token, identity)
        })
        .collect()
}

fn batch_200(c: &mut Criterion) {
    let url = pg_url();
    let mut group = c.benchmark_group("pg_vs_sqlite");
    group.sample_size(20);
    group.throughput(Throughput::Elements(200));
    let pg = url.as_deref().map(|url| PgSchema::new(url, "batch"));
    let mut stores: Vec<(&str, Arc<dyn Store>)> =
        vec![("batch_200/sqlite", Arc::new(fresh_sqlite("batch")))];
    if let Some(pg) = &pg {
        stores.push(("batch_200/postgres", Arc::new(pg.store(4))));
    }
    for (name, store) in stores {
        let bench = service_on(store);
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
                        .create_clients(&bench.org, &bench.admin, &text, &send())
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
    remove_sqlite("batch");
}

fn accept(c: &mut Criterion) {
    let url = pg_url();
    let mut group = c.benchmark_group("pg_vs_sqlite");
    group.sample_size(20);
    let pg = url.as_deref().map(|url| PgSchema::new(url, "accept"));
    let mut stores: Vec<(&str, Arc<dyn Store>)> =
        vec![("accept/sqlite", Arc::new(fresh_sqlite("accept")))];
    if let Some(pg) = &pg {
        stores.push(("accept/postgres", Arc::new(pg.store(4))));
    }
    for (name, store) in stores {
        let bench = service_on(store);
        let mut round = 0u64;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                // As many invited clients as there are accepts to time, untimed.
                let mut links = Vec::new();
                while (links.len() as u64) < iters {
                    round += 1;
                    links.extend(invite_200(&bench, round));
                }
                let start = Instant::now();
                for (token, identity) in links.iter().take(iters as usize) {
                    let accepted = bench.service.accept(token, identity).expect("accept");
                    black_box(accepted.activated_now);
                }
                start.elapsed()
            });
        });
    }
    group.finish();
    remove_sqlite("accept");
}

const THREADS: usize = 8;

/// Accepts per second from 8 threads, each with its own store (its own connection) on one
/// database: each iteration is one accept per thread, so criterion's throughput is accepts per
/// second.
fn concurrent_accepts(c: &mut Criterion) {
    let url = pg_url();
    let mut group = c.benchmark_group("pg_vs_sqlite");
    group.sample_size(10);
    group.throughput(Throughput::Elements(THREADS as u64));
    let pg = url.as_deref().map(|url| PgSchema::new(url, "concurrent"));
    drop(fresh_sqlite("concurrent"));
    // One store per thread, made by `open`.
    type Open<'a> = Box<dyn Fn() -> Arc<dyn Store> + 'a>;
    let mut backends: Vec<(&str, Open<'_>)> = vec![(
        "accepts_8_threads/sqlite",
        Box::new(|| {
            Arc::new(SqliteStore::open(sqlite_path("concurrent")).expect("sqlite"))
                as Arc<dyn Store>
        }),
    )];
    if let Some(pg) = &pg {
        backends.push((
            "accepts_8_threads/postgres",
            Box::new(move || Arc::new(pg.store(1)) as Arc<dyn Store>),
        ));
    }
    for (name, open) in backends {
        let bench = service_on(open());
        let services: Vec<Invitations> = (0..THREADS)
            .map(|_| {
                Invitations::new(
                    open(),
                    Arc::new(MemoryMailer::new()),
                    Arc::new(FixedClock::new(t0())),
                )
            })
            .collect();
        let mut round = 0u64;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let wanted = iters as usize * THREADS;
                let mut links = Vec::with_capacity(wanted);
                while links.len() < wanted {
                    round += 1;
                    links.extend(invite_200(&bench, round));
                }
                links.truncate(wanted);
                let shares: Vec<&[(String, Identity)]> = links.chunks(iters as usize).collect();
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for (service, share) in services.iter().zip(&shares) {
                        scope.spawn(move || {
                            for (token, identity) in share.iter() {
                                let accepted = service.accept(token, identity).expect("accept");
                                black_box(accepted.activated_now);
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    group.finish();
    remove_sqlite("concurrent");
}

/// How many clients the large organization has.
fn population() -> usize {
    std::env::var("INVITEKIT_BENCH_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

/// The large organization's records, 10,000 at a time (the population of
/// `benches/benches/service.rs`): 10% never invited, 40% pending, 20% expired, 20% activated,
/// 5% archived, 5% without email; in 10 groups, under 20 staff.
fn large_org_batches(n: usize, mut each: impl FnMut(&[Change])) {
    let mut org = invitekit::model::Organization::new(OrgId::new("big"), "Big", t0());
    org.accept_url = "https://app.example.com/invitations/{token}".to_owned();
    each(&[Change::InsertOrganization(org.clone())]);
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
            each(&changes);
            changes.clear();
        }
    }
    if !changes.is_empty() {
        each(&changes);
    }
}

/// The SQLite large organization, built once (the file `benches/benches/service.rs` builds).
fn large_sqlite(n: usize) -> Arc<dyn Store> {
    let path = data_dir().join(format!("org-{n}.db"));
    let done = data_dir().join(format!("org-{n}.done"));
    if !(path.exists() && done.exists()) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let store = SqliteStore::open(&path).expect("sqlite store");
        let started = Instant::now();
        large_org_batches(n, |changes| store.apply(changes).expect("insert"));
        std::fs::write(&done, b"").expect("marker");
        eprintln!("built {n} clients in SQLite in {:?}", started.elapsed());
    }
    Arc::new(SqliteStore::open(&path).expect("sqlite store"))
}

/// The PostgreSQL large organization, built once in the schema `bench_org_<n>`, vacuumed and
/// analyzed (as a database that lives a while is).
fn large_postgres(url: &str, n: usize) -> Arc<dyn Store> {
    let schema = format!("bench_org_{n}");
    let mut admin = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let built = admin
        .query_one(
            "SELECT to_regclass(format('%I.bench_built', $1::text)) IS NOT NULL",
            &[&schema],
        )
        .expect("marker")
        .get::<_, bool>(0);
    let options = PgOptions::in_schema(&schema);
    if !built {
        admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .expect("drop");
        let store = PgStore::connect_with(url, &options).expect("postgres store");
        let started = Instant::now();
        large_org_batches(n, |changes| store.apply(changes).expect("insert"));
        for table in ["clients", "invitations"] {
            admin
                .batch_execute(&format!("VACUUM ANALYZE \"{schema}\".{table}"))
                .expect("vacuum");
        }
        admin
            .batch_execute(&format!("CREATE TABLE \"{schema}\".bench_built (n bigint)"))
            .expect("marker");
        eprintln!("built {n} clients in PostgreSQL in {:?}", started.elapsed());
    }
    Arc::new(PgStore::connect_with(url, &options).expect("postgres store"))
}

fn large(c: &mut Criterion) {
    let n = population();
    let url = pg_url();
    let mut stores: Vec<(&str, Arc<dyn Store>)> = vec![("sqlite", large_sqlite(n))];
    if let Some(url) = &url {
        stores.push(("postgres", large_postgres(url, n)));
    }
    let org = OrgId::new("big");
    let admin = Member {
        id: ClientId::new("admin"),
        role: Role::Admin,
    };
    let mut group = c.benchmark_group(format!("pg_vs_sqlite_org_{n}"));
    group.sample_size(10);
    for (name, store) in stores {
        let service = Invitations::new(
            store,
            Arc::new(MemoryMailer::new()),
            Arc::new(FixedClock::new(t0())),
        );
        group.bench_function(format!("never_invited_page/{name}"), |b| {
            b.iter(|| {
                let report = service
                    .never_invited(&org, &admin, 0, Some(100))
                    .expect("report");
                assert_eq!(report.clients.len(), 100.min(report.total as usize));
                black_box(report.total)
            });
        });
        group.bench_function(format!("never_invited_all/{name}"), |b| {
            b.iter(|| {
                let report = service
                    .never_invited(&org, &admin, 0, None)
                    .expect("report");
                black_box(report.clients.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, batch_200, accept, concurrent_accepts, large);
criterion_main!(benches);
