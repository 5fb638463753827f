//! The conformance suite every [`Store`] runs (cargo feature `testkit`).
//!
//! Each check is a function taking a fresh, empty store and panicking, with a message naming
//! the broken promise, when the store breaks it. [`crate::store_conformance_tests!`] turns them
//! into one `#[test]` each for a store backend:
//!
//! ```ignore
//! invitekit::store_conformance_tests!(invitekit::store::MemoryStore::new());
//! ```

use chrono::{DateTime, Duration, TimeZone as _, Utc};

use super::{Change, Claim, ClientQuery, Store, Summary};
use crate::lifecycle::{ClientRecord, NewInvitation, StatusKind};
use crate::mailer::{DeliveryState, OutboxMessage};
use crate::message::Message;
use crate::model::{
    Action, Actor, Client, ClientId, Email, Event, Group, GroupId, InvitationId, MessageId, OrgId,
    Organization, Program, ProgramId, Role, SignupLink, Subject,
};
use crate::token::Token;
use crate::{Error, ErrorCode};

/// Generates one `#[test]` per conformance check, each on a fresh store made by `$make` (an
/// expression giving a value whose type implements [`Store`]).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            organizations, clients_round_trip, unique_email_key_per_organization,
            a_failed_batch_writes_nothing, compare_and_set_on_version, invitations_are_kept,
            list_filters_match_the_reference, list_pages_and_counts, groups_and_programs,
            deleting_a_group_empties_it, signup_links, events_in_order, outbox_claims,
            outbox_sent_is_final, racing_updates_have_one_winner);
    };
    (@each $make:expr; $($check:ident),+) => {
        $(
            #[test]
            fn $check() {
                let store = $make;
                $crate::store::conformance::$check(&store);
            }
        )+
    };
}

/// The instant the fixtures start at: 2026-11-21 09:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn org(id: &str) -> Organization {
    Organization::new(OrgId::new(id), format!("Org {id}"), t0())
}

fn email(address: &str) -> Email {
    Email {
        address: address.to_owned(),
        key: address.to_lowercase(),
    }
}

fn client(org: &str, id: &str, address: Option<&str>, at: DateTime<Utc>) -> ClientRecord {
    ClientRecord {
        client: Client::new(
            ClientId::new(id),
            OrgId::new(org),
            address.map(email),
            Role::Client,
            at,
        ),
        invitations: Vec::new(),
    }
}

fn new_invitation(id: &str) -> (NewInvitation, Token) {
    let token = Token::mint().unwrap_or_else(|e| panic!("entropy: {e}"));
    let new = NewInvitation {
        id: InvitationId::new(id),
        token_hash: token.hash(),
    };
    (new, token)
}

fn ok<T>(result: Result<T, Error>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: unexpected error {e}"))
}

fn code<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) -> ErrorCode {
    match result {
        Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        Err(e) => e.code(),
    }
}

fn setup(store: &dyn Store, ids: &[&str]) {
    let changes: Vec<Change> = ids
        .iter()
        .map(|id| Change::InsertOrganization(org(id)))
        .collect();
    ok(store.apply(&changes), "inserting organizations");
}

fn message(id: &str, org: &str, client: &str, at: DateTime<Utc>) -> OutboxMessage {
    OutboxMessage::new(
        MessageId::new(id),
        OrgId::new(org),
        ClientId::new(client),
        None,
        Message {
            to: format!("{client}@example.com"),
            to_name: None,
            subject: "You're invited".to_owned(),
            text: "secret link".to_owned(),
            html: "<p>secret link</p>".to_owned(),
        },
        at,
    )
}

/// Organizations are inserted once, read back and updated.
pub fn organizations(store: &dyn Store) {
    let acme = org("acme");
    assert_eq!(ok(store.organization(&acme.id), "read"), None);
    ok(
        store.apply(&[Change::InsertOrganization(acme.clone())]),
        "insert",
    );
    assert_eq!(ok(store.organization(&acme.id), "read"), Some(acme.clone()));
    assert_eq!(
        code(
            store.apply(&[Change::InsertOrganization(acme.clone())]),
            "second insert"
        ),
        ErrorCode::OrganizationExists
    );
    let mut renamed = acme.clone();
    renamed.name = "Acme Ltd".to_owned();
    renamed.time_zone =
        crate::policy::TimeZone::parse("Europe/Paris").unwrap_or_else(|e| panic!("zone: {e}"));
    renamed.expiry = crate::policy::ExpiryWindow::THIRTY_DAYS;
    ok(
        store.apply(&[Change::UpdateOrganization(renamed.clone())]),
        "update",
    );
    assert_eq!(ok(store.organization(&acme.id), "read"), Some(renamed));
    assert_eq!(
        code(
            store.apply(&[Change::UpdateOrganization(org("nobody"))]),
            "update of a missing organization"
        ),
        ErrorCode::OrganizationNotFound
    );
}

