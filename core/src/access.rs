//! Who may do what, as two tables, and the hand-over of ownership.
//!
//! [`GRANTS`] says which [`Permission`]s each [`Role`] holds; [`required`] says which permission
//! an [`Operation`] on a client record needs, from the target's role and its ties to the acting
//! member. [`authorize`] puts the two together; a denial is [`crate::ErrorCode::Forbidden`] naming the
//! missing permission ([`ErrorKind::Forbidden`]).
//!
//! | permission | Admin | Staff | Client | Guest |
//! |---|---|---|---|---|
//! | `manage_organization`: settings, sign-up links, internal companies | ✓ | | | |
//! | `manage_admins`: create, invite, archive, edit admins | ✓ | | | |
//! | `manage_staff`: the same for staff | ✓ | | | |
//! | `manage_clients`: the same for clients and guests; groups; the whole client table | ✓ | ✓ | | |
//! | `manage_any_invitation`: resend and revoke invitations others sent | ✓ | | | |
//! | `add_guests`: add guests to one's own account and manage their invitations | ✓ | ✓ | ✓ | |
//!
//! An operation on a client record needs the permission for the target's role
//! (`manage_admins`, `manage_staff`, or `manage_clients` for clients and guests), except that a
//! guest of the acting member's own account needs only `add_guests`. Resend and revoke also need
//! `manage_any_invitation` unless the acting member sent one of the client's open invitations,
//! is the client's assigned staff, or the client is their own guest. Anyone may view their own
//! record, and the owner of a record ([`Owner::Member`]) may edit it.
//!
//! ```
//! use chrono::DateTime;
//! use invitekit::access::{authorize, Member, Operation, Permission};
//! use invitekit::model::{Client, Role};
//! use invitekit::{ErrorCode, ErrorKind};
//!
//! let staff = Member { id: "s1".into(), role: Role::Staff };
//! let admin = Client::new("a1".into(), "acme".into(), None, Role::Admin, DateTime::UNIX_EPOCH);
//! let error = authorize(&staff, Operation::Archive, &admin, &[]).unwrap_err();
//! assert_eq!(error.code(), ErrorCode::Forbidden);
//! assert_eq!(error.kind(), &ErrorKind::Forbidden { permission: Permission::ManageAdmins });
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::model::{
    Action, Actor, Client, ClientId, Company, Event, Invitation, Owner, Role, Subject,
};

/// A permission a role may hold. Serialized in snake_case; a denial names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// The organization's settings, its sign-up links, and records it owns outright.
    ManageOrganization,
    /// Create, invite, archive, restore and edit admins.
    ManageAdmins,
    /// The same for staff.
    ManageStaff,
    /// The same for clients and guests; groups, programs, assignments; the whole client table.
    ManageClients,
    /// Resend and revoke invitations that someone else sent.
    ManageAnyInvitation,
    /// Add guests to one's own account, and invite, resend, revoke and archive them.
    AddGuests,
}

impl Permission {
    /// Every permission, in the order of the grants table.
    pub const ALL: [Permission; 6] = [
        Permission::ManageOrganization,
        Permission::ManageAdmins,
        Permission::ManageStaff,
        Permission::ManageClients,
        Permission::ManageAnyInvitation,
        Permission::AddGuests,
    ];

    /// The snake_case name, as serialized and as a denial names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::ManageOrganization => "manage_organization",
            Permission::ManageAdmins => "manage_admins",
            Permission::ManageStaff => "manage_staff",
            Permission::ManageClients => "manage_clients",
            Permission::ManageAnyInvitation => "manage_any_invitation",
            Permission::AddGuests => "add_guests",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use Permission as P;

/// The grants table: each role and the permissions it holds.
pub const GRANTS: [(Role, &[Permission]); 4] = [
    (
        Role::Admin,
        &[
            P::ManageOrganization,
            P::ManageAdmins,
            P::ManageStaff,
            P::ManageClients,
            P::ManageAnyInvitation,
            P::AddGuests,
        ],
    ),
    (Role::Staff, &[P::ManageClients, P::AddGuests]),
    (Role::Client, &[P::AddGuests]),
    (Role::Guest, &[]),
];

/// Whether `role` holds `permission`, by [`GRANTS`].
pub fn grants(role: Role, permission: Permission) -> bool {
    GRANTS
        .iter()
        .any(|(r, permissions)| *r == role && permissions.contains(&permission))
}

/// The member acting: who they are and their role in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Member {
    /// Their client record.
    pub id: ClientId,
    /// Their role.
    pub role: Role,
}

