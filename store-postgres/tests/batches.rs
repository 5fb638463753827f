//! What the conformance suite leaves open and this store must decide exactly as the SQLite
//! store (the model) does: the error of a batch in which several changes fail is the first
//! failing change's, whether the batch was applied in bulk or one change at a time, and a
//! failed batch leaves nothing; instants keep their nanoseconds; an instant the store cannot
//! keep is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::message::Message;
use invitekit::model::{
    Action, Actor, Client, ClientId, Email, Event, Group, GroupId, Invitation, InvitationId,
    MessageId, OrgId, Organization, Role, Subject,
};
use invitekit::store::{Change, ClientQuery, Store};
use invitekit::token::TokenHash;
use invitekit_sqlite::SqliteStore;

use common::t0;

fn acme() -> OrgId {
    OrgId::new("acme")
}

fn client(id: &str, address: Option<&str>) -> ClientRecord {
    ClientRecord {
        client: Client::new(
            ClientId::new(id),
            acme(),
            address.map(|a| Email {
                address: a.to_owned(),
                key: a.to_lowercase(),
            }),
            Role::Client,
            t0(),
        ),
        invitations: Vec::new(),
    }
}

fn invited(id: &str, address: &str, byte: u8) -> ClientRecord {
    let mut record = client(id, Some(address));
    record
        .invitations
        .push(invitation(id, &format!("i-{id}"), byte, t0()));
    record
}

fn invitation(client: &str, id: &str, byte: u8, sent_at: DateTime<Utc>) -> Invitation {
    Invitation {
        id: InvitationId::new(id),
        org: acme(),
        client: ClientId::new(client),
        token_hash: TokenHash([byte; 32]),
        sent_by: None,
        sent_at,
        expires_at: sent_at + Duration::days(14),
        revoked_at: None,
        accepted_at: None,
        retired_at: None,
    }
}

fn event(subject: &str, org: &str) -> Event {
    Event {
        org: OrgId::new(org),
        actor: Actor::System,
        action: Action::ClientCreated { role: Role::Client },
        subject: Subject::Client(ClientId::new(subject)),
        at: t0(),
    }
}

fn message(id: &str) -> OutboxMessage {
    OutboxMessage::new(
        MessageId::new(id),
        acme(),
        ClientId::new("c1"),
        None,
        Message {
            to: "jane@example.com".to_owned(),
            to_name: Some("Jane".to_owned()),
            subject: "You're invited".to_owned(),
            text: "link".to_owned(),
            html: "<p>link</p>".to_owned(),
        },
        t0(),
    )
}

fn far() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2300, 1, 1, 0, 0, 0).unwrap()
}

/// Everything a batch may have written, as the test compares it.
fn state(store: &dyn Store) -> String {
    let org = acme();
    let page = store.list_clients(&org, &ClientQuery::all(t0())).unwrap();
    let events = store.events(&org, 0, 10_000).unwrap();
    let messages = store.messages(&org, None, 10_000).unwrap();
    let groups = store.groups(&org).unwrap();
    format!("{:?}\n{events:?}\n{messages:?}\n{groups:?}", page.records)
}

/// Applies `changes` to both stores: the same answer, the same state after.
fn both(postgres: &dyn Store, sqlite: &SqliteStore, changes: &[Change], what: &str) {
    let expected = sqlite.apply(changes).map_err(|e| e.code());
    let got = postgres.apply(changes).map_err(|e| e.code());
    assert_eq!(got, expected, "{what}");
    assert_eq!(state(postgres), state(sqlite), "{what}: the states differ");
}

