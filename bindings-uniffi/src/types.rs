//! The core's records and enums, as uniffi sees them.
//!
//! The core's types cross the boundary as they are: each is declared here again with
//! `#[uniffi::remote(...)]`, field for field (the compiler checks that the copy matches the
//! core), so no conversion code stands between the two. What uniffi cannot carry itself is a
//! custom type over one it can:
//!
//! | core | Kotlin | Swift |
//! |---|---|---|
//! | `DateTime<Utc>` ([`Timestamp`]) | `java.time.Instant` | `Date` |
//! | ids (`OrgId`, `ClientId`, ...) | `String` | `String` |
//! | `ErrorCode` | `String` (the published code) | `String` |
//! | `ExpiryWindow` | `UInt` (days, 1 to 90) | `UInt32` |
//! | `TimeZone` | `String` (an IANA name) | `String` |
//! | `TokenHash` | `String` (64 hex digits) | `String` |
//!
//! A value the core refuses (a window of 0 days, an unknown time zone, a malformed token hash)
//! fails as the call's own error: [`InvitekitError`] with the core's code
//! (`invalid_expiry_window`, `invalid_time_zone`, `invalid_token`).

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use invitekit::ErrorCode;
use invitekit::access::{Member, Operation, OrgOperation, Permission};
use invitekit::lifecycle::{CommandKind, LinkState, Outcome, Preview, Status, StatusKind};
use invitekit::mailer::{DeliveryState, OutboxMessage};
use invitekit::message::Message;
use invitekit::model::{
    Action, Actor, Assignment, Client, ClientId, CompanyId, Email, Event, Group, GroupId, Identity,
    Invitation, InvitationId, MessageId, OrgId, Organization, Owner, Program, ProgramId, Role,
    SignupLink, SignupLinkId, Subject,
};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::TokenHash;

use crate::errors::InvitekitError;

/// An instant: `java.time.Instant` in Kotlin, `Date` in Swift.
pub type Timestamp = DateTime<Utc>;

uniffi::custom_type!(Timestamp, SystemTime, {
    remote,
    lower: |at| SystemTime::from(at),
    try_lift: |at| instant(at).ok_or_else(|| {
        uniffi::deps::anyhow::anyhow!("an instant outside the years -262143 to 262142: {at:?}")
    }),
});

/// The instant of `at`, when the core can hold it (`Instant.MAX` it cannot).
fn instant(at: SystemTime) -> Option<DateTime<Utc>> {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => {
            DateTime::from_timestamp(i64::try_from(after.as_secs()).ok()?, after.subsec_nanos())
        }
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).ok()?;
            match before.subsec_nanos() {
                0 => DateTime::from_timestamp(-seconds, 0),
                nanos => DateTime::from_timestamp(-seconds - 1, 1_000_000_000 - nanos),
            }
        }
    }
}

/// Ids cross as their text.
macro_rules! id_types {
    ($($id:ident),+) => {
        $(uniffi::custom_type!($id, String, {
            remote,
            lower: |id| id.0,
            try_lift: |text| Ok($id(text)),
        });)+
    };
}
id_types!(
    OrgId,
    ClientId,
    InvitationId,
    GroupId,
    ProgramId,
    CompanyId,
    SignupLinkId,
    MessageId
);

/// A core error as a lift failure that uniffi hands back as the call's own error (it downcasts
/// a lift failure to the function's error type).
fn refused(error: invitekit::Error) -> uniffi::deps::anyhow::Error {
    InvitekitError::from(error).into()
}

uniffi::custom_type!(ErrorCode, String, {
    remote,
    lower: |code| code.as_str().to_owned(),
    // Only a record a host builds itself can carry a code that is not published (an
    // `Outcome.Refused("nope")`): uniffi refuses it with its internal exception.
    try_lift: |text| text.parse::<ErrorCode>().map_err(|_| {
        uniffi::deps::anyhow::anyhow!("not a published invitekit error code: {text:?}")
    }),
});

