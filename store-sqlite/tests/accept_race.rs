//! Eight threads, each with its own service on its own connection to one database file, accept
//! the same invitation link 1,000 times in all: exactly one activation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::address::ParseOptions;
use invitekit::clock::FixedClock;
use invitekit::lifecycle::StatusKind;
use invitekit::mailer::MemoryMailer;
use invitekit::model::Identity;
use invitekit::service::{ClientFilter, Invitations, NewClients, NewOrganization};
use invitekit_sqlite::SqliteStore;

#[test]
fn eight_connections_accepting_one_link_make_one_activation() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("invitekit.db");
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
    ));
    let mailer = Arc::new(MemoryMailer::new());
    let setup = Invitations::new(
        Arc::new(SqliteStore::open(&path).expect("open")),
        mailer.clone(),
        clock.clone(),
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
    let jane = Identity::from_email("jane@example.com", &ParseOptions::default()).expect("id");
    let mallory =
        Identity::from_email("mallory@example.com", &ParseOptions::default()).expect("id");

    let activations = AtomicUsize::new(0);
    let already = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (path, clock, token, jane, mallory) = (&path, &clock, &token, &jane, &mallory);
            let (activations, already) = (&activations, &already);
            scope.spawn(move || {
                // Its own connection.
                let service = Invitations::new(
                    Arc::new(SqliteStore::open(path).expect("open")),
                    Arc::new(MemoryMailer::new()),
                    clock.clone(),
                );
                for attempt in 0..125 {
                    if thread == 7 && attempt % 25 == 0 {
                        // Another account never wins the link, before or after.
                        let error = service.accept(token, mallory).unwrap_err();
                        assert!(
                            matches!(
                                error.code(),
                                ErrorCode::EmailMismatch | ErrorCode::AlreadyActivated
                            ),
                            "{error}"
                        );
                    }
                    let accepted = service.accept(token, jane).expect("accept");
                    if accepted.activated_now {
                        activations.fetch_add(1, Ordering::SeqCst);
                    } else {
                        already.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(activations.into_inner(), 1, "exactly one activation");
    assert_eq!(already.into_inner(), 999);
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
    let events = setup.events(&org.id, &admin, 0, 10_000).expect("events");
    let accepted = events
        .iter()
        .filter(|e| {
            matches!(
                e.action,
                invitekit::model::Action::InvitationAccepted { .. }
            )
        })
        .count();
    assert_eq!(accepted, 1, "one acceptance in the activity log");
}