/// A client with invitations and every field set reads back equal, by id, by key and by token.
pub fn clients_round_trip(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = org("acme");
    let mut record = client("acme", "c1", Some("Jane.Doe@Example.com"), t0());
    record.client.name = Some("Jane Doe".to_owned());
    record.client.role = Role::Guest;
    record.client.programs = vec![ProgramId::new("p1")];
    record.client.groups = vec![GroupId::new("g1"), GroupId::new("g2")];
    record.client.assigned_staff = Some(ClientId::new("staff"));
    record.client.guest_of = Some(ClientId::new("host"));
    record.client.created_by = Some(ClientId::new("admin"));
    record.client.last_seen_at = Some(t0() + Duration::seconds(1));
    let (new, token) = new_invitation("i1");
    ok(
        record.send(&acme, new, Actor::Member(ClientId::new("admin")), t0()),
        "send",
    );
    let (new, token2) = new_invitation("i2");
    ok(
        record.resend(&acme, new, Actor::System, t0() + Duration::hours(1)),
        "resend",
    );
    ok(
        store.apply(&[Change::InsertClient(record.clone())]),
        "insert client",
    );
    let id = record.client.id.clone();
    assert_eq!(
        ok(store.client(&acme.id, &id), "client"),
        Some(record.clone())
    );
    assert_eq!(
        ok(
            store.client(&OrgId::new("other"), &id),
            "client of another org"
        ),
        None
    );
    assert_eq!(
        ok(
            store.clients(&acme.id, &[id.clone(), ClientId::new("nope")]),
            "clients"
        ),
        vec![record.clone()]
    );
    assert_eq!(
        ok(
            store.clients_by_key(&acme.id, &["jane.doe@example.com".to_owned()]),
            "by key"
        ),
        vec![record.clone()]
    );
    assert_eq!(
        ok(store.client_by_invitation(&token.hash()), "by token"),
        Some(record.clone())
    );
    assert_eq!(
        ok(
            store.client_by_invitation(&token2.hash()),
            "by second token"
        ),
        Some(record.clone())
    );
    let stranger = Token::mint().unwrap_or_else(|e| panic!("entropy: {e}"));
    assert_eq!(
        ok(
            store.client_by_invitation(&stranger.hash()),
            "unknown token"
        ),
        None
    );
    // A client without email, activated and archived.
    let mut bare = client("acme", "c2", None, t0() + Duration::seconds(5));
    bare.client.activated_at = Some(t0() + Duration::seconds(6));
    bare.client.activated_by = Some(crate::model::Identity {
        email: email("x@example.com"),
        subject: Some("sub-1".to_owned()),
    });
    bare.client.archived_at = Some(t0() + Duration::seconds(7));
    ok(store.apply(&[Change::InsertClient(bare.clone())]), "insert");
    assert_eq!(
        ok(store.client(&acme.id, &bare.client.id), "client"),
        Some(bare)
    );
}

