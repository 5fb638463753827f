//! `PgStore` against `MemoryStore`, the reference (ported from the SQLite store's test): the same population (1,500 clients in
//! each of two organizations that use the same client ids, so a read that forgets its
//! organization shows) and the same changes give the same reads, for every filter the list
//! has, alone and combined, at instants around the deadlines.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use invitekit::lifecycle::{ClientRecord, StatusKind};
use invitekit::model::{
    Client, ClientId, Email, Group, GroupId, Invitation, InvitationId, OrgId, Organization,
    ProgramId, Role,
};
use invitekit::store::{Change, ClientQuery, MemoryStore, Store};
use invitekit::token::TokenHash;

mod common;

const CLIENTS: u64 = 1_500;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("instant"))
}

/// A deterministic pseudo-random sequence (an LCG): the same population every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides
    }
}

fn token(org: &str, n: u64, k: u64) -> TokenHash {
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&n.to_le_bytes());
    hash[8..16].copy_from_slice(&k.to_le_bytes());
    hash[16] = org.len() as u8;
    hash[17..17 + org.len().min(15)].copy_from_slice(&org.as_bytes()[..org.len().min(15)]);
    TokenHash(hash)
}

fn invitation(client: &Client, n: u64, k: u64, sent_at: DateTime<Utc>) -> Invitation {
    Invitation {
        id: InvitationId::new(format!("i{n}-{k}")),
        org: client.org.clone(),
        client: client.id.clone(),
        token_hash: token(client.org.as_str(), n, k),
        sent_by: k.is_multiple_of(2).then(|| ClientId::new("admin")),
        sent_at,
        expires_at: sent_at + Duration::days(14),
        revoked_at: None,
        accepted_at: None,
        retired_at: None,
    }
}

fn population(org: &str, dice: &mut Dice) -> Vec<ClientRecord> {
    let names = [
        "Ada Lovelace",
        "Bob",
        "Zoë Ünal",
        "Dora",
        "ÅSA Öberg",
        "  Eve  ",
    ];
    (0..CLIENTS)
        .map(|n| {
            // Several clients per instant: ties in list order are broken by id.
            let at = t0() + Duration::minutes((n / 3) as i64);
            let email = (dice.roll(10) != 0).then(|| {
                let address = format!("User{n}@Example.COM");
                Email {
                    key: address.to_lowercase(),
                    address,
                }
            });
            let role = Role::ALL[dice.roll(4) as usize];
            let mut client = Client::new(
                ClientId::new(format!("c{n:05}")),
                OrgId::new(org),
                email,
                role,
                at,
            );
            client.name = (dice.roll(4) != 0).then(|| names[dice.roll(6) as usize].to_owned());
            for _ in 0..dice.roll(3) {
                client
                    .groups
                    .push(GroupId::new(format!("g{}", dice.roll(5))));
            }
            for _ in 0..dice.roll(2) {
                client
                    .programs
                    .push(ProgramId::new(format!("p{}", dice.roll(3))));
            }
            if dice.roll(3) == 0 {
                client.assigned_staff = Some(ClientId::new(format!("staff{}", dice.roll(4))));
            }
            let mut invitations = Vec::new();
            if client.email.is_some() {
                let mut sent = at;
                for k in 0..dice.roll(4) {
                    // In the order sent; some at the same instant as the one before.
                    sent += Duration::days(dice.roll(2) as i64);
                    let mut invitation = invitation(&client, n, k, sent);
                    match dice.roll(6) {
                        0 => invitation.revoked_at = Some(sent + Duration::hours(1)),
                        1 => invitation.retired_at = Some(sent + Duration::hours(2)),
                        _ => {}
                    }
                    invitations.push(invitation);
                }
                if !invitations.is_empty() && dice.roll(5) == 0 {
                    let accepted = invitations[0].sent_at + Duration::hours(3);
                    invitations[0].accepted_at = Some(accepted);
                    client.activated_at = Some(accepted);
                }
            }
            if dice.roll(12) == 0 {
                client.archived_at = Some(at + Duration::days(2));
            }
            ClientRecord {
                client,
                invitations,
            }
        })
        .collect()
}

