//! Every use case of [`Invitations`], run on any store (cargo feature `testkit`).
//!
//! Each flow takes a fresh, empty store and panics, naming what went wrong, when a use case
//! misbehaves on it. [`crate::service_flow_tests!`] turns them into one `#[test]` each:
//!
//! ```ignore
//! invitekit::service_flow_tests!(std::sync::Arc::new(invitekit::store::MemoryStore::new()));
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone as _, Utc};

use super::{
    ClientFilter, EntryOutcome, Invitations, NewClients, NewOrganization, NewSignupLink,
    ServiceOptions,
};
use crate::access::Member;
use crate::address::ParseOptions;
use crate::clock::{Clock as _, FixedClock};
use crate::lifecycle::StatusKind;
use crate::mailer::{DeliveryState, MemoryMailer, OutboxMessage};
use crate::message::MessageOptions;
use crate::model::{Assignment, ClientId, Identity, OrgId, Role};
use crate::policy::ExpiryWindow;
use crate::store::Store;
use crate::{Error, ErrorCode, ErrorKind};

/// Generates one `#[test]` per flow, each on a fresh store made by `$make` (an expression
/// giving an `Arc<dyn Store>`).
#[macro_export]
macro_rules! service_flow_tests {
    ($make:expr) => {
        $crate::service_flow_tests!(@each $make;
            an_invalid_entry_creates_nothing, an_over_cap_batch_creates_nothing,
            an_empty_batch_is_refused, invite_accept_expire_resend, existing_addresses_are_classified,
            a_preview_writes_nothing, csv_rows_with_roles_groups_and_programs, access_is_checked,
            never_invited_report_and_invite_all_but_unticked, bulk_assignment_and_groups,
            signup_links_create_rotate_disable_join, list_filters_and_counts, guests_are_invited_at_once,
            failed_mail_is_retried_and_sent_once, queued_mail_waits_for_a_worker, commands_per_client, export_has_statuses,
            racing_accepts_activate_once, organization_settings_change_and_nothing_else);
    };
    (@each $make:expr; $($flow:ident),+) => {
        $(
            #[test]
            fn $flow() {
                let store: std::sync::Arc<dyn $crate::store::Store> = $make;
                $crate::service::flows::$flow(store);
            }
        )+
    };
}

/// The instant flows start at: 2026-11-21 09:00 UTC.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

struct World {
    service: Invitations,
    mailer: Arc<MemoryMailer>,
    clock: Arc<FixedClock>,
    org: OrgId,
    admin: Member,
}

fn world_with(store: Arc<dyn Store>, mailer: MemoryMailer, options: ServiceOptions) -> World {
    let mailer = Arc::new(mailer);
    let clock = Arc::new(FixedClock::new(t0()));
    let service = Invitations::new(store, mailer.clone(), clock.clone()).with_options(options);
    let mut new = NewOrganization::new("acme", "Acme", "admin@acme.example");
    new.admin_name = Some("Ada Admin".to_owned());
    new.accept_url = Some("https://app.example.com/invitations/{token}".to_owned());
    let (org, admin) = ok(service.create_organization(&new), "create organization");
    World {
        service,
        mailer,
        clock,
        org: org.id,
        admin,
    }
}

fn world(store: Arc<dyn Store>) -> World {
    world_with(store, MemoryMailer::new(), ServiceOptions::default())
}

fn ok<T>(result: Result<T, Error>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: unexpected error {e}"))
}

fn err<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) -> Error {
    match result {
        Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        Err(e) => e,
    }
}

fn send() -> NewClients {
    NewClients {
        send: true,
        ..NewClients::default()
    }
}

/// The token in a delivered message's accept link.
fn token_of(message: &OutboxMessage) -> String {
    let marker = "https://app.example.com/invitations/";
    let start = message
        .message
        .text
        .find(marker)
        .unwrap_or_else(|| panic!("no accept link in {:?}", message.message.text))
        + marker.len();
    message.message.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

fn identity(address: &str) -> Identity {
    ok(
        Identity::from_email(address, &ParseOptions::default()),
        "identity",
    )
}

fn status_of(w: &World, id: &ClientId) -> StatusKind {
    ok(w.service.client(&w.org, &w.admin, id), "client")
        .status(w.clock.now())
        .kind()
}

fn created_ids(report: &super::BatchReport) -> Vec<ClientId> {
    report
        .entries
        .iter()
        .filter_map(|e| match &e.outcome {
            EntryOutcome::Created {
                client: Some(id), ..
            } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn total(w: &World) -> u64 {
    ok(
        w.service
            .list_clients(&w.org, &w.admin, &ClientFilter::default()),
        "list",
    )
    .total
}

/// One invalid address among three: nothing is created, nothing mailed, and the entry is named
/// with its position.
pub fn an_invalid_entry_creates_nothing(store: Arc<dyn Store>) {
    let w = world(store);
    let text = "jane@example.com\nbob@example\ncarol@example.org";
    let error = err(
        w.service.create_clients(&w.org, &w.admin, text, &send()),
        "batch with an invalid entry",
    );
    assert_eq!(error.code(), ErrorCode::InvalidBatch);
    let ErrorKind::InvalidBatch { entries } = error.kind() else {
        panic!("not an invalid batch: {error:?}");
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].index, entries[0].line, entries[0].column),
        (1, 2, 1)
    );
    assert_eq!(entries[0].text, "bob@example");
    assert_eq!(entries[0].code, ErrorCode::DotlessDomain);
    assert_eq!(&text[entries[0].start..entries[0].end], "bob@example");
    assert_eq!(total(&w), 1, "only the admin exists");
    assert!(w.mailer.messages().is_empty());
    assert!(
        ok(w.service.outbox(&w.org, &w.admin, None, 10), "outbox").is_empty(),
        "a refused batch left mail in the outbox"
    );
}

/// A batch over the cap creates nothing and marks the entries beyond it.
pub fn an_over_cap_batch_creates_nothing(store: Arc<dyn Store>) {
    let mut options = ServiceOptions::default();
    options.addresses.max_addresses = 2;
    let w = world_with(store, MemoryMailer::new(), options);
    let error = err(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "a@example.com b@example.com c@example.com",
            &NewClients::default(),
        ),
        "over the cap",
    );
    let ErrorKind::InvalidBatch { entries } = error.kind() else {
        panic!("not an invalid batch: {error:?}");
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].code, ErrorCode::OverLimit);
    assert_eq!(entries[0].text, "c@example.com");
    assert_eq!(total(&w), 1);
}