uniffi::custom_type!(ExpiryWindow, u32, {
    remote,
    lower: |window| window.days(),
    try_lift: |days| ExpiryWindow::new(i64::from(days)).map_err(refused),
});

uniffi::custom_type!(TimeZone, String, {
    remote,
    lower: |zone| zone.name().to_owned(),
    try_lift: |name| TimeZone::parse(&name).map_err(refused),
});

uniffi::custom_type!(TokenHash, String, {
    remote,
    lower: |hash| hash.to_hex(),
    try_lift: |hex| TokenHash::from_hex(&hex).map_err(refused),
});

/// A member's role in an organization.
#[uniffi::remote(Enum)]
pub enum Role {
    /// Everything in the organization.
    Admin,
    /// Invites and manages clients and guests.
    Staff,
    /// A client of the organization; may add guests to their own account.
    Client,
    /// Added to a client's account; may do nothing.
    Guest,
}

/// Who controls a record.
#[uniffi::remote(Enum)]
pub enum Owner {
    /// An internal record: the organization's admins control it.
    Organization,
    /// The member (client id) who owns it.
    Member(ClientId),
}

/// Whose identity may accept an invitation.
#[uniffi::remote(Enum)]
pub enum EmailBinding {
    /// The invited address itself (compared by its dedup key).
    SameAddress,
    /// Any address of the invited address's domain.
    SameDomain,
    /// Any signed-in identity: the link alone suffices.
    AnyIdentity,
}

/// An organization's settings, the ones the rules read.
#[uniffi::remote(Record)]
pub struct Organization {
    /// Its id.
    pub id: OrgId,
    /// The name shown in invitations.
    pub name: String,
    /// How long an invitation stays valid, in days (1 to 90).
    pub expiry: ExpiryWindow,
    /// The IANA time zone in which emails state deadlines and tables show dates.
    pub time_zone: TimeZone,
    /// Whose identity may accept an invitation.
    pub email_binding: EmailBinding,
    /// The accept link's template, with `{token}` where the link's token goes.
    pub accept_url: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An email address kept in two forms.
#[uniffi::remote(Record)]
pub struct Email {
    /// The address as typed (case kept), after the parser's trimming: the one mail is sent to.
    pub address: String,
    /// Its dedup key: unique per organization.
    pub key: String,
}

/// The identity a host authenticated, presented when accepting an invitation.
#[uniffi::remote(Record)]
pub struct Identity {
    /// The identity's email.
    pub email: Email,
    /// The host's own id for the account (a user id), if it has one.
    pub subject: Option<String>,
}

/// A client record: anyone in the organization, whatever the role.
#[uniffi::remote(Record)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// The organization.
    pub org: OrgId,
    /// Its address (a record may have none).
    pub email: Option<Email>,
    /// Its name.
    pub name: Option<String>,
    /// Its role.
    pub role: Role,
    /// The programs it is in.
    pub programs: Vec<ProgramId>,
    /// The groups it is in.
    pub groups: Vec<GroupId>,
    /// The member of staff it is assigned to.
    pub assigned_staff: Option<ClientId>,
    /// Its client company.
    pub company: Option<CompanyId>,
    /// For a guest: the client whose account it was added to.
    pub guest_of: Option<ClientId>,
    /// Who controls it.
    pub owner: Owner,
    /// Who created it (`null`: the organization).
    pub created_by: Option<ClientId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it accepted an invitation.
    pub activated_at: Option<Timestamp>,
    /// The identity that accepted.
    pub activated_by: Option<Identity>,
    /// When the host last reported it seen.
    pub last_seen_at: Option<Timestamp>,
    /// When it was archived.
    pub archived_at: Option<Timestamp>,
    /// Its version, for compare-and-set.
    pub version: u64,
}