impl Member {
    /// The member as the actor of an event.
    pub fn actor(&self) -> Actor {
        Actor::Member(self.id.clone())
    }
}

/// Something a member does to one client record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Create the record (the target is the record about to be created).
    Create,
    /// Send a first invitation.
    Send,
    /// Send a further invitation.
    Resend,
    /// Revoke the client's invitations.
    Revoke,
    /// Archive the client.
    Archive,
    /// Restore the client.
    Restore,
    /// Put the client in a program or group, or under a member of staff.
    Assign,
    /// Change the record's details (name, email, role).
    Edit,
    /// See the record.
    View,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 9] = [
        Operation::Create,
        Operation::Send,
        Operation::Resend,
        Operation::Revoke,
        Operation::Archive,
        Operation::Restore,
        Operation::Assign,
        Operation::Edit,
        Operation::View,
    ];
}

/// Something a member does to the organization as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgOperation {
    /// Change the organization's settings (expiry window, time zone, accept link, binding).
    ManageSettings,
    /// Create, rotate and disable sign-up links.
    ManageSignupLinks,
    /// Create, rename and delete groups and programs.
    ManageGroups,
    /// List, report on and export the whole client table.
    ViewClients,
}

impl OrgOperation {
    /// Every organization-wide operation.
    pub const ALL: [OrgOperation; 4] = [
        OrgOperation::ManageSettings,
        OrgOperation::ManageSignupLinks,
        OrgOperation::ManageGroups,
        OrgOperation::ViewClients,
    ];

    /// The permission it needs.
    pub const fn permission(self) -> Permission {
        match self {
            OrgOperation::ManageSettings | OrgOperation::ManageSignupLinks => {
                Permission::ManageOrganization
            }
            OrgOperation::ManageGroups | OrgOperation::ViewClients => Permission::ManageClients,
        }
    }
}

/// The permission an operation on `target` needs from `member` (`None`: nothing is needed).
///
/// `invitations` are the target's (only resend and revoke read them). Some operations need two
/// permissions; this returns the first one `member`'s role lacks, or the first of them when it
/// has neither.
pub fn required(
    member: &Member,
    operation: Operation,
    target: &Client,
    invitations: &[Invitation],
) -> Option<Permission> {
    if operation == Operation::View && target.id == member.id {
        return None;
    }
    if operation == Operation::Edit && target.owner == Owner::Member(member.id.clone()) {
        return None;
    }
    let own_guest = target.role == Role::Guest && target.guest_of.as_ref() == Some(&member.id);
    let for_role = match target.role {
        Role::Admin => P::ManageAdmins,
        Role::Staff => P::ManageStaff,
        Role::Client => P::ManageClients,
        Role::Guest if own_guest && !grants(member.role, P::ManageClients) => P::AddGuests,
        Role::Guest => P::ManageClients,
    };
    if !grants(member.role, for_role) {
        return Some(for_role);
    }
    if matches!(operation, Operation::Resend | Operation::Revoke) {
        let tied = own_guest
            || target.assigned_staff.as_ref() == Some(&member.id)
            || invitations.iter().any(|invitation| {
                invitation.client == target.id
                    && invitation.is_open()
                    && invitation.sent_by.as_ref() == Some(&member.id)
            });
        if !tied && !grants(member.role, P::ManageAnyInvitation) {
            return Some(P::ManageAnyInvitation);
        }
    }
    None
}

fn forbidden(permission: Permission) -> Error {
    Error::new(ErrorKind::Forbidden { permission })
}

/// Whether `member` may do `operation` to `target` (see the module doc).
///
/// # Errors
///
/// [`crate::ErrorCode::Forbidden`], naming the missing permission.
pub fn authorize(
    member: &Member,
    operation: Operation,
    target: &Client,
    invitations: &[Invitation],
) -> Result<(), Error> {
    match required(member, operation, target, invitations) {
        None => Ok(()),
        Some(permission) => Err(forbidden(permission)),
    }
}

/// Whether `member` may do an organization-wide `operation`.
///
/// # Errors
///
/// [`crate::ErrorCode::Forbidden`], naming the missing permission.
pub fn authorize_org(member: &Member, operation: OrgOperation) -> Result<(), Error> {
    let permission = operation.permission();
    if grants(member.role, permission) {
        Ok(())
    } else {
        Err(forbidden(permission))
    }
}