/// An empty paste is refused with its own code.
pub fn an_empty_batch_is_refused(store: Arc<dyn Store>) {
    let w = world(store);
    for text in ["", "  ,, ;\n"] {
        let error = err(
            w.service
                .create_clients(&w.org, &w.admin, text, &NewClients::default()),
            "empty batch",
        );
        assert_eq!(error.code(), ErrorCode::EmptyBatch);
    }
}

/// Three invited; one accepts from the link in the email; 15 days later the others are expired;
/// a resend makes them pending again with a link that works.
pub fn invite_accept_expire_resend(store: Arc<dyn Store>) {
    let w = world(store);
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "Jane Doe <jane@example.com>, bob@example.org; carol@example.net",
            &send(),
        ),
        "create",
    );
    assert!(report.committed);
    assert_eq!((report.created, report.invited), (3, 3));
    assert_eq!(report.delivery.sent.len(), 3);
    let ids = created_ids(&report);
    for id in &ids {
        assert_eq!(status_of(&w, id), StatusKind::InvitePending);
    }
    let mail = w.mailer.messages();
    assert_eq!(mail.len(), 3);
    let jane = mail
        .iter()
        .find(|m| m.message.to == "jane@example.com")
        .unwrap_or_else(|| panic!("no mail to jane"));
    assert_eq!(jane.message.to_name.as_deref(), Some("Jane Doe"));
    assert!(
        jane.message.subject.contains("Acme"),
        "{}",
        jane.message.subject
    );
    assert!(
        jane.message.text.contains("5 December 2026"),
        "{}",
        jane.message.text
    );
    let token = token_of(jane);
    // Sent messages keep no body in the outbox: the token lived there only until delivery.
    for stored in ok(w.service.outbox(&w.org, &w.admin, None, 10), "outbox") {
        assert_eq!(stored.state, DeliveryState::Sent);
        assert!(!stored.message.text.contains(&token));
    }
    let preview = ok(w.service.preview(&token), "preview");
    assert_eq!(preview.organization, "Acme");
    assert_eq!(preview.inviter.as_deref(), Some("Ada Admin"));
    assert_eq!(preview.state, crate::lifecycle::LinkState::Live);
    w.clock.advance(Duration::days(1));
    let wrong = err(
        w.service.accept(&token, &identity("mallory@example.com")),
        "accept by another address",
    );
    assert_eq!(wrong.code(), ErrorCode::EmailMismatch);
    let accepted = ok(
        w.service.accept(&token, &identity("JANE@example.com")),
        "accept",
    );
    assert!(accepted.activated_now);
    assert_eq!(
        accepted.record.status(w.clock.now()).kind(),
        StatusKind::Activated
    );
    let again = ok(
        w.service.accept(&token, &identity("jane@example.com")),
        "second accept",
    );
    assert!(!again.activated_now, "a double accept activated twice");
    w.clock.advance(Duration::days(14));
    let jane_id = &accepted.record.client.id;
    for id in &ids {
        let expected = if id == jane_id {
            StatusKind::Activated
        } else {
            StatusKind::InviteExpired
        };
        assert_eq!(status_of(&w, id), expected);
    }
    let others: Vec<ClientId> = ids.iter().filter(|id| *id != jane_id).cloned().collect();
    let bob_mail = w
        .mailer
        .messages()
        .into_iter()
        .find(|m| m.message.to == "bob@example.org")
        .unwrap_or_else(|| panic!("no mail to bob"));
    let expired = err(
        w.service
            .accept(&token_of(&bob_mail), &identity("bob@example.org")),
        "accept of an expired link",
    );
    assert_eq!(expired.code(), ErrorCode::InvitationExpired);
    let outcomes = ok(
        w.service
            .resend(&w.org, &w.admin, &others, &MessageOptions::default()),
        "resend",
    );
    for outcome in &outcomes {
        assert_eq!(outcome.result, Ok(StatusKind::InvitePending));
        assert_eq!(outcome.delivery, Some(DeliveryState::Sent));
    }
    let fresh = w
        .mailer
        .messages()
        .into_iter()
        .rfind(|m| m.message.to == "bob@example.org")
        .unwrap_or_else(|| panic!("no second mail to bob"));
    assert_ne!(token_of(&fresh), token_of(&bob_mail));
    let accepted = ok(
        w.service
            .accept(&token_of(&fresh), &identity("bob@example.org")),
        "accept of the resent link",
    );
    assert!(accepted.activated_now);
}

