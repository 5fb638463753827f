//! Model-based property test of the lifecycle: random command sequences run against
//! [`ClientRecord`] and against a small reference model written separately here.
//!
//! After every command the test checks that the record's result (success, "already accepted",
//! or the error code) is the model's, and, independently of the model:
//!
//! - an accept succeeds only on a link that was open and before its deadline, for a client
//!   neither archived nor activated;
//! - a send or resend succeeds only for a client not archived (an archived client never gets
//!   mail);
//! - a client is activated at most once;
//! - the status is a function of the events emitted so far and `now` alone: replaying the events
//!   gives the same status as the record, at `now` and at later instants;
//! - a refused command changes nothing.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::lifecycle::{Acceptance, ClientRecord, NewInvitation, Status};
use invitekit::model::{
    Action, Actor, Client, Email, Event, Identity, InvitationId, Organization, Role, Subject,
};
use invitekit::policy::{EmailBinding, ExpiryWindow};
use invitekit::token::Token;
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

/// The identities that may try to accept: the invited address, the same key typed differently,
/// someone else at the same domain, and someone at another domain.
const IDENTITIES: [&str; 4] = [
    "jane@example.com",
    "JANE@Example.com",
    "bob@example.com",
    "jane@other.org",
];

fn key(address: &str) -> String {
    address.to_lowercase()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .expect("instant")
}

#[derive(Debug, Clone)]
enum Step {
    /// Time passes, in seconds.
    Advance(i64),
    Send,
    Resend,
    /// Accept link number `link` (one past the last: an unknown link) as `identity`, with the
    /// link's own token or a forged one.
    Accept {
        link: usize,
        identity: usize,
        forged: bool,
    },
    Revoke,
    Archive,
    Restore,
}

/// What the model expects of the last step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Done,
    AlreadyAccepted,
    Refused(ErrorCode),
}

#[derive(Debug, Clone)]
struct ModelLink {
    expires_at: i64,
    /// Revoked, accepted or retired.
    closed: bool,
}

/// The reference model: seconds since `t0`, the client's links, activation and archive flags.
#[derive(Debug, Clone)]
struct Model {
    now: i64,
    window_days: i64,
    binding: EmailBinding,
    links: Vec<ModelLink>,
    activated_by: Option<String>,
    archived: bool,
    last: Expected,
}

impl Model {
    fn live(&self, link: &ModelLink) -> bool {
        !link.closed && self.now < link.expires_at
    }

    fn status(&self) -> &'static str {
        if self.archived {
            "archived"
        } else if self.activated_by.is_some() {
            "activated"
        } else if self.links.iter().any(|l| self.live(l)) {
            "invite_pending"
        } else if self.links.iter().any(|l| !l.closed) {
            "invite_expired"
        } else {
            "provisioned"
        }
    }

    fn binding_allows(&self, identity: &str) -> bool {
        let (invited, key) = (key(IDENTITIES[0]), key(identity));
        let domain = |k: &str| k.rsplit_once('@').map(|(_, d)| d.to_owned());
        match self.binding {
            EmailBinding::SameAddress => invited == key,
            EmailBinding::SameDomain => domain(&invited) == domain(&key),
            EmailBinding::AnyIdentity => true,
        }
    }

    fn step(&mut self, step: &Step) -> Expected {
        use ErrorCode as E;
        let status = self.status();
        let refuse = |code| Expected::Refused(code);
        match step {
            Step::Advance(seconds) => {
                self.now += seconds;
                Expected::Done
            }
            Step::Send | Step::Resend => {
                let wanted = if matches!(step, Step::Send) {
                    "provisioned"
                } else {
                    "invited"
                };
                match status {
                    "archived" => refuse(E::ClientArchived),
                    "activated" => refuse(E::AlreadyActivated),
                    "provisioned" if wanted == "invited" => refuse(E::NotInvited),
                    "invite_pending" | "invite_expired" if wanted == "provisioned" => {
                        refuse(E::AlreadyInvited)
                    }
                    _ => {
                        self.links.push(ModelLink {
                            expires_at: self.now + self.window_days * 86_400,
                            closed: false,
                        });
                        Expected::Done
                    }
                }
            }
            Step::Accept {
                link,
                identity,
                forged,
            } => {
                let Some(target) = self.links.get(*link) else {
                    return refuse(E::InvitationNotFound);
                };
                if *forged {
                    return refuse(E::InvalidToken);
                }
                let who = IDENTITIES[*identity];
                if self.archived {
                    return refuse(E::ClientArchived);
                }
                if let Some(by) = &self.activated_by {
                    return if *by == key(who) {
                        Expected::AlreadyAccepted
                    } else {
                        refuse(E::AlreadyActivated)
                    };
                }
                if target.closed {
                    return refuse(E::InvitationRevoked);
                }
                if self.now >= target.expires_at {
                    return refuse(E::InvitationExpired);
                }
                if !self.binding_allows(who) {
                    return refuse(E::EmailMismatch);
                }
                for l in &mut self.links {
                    l.closed = true;
                }
                self.activated_by = Some(key(who));
                Expected::Done
            }
            Step::Revoke => match status {
                "archived" => refuse(E::ClientArchived),
                "activated" => refuse(E::AlreadyActivated),
                "provisioned" => refuse(E::NotInvited),
                _ => {
                    for l in self.links.iter_mut().filter(|l| !l.closed) {
                        l.closed = true;
                    }
                    Expected::Done
                }
            },
            Step::Archive if self.archived => refuse(E::AlreadyArchived),
            Step::Archive => {
                self.archived = true;
                Expected::Done
            }
            Step::Restore if !self.archived => refuse(E::NotArchived),
            Step::Restore => {
                self.archived = false;
                Expected::Done
            }
        }
    }
}

