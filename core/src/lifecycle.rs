//! A client's status at an instant, and the transition table every change obeys.
//!
//! # Status is derived, never stored
//!
//! [`status`] computes a client's [`Status`] from its record and invitations and `now`, in this
//! order:
//!
//! 1. `archived_at` is set: **Archived**.
//! 2. `activated_at` is set: **Activated** (with its accepted and last-seen instants).
//! 3. some invitation is live at `now` (open, and `now` is before its `expires_at`):
//!    **Invite Pending**, with the latest sending and the latest deadline among the live ones.
//! 4. some invitation is open (not revoked, accepted or retired) but none is live:
//!    **Invite Expired**, expired since the latest deadline.
//! 5. otherwise: **Provisioned** (never invited, or every invitation revoked).
//!
//! So a list, a report and an accept check asked at the same `now` can never disagree.
//!
//! # Links
//!
//! A resend adds a link with a fresh window; links sent earlier keep working until their own
//! deadline, so the email a client already has never goes dead. Revoke closes every open link of
//! the client. Accepting any live link activates the client and retires the others. Archiving
//! closes nothing: while archived, every command but restore is refused, and a restored client
//! takes whatever status its instants give.
//!
//! # The transition table
//!
//! [`TRANSITIONS`] gives, for each status (or no record yet) and each [`CommandKind`], the next
//! status or the stable error code of the refusal. Every method of [`ClientRecord`] consults it
//! before it changes anything, so a refused command changes nothing. The accept column is for a
//! link the status shows; a link revoked, expired or retired earlier is refused by its own state
//! ([`ClientRecord::accept`] lists the checks).
//!
//! ```
//! use chrono::{Duration, TimeZone as _, Utc};
//! use invitekit::lifecycle::{ClientRecord, NewInvitation, StatusKind};
//! use invitekit::model::{Actor, Client, Email, Identity, Organization, Role};
//! use invitekit::token::Token;
//!
//! let sent = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
//! let org = Organization::new("acme".into(), "Acme", sent);
//! let email = Email { address: "Jane@example.com".into(), key: "jane@example.com".into() };
//! let client = Client::new("c1".into(), org.id.clone(), Some(email), Role::Client, sent);
//! let (mut record, _created) = ClientRecord::create(client, Actor::System);
//!
//! let token = Token::mint()?;
//! let invitation = NewInvitation { id: "i1".into(), token_hash: token.hash() };
//! record.send(&org, invitation, Actor::System, sent)?;
//! assert_eq!(record.status(sent).kind(), StatusKind::InvitePending);
//! assert_eq!(record.status(sent + Duration::days(14)).kind(), StatusKind::InviteExpired);
//!
//! let jane = Identity::from_email("jane@EXAMPLE.com", &Default::default())?;
//! record.accept(&org, &"i1".into(), &token, &jane, sent + Duration::days(2))?;
//! assert_eq!(record.status(sent + Duration::days(20)).label(), "Activated");
//! # Ok::<(), invitekit::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, ErrorKind};
use crate::model::{
    Action, Actor, Client, Event, Identity, Invitation, InvitationId, Organization, Owner,
    SignupLink, SignupLinkId, Subject,
};
use crate::policy::{self, TimeZone};
use crate::token::{Token, TokenHash};

/// The five statuses, without their instants.
///
/// Serialized in snake_case (`invite_pending`); [`StatusKind::label`] is what platforms show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    /// Set up, no invitation sent (or every one revoked).
    Provisioned,
    /// A live invitation waits.
    InvitePending,
    /// Invited, but every invitation has expired.
    InviteExpired,
    /// Accepted an invitation (or joined through a sign-up link).
    Activated,
    /// Archived.
    Archived,
}

impl StatusKind {
    /// Every status, in lifecycle order.
    pub const ALL: [StatusKind; 5] = [
        StatusKind::Provisioned,
        StatusKind::InvitePending,
        StatusKind::InviteExpired,
        StatusKind::Activated,
        StatusKind::Archived,
    ];

    /// The snake_case name, as serialized: `invite_pending`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusKind::Provisioned => "provisioned",
            StatusKind::InvitePending => "invite_pending",
            StatusKind::InviteExpired => "invite_expired",
            StatusKind::Activated => "activated",
            StatusKind::Archived => "archived",
        }
    }

    /// The label platforms show: "Provisioned", "Invite Pending", "Invite Expired",
    /// "Activated", "Archived".
    pub const fn label(self) -> &'static str {
        match self {
            StatusKind::Provisioned => "Provisioned",
            StatusKind::InvitePending => "Invite Pending",
            StatusKind::InviteExpired => "Invite Expired",
            StatusKind::Activated => "Activated",
            StatusKind::Archived => "Archived",
        }
    }
}

impl fmt::Display for StatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatusKind {
    type Err = Error;

    /// Parses the snake_case name or the label, ASCII case-insensitive (`Invite Pending`,
    /// `invite_pending`, `invite-pending`).
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvalidStatus`] for anything else.
    fn from_str(text: &str) -> Result<Self, Error> {
        let wanted: String = text
            .trim()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        StatusKind::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| Error::new(ErrorKind::InvalidStatus))
    }
}

/// A client's status at an instant, with the instants a table shows.
///
/// Serialized with a `status` tag: `{"status": "invite_pending", "sent_at": ..., "expires_at": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Set up, no invitation sent (or every one revoked).
    Provisioned,
    /// A live invitation waits.
    InvitePending {
        /// The latest sending among the live invitations.
        sent_at: DateTime<Utc>,
        /// The latest deadline among them.
        expires_at: DateTime<Utc>,
    },
    /// Every open invitation has expired.
    InviteExpired {
        /// The latest sending.
        sent_at: DateTime<Utc>,
        /// The latest deadline, now past.
        expired_at: DateTime<Utc>,
    },
    /// The client accepted.
    Activated {
        /// When.
        accepted_at: DateTime<Utc>,
        /// When the client was last seen, if the host reported it.
        last_seen_at: Option<DateTime<Utc>>,
    },
    /// Archived.
    Archived {
        /// When.
        archived_at: DateTime<Utc>,
    },
}

impl Status {
    /// The status without its instants.
    pub const fn kind(&self) -> StatusKind {
        match self {
            Status::Provisioned => StatusKind::Provisioned,
            Status::InvitePending { .. } => StatusKind::InvitePending,
            Status::InviteExpired { .. } => StatusKind::InviteExpired,
            Status::Activated { .. } => StatusKind::Activated,
            Status::Archived { .. } => StatusKind::Archived,
        }
    }

    /// The label platforms show ([`StatusKind::label`]).
    pub const fn label(&self) -> &'static str {
        self.kind().label()
    }

