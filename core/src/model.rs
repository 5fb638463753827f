//! The records invitekit keeps: organizations, clients, invitations, groups, client companies and
//! sign-up links, and the events that tell their history.
//!
//! Every type here is plain data with public fields and serde, so a store (SQLite, PostgreSQL, a
//! host's own ORM) can build and persist them. The rules that change them live elsewhere:
//! [`crate::lifecycle`] (statuses and transitions), [`crate::access`] (who may do what),
//! [`crate::policy`] (expiry windows and the email binding), [`crate::token`] (secrets).
//!
//! Instants are [`DateTime<Utc>`]; they serialize as RFC 3339 text. Nothing here stores a status:
//! [`crate::lifecycle::status`] derives it from the instants and `now`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::policy::{EmailBinding, ExpiryWindow, TimeZone};
use crate::token::TokenHash;

macro_rules! ids {
    ($( $(#[$doc:meta])* $name:ident; )+) => {
        $(
            $(#[$doc])*
            ///
            /// An opaque text chosen by the store (or the host); serialized as that text.
            #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
            #[serde(transparent)]
            pub struct $name(pub String);

            impl $name {
                /// The id with this text.
                pub fn new(id: impl Into<String>) -> Self {
                    $name(id.into())
                }

                /// The id's text.
                pub fn as_str(&self) -> &str {
                    &self.0
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(&self.0)
                }
            }

            impl From<&str> for $name {
                fn from(id: &str) -> Self {
                    $name(id.to_owned())
                }
            }
        )+
    };
}

ids! {
    /// An organization (tenant): every other record belongs to exactly one.
    OrgId;
    /// A client record, whatever its role (members of staff and admins are client records too).
    ClientId;
    /// One invitation: one link sent to one client.
    InvitationId;
    /// A group of clients.
    GroupId;
    /// A program clients are enrolled in.
    ProgramId;
    /// A client company.
    CompanyId;
    /// A sign-up link.
    SignupLinkId;
    /// A message in the outbox.
    MessageId;
}

/// A member's role in an organization. What each may do is [`crate::access`]'s table.
///
/// Serialized as its lowercase name; parsed from it with [`FromStr`] (ASCII case-insensitive).
///
/// ```
/// use invitekit::model::Role;
/// assert_eq!("Staff".parse::<Role>()?, Role::Staff);
/// assert_eq!(Role::Guest.as_str(), "guest");
/// # Ok::<(), invitekit::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl Role {
    /// Every role, from the most to the least powerful.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Staff, Role::Client, Role::Guest];

    /// The role's lowercase name, as serialized.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Client => "client",
            Role::Guest => "guest",
        }
    }

    /// The name platforms show: "Admin", "Staff", "Client", "Guest".
    pub const fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Staff => "Staff",
            Role::Client => "Client",
            Role::Guest => "Guest",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    /// # Errors
    ///
    /// [`crate::ErrorCode::InvalidRole`] for anything but the four names.
    fn from_str(text: &str) -> Result<Self, Error> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidRole))
    }
}

/// Who controls a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    /// An internal record: the organization's admins control it. Every record starts so until its
    /// invitee (or a company's point of contact) accepts.
    Organization,
    /// The member who owns it.
    Member(ClientId),
}