#[test]
fn the_first_failing_change_decides_the_error_in_bulk_and_in_order() {
    let Some(store) = common::TestStore::new() else {
        return;
    };
    let postgres: &dyn Store = &store;
    let sqlite = SqliteStore::open_in_memory().unwrap();
    let org = Organization::new(acme(), "Acme", t0());
    both(
        postgres,
        &sqlite,
        &[
            Change::InsertOrganization(org.clone()),
            Change::InsertClient(invited("c0", "zed@example.com", 200)),
            Change::Enqueue(message("m0")),
            Change::PutGroup(Group {
                id: GroupId::new("g1"),
                org: acme(),
                name: "Cohort".to_owned(),
                co_owners: Vec::new(),
                created_at: t0(),
            }),
        ],
        "setup",
    );
    let mut stale = client("c0", Some("zed@example.com"));
    stale.client.version = 5;
    let stale_update = || Change::UpdateClient {
        record: stale.clone(),
        expected_version: 4,
    };
    let mut far_client = client("cfar", Some("far@example.com"));
    far_client.client.created_at = far();
    let mut far_invitation = invited("cfi", "fi@example.com", 90);
    far_invitation.invitations[0].revoked_at = Some(far());
    let mut twice = invited("ctw", "tw@example.com", 91);
    twice.invitations.push(invitation("ctw", "i-ctw", 92, t0()));
    let batches: Vec<(&str, Vec<Change>)> = vec![
        (
            "an address already stored, then a token already stored",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::InsertClient(client("c2", Some("ZED@example.com"))),
                Change::InsertClient(invited("c3", "b@example.com", 200)),
            ],
        ),
        (
            "a token already stored, then an address already stored",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::InsertClient(invited("c3", "b@example.com", 200)),
                Change::InsertClient(client("c2", Some("zed@example.com"))),
            ],
        ),
        (
            "an id already stored",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::InsertClient(client("c0", Some("other@example.com"))),
            ],
        ),
        (
            "two new clients with one address (the later fails)",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::RecordEvent(event("c1", "acme")),
                Change::InsertClient(client("c2", Some("A@example.com"))),
            ],
        ),
        (
            "one token in two new clients",
            vec![
                Change::InsertClient(invited("c1", "a@example.com", 7)),
                Change::InsertClient(invited("c2", "b@example.com", 7)),
            ],
        ),
        (
            "an invitation id twice in a record",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::InsertClient(twice.clone()),
            ],
        ),
        (
            "a message id already stored before an address already stored",
            vec![
                Change::Enqueue(message("m0")),
                Change::InsertClient(client("c2", Some("zed@example.com"))),
            ],
        ),
        (
            "an address already stored before a message id already stored",
            vec![
                Change::InsertClient(client("c2", Some("zed@example.com"))),
                Change::Enqueue(message("m0")),
            ],
        ),
        (
            "a message id twice in the batch",
            vec![
                Change::Enqueue(message("m1")),
                Change::Enqueue(message("m1")),
            ],
        ),
        (
            "an event of a missing organization before a client",
            vec![
                Change::RecordEvent(event("c1", "nowhere")),
                Change::InsertClient(client("c1", Some("a@example.com"))),
            ],
        ),
        (
            "an event of an organization the batch creates later",
            vec![
                Change::RecordEvent(event("c1", "later")),
                Change::InsertOrganization(Organization::new(OrgId::new("later"), "L", t0())),
            ],
        ),
        (
            "an instant the store cannot keep, then an address already stored",
            vec![
                Change::InsertClient(far_client.clone()),
                Change::InsertClient(client("c2", Some("zed@example.com"))),
            ],
        ),
        (
            "an address already stored, then an instant the store cannot keep",
            vec![
                Change::InsertClient(client("c2", Some("zed@example.com"))),
                Change::InsertClient(far_invitation.clone()),
            ],
        ),
        (
            "a stale update after new clients",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::RecordEvent(event("c1", "acme")),
                stale_update(),
            ],
        ),
        (
            "a stale update after a new message",
            vec![Change::Enqueue(message("m2")), stale_update()],
        ),
        (
            "a message id already stored before a stale update",
            vec![Change::Enqueue(message("m0")), stale_update()],
        ),
        (
            "a taken group name after a new client",
            vec![
                Change::InsertClient(client("c1", Some("a@example.com"))),
                Change::PutGroup(Group {
                    id: GroupId::new("g2"),
                    org: acme(),
                    name: "COHORT".to_owned(),
                    co_owners: Vec::new(),
                    created_at: t0(),
                }),
            ],
        ),
    ];
    for (what, changes) in &batches {
        both(postgres, &sqlite, changes, what);
        let code = sqlite.apply(changes).map_err(|e| e.code());
        assert!(code.is_err(), "{what}: the batch was meant to fail");
    }
    assert_eq!(
        postgres
            .apply(&[
                Change::InsertClient(far_client),
                Change::InsertClient(client("cx", None))
            ])
            .map_err(|e| e.code()),
        Err(ErrorCode::StorageFailed)
    );

    // A batch that succeeds: clients, events, messages, a group and updates of what the batch
    // inserted, in one transaction.
    let mut inserted = invited("c5", "five@example.com", 55);
    inserted.client.groups.push(GroupId::new("g1"));
    let mut updated = inserted.clone();
    updated.client.version = 1;
    updated.client.name = Some("Five".to_owned());
    updated.invitations[0].revoked_at = Some(t0() + Duration::hours(1));
    let changes = vec![
        Change::RecordEvent(event("c5", "acme")),
        Change::InsertClient(inserted),
        Change::Enqueue(message("m5")),
        Change::InsertClient(client("c6", None)),
        Change::InsertClient(client("c7", Some("seven@example.com"))),
        Change::UpdateClient {
            record: updated,
            expected_version: 0,
        },
        Change::RecordEvent(event("c6", "acme")),
        Change::DeleteGroup {
            org: acme(),
            id: GroupId::new("g1"),
        },
        Change::Enqueue(message("m6")),
        Change::RecordEvent(event("c7", "acme")),
    ];
    both(postgres, &sqlite, &changes, "a batch that succeeds");
    let messages = postgres
        .messages(&acme(), Some(DeliveryState::Pending), 10)
        .unwrap();
    let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m0", "m5", "m6"], "messages in the order enqueued");
}