/// Addresses already in the organization are reported with their status and never duplicated.
pub fn existing_addresses_are_classified(store: Arc<dyn Store>) {
    let w = world(store);
    let first = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "pending@example.com expired@example.com archived@example.com provisioned@example.com active@example.com",
            &NewClients::default(),
        ),
        "first batch",
    );
    let ids = created_ids(&first);
    let by_address: HashMap<String, ClientId> = first
        .entries
        .iter()
        .map(|e| (e.address.clone(), ids[e.index].clone()))
        .collect();
    let id = |a: &str| by_address[&format!("{a}@example.com")].clone();
    ok(
        w.service.send(
            &w.org,
            &w.admin,
            &[id("expired"), id("active")],
            &MessageOptions::default(),
        ),
        "send",
    );
    let active_mail = w
        .mailer
        .messages()
        .into_iter()
        .find(|m| m.message.to == "active@example.com")
        .unwrap_or_else(|| panic!("no mail"));
    ok(
        w.service
            .accept(&token_of(&active_mail), &identity("active@example.com")),
        "accept",
    );
    w.clock.advance(Duration::days(20));
    ok(
        w.service.send(
            &w.org,
            &w.admin,
            &[id("pending")],
            &MessageOptions::default(),
        ),
        "send",
    );
    ok(
        w.service.archive(&w.org, &w.admin, &[id("archived")]),
        "archive",
    );
    let again = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "PENDING@example.com, expired@EXAMPLE.com, archived@example.com, provisioned@example.com, active@example.com, new@example.com, New@Example.com",
            &send(),
        ),
        "second batch",
    );
    let outcomes: Vec<&EntryOutcome> = again.entries.iter().map(|e| &e.outcome).collect();
    let existing = |a: &str, status| EntryOutcome::Existing {
        client: id(a),
        status,
    };
    assert_eq!(outcomes[0], &existing("pending", StatusKind::InvitePending));
    assert_eq!(outcomes[1], &existing("expired", StatusKind::InviteExpired));
    assert_eq!(outcomes[2], &existing("archived", StatusKind::Archived));
    assert_eq!(
        outcomes[3],
        &existing("provisioned", StatusKind::Provisioned)
    );
    assert_eq!(outcomes[4], &existing("active", StatusKind::Activated));
    assert!(matches!(
        outcomes[5],
        EntryOutcome::Created {
            client: Some(_),
            invited: true
        }
    ));
    assert_eq!(outcomes[6], &EntryOutcome::Duplicate { of: 5 });
    assert_eq!(
        (
            again.created,
            again.existing,
            again.duplicates,
            again.invited
        ),
        (1, 5, 1, 1)
    );
    assert_eq!(total(&w), 7, "an address was duplicated");
}

/// A preview classifies like the real batch and writes nothing.
pub fn a_preview_writes_nothing(store: Arc<dyn Store>) {
    let w = world(store);
    ok(
        w.service
            .create_clients(&w.org, &w.admin, "old@example.com", &NewClients::default()),
        "first",
    );
    let preview = ok(
        w.service
            .preview_clients(&w.org, &w.admin, "old@example.com new@example.com", &send()),
        "preview",
    );
    assert!(!preview.committed);
    assert!(matches!(
        preview.entries[0].outcome,
        EntryOutcome::Existing {
            status: StatusKind::Provisioned,
            ..
        }
    ));
    assert_eq!(
        preview.entries[1].outcome,
        EntryOutcome::Created {
            client: None,
            invited: true
        }
    );
    assert_eq!(total(&w), 2);
    assert!(w.mailer.messages().is_empty());
    let error = err(
        w.service
            .preview_clients(&w.org, &w.admin, "x@", &NewClients::default()),
        "preview of an invalid batch",
    );
    assert_eq!(error.code(), ErrorCode::InvalidBatch);
}