    /// The line under the label, with dates in `zone`:
    ///
    /// | status | detail |
    /// |---|---|
    /// | Provisioned | `Not invited yet` |
    /// | Invite Pending, first minute | `Invitation sent just now` |
    /// | Invite Pending | `Waiting for member to accept invitation (sent 21 Nov 2026)` |
    /// | Invite Expired | `Invitation expired on 5 Dec 2026` |
    /// | Activated | `Last seen 24 Nov 2026`, or `Activated 23 Nov 2026` when never seen |
    /// | Archived | `Archived on 30 Nov 2026` |
    ///
    /// ```
    /// use chrono::{Duration, TimeZone as _, Utc};
    /// use invitekit::lifecycle::Status;
    /// use invitekit::policy::TimeZone;
    ///
    /// let sent_at = Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    /// let status = Status::InvitePending { sent_at, expires_at: sent_at + Duration::days(14) };
    /// let utc = TimeZone::default();
    /// assert_eq!(status.detail(sent_at + Duration::seconds(59), utc), "Invitation sent just now");
    /// assert_eq!(
    ///     status.detail(sent_at + Duration::hours(3), utc),
    ///     "Waiting for member to accept invitation (sent 21 Nov 2026)"
    /// );
    /// ```
    pub fn detail(&self, now: DateTime<Utc>, zone: TimeZone) -> String {
        match *self {
            Status::Provisioned => "Not invited yet".to_owned(),
            Status::InvitePending { sent_at, .. } if now - sent_at < Duration::minutes(1) => {
                "Invitation sent just now".to_owned()
            }
            Status::InvitePending { sent_at, .. } => format!(
                "Waiting for member to accept invitation (sent {})",
                zone.format_date(sent_at)
            ),
            Status::InviteExpired { expired_at, .. } => {
                format!("Invitation expired on {}", zone.format_date(expired_at))
            }
            Status::Activated {
                last_seen_at: Some(seen),
                ..
            } => format!("Last seen {}", zone.format_date(seen)),
            Status::Activated { accepted_at, .. } => {
                format!("Activated {}", zone.format_date(accepted_at))
            }
            Status::Archived { archived_at } => {
                format!("Archived on {}", zone.format_date(archived_at))
            }
        }
    }
}

/// The status of `client`, whose invitations are `invitations`, at `now`. See the module doc
/// for the rules. Invitations of other clients are ignored.
pub fn status(client: &Client, invitations: &[Invitation], now: DateTime<Utc>) -> Status {
    if let Some(archived_at) = client.archived_at {
        return Status::Archived { archived_at };
    }
    if let Some(accepted_at) = client.activated_at {
        return Status::Activated {
            accepted_at,
            last_seen_at: client.last_seen_at,
        };
    }
    let mut open = invitations
        .iter()
        .filter(|i| i.client == client.id && i.is_open())
        .peekable();
    if open.peek().is_none() {
        return Status::Provisioned;
    }
    let (mut live_sent, mut live_expires): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        (None, None);
    let (mut sent_at, mut expired_at) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MIN_UTC);
    for invitation in open {
        sent_at = sent_at.max(invitation.sent_at);
        expired_at = expired_at.max(invitation.expires_at);
        if now < invitation.expires_at {
            live_sent = live_sent.max(Some(invitation.sent_at));
            live_expires = live_expires.max(Some(invitation.expires_at));
        }
    }
    match (live_sent, live_expires) {
        (Some(sent_at), Some(expires_at)) => Status::InvitePending {
            sent_at,
            expires_at,
        },
        _ => Status::InviteExpired {
            sent_at,
            expired_at,
        },
    }
}

/// The commands of the transition table. `Expire` is not a command anyone issues: it is time
/// passing a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Create the client record.
    Create,
    /// Send a first invitation.
    Send,
    /// Send a further invitation with a fresh window.
    Resend,
    /// Accept an invitation.
    Accept,
    /// Revoke every open invitation.
    Revoke,
    /// Archive the client.
    Archive,
    /// Restore an archived client.
    Restore,
    /// Time reaches the deadline of the last live invitation.
    Expire,
}

impl CommandKind {
    /// Every command, in the order of the table's columns.
    pub const ALL: [CommandKind; 8] = [
        CommandKind::Create,
        CommandKind::Send,
        CommandKind::Resend,
        CommandKind::Accept,
        CommandKind::Revoke,
        CommandKind::Archive,
        CommandKind::Restore,
        CommandKind::Expire,
    ];

    /// The snake_case name, as serialized.
    pub const fn as_str(self) -> &'static str {
        match self {
            CommandKind::Create => "create",
            CommandKind::Send => "send",
            CommandKind::Resend => "resend",
            CommandKind::Accept => "accept",
            CommandKind::Revoke => "revoke",
            CommandKind::Archive => "archive",
            CommandKind::Restore => "restore",
            CommandKind::Expire => "expire",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cell of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "value", rename_all = "snake_case")]
pub enum Outcome {
    /// The command succeeds and the client has this status afterwards.
    To(StatusKind),
    /// Nothing changes (time passing where no deadline is pending).
    Unchanged,
    /// The command succeeds; the status is what the client's instants give (restore: Activated,
    /// Invite Pending, Invite Expired or Provisioned).
    Derived,
    /// The command is refused with this code and changes nothing.
    Refused(ErrorCode),
}

impl Outcome {
    /// Whether the cell lets the command run (every outcome but [`Outcome::Refused`]).
    ///
    /// ```
    /// use invitekit::lifecycle::{transition, CommandKind, StatusKind};
    ///
    /// assert!(transition(Some(StatusKind::InvitePending), CommandKind::Accept).allowed());
    /// assert!(!transition(Some(StatusKind::Archived), CommandKind::Accept).allowed());
    /// ```
    pub fn allowed(self) -> bool {
        !matches!(self, Outcome::Refused(_))
    }
}

use ErrorCode as E;
use Outcome::{Derived, Refused, To, Unchanged};
use StatusKind as S;