/// One invitation: one link sent to one client. Only the token's hash is kept.
#[uniffi::remote(Record)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The organization.
    pub org: OrgId,
    /// The client invited.
    pub client: ClientId,
    /// The SHA-256 of the link's token, in hex.
    pub token_hash: TokenHash,
    /// Who sent it (`null`: the organization).
    pub sent_by: Option<ClientId>,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// Its deadline.
    pub expires_at: Timestamp,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// When it was accepted.
    pub accepted_at: Option<Timestamp>,
    /// When it was retired (another of the client's invitations was accepted).
    pub retired_at: Option<Timestamp>,
}

/// A group of clients, with several co-owners.
#[uniffi::remote(Record)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// The organization.
    pub org: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// Its co-owners.
    pub co_owners: Vec<ClientId>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A program clients are enrolled in.
#[uniffi::remote(Record)]
pub struct Program {
    /// Its id.
    pub id: ProgramId,
    /// The organization.
    pub org: OrgId,
    /// Its name.
    pub name: String,
}

/// A sign-up link an organization shares instead of inviting one by one. Only its token's
/// hash is kept.
#[uniffi::remote(Record)]
pub struct SignupLink {
    /// Its id.
    pub id: SignupLinkId,
    /// The organization.
    pub org: OrgId,
    /// The SHA-256 of its token, in hex.
    pub token_hash: TokenHash,
    /// The role people joining get.
    pub role: Role,
    /// How many may join (`null`: no limit).
    pub max_uses: Option<u32>,
    /// How many joined.
    pub uses: u32,
    /// The email domains allowed (empty: any).
    pub allowed_domains: Vec<String>,
    /// Who created it.
    pub created_by: Option<ClientId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When its token was last replaced.
    pub rotated_at: Option<Timestamp>,
    /// When it was disabled.
    pub disabled_at: Option<Timestamp>,
    /// Its version, for compare-and-set.
    pub version: u64,
}

/// Who did something.
#[uniffi::remote(Enum)]
pub enum Actor {
    /// A member of the organization (by client id).
    Member(ClientId),
    /// The organization itself: an import, a sign-up link, a scheduled job.
    System,
}

/// What an event is about.
#[uniffi::remote(Enum)]
pub enum Subject {
    /// A client record.
    Client(ClientId),
    /// An invitation.
    Invitation(InvitationId),
    /// A group.
    Group(GroupId),
    /// A client company.
    Company(CompanyId),
    /// A sign-up link.
    SignupLink(SignupLinkId),
    /// The organization's settings.
    Organization(OrgId),
}

/// Where a client is put by a bulk assignment.
#[uniffi::remote(Enum)]
pub enum Assignment {
    /// Into a program.
    Program(ProgramId),
    /// Into a group.
    Group(GroupId),
    /// Under a member of staff, or under none.
    Staff(Option<ClientId>),
}

/// What happened.
#[uniffi::remote(Enum)]
pub enum Action {
    /// A client record was created.
    ClientCreated {
        /// Its role.
        role: Role,
    },
    /// A first invitation was sent.
    InvitationSent {
        /// The client.
        client: ClientId,
        /// Its deadline.
        expires_at: Timestamp,
    },
    /// A further invitation was sent; earlier live ones keep working.
    InvitationResent {
        /// The client.
        client: ClientId,
        /// Its deadline.
        expires_at: Timestamp,
    },
    /// An invitation was accepted and the client activated.
    InvitationAccepted {
        /// The client.
        client: ClientId,
    },
    /// An invitation was revoked (one event per invitation revoked).
    InvitationRevoked {
        /// The client.
        client: ClientId,
    },
    /// A live invitation was retired because another of the client's invitations was accepted.
    InvitationRetired {
        /// The client.
        client: ClientId,
    },
    /// A client was archived.
    ClientArchived,
    /// A client was restored.
    ClientRestored,
    /// A record changed hands.
    OwnershipTransferred {
        /// The owner before.
        from: Owner,
        /// The owner now.
        to: Owner,
    },
    /// A client joined through a sign-up link.
    JoinedThroughSignupLink {
        /// The link.
        link: SignupLinkId,
    },
    /// A client was put in a program or group, or under a member of staff.
    ClientAssigned {
        /// What it was assigned to.
        assignment: Assignment,
    },
    /// A group was created.
    GroupCreated {
        /// Its name.
        name: String,
    },
    /// A group was renamed.
    GroupRenamed {
        /// Its new name.
        name: String,
    },
    /// A group was deleted (its members left it).
    GroupDeleted,
    /// A program was created.
    ProgramCreated {
        /// Its name.
        name: String,
    },
    /// A sign-up link was created.
    SignupLinkCreated {
        /// The role it gives.
        role: Role,
    },
    /// A sign-up link's token was replaced; the old one no longer works.
    SignupLinkRotated,
    /// A sign-up link was disabled.
    SignupLinkDisabled,
}