/// CSV rows bring their own role, group and program; an unknown group refuses the whole file.
pub fn csv_rows_with_roles_groups_and_programs(store: Arc<dyn Store>) {
    let w = world(store);
    let group = ok(
        w.service.create_group(&w.org, &w.admin, "Cohort A", &[]),
        "group",
    );
    let program = ok(
        w.service.create_program(&w.org, &w.admin, "Coaching"),
        "program",
    );
    let bad =
        "Email Address;Name;Group\njane@example.com;Jane;cohort a\nbob@example.com;Bob;Cohort Z\n";
    let error = err(
        w.service.import_clients(
            &w.org,
            &w.admin,
            bad.as_bytes(),
            &NewClients::default(),
            false,
        ),
        "unknown group",
    );
    let ErrorKind::InvalidBatch { entries } = error.kind() else {
        panic!("not an invalid batch: {error:?}");
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].line, entries[0].code),
        (3, ErrorCode::GroupNotFound)
    );
    assert_eq!(total(&w), 1);
    let good = "\u{feff}email,name,role,group,program\njane@example.com,Jane,staff,cohort a,COACHING\nbob@example.com,Bob,,,\nJANE@example.com,Jane again,,,\n";
    let report = ok(
        w.service.import_clients(
            &w.org,
            &w.admin,
            good.as_bytes(),
            &NewClients::default(),
            false,
        ),
        "import",
    );
    assert_eq!((report.created, report.duplicates), (2, 1));
    let ids = created_ids(&report);
    let jane = ok(w.service.client(&w.org, &w.admin, &ids[0]), "jane");
    assert_eq!(jane.client.role, Role::Staff);
    assert_eq!(jane.client.name.as_deref(), Some("Jane"));
    assert_eq!(jane.client.groups, vec![group.id]);
    assert_eq!(jane.client.programs, vec![program.id]);
    let bob = ok(w.service.client(&w.org, &w.admin, &ids[1]), "bob");
    assert_eq!(bob.client.role, Role::Client);
    let error = err(
        w.service.import_clients(
            &w.org,
            &w.admin,
            "name\nJane\n".as_bytes(),
            &NewClients::default(),
            false,
        ),
        "no email column",
    );
    assert_eq!(error.code(), ErrorCode::NoEmailColumn);
}

/// Members act only within their role's permissions.
pub fn access_is_checked(store: Arc<dyn Store>) {
    let w = world(store);
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "staff@example.com",
            &NewClients {
                role: Role::Staff,
                send: true,
                ..NewClients::default()
            },
        ),
        "staff",
    );
    let mail = w.mailer.messages();
    ok(
        w.service
            .accept(&token_of(&mail[0]), &identity("staff@example.com")),
        "accept",
    );
    let staff = ok(w.service.member(&w.org, "Staff@Example.com"), "member");
    assert_eq!(staff.id, created_ids(&report)[0]);
    assert_eq!(staff.role, Role::Staff);
    let error = err(
        w.service.create_clients(
            &w.org,
            &staff,
            "boss@example.com",
            &NewClients {
                role: Role::Admin,
                ..NewClients::default()
            },
        ),
        "staff creating an admin",
    );
    assert_eq!(error.code(), ErrorCode::Forbidden);
    assert_eq!(total(&w), 2);
    ok(
        w.service
            .create_clients(&w.org, &staff, "client@example.com", &NewClients::default()),
        "staff creating a client",
    );
    let error = err(
        w.service
            .create_signup_link(&w.org, &staff, &NewSignupLink::default()),
        "staff creating a sign-up link",
    );
    assert_eq!(error.code(), ErrorCode::Forbidden);
    let error = err(
        w.service.member(&w.org, "client@example.com"),
        "a provisioned client acting",
    );
    assert_eq!(error.code(), ErrorCode::Forbidden);
    let error = err(
        w.service.member(&w.org, "nobody@example.com"),
        "a stranger acting",
    );
    assert_eq!(error.code(), ErrorCode::ClientNotFound);
    // A client may not archive the admin.
    let client = Member {
        id: ClientId::new("someone"),
        role: Role::Client,
    };
    let outcomes = ok(
        w.service
            .archive(&w.org, &client, std::slice::from_ref(&w.admin.id)),
        "archive",
    );
    assert_eq!(
        outcomes[0].result.as_ref().map_err(Error::code),
        Err(ErrorCode::Forbidden)
    );
    let error = err(
        w.service
            .list_clients(&w.org, &client, &ClientFilter::default()),
        "a client listing",
    );
    assert_eq!(error.code(), ErrorCode::Forbidden);
}

/// The report lists clients with an email never invited; inviting all but the unticked ones.
pub fn never_invited_report_and_invite_all_but_unticked(store: Arc<dyn Store>) {
    let w = world(store);
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "a@example.com b@example.com c@example.com d@example.com e@example.com",
            &NewClients::default(),
        ),
        "create",
    );
    let ids = created_ids(&report);
    ok(
        w.service
            .send(&w.org, &w.admin, &ids[0..1], &MessageOptions::default()),
        "send to a",
    );
    ok(w.service.revoke(&w.org, &w.admin, &ids[0..1]), "revoke a");
    ok(w.service.archive(&w.org, &w.admin, &ids[1..2]), "archive b");
    let listed = ok(w.service.never_invited(&w.org, &w.admin, 0, None), "report");
    let listed: Vec<ClientId> = listed
        .clients
        .into_iter()
        .map(|c| c.record.client.id)
        .collect();
    assert_eq!(
        listed,
        ids[2..5].to_vec(),
        "the admin, a revoked and an archived client are not in it"
    );
    let page = ok(
        w.service.never_invited(&w.org, &w.admin, 1, Some(1)),
        "page",
    );
    assert_eq!(page.total, 3);
    assert_eq!(page.clients.len(), 1);
    assert_eq!(page.clients[0].record.client.id, ids[3]);
    let outcomes = ok(
        w.service
            .invite_never_invited(&w.org, &w.admin, &ids[3..4], &MessageOptions::default()),
        "invite all but d",
    );
    let invited: Vec<ClientId> = outcomes.into_iter().map(|o| o.client).collect();
    assert_eq!(invited, vec![ids[2].clone(), ids[4].clone()]);
    let left = ok(w.service.never_invited(&w.org, &w.admin, 0, None), "report");
    assert_eq!(left.total, 1);
    assert_eq!(left.clients[0].record.client.id, ids[3]);
}