/// Two clients of one organization never share an email key; other organizations may.
pub fn unique_email_key_per_organization(store: &dyn Store) {
    setup(store, &["acme", "globex"]);
    let first = client("acme", "c1", Some("jane@example.com"), t0());
    ok(store.apply(&[Change::InsertClient(first)]), "first");
    let mut twin = client("acme", "c2", Some("JANE@example.com"), t0());
    twin.client.email = Some(Email {
        address: "JANE@example.com".to_owned(),
        key: "jane@example.com".to_owned(),
    });
    assert_eq!(
        code(
            store.apply(&[Change::InsertClient(twin)]),
            "same key, same org"
        ),
        ErrorCode::ClientExists
    );
    assert_eq!(
        code(
            store.apply(&[Change::InsertClient(client(
                "acme",
                "c1",
                Some("other@example.com"),
                t0()
            ))]),
            "same id"
        ),
        ErrorCode::ClientExists
    );
    ok(
        store.apply(&[Change::InsertClient(client(
            "globex",
            "c1",
            Some("jane@example.com"),
            t0(),
        ))]),
        "same key in another organization",
    );
    // Changing an address onto another client's key is refused too.
    let second = client("acme", "c3", Some("bob@example.com"), t0());
    ok(
        store.apply(&[Change::InsertClient(second.clone())]),
        "third",
    );
    let mut moved = second.clone();
    moved.client.email = Some(email("jane@example.com"));
    moved.client.version += 1;
    assert_eq!(
        code(
            store.apply(&[Change::UpdateClient {
                record: moved,
                expected_version: 0
            }]),
            "update onto a taken key"
        ),
        ErrorCode::ClientExists
    );
    assert_eq!(
        code(
            store.apply(&[Change::InsertClient(client("nowhere", "c9", None, t0()))]),
            "client of a missing organization"
        ),
        ErrorCode::OrganizationNotFound
    );
}

/// A batch whose last change fails leaves no trace of the others: clients, events, messages,
/// groups, links and updates are all rolled back.
pub fn a_failed_batch_writes_nothing(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    let existing = client("acme", "c0", Some("zed@example.com"), t0());
    ok(
        store.apply(&[Change::InsertClient(existing.clone())]),
        "existing",
    );
    let mut updated = existing.clone();
    updated.client.name = Some("Changed".to_owned());
    updated.client.version = 1;
    let a = client("acme", "c1", Some("a@example.com"), t0());
    let b = client("acme", "c2", Some("b@example.com"), t0());
    let dup = client("acme", "c3", Some("a@example.com"), t0());
    let event = Event {
        org: acme.clone(),
        actor: Actor::System,
        action: Action::ClientCreated { role: Role::Client },
        subject: Subject::Client(ClientId::new("c1")),
        at: t0(),
    };
    let group = Group {
        id: GroupId::new("g1"),
        org: acme.clone(),
        name: "Cohort".to_owned(),
        co_owners: Vec::new(),
        created_at: t0(),
    };
    let result = store.apply(&[
        Change::UpdateClient {
            record: updated,
            expected_version: 0,
        },
        Change::InsertClient(a),
        Change::InsertClient(b),
        Change::RecordEvent(event),
        Change::Enqueue(message("m1", "acme", "c1", t0())),
        Change::PutGroup(group),
        Change::InsertClient(dup),
    ]);
    assert_eq!(
        code(result, "batch ending with a duplicate"),
        ErrorCode::ClientExists
    );
    assert_eq!(
        ok(
            store.clients(&acme, &[ClientId::new("c1"), ClientId::new("c2")]),
            "read"
        ),
        Vec::new(),
        "clients of a failed batch were kept"
    );
    assert_eq!(
        ok(store.client(&acme, &ClientId::new("c0")), "read"),
        Some(existing),
        "an update of a failed batch was kept"
    );
    assert!(ok(store.events(&acme, 0, 10), "events").is_empty());
    assert!(ok(store.messages(&acme, None, 10), "messages").is_empty());
    assert!(ok(store.groups(&acme), "groups").is_empty());
    assert_eq!(
        ok(store.list_clients(&acme, &ClientQuery::all(t0())), "list").total,
        1
    );
}

/// An update applies only at the version it was read at.
pub fn compare_and_set_on_version(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    let record = client("acme", "c1", Some("a@example.com"), t0());
    ok(
        store.apply(&[Change::InsertClient(record.clone())]),
        "insert",
    );
    let mut first = record.clone();
    first.client.name = Some("First".to_owned());
    first.client.version = 1;
    let mut second = record.clone();
    second.client.name = Some("Second".to_owned());
    second.client.version = 1;
    ok(
        store.apply(&[Change::UpdateClient {
            record: first.clone(),
            expected_version: 0,
        }]),
        "first update",
    );
    assert_eq!(
        code(
            store.apply(&[Change::UpdateClient {
                record: second,
                expected_version: 0
            }]),
            "stale update"
        ),
        ErrorCode::Conflict
    );
    assert_eq!(
        ok(store.client(&acme, &record.client.id), "read"),
        Some(first)
    );
    let ghost = client("acme", "ghost", None, t0());
    assert_eq!(
        code(
            store.apply(&[Change::UpdateClient {
                record: ghost,
                expected_version: 0
            }]),
            "update of a missing client"
        ),
        ErrorCode::ClientNotFound
    );
}