/// One line of an organization's activity log. Events never carry tokens or their hashes.
#[uniffi::remote(Record)]
pub struct Event {
    /// The organization.
    pub org: OrgId,
    /// Who did it.
    pub actor: Actor,
    /// What happened.
    pub action: Action,
    /// To what.
    pub subject: Subject,
    /// When.
    pub at: Timestamp,
}

/// A client's status, without its instants.
#[uniffi::remote(Enum)]
pub enum StatusKind {
    /// Set up, no invitation sent (or every one revoked).
    Provisioned,
    /// A live invitation waits.
    InvitePending,
    /// Every open invitation has expired.
    InviteExpired,
    /// The client accepted.
    Activated,
    /// Archived.
    Archived,
}

/// A client's status at an instant, with its instants.
#[uniffi::remote(Enum)]
pub enum Status {
    /// Set up, no invitation sent (or every one revoked).
    Provisioned,
    /// A live invitation waits.
    InvitePending {
        /// The latest sending among the live invitations.
        sent_at: Timestamp,
        /// The latest deadline among them.
        expires_at: Timestamp,
    },
    /// Every open invitation has expired.
    InviteExpired {
        /// The latest sending.
        sent_at: Timestamp,
        /// The latest deadline, now past.
        expired_at: Timestamp,
    },
    /// The client accepted.
    Activated {
        /// When.
        accepted_at: Timestamp,
        /// When the client was last seen, if the host reported it.
        last_seen_at: Option<Timestamp>,
    },
    /// Archived.
    Archived {
        /// When.
        archived_at: Timestamp,
    },
}

/// A command of the lifecycle's transition table.
#[uniffi::remote(Enum)]
pub enum CommandKind {
    /// Create a client record.
    Create,
    /// Send a first invitation.
    Send,
    /// Send a further invitation.
    Resend,
    /// Accept an invitation.
    Accept,
    /// Revoke the open invitations.
    Revoke,
    /// Archive the client.
    Archive,
    /// Restore an archived client.
    Restore,
    /// Time reaching the deadline.
    Expire,
}

/// A cell of the transition table.
#[uniffi::remote(Enum)]
pub enum Outcome {
    /// The command moves the client to this status.
    To(StatusKind),
    /// Allowed; the status stays.
    Unchanged,
    /// Allowed; the status afterwards is whatever the client's instants give (restore).
    Derived,
    /// Refused with this code.
    Refused(ErrorCode),
}

/// What an invitation link is, as its preview says.
#[uniffi::remote(Enum)]
pub enum LinkState {
    /// It can be accepted.
    Live,
    /// Its deadline passed.
    Expired,
    /// It was revoked (or retired).
    Revoked,
    /// It was accepted.
    Accepted,
    /// Its client is archived.
    ClientArchived,
}

/// What an accept page shows before anyone accepts: reading it changes nothing.
#[uniffi::remote(Record)]
pub struct Preview {
    /// The organization's name.
    pub organization: String,
    /// The inviter's name, if known.
    pub inviter: Option<String>,
    /// The invited address, masked (`j***@example.com`).
    pub masked_email: String,
    /// The link's deadline.
    pub expires_at: Timestamp,
    /// The deadline in the organization's time zone, as the email states it.
    pub deadline: String,
    /// Whether the link can be accepted.
    pub state: LinkState,
}