struct Lifecycle;

impl ReferenceStateMachine for Lifecycle {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (
            prop_oneof![Just(1i64), Just(14), Just(30), 1i64..=90],
            prop_oneof![
                Just(EmailBinding::SameAddress),
                Just(EmailBinding::SameDomain),
                Just(EmailBinding::AnyIdentity)
            ],
        )
            .prop_map(|(window_days, binding)| Model {
                now: 0,
                window_days,
                binding,
                links: Vec::new(),
                activated_by: None,
                archived: false,
                last: Expected::Done,
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let links = state.links.len();
        let day = 86_400i64;
        prop_oneof![
            3 => prop_oneof![0..120i64, 0..3 * day, (state.window_days - 1) * day..(state.window_days + 1) * day]
                .prop_map(Step::Advance),
            2 => Just(Step::Send),
            3 => Just(Step::Resend),
            5 => (0..=links, 0..IDENTITIES.len(), prop::bool::weighted(0.1)).prop_map(
                |(link, identity, forged)| Step::Accept { link, identity, forged }
            ),
            1 => Just(Step::Revoke),
            1 => Just(Step::Archive),
            1 => Just(Step::Restore),
        ]
        .boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.last = state.step(step);
        state
    }
}

/// The system under test: a record, the tokens of its links, and every event it emitted.
struct Sut {
    org: Organization,
    record: ClientRecord,
    tokens: Vec<(InvitationId, Token)>,
    events: Vec<Event>,
    now: DateTime<Utc>,
    activations: usize,
}

/// The status the events alone give at `now`: the history replayed, with no look at the record.
fn status_from_events(events: &[Event], now: DateTime<Utc>) -> Status {
    // (id, sent_at, expires_at, open)
    let mut links: Vec<(InvitationId, DateTime<Utc>, DateTime<Utc>, bool)> = Vec::new();
    let (mut activated, mut archived) = (None, None);
    for event in events {
        let link = match &event.subject {
            Subject::Invitation(id) => links.iter().position(|l| &l.0 == id),
            _ => None,
        };
        match (&event.action, &event.subject) {
            (
                Action::InvitationSent { expires_at, .. }
                | Action::InvitationResent { expires_at, .. },
                Subject::Invitation(id),
            ) => links.push((id.clone(), event.at, *expires_at, true)),
            (
                Action::InvitationAccepted { .. }
                | Action::InvitationRetired { .. }
                | Action::InvitationRevoked { .. },
                _,
            ) => {
                if let Some(i) = link {
                    links[i].3 = false;
                }
                if matches!(event.action, Action::InvitationAccepted { .. }) {
                    activated = Some(event.at);
                }
            }
            (Action::ClientArchived, _) => archived = Some(event.at),
            (Action::ClientRestored, _) => archived = None,
            _ => {}
        }
    }
    if let Some(archived_at) = archived {
        return Status::Archived { archived_at };
    }
    if let Some(accepted_at) = activated {
        return Status::Activated {
            accepted_at,
            last_seen_at: Some(accepted_at),
        };
    }
    let open: Vec<_> = links.iter().filter(|l| l.3).collect();
    let live: Vec<_> = open.iter().filter(|l| now < l.2).collect();
    let latest = |ls: &[&&(InvitationId, DateTime<Utc>, DateTime<Utc>, bool)]| {
        (ls.iter().map(|l| l.1).max(), ls.iter().map(|l| l.2).max())
    };
    if let (Some(sent_at), Some(expires_at)) = latest(&live) {
        return Status::InvitePending {
            sent_at,
            expires_at,
        };
    }
    let open_refs: Vec<_> = open.iter().collect();
    if let (Some(sent_at), Some(expired_at)) = latest(&open_refs) {
        return Status::InviteExpired {
            sent_at,
            expired_at,
        };
    }
    Status::Provisioned
}

fn outcome<T>(result: Result<T, invitekit::Error>, done: impl FnOnce(T) -> Expected) -> Expected {
    match result {
        Ok(value) => done(value),
        Err(error) => Expected::Refused(error.code()),
    }
}

impl StateMachineTest for Lifecycle {
    type SystemUnderTest = Sut;
    type Reference = Lifecycle;