fn both(postgres: &dyn Store, memory: &MemoryStore, changes: &[Change]) {
    let expected = memory.apply(changes).map_err(|e| e.code());
    let got = postgres.apply(changes).map_err(|e| e.code());
    assert_eq!(got, expected, "apply of {} changes", changes.len());
}

fn queries() -> Vec<ClientQuery> {
    let mut queries = Vec::new();
    for days in [0, 1, 13, 14, 15, 30] {
        let now = t0() + Duration::days(days) + Duration::minutes(7);
        queries.push(ClientQuery {
            new_since: Some(t0() + Duration::hours(20)),
            ..ClientQuery::all(now)
        });
        for status in StatusKind::ALL {
            let (offset, limit) = if days % 2 == 0 {
                (0, None)
            } else {
                (17, Some(40))
            };
            queries.push(ClientQuery {
                status: Some(status),
                offset,
                limit,
                ..ClientQuery::all(now)
            });
        }
    }
    let now = t0() + Duration::days(14);
    for role in Role::ALL {
        queries.push(ClientQuery {
            role: Some(role),
            ..ClientQuery::all(now)
        });
        queries.push(ClientQuery {
            role: Some(role),
            status: Some(StatusKind::InvitePending),
            limit: Some(10),
            ..ClientQuery::all(now)
        });
    }
    for group in ["g0", "g3", "g9"] {
        queries.push(ClientQuery {
            group: Some(GroupId::new(group)),
            ..ClientQuery::all(now)
        });
    }
    queries.push(ClientQuery {
        group: Some(GroupId::new("g1")),
        program: Some(ProgramId::new("p2")),
        limit: Some(5),
        offset: 3,
        ..ClientQuery::all(now)
    });
    queries.push(ClientQuery {
        program: Some(ProgramId::new("p0")),
        status: Some(StatusKind::InviteExpired),
        ..ClientQuery::all(now)
    });
    for staff in ["staff0", "staff3", "nobody"] {
        queries.push(ClientQuery {
            staff: Some(ClientId::new(staff)),
            ..ClientQuery::all(now)
        });
    }
    queries.push(ClientQuery {
        staff: Some(ClientId::new("staff1")),
        never_invited: true,
        ..ClientQuery::all(now)
    });
    for search in [
        "ada",
        "ZOË",
        "user1",
        "@example.com",
        " bob ",
        "",
        "   ",
        "nobody",
        "ünal",
        "åsa",
        "\n",
        "e  ",
    ] {
        queries.push(ClientQuery {
            search: Some(search.to_owned()),
            ..ClientQuery::all(now)
        });
        queries.push(ClientQuery {
            search: Some(search.to_owned()),
            limit: Some(7),
            offset: 5,
            ..ClientQuery::all(now)
        });
    }
    queries.push(ClientQuery {
        search: Some("user2".to_owned()),
        role: Some(Role::Guest),
        status: Some(StatusKind::Provisioned),
        ..ClientQuery::all(now)
    });
    queries.push(ClientQuery {
        never_invited: true,
        ..ClientQuery::all(now)
    });
    queries.push(ClientQuery {
        never_invited: true,
        role: Some(Role::Staff),
        limit: Some(3),
        offset: 2,
        ..ClientQuery::all(now)
    });
    for (offset, limit) in [
        (0, Some(0)),
        (2_400, Some(500)),
        (5_000, Some(5)),
        (1, None),
    ] {
        queries.push(ClientQuery {
            offset,
            limit,
            ..ClientQuery::all(now)
        });
    }
    queries
}

