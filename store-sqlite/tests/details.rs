//! What the conformance suite leaves open and this store decides: instants it cannot keep,
//! invitations sent at one instant, the error of each refused change, the outbox's corners.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::lifecycle::ClientRecord;
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::message::Message;
use invitekit::model::{
    Client, ClientId, Email, Group, GroupId, Invitation, InvitationId, MessageId, OrgId,
    Organization, Role, SignupLink,
};
use invitekit::store::{Change, Claim, ClientQuery, Store};
use invitekit::token::TokenHash;
use invitekit_sqlite::SqliteStore;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("instant"))
}

fn store() -> SqliteStore {
    let store = SqliteStore::open_in_memory().unwrap_or_else(|e| panic!("open: {e}"));
    store
        .apply(&[Change::InsertOrganization(Organization::new(
            OrgId::new("acme"),
            "Acme",
            t0(),
        ))])
        .unwrap_or_else(|e| panic!("organization: {e}"));
    store
}

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

fn code(result: Result<(), invitekit::Error>) -> ErrorCode {
    match result {
        Ok(()) => panic!("expected an error"),
        Err(e) => e.code(),
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

#[test]
fn instants_keep_their_nanoseconds() {
    let store = store();
    let mut record = client("c1", Some("jane@example.com"));
    let odd = t0() + Duration::nanoseconds(123_456_789);
    record.client.created_at = odd;
    record.client.last_seen_at = Some(odd + Duration::nanoseconds(1));
    record.invitations = vec![invitation("c1", "i1", 1, odd)];
    store
        .apply(&[Change::InsertClient(record.clone())])
        .unwrap_or_else(|e| panic!("insert: {e}"));
    assert_eq!(
        store.client(&acme(), &record.client.id).ok().flatten(),
        Some(record)
    );
}

#[test]
fn an_instant_the_store_cannot_keep_is_refused_and_nothing_is_written() {
    let store = store();
    let mut far = client("c2", None);
    far.client.created_at = Utc
        .with_ymd_and_hms(2300, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("instant"));
    let result = store.apply(&[
        Change::InsertClient(client("c1", Some("jane@example.com"))),
        Change::InsertClient(far),
    ]);
    assert_eq!(code(result), ErrorCode::StorageFailed);
    assert_eq!(
        store
            .list_clients(&acme(), &ClientQuery::all(t0()))
            .map(|page| page.total)
            .ok(),
        Some(0)
    );
}

#[test]
fn invitations_sent_at_one_instant_keep_the_order_they_were_stored_in() {
    let store = store();
    let mut record = client("c1", Some("jane@example.com"));
    record.invitations = vec![
        invitation("c1", "z-first", 1, t0()),
        invitation("c1", "a-second", 2, t0()),
    ];
    store
        .apply(&[Change::InsertClient(record.clone())])
        .unwrap_or_else(|e| panic!("insert: {e}"));
    let mut next = record.clone();
    next.client.version = 1;
    next.invitations.push(invitation("c1", "m-third", 3, t0()));
    store
        .apply(&[Change::UpdateClient {
            record: next,
            expected_version: 0,
        }])
        .unwrap_or_else(|e| panic!("update: {e}"));
    let ids: Vec<String> = store
        .client(&acme(), &record.client.id)
        .ok()
        .flatten()
        .map(|r| r.invitations.into_iter().map(|i| i.id.0).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["z-first", "a-second", "m-third"]);
}

#[test]
fn each_refused_change_has_its_code() {
    let store = store();
    let mut jane = client("c1", Some("jane@example.com"));
    jane.invitations = vec![invitation("c1", "i1", 1, t0())];
    store
        .apply(&[Change::InsertClient(jane.clone())])
        .unwrap_or_else(|e| panic!("insert: {e}"));

    // A token hash is unique across the database.
    let mut bob = client("c2", Some("bob@example.com"));
    bob.invitations = vec![invitation("c2", "i1", 1, t0())];
    assert_eq!(
        code(store.apply(&[Change::InsertClient(bob)])),
        ErrorCode::InvitationExists
    );
    // One invitation id twice in one record.
    let mut twice = client("c3", Some("twice@example.com"));
    twice.invitations = vec![
        invitation("c3", "i1", 5, t0()),
        invitation("c3", "i1", 6, t0()),
    ];
    assert_eq!(
        code(store.apply(&[Change::InsertClient(twice)])),
        ErrorCode::InvitationExists
    );
    // Updating a client whose organization does not exist.
    let mut stranger = client("c1", None);
    stranger.client.org = OrgId::new("nowhere");
    assert_eq!(
        code(store.apply(&[Change::UpdateClient {
            record: stranger,
            expected_version: 0
        }])),
        ErrorCode::ClientNotFound
    );
    // Groups: a rename onto a taken name (compared in lowercase, beyond ASCII too).
    let group = |id: &str, name: &str| Group {
        id: GroupId::new(id),
        org: acme(),
        name: name.to_owned(),
        co_owners: vec![ClientId::new("c1")],
        created_at: t0(),
    };
    store
        .apply(&[
            Change::PutGroup(group("g1", "Équipe")),
            Change::PutGroup(group("g2", "Other")),
        ])
        .unwrap_or_else(|e| panic!("groups: {e}"));
    assert_eq!(
        code(store.apply(&[Change::PutGroup(group("g2", "ÉQUIPE"))])),
        ErrorCode::GroupExists
    );
    assert_eq!(
        code(store.apply(&[Change::DeleteGroup {
            org: OrgId::new("nowhere"),
            id: GroupId::new("g1")
        }])),
        ErrorCode::OrganizationNotFound
    );
    let mut orphan = group("g9", "Orphan");
    orphan.org = OrgId::new("nowhere");
    assert_eq!(
        code(store.apply(&[Change::PutGroup(orphan)])),
        ErrorCode::OrganizationNotFound
    );
    // Sign-up links: an id twice is a conflict; an update of a missing link is not found.
    let link = SignupLink {
        id: "s1".into(),
        org: acme(),
        token_hash: TokenHash([9; 32]),
        role: Role::Guest,
        max_uses: None,
        uses: 0,
        allowed_domains: Vec::new(),
        created_by: None,
        created_at: t0(),
        rotated_at: None,
        disabled_at: None,
        version: 0,
    };
    store
        .apply(&[Change::InsertSignupLink(link.clone())])
        .unwrap_or_else(|e| panic!("link: {e}"));
    assert_eq!(
        code(store.apply(&[Change::InsertSignupLink(link.clone())])),
        ErrorCode::Conflict
    );
    let mut missing = link.clone();
    missing.id = "s2".into();
    assert_eq!(
        code(store.apply(&[Change::UpdateSignupLink {
            link: missing,
            expected_version: 0
        }])),
        ErrorCode::SignupLinkNotFound
    );
    // Messages: an id twice is a conflict.
    store
        .apply(&[Change::Enqueue(message("m1"))])
        .unwrap_or_else(|e| panic!("enqueue: {e}"));
    assert_eq!(
        code(store.apply(&[Change::Enqueue(message("m1"))])),
        ErrorCode::Conflict
    );
    // Nothing of the refused changes was kept.
    assert_eq!(
        store
            .list_clients(&acme(), &ClientQuery::all(t0()))
            .map(|page| page.total)
            .ok(),
        Some(1)
    );
}

#[test]
fn outbox_corners() {
    let store = store();
    store
        .apply(&[
            Change::Enqueue(message("m1")),
            Change::Enqueue(message("m2")),
        ])
        .unwrap_or_else(|e| panic!("enqueue: {e}"));
    assert!(
        store
            .claim_messages(&Claim::new(t0(), Duration::minutes(5), 0))
            .unwrap_or_else(|e| panic!("claim: {e}"))
            .is_empty(),
        "a claim of none"
    );
    store
        .mark_sent(&[MessageId::new("m1")], t0())
        .unwrap_or_else(|e| panic!("sent: {e}"));
    // A sent message is not claimed even by id, and a late failure leaves it sent.
    let mut by_id = Claim::new(t0(), Duration::minutes(5), 10);
    by_id.ids = Some(vec![MessageId::new("m1"), MessageId::new("nope")]);
    assert!(
        store
            .claim_messages(&by_id)
            .unwrap_or_else(|e| panic!("claim: {e}"))
            .is_empty()
    );
    store
        .mark_failed(&MessageId::new("m1"), "bounced")
        .unwrap_or_else(|e| panic!("failed: {e}"));
    let sent = store
        .messages(&acme(), Some(DeliveryState::Sent), 10)
        .unwrap_or_else(|e| panic!("messages: {e}"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].last_error, None);
    assert_eq!(sent[0].message.to_name.as_deref(), Some("Jane"));
    assert_eq!(
        store
            .messages(&OrgId::new("other"), None, 10)
            .map(|m| m.len())
            .ok(),
        Some(0)
    );
    assert_eq!(
        store
            .mark_sent(&[MessageId::new("nope")], t0())
            .map_err(|e| e.code()),
        Err(ErrorCode::MessageNotFound)
    );
}

#[test]
fn reads_of_nothing_are_empty() {
    let store = store();
    assert_eq!(store.clients(&acme(), &[]).map(|r| r.len()).ok(), Some(0));
    assert_eq!(
        store.clients_by_key(&acme(), &[]).map(|r| r.len()).ok(),
        Some(0)
    );
    assert_eq!(store.apply(&[]).ok(), Some(()));
    assert_eq!(
        store.events(&acme(), u64::MAX, 10).map(|e| e.len()).ok(),
        Some(0)
    );
    assert_eq!(
        store
            .signup_link_by_token(&TokenHash([0; 32]))
            .ok()
            .flatten(),
        None
    );
}