/// The transition table: one row per status (the first row is "no record yet"), one column per
/// [`CommandKind`] in [`CommandKind::ALL`]'s order. [`transition`] reads it; ARCHITECTURE.md
/// prints it.
pub const TRANSITIONS: [(Option<StatusKind>, [Outcome; 8]); 6] = [
    (
        None,
        [
            To(S::Provisioned),
            Refused(E::ClientNotFound),
            Refused(E::ClientNotFound),
            Refused(E::InvitationNotFound),
            Refused(E::ClientNotFound),
            Refused(E::ClientNotFound),
            Refused(E::ClientNotFound),
            Unchanged,
        ],
    ),
    (
        Some(S::Provisioned),
        [
            Refused(E::ClientExists),
            To(S::InvitePending),
            Refused(E::NotInvited),
            Refused(E::InvitationRevoked),
            Refused(E::NotInvited),
            To(S::Archived),
            Refused(E::NotArchived),
            Unchanged,
        ],
    ),
    (
        Some(S::InvitePending),
        [
            Refused(E::ClientExists),
            Refused(E::AlreadyInvited),
            To(S::InvitePending),
            To(S::Activated),
            To(S::Provisioned),
            To(S::Archived),
            Refused(E::NotArchived),
            To(S::InviteExpired),
        ],
    ),
    (
        Some(S::InviteExpired),
        [
            Refused(E::ClientExists),
            Refused(E::AlreadyInvited),
            To(S::InvitePending),
            Refused(E::InvitationExpired),
            To(S::Provisioned),
            To(S::Archived),
            Refused(E::NotArchived),
            Unchanged,
        ],
    ),
    (
        Some(S::Activated),
        [
            Refused(E::ClientExists),
            Refused(E::AlreadyActivated),
            Refused(E::AlreadyActivated),
            Refused(E::AlreadyActivated),
            Refused(E::AlreadyActivated),
            To(S::Archived),
            Refused(E::NotArchived),
            Unchanged,
        ],
    ),
    (
        Some(S::Archived),
        [
            Refused(E::ClientExists),
            Refused(E::ClientArchived),
            Refused(E::ClientArchived),
            Refused(E::ClientArchived),
            Refused(E::ClientArchived),
            Refused(E::AlreadyArchived),
            Derived,
            Unchanged,
        ],
    ),
];

/// The table's cell for `command` on a client in status `from` (`None`: no record).
pub fn transition(from: Option<StatusKind>, command: CommandKind) -> Outcome {
    let row = match from {
        None => 0,
        Some(status) => 1 + status as usize,
    };
    let column = command as usize;
    TRANSITIONS[row].1[column]
}

/// The table's cell as a result: `Err` with a [`ErrorKind::Refused`] error for a refusal.
///
/// # Errors
///
/// The cell's code when the table refuses `command` in status `from`.
pub fn permit(from: Option<StatusKind>, command: CommandKind) -> Result<Outcome, Error> {
    match transition(from, command) {
        Refused(code) => Err(refused(code, command, from)),
        outcome => Ok(outcome),
    }
}

fn refused(code: ErrorCode, command: CommandKind, status: Option<StatusKind>) -> Error {
    Error::new(ErrorKind::Refused {
        code,
        command,
        status,
    })
}

/// The id and token hash of an invitation about to be sent. The caller mints the token
/// ([`Token::mint`]) and keeps it for the email; only its hash enters the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvitation {
    /// The new invitation's id.
    pub id: InvitationId,
    /// The hash of its token.
    pub token_hash: TokenHash,
}

/// What [`ClientRecord::accept`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Acceptance {
    /// The client is activated now; the events say what changed.
    Activated {
        /// The state changes, for the activity log.
        events: Vec<Event>,
    },
    /// The same identity had accepted already: nothing changed.
    AlreadyAccepted,
}

/// What a link holder may see before accepting: [`ClientRecord::preview`].
///
/// A host shows it on GET and accepts only on POST, so mail scanners that open links consume
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    /// The organization's name.
    pub organization: String,
    /// The inviter's name, as the caller looked it up (`None` for the organization itself).
    pub inviter: Option<String>,
    /// The invited address, masked: `j•••@example.com`.
    pub masked_email: String,
    /// The link's deadline.
    pub expires_at: DateTime<Utc>,
    /// The deadline as the email states it, in the organization's time zone.
    pub deadline: String,
    /// Whether the link may be accepted now, or why not.
    pub state: LinkState,
}

/// The state of one link at an instant, as a preview shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// It may be accepted (by an identity the organization's binding allows).
    Live,
    /// Its deadline has passed.
    Expired,
    /// It was revoked.
    Revoked,
    /// The client has accepted an invitation already.
    Accepted,
    /// The client is archived.
    ClientArchived,
}

impl LinkState {
    /// The code an accept would be refused with in this state (`None` for a live link).
    pub const fn refusal(self) -> Option<ErrorCode> {
        match self {
            LinkState::Live => None,
            LinkState::Expired => Some(ErrorCode::InvitationExpired),
            LinkState::Revoked => Some(ErrorCode::InvitationRevoked),
            LinkState::Accepted => Some(ErrorCode::AlreadyActivated),
            LinkState::ClientArchived => Some(ErrorCode::ClientArchived),
        }
    }
}

/// An address masked for a preview: its first character, `•••` (whatever the length), and the
/// domain: `jane.doe@example.com` gives `j•••@example.com`.
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

/// A client and all its invitations: the unit every lifecycle command reads and changes.
///
/// Each successful command bumps `client.version` once (stores compare and set on it) and
/// returns the events it caused; a refused command changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The client.
    pub client: Client,
    /// Its invitations, in the order they were sent.
    pub invitations: Vec<Invitation>,
}

impl ClientRecord {
    /// A record for a new client (the table's `create` from no record), and its event.
    pub fn create(client: Client, actor: Actor) -> (ClientRecord, Event) {
        let event = Event {
            org: client.org.clone(),
            actor,
            action: Action::ClientCreated { role: client.role },
            subject: Subject::Client(client.id.clone()),
            at: client.created_at,
        };
        let record = ClientRecord {
            client,
            invitations: Vec::new(),
        };
        (record, event)
    }