/// Invitations are added and updated by client updates, never dropped; tokens stay unique.
pub fn invitations_are_kept(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme_org = org("acme");
    let mut record = client("acme", "c1", Some("a@example.com"), t0());
    ok(
        store.apply(&[Change::InsertClient(record.clone())]),
        "insert",
    );
    let (new, token) = new_invitation("i1");
    let version = record.client.version;
    ok(record.send(&acme_org, new, Actor::System, t0()), "send");
    ok(
        store.apply(&[Change::UpdateClient {
            record: record.clone(),
            expected_version: version,
        }]),
        "store the invitation",
    );
    let version = record.client.version;
    ok(
        record.revoke(Actor::System, t0() + Duration::hours(1)),
        "revoke",
    );
    let mut without = record.clone();
    without.invitations.clear();
    ok(
        store.apply(&[Change::UpdateClient {
            record: without,
            expected_version: version,
        }]),
        "update without invitations",
    );
    let stored = ok(store.client(&acme_org.id, &record.client.id), "read")
        .unwrap_or_else(|| panic!("the client vanished"));
    assert_eq!(
        stored.invitations.len(),
        1,
        "an update dropped an invitation"
    );
    assert_eq!(
        ok(store.client_by_invitation(&token.hash()), "by token").map(|r| r.client.id),
        Some(record.client.id.clone())
    );
    // Another client cannot reuse the token.
    let mut other = client("acme", "c2", Some("b@example.com"), t0());
    other.invitations = stored.invitations.clone();
    for invitation in &mut other.invitations {
        invitation.id = InvitationId::new("i9");
        invitation.client = other.client.id.clone();
    }
    assert!(
        store.apply(&[Change::InsertClient(other)]).is_err(),
        "two invitations with one token hash"
    );
}

/// A small organization with every status, role, group, program and staff combination the
/// list filters look at.
fn population(store: &dyn Store) -> Vec<ClientRecord> {
    setup(store, &["acme", "globex"]);
    let acme = org("acme");
    let roles = [Role::Client, Role::Guest, Role::Staff, Role::Admin];
    let names = ["Ada Lovelace", "Bob", "Zoë Ünal", "Dora"];
    let mut records = Vec::new();
    for i in 0..40u32 {
        let at = t0() + Duration::hours(i64::from(i % 7)) + Duration::seconds(i64::from(i));
        let address = (i % 9 != 0).then(|| format!("User{i}@Example.com"));
        let mut record = client("acme", &format!("c{i:02}"), address.as_deref(), at);
        if let Some(email) = &mut record.client.email {
            email.key = email.address.to_lowercase();
        }
        record.client.role = roles[(i % 4) as usize];
        record.client.name = (i % 3 != 0).then(|| names[(i % 4) as usize].to_owned());
        if i % 2 == 0 {
            record.client.groups.push(GroupId::new("g1"));
        }
        if i % 5 == 0 {
            record.client.groups.push(GroupId::new("g2"));
            record.client.programs.push(ProgramId::new("p1"));
        }
        if i % 4 == 1 {
            record.client.assigned_staff = Some(ClientId::new("staff1"));
        }
        if record.client.email.is_some() {
            match i % 6 {
                1 | 2 => {
                    let (new, _) = new_invitation(&format!("i{i}"));
                    ok(record.send(&acme, new, Actor::System, at), "send");
                }
                3 => {
                    let (new, _) = new_invitation(&format!("i{i}"));
                    ok(record.send(&acme, new, Actor::System, at), "send");
                    ok(record.revoke(Actor::System, at), "revoke");
                }
                4 => {
                    record.client.activated_at = Some(at);
                }
                _ => {}
            }
        }
        if i % 11 == 0 {
            record.client.archived_at = Some(at);
        }
        records.push(record);
    }
    let changes: Vec<Change> = records
        .iter()
        .cloned()
        .map(Change::InsertClient)
        .chain(std::iter::once(Change::InsertClient(client(
            "globex",
            "g-only",
            Some("user1@example.com"),
            t0(),
        ))))
        .collect();
    ok(store.apply(&changes), "population");
    records.sort_by(|a, b| {
        (a.client.created_at, &a.client.id).cmp(&(b.client.created_at, &b.client.id))
    });
    records
}