/// A permission of the access table.
#[uniffi::remote(Enum)]
pub enum Permission {
    /// Change the organization's settings, sign-up links and groups.
    ManageOrganization,
    /// Manage admins.
    ManageAdmins,
    /// Manage members of staff.
    ManageStaff,
    /// Manage clients.
    ManageClients,
    /// Manage invitations someone else sent.
    ManageAnyInvitation,
    /// Add guests to one's own account.
    AddGuests,
}

/// An operation of a member on a client record.
#[uniffi::remote(Enum)]
pub enum Operation {
    /// Create it.
    Create,
    /// Send it a first invitation.
    Send,
    /// Send it a further invitation.
    Resend,
    /// Revoke its invitations.
    Revoke,
    /// Archive it.
    Archive,
    /// Restore it.
    Restore,
    /// Put it in a program or group, or under a member of staff.
    Assign,
    /// Edit it.
    Edit,
    /// See it.
    View,
}

/// An organization-wide operation.
#[uniffi::remote(Enum)]
pub enum OrgOperation {
    /// Change the organization's settings.
    ManageSettings,
    /// Create, rotate and disable sign-up links.
    ManageSignupLinks,
    /// Create, rename and delete groups.
    ManageGroups,
    /// See the client list.
    ViewClients,
}

/// The member acting: a client record's id and its role.
#[uniffi::remote(Record)]
pub struct Member {
    /// Its client id.
    pub id: ClientId,
    /// Its role.
    pub role: Role,
}

/// Where an outbox message is.
#[uniffi::remote(Enum)]
pub enum DeliveryState {
    /// Waiting for a delivery.
    Pending,
    /// Delivered.
    Sent,
    /// The last delivery failed; it will be retried.
    Failed,
}

/// A rendered invitation email.
#[uniffi::remote(Record)]
pub struct Message {
    /// The recipient's address.
    pub to: String,
    /// The recipient's display name, on one line, if known.
    pub to_name: Option<String>,
    /// The subject, on one line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part: a whole HTML document.
    pub html: String,
}

/// A message in the outbox: what a mailer's `send` receives, and what `outbox()` lists.
#[uniffi::remote(Record)]
pub struct OutboxMessage {
    /// Its id: stable across retries, use it as the provider's idempotency key.
    pub id: MessageId,
    /// The organization.
    pub org: OrgId,
    /// The client it goes to.
    pub client: ClientId,
    /// The invitation it carries, if any.
    pub invitation: Option<InvitationId>,
    /// The rendered email (its bodies hold the accept link).
    pub message: Message,
    /// Where it is.
    pub state: DeliveryState,
    /// How many times it was handed to a mailer before.
    pub attempts: u32,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// When it was delivered.
    pub sent_at: Option<Timestamp>,
    /// What the last failed delivery said.
    pub last_error: Option<String>,
    /// Until when a worker holds it.
    pub claimed_until: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn instants_cross_exactly_and_out_of_range_ones_are_refused() {
        let epoch = SystemTime::UNIX_EPOCH;
        let before = epoch - Duration::new(1, 250_000_000);
        let at = instant(before).expect("in range");
        assert_eq!(
            (at.timestamp(), at.timestamp_subsec_nanos()),
            (-2, 750_000_000)
        );
        assert_eq!(SystemTime::from(at), before);
        let after = epoch + Duration::new(1_795_000_000, 5);
        assert_eq!(instant(after).map(SystemTime::from), Some(after));
        // java.time.Instant.MAX and MIN, which hosts use for "never".
        assert_eq!(
            instant(epoch + Duration::from_secs(31_556_889_864_403_199)),
            None
        );
        assert_eq!(
            instant(epoch - Duration::from_secs(31_557_014_167_219_200)),
            None
        );
    }
}