    fn init_test(model: &Model) -> Sut {
        let org = Organization {
            expiry: ExpiryWindow::new(model.window_days).expect("window"),
            email_binding: model.binding,
            ..Organization::new("acme".into(), "Acme", t0())
        };
        let email = Email {
            address: IDENTITIES[0].to_owned(),
            key: key(IDENTITIES[0]),
        };
        let client = Client::new("c1".into(), "acme".into(), Some(email), Role::Client, t0());
        let (record, created) = ClientRecord::create(client, Actor::System);
        Sut {
            org,
            record,
            tokens: Vec::new(),
            events: vec![created],
            now: t0(),
            activations: 0,
        }
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        let before = sut.record.clone();
        let now = sut.now;
        let actor = Actor::Member("s1".into());
        let got = match &step {
            Step::Advance(seconds) => {
                sut.now += Duration::seconds(*seconds);
                Expected::Done
            }
            Step::Send | Step::Resend => {
                let token = Token::mint().expect("entropy");
                let id = InvitationId::new(format!("i{}", sut.tokens.len()));
                let new = NewInvitation {
                    id: id.clone(),
                    token_hash: token.hash(),
                };
                let result = if matches!(step, Step::Send) {
                    sut.record.send(&sut.org, new, actor, now)
                } else {
                    sut.record.resend(&sut.org, new, actor, now)
                };
                outcome(result, |events| {
                    assert!(
                        before.client.archived_at.is_none(),
                        "mail to an archived client"
                    );
                    sut.tokens.push((id, token));
                    sut.events.extend(events);
                    Expected::Done
                })
            }
            Step::Accept {
                link,
                identity,
                forged,
            } => {
                let (id, token) = match sut.tokens.get(*link) {
                    Some((id, token)) => (id.clone(), token.clone()),
                    None => (
                        InvitationId::new("unknown"),
                        Token::mint().expect("entropy"),
                    ),
                };
                let token = if *forged {
                    Token::mint().expect("entropy")
                } else {
                    token
                };
                let who = Identity::from_email(IDENTITIES[*identity], &Default::default())
                    .expect("identity");
                let result = sut.record.accept(&sut.org, &id, &token, &who, now);
                outcome(result, |acceptance| match acceptance {
                    Acceptance::AlreadyAccepted => Expected::AlreadyAccepted,
                    Acceptance::Activated { events } => {
                        let link = before
                            .invitations
                            .iter()
                            .find(|i| i.id == id)
                            .expect("an accepted link exists");
                        assert!(link.revoked_at.is_none(), "a revoked link was accepted");
                        assert!(link.is_live(now), "a dead link was accepted");
                        assert!(before.client.archived_at.is_none());
                        sut.activations += 1;
                        assert_eq!(sut.activations, 1, "activated twice");
                        sut.events.extend(events);
                        Expected::Done
                    }
                })
            }
            Step::Revoke => outcome(sut.record.revoke(actor, now), |events| {
                sut.events.extend(events);
                Expected::Done
            }),
            Step::Archive => outcome(sut.record.archive(actor, now), |events| {
                sut.events.extend(events);
                Expected::Done
            }),
            Step::Restore => outcome(sut.record.restore(actor, now), |events| {
                sut.events.extend(events);
                Expected::Done
            }),
        };
        assert_eq!(got, model.last, "{step:?}");
        if got != Expected::Done || matches!(step, Step::Advance(_)) {
            assert_eq!(sut.record, before, "a refused command changed the record");
        } else {
            assert_eq!(sut.record.client.version, before.client.version + 1);
        }
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        assert_eq!(sut.record.status(sut.now).kind().as_str(), model.status());
        for later in [0, 60, 86_400, 15 * 86_400, 100 * 86_400] {
            let at = sut.now + Duration::seconds(later);
            assert_eq!(
                sut.record.status(at),
                status_from_events(&sut.events, at),
                "status is not a function of the events at +{later}s"
            );
        }
        for event in &sut.events {
            let json = serde_json::to_string(event).expect("event json");
            for (_, token) in &sut.tokens {
                assert!(
                    !json.contains(token.expose_secret()),
                    "an event carries a token"
                );
                assert!(
                    !json.contains(&token.hash().to_hex()),
                    "an event carries a hash"
                );
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config {
        cases: 512,
        failure_persistence: None,
        .. Config::default()
    })]

    #[test]
    fn random_command_sequences_keep_the_lifecycle_rules(sequential 1..40 => Lifecycle);
}