fn ids(records: &[ClientRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.client.id.as_str().to_owned())
        .collect()
}

/// Every filter, alone and combined, at instants before and after deadlines, gives exactly the
/// clients [`ClientQuery::matches`] accepts, in order.
pub fn list_filters_match_the_reference(store: &dyn Store) {
    let records = population(store);
    let acme = OrgId::new("acme");
    let days = [0i64, 1, 13, 14, 15, 60];
    let mut queries = Vec::new();
    for &d in &days {
        let now = t0() + Duration::days(d) + Duration::hours(3);
        queries.push(ClientQuery::all(now));
        for status in StatusKind::ALL {
            queries.push(ClientQuery {
                status: Some(status),
                ..ClientQuery::all(now)
            });
        }
    }
    let now = t0() + Duration::days(14) + Duration::hours(3);
    for role in Role::ALL {
        queries.push(ClientQuery {
            role: Some(role),
            ..ClientQuery::all(now)
        });
    }
    for group in ["g1", "g2", "g3"] {
        queries.push(ClientQuery {
            group: Some(GroupId::new(group)),
            ..ClientQuery::all(now)
        });
    }
    queries.push(ClientQuery {
        program: Some(ProgramId::new("p1")),
        ..ClientQuery::all(now)
    });
    queries.push(ClientQuery {
        staff: Some(ClientId::new("staff1")),
        ..ClientQuery::all(now)
    });
    for search in [
        "ada",
        "ZOË",
        "user1",
        "@example.COM",
        " bob ",
        "nobody",
        "ünal",
    ] {
        queries.push(ClientQuery {
            search: Some(search.to_owned()),
            ..ClientQuery::all(now)
        });
    }
    queries.push(ClientQuery {
        never_invited: true,
        ..ClientQuery::all(now)
    });
    queries.push(ClientQuery {
        role: Some(Role::Client),
        status: Some(StatusKind::InviteExpired),
        group: Some(GroupId::new("g1")),
        search: Some("user".to_owned()),
        ..ClientQuery::all(now)
    });
    queries.push(ClientQuery {
        never_invited: true,
        staff: Some(ClientId::new("staff1")),
        role: Some(Role::Guest),
        ..ClientQuery::all(now)
    });
    for query in &queries {
        let expected: Vec<ClientRecord> = records
            .iter()
            .filter(|r| query.matches(r))
            .cloned()
            .collect();
        let page = ok(store.list_clients(&acme, query), "list");
        assert_eq!(ids(&page.records), ids(&expected), "{query:?}");
        assert_eq!(page.records, expected, "records differ for {query:?}");
        assert_eq!(page.total, expected.len() as u64, "total for {query:?}");
    }
    // The summary's status is lifecycle's.
    for &d in &days {
        let now = t0() + Duration::days(d);
        for record in &records {
            assert_eq!(
                Summary::of(record).status_kind(&record.client, now),
                record.status(now).kind()
            );
        }
    }
}

/// Offsets, limits and the counts over all matches.
pub fn list_pages_and_counts(store: &dyn Store) {
    let records = population(store);
    let acme = OrgId::new("acme");
    let now = t0() + Duration::days(1);
    let since = t0() + Duration::hours(4);
    let all: Vec<&ClientRecord> = records.iter().collect();
    let activated = all
        .iter()
        .filter(|r| r.status(now).kind() == StatusKind::Activated)
        .count() as u64;
    let new = all.iter().filter(|r| r.client.created_at >= since).count() as u64;
    for (offset, limit) in [
        (0u64, Some(5usize)),
        (5, Some(5)),
        (38, Some(5)),
        (50, Some(5)),
        (3, None),
    ] {
        let query = ClientQuery {
            offset,
            limit,
            new_since: Some(since),
            ..ClientQuery::all(now)
        };
        let page = ok(store.list_clients(&acme, &query), "page");
        let expected: Vec<String> = ids(&records)
            .into_iter()
            .skip(offset as usize)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        assert_eq!(
            ids(&page.records),
            expected,
            "offset {offset} limit {limit:?}"
        );
        assert_eq!(page.total, records.len() as u64);
        assert_eq!(page.activated, activated, "activated count");
        assert_eq!(page.new, new, "new count");
    }
    let page = ok(
        store.list_clients(&OrgId::new("nowhere"), &ClientQuery::all(now)),
        "missing org",
    );
    assert_eq!(page.total, 0);
    assert_eq!(
        ok(
            store.list_clients(&OrgId::new("globex"), &ClientQuery::all(now)),
            "globex"
        )
        .total,
        1,
        "organizations leak into each other's lists"
    );
}