/// An organization's settings, the ones the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Its id.
    pub id: OrgId,
    /// The name shown in invitations.
    pub name: String,
    /// How long an invitation stays valid.
    pub expiry: ExpiryWindow,
    /// The time zone in which emails state deadlines and tables show dates.
    pub time_zone: TimeZone,
    /// Whose identity may accept an invitation.
    pub email_binding: EmailBinding,
    /// The accept link's template, with `{token}` where the link's token goes, for example
    /// `https://app.example.com/invitations/{token}`.
    pub accept_url: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Organization {
    /// An organization with the default settings: a 14-day window, UTC, the invited address
    /// must accept, and an accept link under `https://example.invalid/`.
    pub fn new(id: OrgId, name: impl Into<String>, created_at: DateTime<Utc>) -> Self {
        Organization {
            id,
            name: name.into(),
            expiry: ExpiryWindow::default(),
            time_zone: TimeZone::default(),
            email_binding: EmailBinding::default(),
            accept_url: "https://example.invalid/invitations/{token}".to_owned(),
            created_at,
        }
    }

    /// The organization as the service stores it: its name trimmed and checked
    /// ([`crate::policy::check_name`]) and its accept-link template checked
    /// ([`crate::message::validate_accept_url`]). The window and the time zone are checked by
    /// their types. Hosts building records themselves call this before storing one.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorCode::InvalidMessageText`] for an empty name, one over 200 characters or
    /// one with a control character; [`crate::ErrorCode::InvalidUrl`] for a bad template.
    ///
    /// ```
    /// use chrono::Utc;
    /// use invitekit::model::Organization;
    /// use invitekit::ErrorCode;
    ///
    /// let org = Organization::new("acme".into(), "  Acme ", Utc::now()).checked()?;
    /// assert_eq!(org.name, "Acme");
    /// let bad = Organization::new("acme".into(), "Acme\r\nBcc: x@example.com", Utc::now());
    /// assert_eq!(bad.checked().unwrap_err().code(), ErrorCode::InvalidMessageText);
    /// # Ok::<(), invitekit::Error>(())
    /// ```
    pub fn checked(mut self) -> Result<Self, Error> {
        self.name = crate::policy::check_name(&self.name, "name")?;
        crate::message::validate_accept_url(&self.accept_url)?;
        Ok(self)
    }
}

/// An email address kept in two forms.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email {
    /// The address as typed, after the parser's trimming and normalization (case kept): the one
    /// mail is sent to.
    pub address: String,
    /// Its dedup key ([`crate::address::Entry::key`]): unique per organization.
    pub key: String,
}

/// A client record: one person in an organization, whatever their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// The organization it belongs to.
    pub org: OrgId,
    /// The address, if known (a record with preliminary data may have none yet).
    pub email: Option<Email>,
    /// The display name.
    pub name: Option<String>,
    /// The role.
    pub role: Role,
    /// Programs the client is enrolled in.
    pub programs: Vec<ProgramId>,
    /// Groups the client is in.
    pub groups: Vec<GroupId>,
    /// The member of staff assigned to the client.
    pub assigned_staff: Option<ClientId>,
    /// The client company the client belongs to.
    pub company: Option<CompanyId>,
    /// For a guest: the client whose account the guest was added to.
    pub guest_of: Option<ClientId>,
    /// Who controls the record.
    pub owner: Owner,
    /// The member who created it (`None` when the organization did, for example through a
    /// sign-up link or an import).
    pub created_by: Option<ClientId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the client accepted an invitation (or joined through a sign-up link).
    pub activated_at: Option<DateTime<Utc>>,
    /// The identity that accepted, as the host authenticated it.
    pub activated_by: Option<Identity>,
    /// When the client was last seen (the host reports it).
    pub last_seen_at: Option<DateTime<Utc>>,
    /// When the client was archived; `None` when active.
    pub archived_at: Option<DateTime<Utc>>,
    /// Bumped by every change; stores compare and set on it.
    pub version: u64,
}

impl Client {
    /// A new record with this role and address, owned by the organization, version 0.
    pub fn new(
        id: ClientId,
        org: OrgId,
        email: Option<Email>,
        role: Role,
        created_at: DateTime<Utc>,
    ) -> Self {
        Client {
            id,
            org,
            email,
            name: None,
            role,
            programs: Vec::new(),
            groups: Vec::new(),
            assigned_staff: None,
            company: None,
            guest_of: None,
            owner: Owner::Organization,
            created_by: None,
            created_at,
            activated_at: None,
            activated_by: None,
            last_seen_at: None,
            archived_at: None,
            version: 0,
        }
    }
}

/// The identity a host authenticated, presented when accepting an invitation.
///
/// Build it with [`Identity::from_email`] so its key is the parser's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    /// The identity's email.
    pub email: Email,
    /// The host's own id for the account (a user id), if it has one.
    pub subject: Option<String>,
}

impl Identity {
    /// The identity with this email, parsed and keyed as the pasted-list parser does.
    ///
    /// # Errors
    ///
    /// The address's own error code ([`crate::ErrorCode::NotAnAddress`],
    /// [`crate::ErrorCode::InvalidDomain`], ...) when `email` is not one valid address.
    pub fn from_email(email: &str, options: &crate::address::ParseOptions) -> Result<Self, Error> {
        Ok(Identity {
            email: crate::address::parse_one(email, options)?,
            subject: None,
        })
    }