#[test]
fn instants_keep_their_nanoseconds_and_out_of_range_ones_are_refused() {
    let Some(store) = common::TestStore::new() else {
        return;
    };
    store
        .apply(&[Change::InsertOrganization(Organization::new(
            acme(),
            "Acme",
            t0(),
        ))])
        .unwrap();
    let mut record = client("c1", Some("jane@example.com"));
    let odd = t0() + Duration::nanoseconds(123_456_789);
    record.client.created_at = odd;
    record.client.last_seen_at = Some(odd + Duration::nanoseconds(1));
    record.invitations = vec![invitation("c1", "i1", 1, odd)];
    store
        .apply(&[Change::InsertClient(record.clone())])
        .unwrap();
    assert_eq!(
        store.client(&acme(), &record.client.id).unwrap(),
        Some(record)
    );
    let mut far_client = client("c2", None);
    far_client.client.created_at = far();
    for changes in [
        vec![Change::InsertClient(far_client.clone())],
        vec![
            Change::InsertClient(client("c3", Some("x@example.com"))),
            Change::InsertClient(far_client),
        ],
    ] {
        let error = store.apply(&changes).unwrap_err();
        assert_eq!(error.code(), ErrorCode::StorageFailed);
        assert!(error.to_string().contains("1677 to 2262"), "{error}");
    }
    assert_eq!(
        store
            .list_clients(&acme(), &ClientQuery::all(t0()))
            .unwrap()
            .total,
        1,
        "a refused batch wrote nothing"
    );
}

#[test]
fn awkward_group_and_program_ids_read_back_from_bulk_and_single_writes() {
    let Some(store) = common::TestStore::new() else {
        return;
    };
    store
        .apply(&[Change::InsertOrganization(Organization::new(
            acme(),
            "Acme",
            t0(),
        ))])
        .unwrap();
    let awkward = [
        "a,b",
        "q\"uote",
        "back\\slash",
        "{brace}",
        "",
        "NULL",
        " spaced ",
        "ünï",
    ];
    let make = |id: &str| {
        let mut record = client(id, Some(&format!("{id}@example.com")));
        record.client.groups = awkward.iter().map(|g| GroupId::new(*g)).collect();
        record.client.programs = awkward
            .iter()
            .rev()
            .map(|p| invitekit::model::ProgramId::new(*p))
            .collect();
        record
    };
    let (one, two, three) = (make("c1"), make("c2"), make("c3"));
    // Two in one batch (bulk), one alone (one statement).
    store
        .apply(&[
            Change::InsertClient(one.clone()),
            Change::InsertClient(two.clone()),
        ])
        .unwrap();
    store.apply(&[Change::InsertClient(three.clone())]).unwrap();
    for record in [one, two, three] {
        assert_eq!(
            store.client(&acme(), &record.client.id).unwrap(),
            Some(record)
        );
    }
    let members = store
        .list_clients(
            &acme(),
            &ClientQuery {
                group: Some(GroupId::new("q\"uote")),
                ..ClientQuery::all(t0())
            },
        )
        .unwrap();
    assert_eq!(members.total, 3);
}