/// Groups have unique names per organization (case-insensitive); programs are listed by name.
pub fn groups_and_programs(store: &dyn Store) {
    setup(store, &["acme", "globex"]);
    let acme = OrgId::new("acme");
    let group = |id: &str, org: &str, name: &str| Group {
        id: GroupId::new(id),
        org: OrgId::new(org),
        name: name.to_owned(),
        co_owners: vec![ClientId::new("owner1")],
        created_at: t0(),
    };
    ok(
        store.apply(&[Change::PutGroup(group("g1", "acme", "Cohort B"))]),
        "put",
    );
    ok(
        store.apply(&[Change::PutGroup(group("g2", "acme", "Cohort A"))]),
        "put",
    );
    ok(
        store.apply(&[Change::PutGroup(group("g3", "globex", "cohort a"))]),
        "other org",
    );
    assert_eq!(
        code(
            store.apply(&[Change::PutGroup(group("g4", "acme", "COHORT a"))]),
            "same name"
        ),
        ErrorCode::GroupExists
    );
    ok(
        store.apply(&[Change::PutGroup(group("g1", "acme", "Cohort C"))]),
        "rename",
    );
    let names: Vec<String> = ok(store.groups(&acme), "groups")
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["Cohort A", "Cohort C"]);
    let program = |id: &str, name: &str| Program {
        id: ProgramId::new(id),
        org: acme.clone(),
        name: name.to_owned(),
    };
    ok(
        store.apply(&[
            Change::PutProgram(program("p2", "Mentoring")),
            Change::PutProgram(program("p1", "Coaching")),
        ]),
        "programs",
    );
    let programs = ok(store.programs(&acme), "programs");
    assert_eq!(
        programs,
        vec![program("p1", "Coaching"), program("p2", "Mentoring")]
    );
}

/// Deleting a group takes every client out of it and bumps their versions.
pub fn deleting_a_group_empties_it(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    ok(
        store.apply(&[Change::PutGroup(Group {
            id: GroupId::new("g1"),
            org: acme.clone(),
            name: "Cohort".to_owned(),
            co_owners: Vec::new(),
            created_at: t0(),
        })]),
        "group",
    );
    let mut member = client("acme", "c1", Some("a@example.com"), t0());
    member.client.groups = vec![GroupId::new("g1"), GroupId::new("g2")];
    let outsider = client("acme", "c2", Some("b@example.com"), t0());
    ok(
        store.apply(&[
            Change::InsertClient(member.clone()),
            Change::InsertClient(outsider.clone()),
        ]),
        "clients",
    );
    ok(
        store.apply(&[Change::DeleteGroup {
            org: acme.clone(),
            id: GroupId::new("g1"),
        }]),
        "delete",
    );
    let after = ok(store.client(&acme, &member.client.id), "read")
        .unwrap_or_else(|| panic!("member vanished"));
    assert_eq!(after.client.groups, vec![GroupId::new("g2")]);
    assert_eq!(after.client.version, member.client.version + 1);
    assert_eq!(
        ok(store.client(&acme, &outsider.client.id), "read"),
        Some(outsider)
    );
    assert!(ok(store.groups(&acme), "groups").is_empty());
    assert_eq!(
        code(
            store.apply(&[Change::DeleteGroup {
                org: acme,
                id: GroupId::new("g1")
            }]),
            "second delete"
        ),
        ErrorCode::GroupNotFound
    );
}