/// Bulk assignment to a program, a group and a staff member; groups renamed and deleted.
pub fn bulk_assignment_and_groups(store: Arc<dyn Store>) {
    let w = world(store);
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "a@example.com b@example.com",
            &NewClients::default(),
        ),
        "create",
    );
    let ids = created_ids(&report);
    let group = ok(
        w.service.create_group(
            &w.org,
            &w.admin,
            "Cohort",
            std::slice::from_ref(&w.admin.id),
        ),
        "group",
    );
    assert_eq!(
        err(
            w.service.create_group(&w.org, &w.admin, "COHORT", &[]),
            "same name"
        )
        .code(),
        ErrorCode::GroupExists
    );
    assert_eq!(
        err(
            w.service.create_group(&w.org, &w.admin, "Bad\nname", &[]),
            "control"
        )
        .code(),
        ErrorCode::InvalidMessageText
    );
    let program = ok(
        w.service.create_program(&w.org, &w.admin, "Coaching"),
        "program",
    );
    let mut targets = ids.clone();
    targets.push(ClientId::new("ghost"));
    for assignment in [
        Assignment::Group(group.id.clone()),
        Assignment::Program(program.id.clone()),
        Assignment::Staff(Some(w.admin.id.clone())),
    ] {
        let outcomes = ok(
            w.service.assign(&w.org, &w.admin, &targets, &assignment),
            "assign",
        );
        assert!(outcomes[0].result.is_ok() && outcomes[1].result.is_ok());
        assert_eq!(
            outcomes[2].result.as_ref().map_err(Error::code),
            Err(ErrorCode::ClientNotFound)
        );
    }
    assert_eq!(
        err(
            w.service.assign(
                &w.org,
                &w.admin,
                &ids,
                &Assignment::Staff(Some(ids[0].clone()))
            ),
            "a client as staff"
        )
        .code(),
        ErrorCode::ClientNotFound
    );
    let a = ok(w.service.client(&w.org, &w.admin, &ids[0]), "a");
    assert_eq!(a.client.groups, vec![group.id.clone()]);
    assert_eq!(a.client.programs, vec![program.id.clone()]);
    assert_eq!(a.client.assigned_staff, Some(w.admin.id.clone()));
    assert_eq!(
        ok(w.service.group_named(&w.org, " COHORT "), "group by name").id,
        group.id
    );
    assert_eq!(
        ok(
            w.service.program_named(&w.org, "coaching"),
            "program by name"
        )
        .id,
        program.id
    );
    assert_eq!(
        err(w.service.group_named(&w.org, "Nope"), "unknown group").code(),
        ErrorCode::GroupNotFound
    );
    assert_eq!(ok(w.service.first_admin(&w.org), "first admin"), w.admin);
    let renamed = ok(
        w.service
            .rename_group(&w.org, &w.admin, &group.id, "Cohort 2026"),
        "rename",
    );
    assert_eq!(ok(w.service.groups(&w.org), "groups"), vec![renamed]);
    ok(
        w.service.delete_group(&w.org, &w.admin, &group.id),
        "delete",
    );
    let a = ok(w.service.client(&w.org, &w.admin, &ids[0]), "a");
    assert!(a.client.groups.is_empty(), "a deleted group kept members");
    assert_eq!(
        err(
            w.service.delete_group(&w.org, &w.admin, &group.id),
            "delete twice"
        )
        .code(),
        ErrorCode::GroupNotFound
    );
}

/// Sign-up links: limits, domains, rotation, disabling, and joining as a new or existing client.
pub fn signup_links_create_rotate_disable_join(store: Arc<dyn Store>) {
    let w = world(store);
    let (link, token) = ok(
        w.service.create_signup_link(
            &w.org,
            &w.admin,
            &NewSignupLink {
                role: Role::Guest,
                max_uses: Some(2),
                allowed_domains: vec!["Example.COM".to_owned()],
            },
        ),
        "create link",
    );
    assert_eq!(link.allowed_domains, vec!["example.com".to_owned()]);
    let token = token.expose_secret().to_owned();
    assert_eq!(
        err(
            w.service.join(&token, &identity("eve@elsewhere.org")),
            "other domain"
        )
        .code(),
        ErrorCode::EmailDomainNotAllowed
    );
    let joined = ok(
        w.service.join(&token, &identity("jane@example.com")),
        "join",
    );
    assert_eq!(joined.client.role, Role::Guest);
    assert_eq!(joined.status(w.clock.now()).kind(), StatusKind::Activated);
    // An existing provisioned client is activated, not duplicated.
    let report = ok(
        w.service
            .create_clients(&w.org, &w.admin, "bob@example.com", &NewClients::default()),
        "bob",
    );
    let bob = ok(
        w.service.join(&token, &identity("bob@example.com")),
        "bob joins",
    );
    assert_eq!(bob.client.id, created_ids(&report)[0]);
    assert_eq!(
        bob.client.role,
        Role::Client,
        "joining keeps the client's own role"
    );
    assert_eq!(
        err(
            w.service.join(&token, &identity("carl@example.com")),
            "third join"
        )
        .code(),
        ErrorCode::SignupLinkExhausted
    );
    let fresh = ok(
        w.service.rotate_signup_link(&w.org, &w.admin, &link.id),
        "rotate",
    );
    assert_eq!(
        err(
            w.service.join(&token, &identity("carl@example.com")),
            "old token"
        )
        .code(),
        ErrorCode::SignupLinkNotFound
    );
    let disabled = ok(
        w.service.disable_signup_link(&w.org, &w.admin, &link.id),
        "disable",
    );
    assert!(disabled.disabled_at.is_some());
    assert_eq!(
        err(
            w.service
                .join(fresh.expose_secret(), &identity("carl@example.com")),
            "disabled"
        )
        .code(),
        ErrorCode::SignupLinkDisabled
    );
    assert_eq!(
        err(
            w.service.join("not a token", &identity("carl@example.com")),
            "garbage"
        )
        .code(),
        ErrorCode::InvalidToken
    );
    let links = ok(w.service.signup_links(&w.org, &w.admin), "links");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].uses, 2);
    assert_eq!(total(&w), 3);
}