fn compare(postgres: &dyn Store, memory: &MemoryStore, orgs: &[OrgId], when: &str) {
    for org in orgs {
        for query in queries() {
            let expected = memory
                .list_clients(org, &query)
                .unwrap_or_else(|e| panic!("memory list: {e}"));
            let got = postgres
                .list_clients(org, &query)
                .unwrap_or_else(|e| panic!("postgres list: {e}"));
            assert_eq!(
                (got.total, got.new, got.activated, got.records.len()),
                (
                    expected.total,
                    expected.new,
                    expected.activated,
                    expected.records.len()
                ),
                "{when}: counts of {org} {query:?}"
            );
            assert!(
                got.records == expected.records,
                "{when}: records of {org} {query:?}"
            );
        }
        let ids: Vec<ClientId> = (0..CLIENTS + 5)
            .step_by(2)
            .map(|n| ClientId::new(format!("c{n:05}")))
            .collect();
        let sort = |mut records: Vec<ClientRecord>| {
            records.sort_by(|a, b| a.client.id.cmp(&b.client.id));
            records
        };
        assert!(
            sort(postgres.clients(org, &ids).unwrap_or_default())
                == sort(memory.clients(org, &ids).unwrap_or_default()),
            "{when}: clients of {org}"
        );
        let keys: Vec<String> = (0..CLIENTS)
            .step_by(3)
            .map(|n| format!("user{n}@example.com"))
            .collect();
        assert!(
            sort(postgres.clients_by_key(org, &keys).unwrap_or_default())
                == sort(memory.clients_by_key(org, &keys).unwrap_or_default()),
            "{when}: clients by key of {org}"
        );
        for n in (0..CLIENTS).step_by(97) {
            for k in 0..3 {
                let token = token(org.as_str(), n, k);
                assert_eq!(
                    postgres.client_by_invitation(&token).ok().flatten(),
                    memory.client_by_invitation(&token).ok().flatten(),
                    "{when}: client by invitation {n}-{k} of {org}"
                );
            }
        }
    }
}

#[test]
fn reads_match_the_memory_store_before_and_after_changes() {
    let Some(store) = common::TestStore::new() else {
        return;
    };
    let postgres: &dyn Store = &store;
    let memory = MemoryStore::new();
    let orgs = [OrgId::new("acme"), OrgId::new("globex")];
    let changes: Vec<Change> = orgs
        .iter()
        .map(|org| Change::InsertOrganization(Organization::new(org.clone(), "Org", t0())))
        .collect();
    both(postgres, &memory, &changes);
    let mut dice = Dice(7);
    let mut populations = Vec::new();
    for org in &orgs {
        let records = population(org.as_str(), &mut dice);
        for chunk in records.chunks(500) {
            let changes: Vec<Change> = chunk.iter().cloned().map(Change::InsertClient).collect();
            both(postgres, &memory, &changes);
        }
        populations.push(records);
    }
    compare(postgres, &memory, &orgs, "after inserting");

    // Updates: new invitations (some at the instant of the last), revocations, renames, moves
    // between groups, archiving; some records without their stored invitations.
    let acme = &orgs[0];
    let mut changes = Vec::new();
    for record in populations[0].iter().step_by(7) {
        let mut next = record.clone();
        let n: u64 = next.client.id.as_str()[1..].parse().unwrap_or(0);
        next.client.version += 1;
        match dice.roll(6) {
            0 if next.client.email.is_some() => {
                let sent = next
                    .invitations
                    .last()
                    .map_or(t0() + Duration::days(3), |i| i.sent_at);
                let new = invitation(&next.client, n, 10 + dice.roll(5), sent);
                if !next.invitations.iter().any(|i| i.id == new.id) {
                    next.invitations.push(new);
                }
            }
            1 => {
                for invitation in &mut next.invitations {
                    invitation
                        .revoked_at
                        .get_or_insert(t0() + Duration::days(1));
                }
            }
            2 => {
                next.client.name = Some(format!("Renamed Ünïcode {n}"));
                next.client.groups = vec![GroupId::new("g9"), GroupId::new("g0")];
                next.invitations.clear();
            }
            3 => next.client.archived_at = Some(t0() + Duration::days(5)),
            4 => {
                next.client.email = None;
                next.client.programs.clear();
            }
            _ => next.client.assigned_staff = Some(ClientId::new("staff3")),
        }
        changes.push(Change::UpdateClient {
            expected_version: record.client.version,
            record: next,
        });
    }
    both(postgres, &memory, &changes);
    // A group deleted: members leave it, their versions move on.
    both(
        postgres,
        &memory,
        &[Change::PutGroup(Group {
            id: GroupId::new("g3"),
            org: acme.clone(),
            name: "Three".to_owned(),
            co_owners: Vec::new(),
            created_at: t0(),
        })],
    );
    both(
        postgres,
        &memory,
        &[Change::DeleteGroup {
            org: acme.clone(),
            id: GroupId::new("g3"),
        }],
    );
    // The other organization did not change.
    compare(postgres, &memory, &orgs[..1], "after updating");
}