/// Sign-up links are found by their current token only, and updated by compare-and-set.
pub fn signup_links(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    let token = Token::mint().unwrap_or_else(|e| panic!("entropy: {e}"));
    let link = SignupLink {
        id: "s1".into(),
        org: acme.clone(),
        token_hash: token.hash(),
        role: Role::Client,
        max_uses: Some(3),
        uses: 0,
        allowed_domains: vec!["example.com".to_owned()],
        created_by: Some(ClientId::new("admin")),
        created_at: t0(),
        rotated_at: None,
        disabled_at: None,
        version: 0,
    };
    ok(
        store.apply(&[Change::InsertSignupLink(link.clone())]),
        "insert",
    );
    assert_eq!(
        ok(store.signup_link_by_token(&token.hash()), "by token"),
        Some(link.clone())
    );
    let fresh = Token::mint().unwrap_or_else(|e| panic!("entropy: {e}"));
    let mut rotated = link.clone();
    rotated.token_hash = fresh.hash();
    rotated.rotated_at = Some(t0() + Duration::hours(1));
    rotated.version = 1;
    ok(
        store.apply(&[Change::UpdateSignupLink {
            link: rotated.clone(),
            expected_version: 0,
        }]),
        "rotate",
    );
    assert_eq!(
        ok(store.signup_link_by_token(&token.hash()), "old token"),
        None
    );
    assert_eq!(
        ok(store.signup_link_by_token(&fresh.hash()), "new token"),
        Some(rotated.clone())
    );
    let mut stale = link.clone();
    stale.uses = 1;
    stale.version = 1;
    assert_eq!(
        code(
            store.apply(&[Change::UpdateSignupLink {
                link: stale,
                expected_version: 0
            }]),
            "stale update"
        ),
        ErrorCode::Conflict
    );
    assert_eq!(ok(store.signup_links(&acme), "links"), vec![rotated]);
}

/// Events come back in the order recorded, per organization, with skip and limit.
pub fn events_in_order(store: &dyn Store) {
    setup(store, &["acme", "globex"]);
    let acme = OrgId::new("acme");
    let events: Vec<Event> = (0..5)
        .map(|i| Event {
            org: acme.clone(),
            actor: Actor::Member(ClientId::new(format!("m{i}"))),
            action: Action::ClientArchived,
            subject: Subject::Client(ClientId::new(format!("c{i}"))),
            at: t0() + Duration::seconds(10 - i),
        })
        .collect();
    let mut changes: Vec<Change> = events.iter().cloned().map(Change::RecordEvent).collect();
    changes.insert(
        2,
        Change::RecordEvent(Event {
            org: OrgId::new("globex"),
            actor: Actor::System,
            action: Action::ClientRestored,
            subject: Subject::Client(ClientId::new("x")),
            at: t0(),
        }),
    );
    ok(store.apply(&changes), "events");
    assert_eq!(ok(store.events(&acme, 0, 100), "all"), events);
    assert_eq!(ok(store.events(&acme, 1, 2), "page"), events[1..3].to_vec());
    assert_eq!(
        ok(store.events(&OrgId::new("globex"), 0, 100), "globex").len(),
        1
    );
}

/// Claims respect limits, ids and leases; failed messages are claimed again.
pub fn outbox_claims(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    let changes: Vec<Change> = (0..5)
        .map(|i| {
            Change::Enqueue(message(
                &format!("m{i}"),
                "acme",
                &format!("c{i}"),
                t0() + Duration::seconds(i),
            ))
        })
        .collect();
    ok(store.apply(&changes), "enqueue");
    let now = t0() + Duration::minutes(1);
    let first = ok(
        store.claim_messages(&Claim::new(now, Duration::minutes(5), 2)),
        "claim",
    );
    let claimed: Vec<&str> = first.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(claimed, ["m0", "m1"], "oldest first, at most the limit");
    assert!(
        first
            .iter()
            .all(|m| m.attempts == 1 && m.claimed_until == Some(now + Duration::minutes(5)))
    );
    let second = ok(
        store.claim_messages(&Claim::new(now, Duration::minutes(5), 10)),
        "claim",
    );
    let claimed: Vec<&str> = second.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        claimed,
        ["m2", "m3", "m4"],
        "a held message was claimed twice"
    );
    assert!(
        ok(
            store.claim_messages(&Claim::new(now, Duration::minutes(5), 10)),
            "claim"
        )
        .is_empty()
    );
    ok(
        store.mark_failed(&MessageId::new("m1"), "mailbox full"),
        "fail",
    );
    let retry = ok(
        store.claim_messages(&Claim::new(now, Duration::minutes(5), 10)),
        "retry",
    );
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].id.as_str(), "m1");
    assert_eq!(retry[0].attempts, 2);
    assert_eq!(retry[0].state, DeliveryState::Failed);
    assert_eq!(retry[0].last_error.as_deref(), Some("mailbox full"));
    // After the lease, a worker that died leaves its messages to others.
    let later = now + Duration::minutes(6);
    let mut by_id = Claim::new(later, Duration::minutes(5), 10);
    by_id.ids = Some(vec![MessageId::new("m3"), MessageId::new("m0")]);
    let expired = ok(store.claim_messages(&by_id), "claim by id");
    let claimed: Vec<&str> = expired.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(claimed, ["m0", "m3"]);
    assert_eq!(ok(store.messages(&acme, None, 100), "all").len(), 5);
    assert_eq!(
        ok(
            store.messages(&acme, Some(DeliveryState::Failed), 100),
            "failed"
        )
        .len(),
        1
    );
    assert_eq!(
        code(
            store.mark_failed(&MessageId::new("zz"), "x"),
            "unknown message"
        ),
        ErrorCode::MessageNotFound
    );
}

