//! Measures `SqliteStore` at scale: fills one organization with clients (1,000,000 by
//! default), then times a 200-client invitation batch and the client list's queries.
//!
//! ```sh
//! cargo run --release -p invitekit-sqlite --example scale -- [CLIENTS] [DATABASE]
//! ```
//!
//! With a DATABASE path that already holds the clients, the filling step is skipped. Speed is
//! reported, not asserted.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone as _, Utc};
use invitekit::Error;
use invitekit::lifecycle::{ClientRecord, StatusKind};
use invitekit::mailer::OutboxMessage;
use invitekit::message::Message;
use invitekit::model::{
    Client, ClientId, Email, GroupId, Invitation, InvitationId, MessageId, OrgId, Organization,
    ProgramId, Role,
};
use invitekit::store::{Change, ClientQuery, Store};
use invitekit::token::TokenHash;
use invitekit_sqlite::SqliteStore;

const BATCH: usize = 10_000;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let clients: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join("invitekit-sqlite-scale");
    std::fs::create_dir_all(&dir).map_err(|e| storage(e.to_string()))?;
    let path = args
        .next()
        .map_or_else(|| dir.join(format!("scale-{clients}.db")), Into::into);
    let org = OrgId::new("acme");
    let end = t0() + chrono::Duration::days(730);
    let store = SqliteStore::open(&path)?;
    if store.organization(&org)?.is_none() {
        store.apply(&[Change::InsertOrganization(Organization::new(
            org.clone(),
            "Acme",
            t0(),
        ))])?;
        let started = Instant::now();
        for first in (0..clients).step_by(BATCH) {
            let changes: Vec<Change> = (first..clients.min(first + BATCH))
                .map(|i| Change::InsertClient(record(&org, i, created(i, clients))))
                .collect();
            store.apply(&changes)?;
        }
        let took = started.elapsed();
        println!(
            "filled {clients} clients in {took:.1?} ({:.0} clients/s)",
            clients as f64 / took.as_secs_f64()
        );
    }
    println!("database: {}", path.display());

    // The batch a paste of 200 addresses makes: a client, an invitation and a message each.
    // Numbers no earlier run used.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000_000) as usize;
    let base = 1_000_000_000 + run * 10_000;
    let mut times = Vec::new();
    for round in 0..30 {
        let changes: Vec<Change> = (0..200)
            .flat_map(|i| {
                let n = base + round * 200 + i;
                let mut record = record(&org, n, end);
                let invitation = invitation(&record.client, n, end, false);
                record.invitations = vec![invitation.clone()];
                let message = OutboxMessage::new(
                    MessageId::new(format!("m{n}")),
                    org.clone(),
                    record.client.id.clone(),
                    Some(invitation.id),
                    Message {
                        to: format!("user{n}@example.com"),
                        to_name: None,
                        subject: "You're invited".to_owned(),
                        text: "x".repeat(600),
                        html: "y".repeat(2400),
                    },
                    end,
                );
                [Change::InsertClient(record), Change::Enqueue(message)]
            })
            .collect();
        let started = Instant::now();
        store.apply(&changes)?;
        times.push(started.elapsed());
    }
    report("200 clients + invitations + messages, one batch", &times);

    let now = end + chrono::Duration::hours(1);
    let base = ClientQuery {
        limit: Some(50),
        new_since: Some(end - chrono::Duration::days(30)),
        ..ClientQuery::all(now)
    };
    let queries: Vec<(&str, ClientQuery)> = vec![
        ("all, first page", base.clone()),
        (
            "all, page at offset 500,000",
            ClientQuery {
                offset: 500_000,
                ..base.clone()
            },
        ),
        (
            "status pending",
            ClientQuery {
                status: Some(StatusKind::InvitePending),
                ..base.clone()
            },
        ),
        (
            "status expired",
            ClientQuery {
                status: Some(StatusKind::InviteExpired),
                ..base.clone()
            },
        ),
        (
            "status provisioned",
            ClientQuery {
                status: Some(StatusKind::Provisioned),
                ..base.clone()
            },
        ),
        (
            "status activated",
            ClientQuery {
                status: Some(StatusKind::Activated),
                ..base.clone()
            },
        ),
        (
            "status archived",
            ClientQuery {
                status: Some(StatusKind::Archived),
                ..base.clone()
            },
        ),
        (
            "role admin",
            ClientQuery {
                role: Some(Role::Admin),
                ..base.clone()
            },
        ),
        (
            "role client",
            ClientQuery {
                role: Some(Role::Client),
                ..base.clone()
            },
        ),
        (
            "group g7",
            ClientQuery {
                group: Some(GroupId::new("g7")),
                ..base.clone()
            },
        ),
        (
            "program p2",
            ClientQuery {
                program: Some(ProgramId::new("p2")),
                ..base.clone()
            },
        ),
        (
            "staff staff42",
            ClientQuery {
                staff: Some(ClientId::new("staff42")),
                ..base.clone()
            },
        ),
        (
            "search \"user12345\"",
            ClientQuery {
                search: Some("user12345".to_owned()),
                ..base.clone()
            },
        ),
        (
            "search \"nobody\" (no match)",
            ClientQuery {
                search: Some("nobody".to_owned()),
                ..base.clone()
            },
        ),
        (
            "never invited",
            ClientQuery {
                never_invited: true,
                ..base.clone()
            },
        ),
        (
            "never invited, all of them",
            ClientQuery {
                never_invited: true,
                limit: None,
                ..base.clone()
            },
        ),
        (
            "role client + expired + group g3",
            ClientQuery {
                role: Some(Role::Client),
                status: Some(StatusKind::InviteExpired),
                group: Some(GroupId::new("g3")),
                ..base.clone()
            },
        ),
        (
            "staff staff42 + pending",
            ClientQuery {
                staff: Some(ClientId::new("staff42")),
                status: Some(StatusKind::InvitePending),
                ..base.clone()
            },
        ),
    ];
    // SCALE_ONLY=text runs only the queries whose names contain it.
    let only = std::env::var("SCALE_ONLY").unwrap_or_default();
    for (name, query) in queries.iter().filter(|(name, _)| name.contains(&only)) {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            let started = Instant::now();
            let page = store.list_clients(&org, query)?;
            times.push(started.elapsed());
            last = Some(page);
        }
        if let Some(page) = last {
            report(
                &format!(
                    "{name}: {} of {} (new {}, activated {})",
                    page.records.len(),
                    page.total,
                    page.new,
                    page.activated
                ),
                &times,
            );
        }
    }
    Ok(())
}