    /// The same identity with the host's account id.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Whether two identities are the same person: the same host subject when both have one,
    /// else the same email key.
    pub fn same_as(&self, other: &Identity) -> bool {
        match (&self.subject, &other.subject) {
            (Some(a), Some(b)) => a == b,
            _ => self.email.key == other.email.key,
        }
    }
}

/// One invitation: a link sent to a client, valid until `expires_at`.
///
/// Only the SHA-256 hash of its token is kept. A client may hold several live invitations
/// (each resend adds one); see [`crate::lifecycle`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The organization.
    pub org: OrgId,
    /// The invited client.
    pub client: ClientId,
    /// The hash of the link's token.
    pub token_hash: TokenHash,
    /// Who sent it (`None`: the organization, for example a sign-up flow or an import).
    pub sent_by: Option<ClientId>,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// When it stops working: `sent_at` plus the organization's window at the time it was sent.
    /// The email states this deadline, so a later change of window does not move it.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When another of the client's invitations was accepted, which retired this one.
    pub retired_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// Whether the link works at `now`: not revoked, accepted or retired, and before its expiry.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.is_open() && now < self.expires_at
    }

    /// Whether nothing closed it (revoke, accept, retire); it may still have expired.
    pub fn is_open(&self) -> bool {
        self.revoked_at.is_none() && self.accepted_at.is_none() && self.retired_at.is_none()
    }
}

/// A group of clients, with its co-owners (who may all receive one invitation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// The organization.
    pub org: OrgId,
    /// Its name, unique in the organization.
    pub name: String,
    /// The members who own it together.
    pub co_owners: Vec<ClientId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A program clients are enrolled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Its id.
    pub id: ProgramId,
    /// The organization.
    pub org: OrgId,
    /// Its name.
    pub name: String,
}

/// A client company: a business whose people are clients, with a point of contact.
///
/// Without a point of contact it is an internal record the admins control; when its point of
/// contact accepts an invitation, ownership passes to them
/// ([`crate::access::hand_over_companies`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// The organization.
    pub org: OrgId,
    /// Its name.
    pub name: String,
    /// The client who speaks for it.
    pub point_of_contact: Option<ClientId>,
    /// Members who own it together with the owner.
    pub co_owners: Vec<ClientId>,
    /// Who controls it.
    pub owner: Owner,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A link an organization shares so people can join without a personal invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupLink {
    /// Its id.
    pub id: SignupLinkId,
    /// The organization.
    pub org: OrgId,
    /// The hash of its current token (rotating replaces it).
    pub token_hash: TokenHash,
    /// The role a person joining through it gets.
    pub role: Role,
    /// How many people may join through it; `None` for no limit.
    pub max_uses: Option<u32>,
    /// How many have.
    pub uses: u32,
    /// Email domains (lowercase ASCII, IDNA form) allowed to join; empty for any.
    pub allowed_domains: Vec<String>,
    /// Who created it.
    pub created_by: Option<ClientId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its token was last replaced.
    pub rotated_at: Option<DateTime<Utc>>,
    /// When it was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Bumped by every change (a join, a rotation, disabling); stores compare and set on it.
    #[serde(default)]
    pub version: u64,
}

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A member of the organization (including a client accepting their own invitation).
    Member(ClientId),
    /// The organization itself: an import, a sign-up link, a scheduled job.
    System,
}

/// What an [`Event`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
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

/// What happened. Serialized with a `type` tag in snake_case.
///
/// Exhaustive on purpose: the Kotlin and Swift bindings declare the same cases
/// (`bindings-uniffi/src/types.rs`), and a new kind of event should fail their build until they
/// do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
        expires_at: DateTime<Utc>,
    },
    /// A further invitation was sent; earlier live ones keep working.
    InvitationResent {
        /// The client.
        client: ClientId,
        /// Its deadline.
        expires_at: DateTime<Utc>,
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

/// Where a client is put by a bulk assignment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Assignment {
    /// Into a program (added to the client's programs).
    Program(ProgramId),
    /// Into a group (added to the client's groups).
    Group(GroupId),
    /// Under a member of staff, or under none.
    Staff(Option<ClientId>),
}

/// One line of an organization's activity log: who did what to what, and when.
///
/// Events never carry tokens or their hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub at: DateTime<Utc>,
}