    /// The client's status at `now` ([`status`]).
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        status(&self.client, &self.invitations, now)
    }

    /// The table's cell for `command` at `now`.
    ///
    /// # Errors
    ///
    /// The cell's code when the table refuses.
    pub fn permit(&self, command: CommandKind, now: DateTime<Utc>) -> Result<Outcome, Error> {
        permit(Some(self.status(now).kind()), command)
    }

    fn event(&self, actor: Actor, action: Action, subject: Subject, at: DateTime<Utc>) -> Event {
        Event {
            org: self.client.org.clone(),
            actor,
            action,
            subject,
            at,
        }
    }

    /// Sends a first invitation, valid for the organization's window from `now`.
    ///
    /// # Errors
    ///
    /// The table's refusal ([`ErrorCode::AlreadyInvited`], [`ErrorCode::AlreadyActivated`],
    /// [`ErrorCode::ClientArchived`]); [`ErrorCode::NoEmail`] when the client has no address;
    /// [`ErrorCode::InvitationExists`] when `new.id` is already one of the client's.
    pub fn send(
        &mut self,
        org: &Organization,
        new: NewInvitation,
        by: Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, Error> {
        self.add_invitation(CommandKind::Send, org, new, by, now)
    }

    /// Sends an invitation with whichever command applies: send for a client never invited (or
    /// whose invitations were all revoked), resend for one already invited. This is how one
    /// invitation goes to all co-owners of a group ([`invite_co_owners`]).
    ///
    /// # Errors
    ///
    /// As [`ClientRecord::send`] and [`ClientRecord::resend`].
    pub fn invite(
        &mut self,
        org: &Organization,
        new: NewInvitation,
        by: Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, Error> {
        let command = match self.status(now).kind() {
            StatusKind::InvitePending | StatusKind::InviteExpired => CommandKind::Resend,
            _ => CommandKind::Send,
        };
        self.add_invitation(command, org, new, by, now)
    }

    /// Sends a further invitation with a fresh window. Earlier live links keep working until
    /// their own deadline.
    ///
    /// # Errors
    ///
    /// As [`ClientRecord::send`], with the table's resend column ([`ErrorCode::NotInvited`] for a
    /// client never invited).
    pub fn resend(
        &mut self,
        org: &Organization,
        new: NewInvitation,
        by: Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, Error> {
        self.add_invitation(CommandKind::Resend, org, new, by, now)
    }

    fn add_invitation(
        &mut self,
        command: CommandKind,
        org: &Organization,
        new: NewInvitation,
        by: Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, Error> {
        self.permit(command, now)?;
        if self.client.email.is_none() {
            return Err(Error::new(ErrorKind::NoEmail));
        }
        if self.invitations.iter().any(|i| i.id == new.id) {
            return Err(Error::new(ErrorKind::InvitationExists));
        }
        let expires_at = org.expiry.deadline(now);
        let client = self.client.id.clone();
        let action = if command == CommandKind::Send {
            Action::InvitationSent {
                client: client.clone(),
                expires_at,
            }
        } else {
            Action::InvitationResent {
                client: client.clone(),
                expires_at,
            }
        };
        let event = self.event(by.clone(), action, Subject::Invitation(new.id.clone()), now);
        self.invitations.push(Invitation {
            id: new.id,
            org: self.client.org.clone(),
            client,
            token_hash: new.token_hash,
            sent_by: match by {
                Actor::Member(id) => Some(id),
                Actor::System => None,
            },
            sent_at: now,
            expires_at,
            revoked_at: None,
            accepted_at: None,
            retired_at: None,
        });
        self.client.version += 1;
        Ok(vec![event])
    }

    /// What the holder of invitation `id`'s link may see, read-only: nothing changes, so a host
    /// can show it on GET and accept on POST.
    ///
    /// `inviter` is the sender's display name, which the caller looks up from `sent_by`.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::InvitationNotFound`] or [`ErrorCode::InvalidToken`] as for accept: without
    /// the right token a preview shows nothing.
    pub fn preview(
        &self,
        org: &Organization,
        id: &InvitationId,
        token: &Token,
        inviter: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Preview, Error> {
        let status = self.status(now).kind();
        let link = self
            .invitations
            .iter()
            .find(|i| &i.id == id)
            .ok_or_else(|| {
                refused(
                    ErrorCode::InvitationNotFound,
                    CommandKind::Accept,
                    Some(status),
                )
            })?;
        if !link.token_hash.matches(token) {
            return Err(Error::new(ErrorKind::InvalidToken));
        }
        let state = match status {
            StatusKind::Archived => LinkState::ClientArchived,
            StatusKind::Activated => LinkState::Accepted,
            _ if !link.is_open() => LinkState::Revoked,
            _ if now >= link.expires_at => LinkState::Expired,
            _ => LinkState::Live,
        };
        Ok(Preview {
            organization: org.name.clone(),
            inviter,
            masked_email: self
                .client
                .email
                .as_ref()
                .map_or_else(String::new, |email| mask_email(&email.address)),
            expires_at: link.expires_at,
            deadline: org.time_zone.format_deadline(link.expires_at),
            state,
        })
    }

    /// Accepts invitation `id` with the `token` from its link, for the authenticated `identity`.
    ///
    /// The checks, in order; the first that fails refuses and changes nothing, so a wrong
    /// account, an expired or a revoked link never consumes the invitation:
    ///
    /// 1. `id` is one of the client's invitations ([`ErrorCode::InvitationNotFound`]) and
    ///    `token` hashes to its hash, compared in constant time ([`ErrorCode::InvalidToken`]);
    /// 2. the client is not archived ([`ErrorCode::ClientArchived`]);
    /// 3. the client is not activated; if the same identity ([`Identity::same_as`]) activated
    ///    it, the result is [`Acceptance::AlreadyAccepted`], else [`ErrorCode::AlreadyActivated`];
    /// 4. the link is not revoked ([`ErrorCode::InvitationRevoked`]) nor expired at `now`
    ///    ([`ErrorCode::InvitationExpired`]);
    /// 5. the organization's [`crate::policy::EmailBinding`] accepts the identity
    ///    ([`ErrorCode::EmailMismatch`]).
    ///
    /// Then the link is accepted, the client's other open links are retired, the client is
    /// activated (seen now, `activated_by` recorded) and becomes the owner of its own record
    /// (an [`Action::OwnershipTransferred`] event).
    ///
    /// # Errors
    ///
    /// The codes above.
    pub fn accept(
        &mut self,
        org: &Organization,
        id: &InvitationId,
        token: &Token,
        identity: &Identity,
        now: DateTime<Utc>,
    ) -> Result<Acceptance, Error> {
        let status = self.status(now).kind();
        let refuse = |code| refused(code, CommandKind::Accept, Some(status));
        let index = self
            .invitations
            .iter()
            .position(|i| &i.id == id)
            .ok_or_else(|| refuse(ErrorCode::InvitationNotFound))?;
        let link = &self.invitations[index];
        if !link.token_hash.matches(token) {
            return Err(Error::new(ErrorKind::InvalidToken));
        }
        match status {
            StatusKind::Archived => return Err(refuse(ErrorCode::ClientArchived)),
            StatusKind::Activated => {
                return match &self.client.activated_by {
                    Some(by) if by.same_as(identity) => Ok(Acceptance::AlreadyAccepted),
                    _ => Err(refuse(ErrorCode::AlreadyActivated)),
                };
            }
            _ => {}
        }
        if !link.is_open() {
            // Open links only close by revoke, accept or retire; the last two activate.
            return Err(refuse(ErrorCode::InvitationRevoked));
        }
        if now >= link.expires_at {
            return Err(refuse(ErrorCode::InvitationExpired));
        }
        if org.email_binding != policy::EmailBinding::AnyIdentity {
            let invited = self.client.email.as_ref().ok_or_else(|| {
                Error::new(ErrorKind::EmailMismatch {
                    binding: org.email_binding,
                })
            })?;
            org.email_binding.check(invited, identity)?;
        }
        // The table agrees: a live link means Invite Pending, whose accept is Activated.
        permit(Some(status), CommandKind::Accept)?;

        let client_id = self.client.id.clone();
        let accepter = Actor::Member(client_id.clone());
        self.invitations[index].accepted_at = Some(now);
        let mut events = vec![self.event(
            accepter.clone(),
            Action::InvitationAccepted { client: client_id },
            Subject::Invitation(id.clone()),
            now,
        )];
        self.activate(identity, accepter, now, &mut events);
        Ok(Acceptance::Activated { events })
    }

    /// Retires the client's other open links, marks it activated by `identity`, and hands it its
    /// own record, adding the events to `events`.
    fn activate(
        &mut self,
        identity: &Identity,
        accepter: Actor,
        now: DateTime<Utc>,
        events: &mut Vec<Event>,
    ) {
        for invitation in &mut self.invitations {
            if invitation.is_open() {
                invitation.retired_at = Some(now);
                events.push(Event {
                    org: self.client.org.clone(),
                    actor: accepter.clone(),
                    action: Action::InvitationRetired {
                        client: self.client.id.clone(),
                    },
                    subject: Subject::Invitation(invitation.id.clone()),
                    at: now,
                });
            }
        }
        self.client.activated_at = Some(now);
        self.client.activated_by = Some(identity.clone());
        self.client.last_seen_at = Some(now);
        let new_owner = Owner::Member(self.client.id.clone());
        if self.client.owner != new_owner {
            let from = std::mem::replace(&mut self.client.owner, new_owner.clone());
            events.push(self.event(
                accepter,
                Action::OwnershipTransferred {
                    from,
                    to: new_owner,
                },
                Subject::Client(self.client.id.clone()),
                now,
            ));
        }
        self.client.version += 1;
    }

    /// Revokes every open invitation of the client (live or expired): no link of it works
    /// afterwards, and the client is Provisioned. One event per invitation revoked.
    ///
    /// # Errors
    ///
    /// The table's refusal ([`ErrorCode::NotInvited`], [`ErrorCode::AlreadyActivated`],
    /// [`ErrorCode::ClientArchived`]).
    pub fn revoke(&mut self, by: Actor, now: DateTime<Utc>) -> Result<Vec<Event>, Error> {
        self.permit(CommandKind::Revoke, now)?;
        let mut events = Vec::new();
        for invitation in &mut self.invitations {
            if invitation.is_open() {
                invitation.revoked_at = Some(now);
                events.push(Event {
                    org: self.client.org.clone(),
                    actor: by.clone(),
                    action: Action::InvitationRevoked {
                        client: self.client.id.clone(),
                    },
                    subject: Subject::Invitation(invitation.id.clone()),
                    at: now,
                });
            }
        }
        self.client.version += 1;
        Ok(events)
    }

    /// Archives the client. Its links stay as they are but none can be accepted, and nothing
    /// can be sent to it, until it is restored.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::AlreadyArchived`].
    pub fn archive(&mut self, by: Actor, now: DateTime<Utc>) -> Result<Vec<Event>, Error> {
        self.permit(CommandKind::Archive, now)?;
        self.client.archived_at = Some(now);
        self.client.version += 1;
        let subject = Subject::Client(self.client.id.clone());
        Ok(vec![self.event(by, Action::ClientArchived, subject, now)])
    }

    /// Restores an archived client, which then has the status its instants give.
    ///
    /// # Errors
    ///
    /// [`ErrorCode::NotArchived`].
    pub fn restore(&mut self, by: Actor, now: DateTime<Utc>) -> Result<Vec<Event>, Error> {
        self.permit(CommandKind::Restore, now)?;
        self.client.archived_at = None;
        self.client.version += 1;
        let subject = Subject::Client(self.client.id.clone());
        Ok(vec![self.event(by, Action::ClientRestored, subject, now)])
    }

    /// Records that the client was seen (signed in) at `now`. Only an active, activated client
    /// is seen; for others this does nothing and returns `false`.
    pub fn record_seen(&mut self, now: DateTime<Utc>) -> bool {
        if self.client.archived_at.is_some() || self.client.activated_at.is_none() {
            return false;
        }
        if self.client.last_seen_at.is_none_or(|seen| seen < now) {
            self.client.last_seen_at = Some(now);
            self.client.version += 1;
        }
        true
    }

    /// Activates this existing client through sign-up link `link` (see [`join`]).
    fn join_existing(
        &mut self,
        link: &SignupLinkId,
        identity: &Identity,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, Error> {
        let status = self.status(now).kind();
        match status {
            StatusKind::Archived => {
                return Err(refused(
                    ErrorCode::ClientArchived,
                    CommandKind::Accept,
                    Some(status),
                ));
            }
            StatusKind::Activated => {
                return Err(refused(
                    ErrorCode::AlreadyActivated,
                    CommandKind::Accept,
                    Some(status),
                ));
            }
            _ => {}
        }
        let accepter = Actor::Member(self.client.id.clone());
        let mut events = vec![self.event(
            accepter.clone(),
            Action::JoinedThroughSignupLink { link: link.clone() },
            Subject::Client(self.client.id.clone()),
            now,
        )];
        self.activate(identity, accepter, now, &mut events);
        Ok(events)
    }
}

/// Invites every co-owner of `group` among `records` that can be invited (neither activated nor
/// archived) with [`ClientRecord::invite`]; `mint` gives each a new invitation id and token hash
/// (and keeps the token for the email). Returns, per co-owner found, its id and the result.
pub fn invite_co_owners(
    group: &crate::model::Group,
    records: &mut [ClientRecord],
    org: &Organization,
    mut mint: impl FnMut(&crate::model::ClientId) -> NewInvitation,
    by: &Actor,
    now: DateTime<Utc>,
) -> Vec<(crate::model::ClientId, Result<Vec<Event>, Error>)> {
    let mut results = Vec::new();
    for record in records.iter_mut() {
        if !group.co_owners.contains(&record.client.id)
            || matches!(
                record.status(now).kind(),
                StatusKind::Activated | StatusKind::Archived
            )
        {
            continue;
        }
        let new = mint(&record.client.id);
        let result = record.invite(org, new, by.clone(), now);
        results.push((record.client.id.clone(), result));
    }
    results
}

/// Joins an organization through a sign-up link: the person becomes an activated client with the
/// link's role, owning their record, and the link counts one more use.
///
/// `existing` is the organization's client with the identity's email key, if any: a client set
/// up but not activated is activated (its open links retired) instead of being duplicated.
/// Otherwise a new client with id `new_id`, the identity's email and the link's role is created
/// and activated.
///
/// # Errors
///
/// [`ErrorCode::InvalidToken`] unless `token` is the link's (compared in constant time); then
/// [`crate::policy::check_join`]'s codes; for an existing client, [`ErrorCode::EmailMismatch`]
/// when its key is not the identity's, [`ErrorCode::ClientArchived`] or
/// [`ErrorCode::AlreadyActivated`]. Nothing changes on an error, the link included.
pub fn join(
    link: &mut SignupLink,
    token: &Token,
    identity: &Identity,
    existing: Option<ClientRecord>,
    new_id: crate::model::ClientId,
    now: DateTime<Utc>,
) -> Result<(ClientRecord, Vec<Event>), Error> {
    if !link.token_hash.matches(token) {
        return Err(Error::new(ErrorKind::InvalidToken));
    }
    policy::check_join(link, &identity.email, now)?;
    let (mut record, mut events) = match existing {
        Some(record) => {
            if record.client.email.as_ref().map(|e| &e.key) != Some(&identity.email.key) {
                return Err(Error::new(ErrorKind::EmailMismatch {
                    binding: policy::EmailBinding::SameAddress,
                }));
            }
            (record, Vec::new())
        }
        None => {
            let client = Client::new(
                new_id,
                link.org.clone(),
                Some(identity.email.clone()),
                link.role,
                now,
            );
            let (record, created) = ClientRecord::create(client, Actor::System);
            (record, vec![created])
        }
    };
    events.extend(record.join_existing(&link.id, identity, now)?);
    link.uses += 1;
    link.version += 1;
    Ok((record, events))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::model::{Email, OrgId, Role};
    use crate::policy::{EmailBinding, ExpiryWindow};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
            .single()
            .expect("instant")
    }

    fn email(address: &str) -> Email {
        Email {
            address: address.to_owned(),
            key: address.to_lowercase(),
        }
    }

    fn identity(address: &str) -> Identity {
        Identity {
            email: email(address),
            subject: None,
        }
    }

    fn org() -> Organization {
        Organization::new(OrgId::new("acme"), "Acme", t0())
    }

    fn record() -> ClientRecord {
        let client = Client::new(
            "c1".into(),
            "acme".into(),
            Some(email("jane@example.com")),
            Role::Client,
            t0(),
        );
        ClientRecord::create(client, Actor::System).0
    }

    fn link(n: u32) -> (NewInvitation, Token) {
        let token = Token::mint().expect("entropy");
        let new = NewInvitation {
            id: InvitationId::new(format!("i{n}")),
            token_hash: token.hash(),
        };
        (new, token)
    }

    fn code<T: fmt::Debug>(result: Result<T, Error>) -> ErrorCode {
        result.expect_err("refused").code()
    }

    #[test]
    fn every_cell_of_the_table_is_its_row_and_column() {
        for (row, (status, cells)) in TRANSITIONS.iter().enumerate() {
            assert_eq!(row, status.map_or(0, |s| 1 + s as usize));
            for (column, command) in CommandKind::ALL.into_iter().enumerate() {
                assert_eq!(column, command as usize);
                assert_eq!(transition(*status, command), cells[column]);
            }
        }
    }

    #[test]
    fn a_resend_keeps_earlier_links_working_until_their_own_deadline() {
        let org = org();
        let mut r = record();
        let (first, first_token) = link(1);
        r.send(&org, first, Actor::System, t0()).expect("send");
        let later = t0() + Duration::days(10);
        let (second, _) = link(2);
        r.resend(&org, second, Actor::System, later)
            .expect("resend");
        // Day 13: both live; the pending status shows the latest sending and deadline.
        let day13 = t0() + Duration::days(13);
        assert_eq!(
            r.status(day13),
            Status::InvitePending {
                sent_at: later,
                expires_at: later + Duration::days(14)
            }
        );
        let jane = identity("jane@example.com");
        let accepted = r
            .accept(&org, &"i1".into(), &first_token, &jane, day13)
            .expect("the first link still works");
        let Acceptance::Activated { events } = accepted else {
            panic!("activated")
        };
        let actions: Vec<_> = events.iter().map(|e| &e.action).collect();
        assert!(matches!(actions[0], Action::InvitationAccepted { .. }));
        assert!(matches!(actions[1], Action::InvitationRetired { .. }));
        assert!(matches!(actions[2], Action::OwnershipTransferred { .. }));
        assert!(r.invitations[1].retired_at.is_some());
        assert_eq!(r.client.owner, Owner::Member("c1".into()));
    }

    #[test]
    fn an_expired_link_is_refused_even_when_a_newer_one_is_live() {
        let org = org();
        let mut r = record();
        let (first, first_token) = link(1);
        r.send(&org, first, Actor::System, t0()).expect("send");
        let (second, _) = link(2);
        r.resend(&org, second, Actor::System, t0() + Duration::days(13))
            .expect("resend");
        let day15 = t0() + Duration::days(15);
        let jane = identity("jane@example.com");
        let error = r.accept(&org, &"i1".into(), &first_token, &jane, day15);
        assert_eq!(code(error), ErrorCode::InvitationExpired);
        assert_eq!(r.status(day15).kind(), StatusKind::InvitePending);
        assert!(r.invitations[0].accepted_at.is_none());
    }

    #[test]
    fn a_wrong_account_never_consumes_the_invitation() {
        let org = org();
        let mut r = record();
        let (new, token) = link(1);
        r.send(&org, new, Actor::System, t0()).expect("send");
        let before = r.clone();
        let now = t0() + Duration::hours(1);
        let mallory = identity("mallory@example.com");
        let error = r.accept(&org, &"i1".into(), &token, &mallory, now);
        assert_eq!(code(error), ErrorCode::EmailMismatch);
        assert_eq!(r, before);
        // Same domain is enough when the organization says so; any identity when it says so.
        let same_domain = Organization {
            email_binding: EmailBinding::SameDomain,
            ..org.clone()
        };
        let outsider = identity("jane@elsewhere.org");
        assert_eq!(
            code(
                r.clone()
                    .accept(&same_domain, &"i1".into(), &token, &outsider, now)
            ),
            ErrorCode::EmailMismatch
        );
        assert!(
            r.clone()
                .accept(&same_domain, &"i1".into(), &token, &mallory, now)
                .is_ok()
        );
        let any = Organization {
            email_binding: EmailBinding::AnyIdentity,
            ..org
        };
        r.accept(&any, &"i1".into(), &token, &outsider, now)
            .expect("any identity");
        assert_eq!(r.client.activated_by, Some(outsider));
    }

    #[test]
    fn a_repeated_accept_succeeds_for_the_same_identity_only() {
        let org = org();
        let mut r = record();
        let (new, token) = link(1);
        r.send(&org, new, Actor::System, t0()).expect("send");
        let jane = identity("jane@example.com");
        r.accept(&org, &"i1".into(), &token, &jane, t0())
            .expect("accept");
        let version = r.client.version;
        let again = r.accept(&org, &"i1".into(), &token, &jane, t0() + Duration::days(30));
        assert_eq!(again.expect("again"), Acceptance::AlreadyAccepted);
        assert_eq!(r.client.version, version);
        let other = identity("JANE@example.com").with_subject("other-account");
        let jane_with_subject = Identity {
            subject: Some("jane-account".into()),
            ..jane
        };
        r.client.activated_by = Some(jane_with_subject);
        assert_eq!(
            code(r.accept(&org, &"i1".into(), &token, &other, t0())),
            ErrorCode::AlreadyActivated
        );
    }

    #[test]
    fn a_forged_or_unknown_link_is_refused() {
        let org = org();
        let mut r = record();
        let (new, _) = link(1);
        r.send(&org, new, Actor::System, t0()).expect("send");
        let jane = identity("jane@example.com");
        let forged = Token::mint().expect("entropy");
        assert_eq!(
            code(r.accept(&org, &"i1".into(), &forged, &jane, t0())),
            ErrorCode::InvalidToken
        );
        assert_eq!(
            code(r.accept(&org, &"i9".into(), &forged, &jane, t0())),
            ErrorCode::InvitationNotFound
        );
    }

    #[test]
    fn revoke_kills_every_open_link_and_send_needs_an_address() {
        let org = org();
        let mut r = record();
        let (a, a_token) = link(1);
        let (b, _) = link(2);
        r.send(&org, a, Actor::System, t0()).expect("send");
        r.resend(&org, b, Actor::System, t0()).expect("resend");
        let events = r.revoke(Actor::System, t0()).expect("revoke");
        assert_eq!(events.len(), 2);
        assert_eq!(r.status(t0()), Status::Provisioned);
        let jane = identity("jane@example.com");
        assert_eq!(
            code(r.accept(&org, &"i1".into(), &a_token, &jane, t0())),
            ErrorCode::InvitationRevoked
        );
        let (c, _) = link(3);
        r.send(&org, c, Actor::System, t0()).expect("send again");
        // The revoked link stays dead although the client is pending again.
        assert_eq!(
            code(r.accept(&org, &"i1".into(), &a_token, &jane, t0())),
            ErrorCode::InvitationRevoked
        );
        let (dup, _) = link(3);
        assert_eq!(
            code(r.resend(&org, dup, Actor::System, t0())),
            ErrorCode::InvitationExists
        );
        let mut nameless = record();
        nameless.client.email = None;
        let (d, _) = link(4);
        assert_eq!(
            code(nameless.send(&org, d, Actor::System, t0())),
            ErrorCode::NoEmail
        );
    }

    #[test]
    fn archived_clients_get_nothing_and_restore_to_their_instants() {
        let org = Organization {
            expiry: ExpiryWindow::THIRTY_DAYS,
            ..org()
        };
        let mut r = record();
        let (a, token) = link(1);
        r.send(&org, a, Actor::System, t0()).expect("send");
        r.archive(Actor::System, t0()).expect("archive");
        let jane = identity("jane@example.com");
        assert_eq!(
            code(r.accept(&org, &"i1".into(), &token, &jane, t0())),
            ErrorCode::ClientArchived
        );
        let (b, _) = link(2);
        assert_eq!(
            code(r.resend(&org, b.clone(), Actor::System, t0())),
            ErrorCode::ClientArchived
        );
        assert_eq!(
            code(r.archive(Actor::System, t0())),
            ErrorCode::AlreadyArchived
        );
        r.restore(Actor::System, t0() + Duration::days(29))
            .expect("restore");
        assert_eq!(
            r.status(t0() + Duration::days(29)).kind(),
            StatusKind::InvitePending
        );
        assert_eq!(code(r.restore(Actor::System, t0())), ErrorCode::NotArchived);
    }

    #[test]
    fn seen_is_recorded_only_for_active_activated_clients() {
        let org = org();
        let mut r = record();
        assert!(!r.record_seen(t0()));
        let (a, token) = link(1);
        r.send(&org, a, Actor::System, t0()).expect("send");
        r.accept(
            &org,
            &"i1".into(),
            &token,
            &identity("jane@example.com"),
            t0(),
        )
        .expect("accept");
        let later = t0() + Duration::days(3);
        assert!(r.record_seen(later));
        assert_eq!(
            r.status(later),
            Status::Activated {
                accepted_at: t0(),
                last_seen_at: Some(later)
            }
        );
        assert_eq!(
            r.status(later).detail(later, TimeZone::default()),
            "Last seen 24 Nov 2026"
        );
    }

    #[test]
    fn statuses_have_labels_details_and_names() {
        let utc = TimeZone::default();
        let now = t0() + Duration::days(20);
        let cases = [
            (Status::Provisioned, "Provisioned", "Not invited yet"),
            (
                Status::InviteExpired {
                    sent_at: t0(),
                    expired_at: t0() + Duration::days(14),
                },
                "Invite Expired",
                "Invitation expired on 5 Dec 2026",
            ),
            (
                Status::Activated {
                    accepted_at: t0(),
                    last_seen_at: None,
                },
                "Activated",
                "Activated 21 Nov 2026",
            ),
            (
                Status::Archived { archived_at: now },
                "Archived",
                "Archived on 11 Dec 2026",
            ),
        ];
        for (status, label, detail) in cases {
            assert_eq!(status.label(), label);
            assert_eq!(status.detail(now, utc), detail);
        }
        // A date is the organization's: 23:30 UTC is the next day in Tokyo.
        let late = Status::InvitePending {
            sent_at: Utc
                .with_ymd_and_hms(2026, 11, 21, 23, 30, 0)
                .single()
                .expect("instant"),
            expires_at: now,
        };
        let tokyo = TimeZone::parse("Asia/Tokyo").expect("zone");
        assert_eq!(
            late.detail(now, tokyo),
            "Waiting for member to accept invitation (sent 22 Nov 2026)"
        );
        for kind in StatusKind::ALL {
            assert_eq!(kind.as_str().parse::<StatusKind>().ok(), Some(kind));
            assert_eq!(kind.label().parse::<StatusKind>().ok(), Some(kind));
        }
        assert_eq!(
            code("pending".parse::<StatusKind>()),
            ErrorCode::InvalidStatus
        );
        let json = serde_json::to_value(late).expect("json");
        assert_eq!(json["status"], "invite_pending");
    }

    #[test]
    fn joining_through_a_signup_link() {
        let token = Token::mint().expect("entropy");
        let mut link = SignupLink {
            id: "s1".into(),
            org: "acme".into(),
            token_hash: token.hash(),
            role: Role::Client,
            max_uses: Some(1),
            uses: 0,
            allowed_domains: vec!["example.com".into()],
            created_by: None,
            created_at: t0(),
            rotated_at: None,
            disabled_at: None,
            version: 0,
        };
        let jane = identity("jane@example.com");
        let outsider = identity("bob@elsewhere.org");
        assert_eq!(
            code(join(
                &mut link,
                &token,
                &outsider,
                None,
                ClientId::new("c2"),
                t0()
            )),
            ErrorCode::EmailDomainNotAllowed
        );
        let forged = Token::mint().expect("entropy");
        assert_eq!(
            code(join(
                &mut link,
                &forged,
                &jane,
                None,
                ClientId::new("c2"),
                t0()
            )),
            ErrorCode::InvalidToken
        );
        let (record, events) =
            join(&mut link, &token, &jane, None, ClientId::new("c2"), t0()).expect("join");
        assert_eq!(record.status(t0()).kind(), StatusKind::Activated);
        assert_eq!(record.client.owner, Owner::Member("c2".into()));
        assert!(matches!(events[0].action, Action::ClientCreated { .. }));
        assert!(matches!(
            events[1].action,
            Action::JoinedThroughSignupLink { .. }
        ));
        assert_eq!(link.uses, 1);
        let bob = identity("bob@example.com");
        assert_eq!(
            code(join(
                &mut link,
                &token,
                &bob,
                None,
                ClientId::new("c3"),
                t0()
            )),
            ErrorCode::SignupLinkExhausted
        );
        link.max_uses = None;
        // A provisioned client with the same address is activated, not duplicated.
        let mut existing = record_for("c4", "bob@example.com");
        let (a, _) = super::tests::link(1);
        existing.send(&org(), a, Actor::System, t0()).expect("send");
        let (joined, _) = join(
            &mut link,
            &token,
            &bob,
            Some(existing),
            ClientId::new("c5"),
            t0(),
        )
        .expect("join");
        assert_eq!(joined.client.id, ClientId::new("c4"));
        let mut other = record_for("c7", "carol@example.com");
        assert_eq!(
            code(join(
                &mut link,
                &token,
                &bob,
                Some(other.clone()),
                ClientId::new("c8"),
                t0()
            )),
            ErrorCode::EmailMismatch
        );
        other.client.email = None;
        assert!(
            join(
                &mut link,
                &token,
                &bob,
                Some(other),
                ClientId::new("c8"),
                t0()
            )
            .is_err()
        );
        assert!(joined.invitations[0].retired_at.is_some());
        link.disabled_at = Some(t0());
        assert_eq!(
            code(join(
                &mut link,
                &token,
                &bob,
                None,
                ClientId::new("c6"),
                t0()
            )),
            ErrorCode::SignupLinkDisabled
        );
    }

    #[test]
    fn a_preview_reads_and_changes_nothing() {
        let org = Organization {
            time_zone: TimeZone::parse("Europe/Paris").expect("zone"),
            ..org()
        };
        let mut r = record();
        r.client.email = Some(email("Jane.Doe@example.com"));
        let (a, token) = link(1);
        r.send(&org, a, Actor::System, t0()).expect("send");
        let before = r.clone();
        let preview = r
            .preview(&org, &"i1".into(), &token, Some("Sam Staff".into()), t0())
            .expect("preview");
        assert_eq!(r, before);
        assert_eq!(preview.organization, "Acme");
        assert_eq!(preview.inviter.as_deref(), Some("Sam Staff"));
        assert_eq!(preview.masked_email, "J•••@example.com");
        assert_eq!(preview.deadline, "5 December 2026 at 10:00 CET");
        assert_eq!(preview.state, LinkState::Live);
        let later = r
            .preview(&org, &"i1".into(), &token, None, t0() + Duration::days(14))
            .expect("preview");
        assert_eq!(later.state, LinkState::Expired);
        assert_eq!(later.state.refusal(), Some(ErrorCode::InvitationExpired));
        let forged = Token::mint().expect("entropy");
        assert_eq!(
            code(r.preview(&org, &"i1".into(), &forged, None, t0())),
            ErrorCode::InvalidToken
        );
        r.revoke(Actor::System, t0()).expect("revoke");
        let revoked = r
            .preview(&org, &"i1".into(), &token, None, t0())
            .expect("preview");
        assert_eq!(revoked.state, LinkState::Revoked);
        assert_eq!(mask_email("x@y.org"), "x•••@y.org");
    }

    #[test]
    fn one_invitation_goes_to_every_co_owner_of_a_group() {
        let org = org();
        let group = crate::model::Group {
            id: "g1".into(),
            org: "acme".into(),
            name: "Board".into(),
            co_owners: vec!["c1".into(), "c2".into(), "c3".into(), "c4".into()],
            created_at: t0(),
        };
        let mut records = vec![
            record_for("c1", "a@example.com"),
            record_for("c2", "b@example.com"),
            record_for("c3", "c@example.com"),
            record_for("c4", "d@example.com"),
            record_for("c5", "e@example.com"),
        ];
        let (a, _) = link(1);
        records[1].send(&org, a, Actor::System, t0()).expect("send");
        records[2].archive(Actor::System, t0()).expect("archive");
        let mut n = 10;
        let results = invite_co_owners(
            &group,
            &mut records,
            &org,
            |_| {
                n += 1;
                link(n).0
            },
            &Actor::System,
            t0() + Duration::days(1),
        );
        let invited: Vec<_> = results
            .iter()
            .map(|(id, result)| (id.as_str(), result.is_ok()))
            .collect();
        assert_eq!(invited, [("c1", true), ("c2", true), ("c4", true)]);
        assert_eq!(records[1].invitations.len(), 2, "c2 got a resend");
        assert!(records[2].invitations.is_empty(), "archived c3 got nothing");
        assert!(records[4].invitations.is_empty(), "c5 is not a co-owner");
    }

    fn record_for(id: &str, address: &str) -> ClientRecord {
        let client = Client::new(
            id.into(),
            "acme".into(),
            Some(email(address)),
            Role::Client,
            t0(),
        );
        ClientRecord::create(client, Actor::System).0
    }

    use crate::model::ClientId;
}