fn storage(message: String) -> Error {
    Error::new(invitekit::ErrorKind::StorageFailed { message })
}

fn report(what: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    let max = sorted.last().copied().unwrap_or_default();
    println!("{what}: median {median:.2?}, max {max:.2?}");
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn invitation(client: &Client, n: usize, sent_at: DateTime<Utc>, revoked: bool) -> Invitation {
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&(n as u64).to_le_bytes());
    hash[8] = 0xAB;
    Invitation {
        id: InvitationId::new(format!("i{n}")),
        org: client.org.clone(),
        client: client.id.clone(),
        token_hash: TokenHash(hash),
        sent_by: None,
        sent_at,
        expires_at: sent_at + chrono::Duration::days(14),
        revoked_at: revoked.then_some(sent_at + chrono::Duration::hours(1)),
        accepted_at: None,
        retired_at: None,
    }
}

/// When client `n` of `count` was created: in order over two years.
fn created(n: usize, count: usize) -> DateTime<Utc> {
    let span = 730 * 24 * 3600;
    t0() + chrono::Duration::seconds((n * span / count.max(1)) as i64)
}

/// Client `n`, created `at`, with a realistic mix of roles, statuses, groups, programs and
/// staff.
fn record(org: &OrgId, n: usize, at: DateTime<Utc>) -> ClientRecord {
    let email = (!n.is_multiple_of(20)).then(|| {
        let address = format!("User{n}@Example.com");
        Email {
            key: address.to_lowercase(),
            address,
        }
    });
    let role = match n % 100 {
        0..=2 => Role::Admin,
        3..=9 => Role::Staff,
        10..=19 => Role::Guest,
        _ => Role::Client,
    };
    let mut client = Client::new(
        ClientId::new(format!("c{n:08}")),
        org.clone(),
        email,
        role,
        at,
    );
    client.name = (!n.is_multiple_of(10)).then(|| format!("Client Number {n}"));
    if n % 10 == 3 {
        client.groups.push(GroupId::new(format!("g{}", n % 50)));
    }
    if n.is_multiple_of(7) {
        client.programs.push(ProgramId::new(format!("p{}", n % 5)));
    }
    if n.is_multiple_of(3) {
        client.assigned_staff = Some(ClientId::new(format!("staff{}", n % 100)));
    }
    let mut invitations = Vec::new();
    if client.email.is_some() && n % 5 < 3 {
        let sent = at + chrono::Duration::hours(1);
        let mut first = invitation(&client, n, sent, n % 50 == 1);
        if n.is_multiple_of(5) {
            first.accepted_at = Some(sent + chrono::Duration::hours(2));
            client.activated_at = first.accepted_at;
        }
        invitations.push(first);
    }
    if n % 50 == 7 {
        client.archived_at = Some(at + chrono::Duration::days(3));
    }
    ClientRecord {
        client,
        invitations,
    }
}
