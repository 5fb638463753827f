//! Every use case of the service on [`invitekit::store::MemoryStore`].

#![allow(clippy::unwrap_used)]

invitekit::service_flow_tests!(std::sync::Arc::new(invitekit::store::MemoryStore::new()));

use std::sync::Arc;

use chrono::{TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::clock::FixedClock;
use invitekit::mailer::MemoryMailer;
use invitekit::model::OrgId;
use invitekit::service::{Invitations, NewClients, NewOrganization};
use invitekit::store::MemoryStore;

/// What the bindings call to name groups, programs and clients as a host does: by id or by
/// name, by id or by address.
#[test]
fn hosts_name_groups_programs_and_clients_by_id_name_or_address() {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    let service = Invitations::new(
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryMailer::new()),
        Arc::new(FixedClock::new(now)),
    );
    let (org, admin) = service
        .create_organization(&NewOrganization::new("acme", "Acme", "admin@acme.example"))
        .unwrap();
    let org: OrgId = org.id;
    let group = service.create_group(&org, &admin, "Cohort A", &[]).unwrap();
    assert_eq!(
        service.group_for(&org, group.id.as_str()).unwrap().id,
        group.id
    );
    assert_eq!(service.group_for(&org, "COHORT a").unwrap().id, group.id);
    assert_eq!(
        service.group_for(&org, "Nope").unwrap_err().code(),
        ErrorCode::GroupNotFound
    );
    let program = service.create_program(&org, &admin, "Onboarding").unwrap();
    assert_eq!(
        service.program_for(&org, program.id.as_str()).unwrap().id,
        program.id
    );
    assert_eq!(
        service.program_for(&org, "ONBOARDING").unwrap().id,
        program.id
    );
    assert_eq!(
        service.program_for(&org, "Nope").unwrap_err().code(),
        ErrorCode::ProgramNotFound
    );

    let report = service
        .create_clients(&org, &admin, "jane@example.com", &NewClients::default())
        .unwrap();
    let jane = service
        .client_by_email(&org, "jane@example.com")
        .unwrap()
        .client
        .id;
    assert_eq!(report.created, 1);
    let ids = service
        .client_ids_for(
            &org,
            &["JANE@Example.com".to_owned(), "cl_other".to_owned()],
        )
        .unwrap();
    assert_eq!(
        ids,
        [
            jane.clone(),
            invitekit::model::ClientId::new("cl_other".to_owned())
        ]
    );
    assert_eq!(
        service
            .client_ids_for(&org, &["nobody@example.com".to_owned()])
            .unwrap_err()
            .code(),
        ErrorCode::ClientNotFound
    );
}