/// A sent message loses its bodies and is never claimed again, whatever happens after.
pub fn outbox_sent_is_final(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    ok(
        store.apply(&[Change::Enqueue(message("m1", "acme", "c1", t0()))]),
        "enqueue",
    );
    let claimed = ok(
        store.claim_messages(&Claim::new(t0(), Duration::minutes(5), 10)),
        "claim",
    );
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message.text, "secret link");
    ok(
        store.mark_sent(&[MessageId::new("m1")], t0() + Duration::seconds(1)),
        "sent",
    );
    ok(
        store.mark_failed(&MessageId::new("m1"), "late failure"),
        "late failure",
    );
    let later = t0() + Duration::days(1);
    assert!(
        ok(
            store.claim_messages(&Claim::new(later, Duration::minutes(5), 10)),
            "claim"
        )
        .is_empty()
    );
    let stored = ok(store.messages(&acme, None, 10), "messages");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].state, DeliveryState::Sent);
    assert_eq!(stored[0].sent_at, Some(t0() + Duration::seconds(1)));
    assert!(stored[0].message.text.is_empty() && stored[0].message.html.is_empty());
    assert_eq!(stored[0].message.subject, "You're invited");
    assert_eq!(
        code(
            store.mark_sent(&[MessageId::new("zz")], t0()),
            "unknown message"
        ),
        ErrorCode::MessageNotFound
    );
    // A batch of marks with an unknown id marks none.
    ok(
        store.apply(&[Change::Enqueue(message("m2", "acme", "c2", t0()))]),
        "enqueue",
    );
    assert_eq!(
        code(
            store.mark_sent(&[MessageId::new("m2"), MessageId::new("zz")], t0()),
            "marks with an unknown id"
        ),
        ErrorCode::MessageNotFound
    );
    let pending = ok(
        store.messages(&acme, Some(DeliveryState::Pending), 10),
        "pending",
    );
    assert_eq!(pending.len(), 1, "a failed batch of marks marked some");
    assert_eq!(pending[0].message.text, "secret link");
}

/// Eight threads update one client from the same version: exactly one wins.
pub fn racing_updates_have_one_winner(store: &dyn Store) {
    setup(store, &["acme"]);
    let acme = OrgId::new("acme");
    let record = client("acme", "c1", Some("a@example.com"), t0());
    ok(
        store.apply(&[Change::InsertClient(record.clone())]),
        "insert",
    );
    let wins = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for i in 0..8 {
            let record = record.clone();
            let wins = &wins;
            scope.spawn(move || {
                let mut mine = record;
                mine.client.name = Some(format!("writer {i}"));
                mine.client.version += 1;
                match store.apply(&[Change::UpdateClient {
                    record: mine,
                    expected_version: 0,
                }]) {
                    Ok(()) => {
                        wins.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(e) => assert_eq!(e.code(), ErrorCode::Conflict, "{e}"),
                }
            });
        }
    });
    assert_eq!(wins.into_inner(), 1, "racing updates from one version");
    let stored = ok(store.client(&acme, &record.client.id), "read")
        .unwrap_or_else(|| panic!("client vanished"));
    assert_eq!(stored.client.version, 1);
}