/// The list filters by role, status, group, staff and text, and counts what it matches.
pub fn list_filters_and_counts(store: Arc<dyn Store>) {
    let w = world(store);
    let group = ok(
        w.service.create_group(&w.org, &w.admin, "Cohort", &[]),
        "group",
    );
    let staff = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "Sam Staff <sam@example.com>",
            &NewClients {
                role: Role::Staff,
                ..NewClients::default()
            },
        ),
        "staff",
    );
    let sam = created_ids(&staff)[0].clone();
    w.clock.advance(Duration::days(2));
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "Jane Doe <jane@example.com>, john@example.com, mary@example.org",
            &NewClients {
                group: Some(group.id.clone()),
                staff: Some(sam.clone()),
                send: true,
                ..NewClients::default()
            },
        ),
        "clients",
    );
    let jane_mail = w
        .mailer
        .messages()
        .into_iter()
        .find(|m| m.message.to == "jane@example.com")
        .unwrap_or_else(|| panic!("no mail"));
    ok(
        w.service
            .accept(&token_of(&jane_mail), &identity("jane@example.com")),
        "accept",
    );
    let list = |filter: ClientFilter| ok(w.service.list_clients(&w.org, &w.admin, &filter), "list");
    let all = list(ClientFilter {
        new_since: Some(t0() + Duration::days(1)),
        ..ClientFilter::default()
    });
    assert_eq!((all.total, all.new, all.activated), (5, 3, 2));
    assert!((all.activated_share() - 0.4).abs() < 1e-9);
    let pending = list(ClientFilter {
        status: Some(StatusKind::InvitePending),
        ..ClientFilter::default()
    });
    assert_eq!(pending.total, 2);
    assert!(
        pending
            .clients
            .iter()
            .all(|c| c.status.kind() == StatusKind::InvitePending)
    );
    assert_eq!(
        list(ClientFilter {
            role: Some(Role::Staff),
            ..ClientFilter::default()
        })
        .total,
        1
    );
    assert_eq!(
        list(ClientFilter {
            group: Some(group.id.clone()),
            ..ClientFilter::default()
        })
        .total,
        3
    );
    assert_eq!(
        list(ClientFilter {
            staff: Some(sam.clone()),
            ..ClientFilter::default()
        })
        .total,
        3
    );
    let search = list(ClientFilter {
        search: Some("DOE".to_owned()),
        ..ClientFilter::default()
    });
    assert_eq!(search.total, 1);
    assert_eq!(search.clients[0].record.client.id, created_ids(&report)[0]);
    assert_eq!(
        list(ClientFilter {
            search: Some("example.org".to_owned()),
            ..ClientFilter::default()
        })
        .total,
        1
    );
    let page = list(ClientFilter {
        offset: 1,
        limit: Some(2),
        ..ClientFilter::default()
    });
    assert_eq!((page.total, page.clients.len()), (5, 2));
    w.clock.advance(Duration::days(15));
    let expired = list(ClientFilter {
        status: Some(StatusKind::InviteExpired),
        ..ClientFilter::default()
    });
    assert_eq!(expired.total, 2, "status is derived at the clock's instant");
}

/// A guest added to an account is invited at once, with their host recorded.
pub fn guests_are_invited_at_once(store: Arc<dyn Store>) {
    let w = world(store);
    let outcome = ok(
        w.service.add_guest(
            &w.org,
            &w.admin,
            "Guest <guest@example.com>",
            Some("Gus"),
            &MessageOptions::default(),
        ),
        "guest",
    );
    assert_eq!(outcome.result, Ok(StatusKind::InvitePending));
    assert_eq!(outcome.delivery, Some(DeliveryState::Sent));
    let guest = ok(w.service.client(&w.org, &w.admin, &outcome.client), "guest");
    assert_eq!(guest.client.role, Role::Guest);
    assert_eq!(guest.client.guest_of, Some(w.admin.id.clone()));
    assert_eq!(w.mailer.messages().len(), 1);
    assert_eq!(
        err(
            w.service.add_guest(
                &w.org,
                &w.admin,
                "GUEST@example.com",
                None,
                &MessageOptions::default()
            ),
            "same guest twice"
        )
        .code(),
        ErrorCode::ClientExists
    );
    // Guests in a batch are invited too, without `send`.
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "other@example.com",
            &NewClients {
                role: Role::Guest,
                ..NewClients::default()
            },
        ),
        "guest batch",
    );
    assert_eq!(report.invited, 1);
}