/// Whether `member` may edit `company`: its owner, a co-owner, or whoever holds
/// `manage_organization` (for an internal company, only they).
///
/// # Errors
///
/// [`crate::ErrorCode::Forbidden`] naming `manage_organization`.
pub fn authorize_company(member: &Member, company: &Company) -> Result<(), Error> {
    let owns =
        company.owner == Owner::Member(member.id.clone()) || company.co_owners.contains(&member.id);
    if owns || grants(member.role, P::ManageOrganization) {
        Ok(())
    } else {
        Err(forbidden(P::ManageOrganization))
    }
}

/// Hands each internal company whose point of contact is `client` over to them, now that they
/// have accepted an invitation. One [`Action::OwnershipTransferred`] event per company.
pub fn hand_over_companies(
    companies: &mut [Company],
    client: &ClientId,
    by: &Actor,
    now: DateTime<Utc>,
) -> Vec<Event> {
    let mut events = Vec::new();
    for company in companies {
        if company.owner == Owner::Organization && company.point_of_contact.as_ref() == Some(client)
        {
            let to = Owner::Member(client.clone());
            company.owner = to.clone();
            events.push(Event {
                org: company.org.clone(),
                actor: by.clone(),
                action: Action::OwnershipTransferred {
                    from: Owner::Organization,
                    to,
                },
                subject: Subject::Company(company.id.clone()),
                at: now,
            });
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::ErrorCode;
    use crate::model::{CompanyId, InvitationId};
    use crate::token::Token;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
            .single()
            .expect("instant")
    }

    fn client(id: &str, role: Role) -> Client {
        Client::new(id.into(), "acme".into(), None, role, t0())
    }

    fn member(id: &str, role: Role) -> Member {
        Member {
            id: id.into(),
            role,
        }
    }

    fn invitation(client: &str, sent_by: &str) -> Invitation {
        Invitation {
            id: InvitationId::new("i1"),
            org: "acme".into(),
            client: client.into(),
            token_hash: Token::mint().expect("entropy").hash(),
            sent_by: Some(sent_by.into()),
            sent_at: t0(),
            expires_at: t0() + chrono::Duration::days(14),
            revoked_at: None,
            accepted_at: None,
            retired_at: None,
        }
    }

    fn denied(result: Result<(), Error>) -> Option<Permission> {
        match result.map_err(|e| e.kind().clone()) {
            Ok(()) => None,
            Err(ErrorKind::Forbidden { permission }) => Some(permission),
            Err(other) => panic!("not a denial: {other:?}"),
        }
    }

    /// The whole table of plain operations (no ties between member and target), by role pair.
    #[test]
    fn every_role_against_every_role() {
        use Role::{Admin, Client as Cl, Guest, Staff};
        // (actor, target, the permission missing for every operation but view-self and edit-own)
        let expected = [
            (Admin, Admin, None),
            (Admin, Staff, None),
            (Admin, Cl, None),
            (Admin, Guest, None),
            (Staff, Admin, Some(P::ManageAdmins)),
            (Staff, Staff, Some(P::ManageStaff)),
            (Staff, Cl, None),
            (Staff, Guest, None),
            (Cl, Admin, Some(P::ManageAdmins)),
            (Cl, Staff, Some(P::ManageStaff)),
            (Cl, Cl, Some(P::ManageClients)),
            (Cl, Guest, Some(P::ManageClients)),
            (Guest, Admin, Some(P::ManageAdmins)),
            (Guest, Staff, Some(P::ManageStaff)),
            (Guest, Cl, Some(P::ManageClients)),
            (Guest, Guest, Some(P::ManageClients)),
        ];
        for (actor_role, target_role, missing) in expected {
            let actor = member("m", actor_role);
            let target = client("t", target_role);
            for operation in Operation::ALL {
                let resend_like = matches!(operation, Operation::Resend | Operation::Revoke);
                let want = match missing {
                    None if resend_like && actor_role == Staff => Some(P::ManageAnyInvitation),
                    other => other,
                };
                assert_eq!(
                    denied(authorize(&actor, operation, &target, &[])),
                    want,
                    "{actor_role:?} {operation:?} {target_role:?}"
                );
            }
        }
    }

    #[test]
    fn staff_resend_and_revoke_what_they_sent_or_is_assigned_to_them() {
        let staff = member("s1", Role::Staff);
        let mut target = client("c1", Role::Client);
        for operation in [Operation::Resend, Operation::Revoke] {
            assert_eq!(
                denied(authorize(
                    &staff,
                    operation,
                    &target,
                    &[invitation("c1", "s2")]
                )),
                Some(P::ManageAnyInvitation)
            );
            assert_eq!(
                denied(authorize(
                    &staff,
                    operation,
                    &target,
                    &[invitation("c1", "s1")]
                )),
                None
            );
            // An invitation of another client does not tie them.
            assert_eq!(
                denied(authorize(
                    &staff,
                    operation,
                    &target,
                    &[invitation("c2", "s1")]
                )),
                Some(P::ManageAnyInvitation)
            );
        }
        target.assigned_staff = Some("s1".into());
        assert_eq!(
            denied(authorize(&staff, Operation::Revoke, &target, &[])),
            None
        );
    }

    #[test]
    fn clients_manage_their_own_guests_only() {
        let jane = member("c1", Role::Client);
        let mut guest = client("g1", Role::Guest);
        guest.guest_of = Some("c1".into());
        for operation in Operation::ALL {
            assert_eq!(
                denied(authorize(&jane, operation, &guest, &[])),
                None,
                "{operation:?}"
            );
        }
        guest.guest_of = Some("c2".into());
        assert_eq!(
            denied(authorize(&jane, Operation::Create, &guest, &[])),
            Some(P::ManageClients)
        );
        let mut guest_of_guest = client("g2", Role::Guest);
        guest_of_guest.guest_of = Some("g1".into());
        let g1 = member("g1", Role::Guest);
        assert_eq!(
            denied(authorize(&g1, Operation::Create, &guest_of_guest, &[])),
            Some(P::AddGuests)
        );
    }

    #[test]
    fn everyone_sees_themselves_and_owners_edit_their_record() {
        for role in Role::ALL {
            let me = member("m", role);
            let mut mine = client("m", role);
            assert_eq!(denied(authorize(&me, Operation::View, &mine, &[])), None);
            mine.owner = Owner::Member("m".into());
            assert_eq!(denied(authorize(&me, Operation::Edit, &mine, &[])), None);
        }
        let guest = member("g", Role::Guest);
        let internal = client("g", Role::Guest);
        assert_eq!(
            denied(authorize(&guest, Operation::Edit, &internal, &[])),
            Some(P::ManageClients)
        );
    }

    #[test]
    fn organization_operations_follow_the_grants() {
        for (role, permissions) in GRANTS {
            for operation in OrgOperation::ALL {
                let allowed = permissions.contains(&operation.permission());
                let result = authorize_org(&member("m", role), operation);
                assert_eq!(result.is_ok(), allowed, "{role:?} {operation:?}");
                if let Err(error) = result {
                    assert_eq!(error.code(), ErrorCode::Forbidden);
                    assert!(error.to_string().contains(operation.permission().as_str()));
                }
            }
        }
    }

    #[test]
    fn a_company_passes_to_its_point_of_contact() {
        let mut companies = vec![
            Company {
                id: CompanyId::new("co1"),
                org: "acme".into(),
                name: "Initech".into(),
                point_of_contact: Some("c1".into()),
                co_owners: vec![],
                owner: Owner::Organization,
                created_at: t0(),
            },
            Company {
                id: CompanyId::new("co2"),
                org: "acme".into(),
                name: "Globex".into(),
                point_of_contact: None,
                co_owners: vec!["c9".into()],
                owner: Owner::Organization,
                created_at: t0(),
            },
        ];
        let jane = member("c1", Role::Client);
        assert_eq!(
            denied(authorize_company(&jane, &companies[0])),
            Some(P::ManageOrganization)
        );
        let events = hand_over_companies(&mut companies, &"c1".into(), &jane.actor(), t0());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].subject, Subject::Company("co1".into()));
        assert_eq!(companies[0].owner, Owner::Member("c1".into()));
        assert_eq!(companies[1].owner, Owner::Organization);
        assert_eq!(denied(authorize_company(&jane, &companies[0])), None);
        assert_eq!(
            denied(authorize_company(
                &member("c9", Role::Client),
                &companies[1]
            )),
            None
        );
        assert_eq!(
            denied(authorize_company(&member("a", Role::Admin), &companies[1])),
            None
        );
    }
}