/// A mailer failing every third delivery: after `deliver_pending`, every invitation was
/// delivered exactly once, and the failed ones stayed pending and retryable meanwhile.
pub fn failed_mail_is_retried_and_sent_once(store: Arc<dyn Store>) {
    let w = world_with(
        store,
        MemoryMailer::failing_every(3),
        ServiceOptions::default(),
    );
    let text: Vec<String> = (0..30).map(|i| format!("user{i}@example.com")).collect();
    let report = ok(
        w.service
            .create_clients(&w.org, &w.admin, &text.join(" "), &send()),
        "create",
    );
    assert_eq!(report.invited, 30);
    assert_eq!(report.delivery.failed.len(), 10);
    for id in created_ids(&report) {
        assert_eq!(
            status_of(&w, &id),
            StatusKind::InvitePending,
            "a failed mail lost its invitation"
        );
    }
    let mut rounds = 0;
    loop {
        rounds += 1;
        let round = ok(w.service.deliver_pending(100), "deliver");
        if round.sent.is_empty() && round.failed.is_empty() {
            break;
        }
        assert!(rounds < 10, "delivery does not converge");
    }
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for message in w.mailer.messages() {
        *per_address.entry(message.message.to).or_default() += 1;
    }
    assert_eq!(per_address.len(), 30);
    assert!(per_address.values().all(|&n| n == 1), "{per_address:?}");
    let outbox = ok(w.service.outbox(&w.org, &w.admin, None, 100), "outbox");
    assert!(outbox.iter().all(|m| m.state == DeliveryState::Sent));
    assert!(outbox.iter().any(|m| m.attempts > 1));
}

/// With inline delivery off, calls only queue mail; `deliver_pending` sends each message once.
pub fn queued_mail_waits_for_a_worker(store: Arc<dyn Store>) {
    let options = ServiceOptions {
        deliver_inline: false,
        ..ServiceOptions::default()
    };
    let w = world_with(store, MemoryMailer::new(), options);
    let report = ok(
        w.service
            .create_clients(&w.org, &w.admin, "a@example.com b@example.com", &send()),
        "create",
    );
    assert_eq!(report.invited, 2);
    assert!(report.delivery.sent.is_empty() && report.delivery.failed.is_empty());
    let guest = ok(
        w.service.add_guest(
            &w.org,
            &w.admin,
            "g@example.com",
            None,
            &MessageOptions::default(),
        ),
        "guest",
    );
    assert_eq!(guest.delivery, Some(DeliveryState::Pending));
    assert!(w.mailer.messages().is_empty(), "mail went out inline");
    let pending = ok(
        w.service
            .outbox(&w.org, &w.admin, Some(DeliveryState::Pending), 10),
        "outbox",
    );
    assert_eq!(pending.len(), 3);
    let round = ok(w.service.deliver_pending(10), "deliver");
    assert_eq!(round.sent.len(), 3);
    assert_eq!(ok(w.service.deliver_pending(10), "again").sent.len(), 0);
    assert_eq!(w.mailer.messages().len(), 3);
}

/// Bulk commands report per client, change the ones they can, and refuse the others.
pub fn commands_per_client(store: Arc<dyn Store>) {
    let w = world(store);
    let report = ok(
        w.service.create_clients(
            &w.org,
            &w.admin,
            "a@example.com b@example.com",
            &NewClients::default(),
        ),
        "create",
    );
    let ids = created_ids(&report);
    let ghost = ClientId::new("ghost");
    let outcomes = ok(
        w.service.send(
            &w.org,
            &w.admin,
            &[ids[0].clone(), ghost.clone(), ids[0].clone()],
            &MessageOptions::default(),
        ),
        "send",
    );
    assert_eq!(outcomes.len(), 2, "a repeated id is handled once");
    assert_eq!(outcomes[0].result, Ok(StatusKind::InvitePending));
    assert_eq!(
        outcomes[1].result.as_ref().map_err(Error::code),
        Err(ErrorCode::ClientNotFound)
    );
    let outcomes = ok(
        w.service
            .send(&w.org, &w.admin, &ids, &MessageOptions::default()),
        "send again",
    );
    assert_eq!(
        outcomes[0].result.as_ref().map_err(Error::code),
        Err(ErrorCode::AlreadyInvited)
    );
    assert_eq!(outcomes[1].result, Ok(StatusKind::InvitePending));
    let outcomes = ok(
        w.service.resend(
            &w.org,
            &w.admin,
            std::slice::from_ref(&ghost),
            &MessageOptions::default(),
        ),
        "resend",
    );
    assert_eq!(
        outcomes[0].result.as_ref().map_err(Error::code),
        Err(ErrorCode::ClientNotFound)
    );
    let outcomes = ok(w.service.revoke(&w.org, &w.admin, &ids), "revoke");
    assert!(
        outcomes
            .iter()
            .all(|o| o.result == Ok(StatusKind::Provisioned))
    );
    let outcomes = ok(
        w.service.revoke(&w.org, &w.admin, &ids[0..1]),
        "revoke again",
    );
    assert_eq!(
        outcomes[0].result.as_ref().map_err(Error::code),
        Err(ErrorCode::NotInvited)
    );
    let outcomes = ok(w.service.archive(&w.org, &w.admin, &ids[0..1]), "archive");
    assert_eq!(outcomes[0].result, Ok(StatusKind::Archived));
    let outcomes = ok(
        w.service
            .send(&w.org, &w.admin, &ids[0..1], &MessageOptions::default()),
        "send to archived",
    );
    assert_eq!(
        outcomes[0].result.as_ref().map_err(Error::code),
        Err(ErrorCode::ClientArchived)
    );
    let outcomes = ok(w.service.restore(&w.org, &w.admin, &ids), "restore");
    assert_eq!(outcomes[0].result, Ok(StatusKind::Provisioned));
    assert_eq!(
        outcomes[1].result.as_ref().map_err(Error::code),
        Err(ErrorCode::NotArchived)
    );
    let custom = MessageOptions {
        subject: Some("Welcome aboard".to_owned()),
        button: Some("Join now".to_owned()),
        form_url: Some("https://forms.example.com/intake".to_owned()),
    };
    ok(
        w.service.send(&w.org, &w.admin, &ids[0..1], &custom),
        "custom send",
    );
    let last = w
        .mailer
        .messages()
        .pop()
        .unwrap_or_else(|| panic!("no mail"));
    assert_eq!(last.message.subject, "Welcome aboard");
    assert!(last.message.html.contains("Join now"));
    assert!(
        last.message
            .text
            .contains("https://forms.example.com/intake")
    );
    let bad = MessageOptions {
        subject: Some("Hi\r\nBcc: everyone@example.com".to_owned()),
        ..MessageOptions::default()
    };
    assert_eq!(
        err(
            w.service.resend(&w.org, &w.admin, &ids[0..1], &bad),
            "header injection"
        )
        .code(),
        ErrorCode::InvalidMessageText
    );
    let events = ok(w.service.events(&w.org, &w.admin, 0, 1000), "events");
    assert!(events.len() >= 10, "{} events", events.len());
}

/// The export writes every client with its status label.
pub fn export_has_statuses(store: Arc<dyn Store>) {
    let w = world(store);
    let report = ok(
        w.service
            .create_clients(&w.org, &w.admin, "=cmd@example.com, b@example.com", &send()),
        "create",
    );
    assert_eq!(report.created, 2);
    ok(
        w.service
            .archive(&w.org, &w.admin, &created_ids(&report)[1..]),
        "archive",
    );
    let (bytes, rows) = ok(
        w.service.export_clients(&w.org, &w.admin, Vec::new()),
        "export",
    );
    assert_eq!(rows, 3);
    let text = String::from_utf8(bytes).unwrap_or_else(|e| panic!("utf-8: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("name,email,role,status"), "{text}");
    assert!(text.contains("Activated"), "{text}");
    assert!(text.contains("Invite Pending"), "{text}");
    assert!(text.contains("Archived"), "{text}");
    assert!(
        text.contains("'=cmd@example.com"),
        "formula not neutralized: {text}"
    );
}

/// Eight threads accept one link 125 times each: exactly one activation, every other answer
/// "already accepted".
pub fn racing_accepts_activate_once(store: Arc<dyn Store>) {
    let w = world(store);
    ok(
        w.service
            .create_clients(&w.org, &w.admin, "jane@example.com", &send()),
        "create",
    );
    let token = token_of(&w.mailer.messages()[0]);
    let jane = identity("jane@example.com");
    let activations = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let (service, token, jane, activations) = (&w.service, &token, &jane, &activations);
            scope.spawn(move || {
                for _ in 0..125 {
                    let accepted = ok(service.accept(token, jane), "accept");
                    if accepted.activated_now {
                        activations.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(activations.into_inner(), 1);
}

/// An admin changes the settings; the creation instant stays, the name is stored trimmed, a bad
/// value and a member without the permission are refused and change nothing.
pub fn organization_settings_change_and_nothing_else(store: Arc<dyn Store>) {
    let w = world(store);
    let created = ok(w.service.organization(&w.org), "organization");
    let mut changed = created.clone();
    changed.name = "  Acme Corp ".to_owned();
    changed.expiry = ok(ExpiryWindow::new(30), "window");
    changed.created_at = t0() + Duration::days(400);
    let updated = ok(w.service.update_organization(&w.admin, &changed), "update");
    assert_eq!(updated.name, "Acme Corp");
    assert_eq!(updated.expiry.days(), 30);
    assert_eq!(
        updated.created_at, created.created_at,
        "the creation instant stays"
    );
    assert_eq!(ok(w.service.organization(&w.org), "read back"), updated);

    let mut bad = updated.clone();
    bad.name = "Acme\r\nBcc: x@example.com".to_owned();
    let error = err(w.service.update_organization(&w.admin, &bad), "bad name");
    assert_eq!(error.code(), ErrorCode::InvalidMessageText);
    let staff = Member {
        id: ClientId::new("someone"),
        role: Role::Staff,
    };
    let error = err(w.service.update_organization(&staff, &changed), "staff");
    assert_eq!(error.code(), ErrorCode::Forbidden);
    assert_eq!(ok(w.service.organization(&w.org), "unchanged"), updated);
}
