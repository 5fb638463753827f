//! Fuzz the lifecycle's text parsers and its commands.
//!
//! The input is split at its first `0xff` byte (or used whole):
//!
//! - the text before it is given to every parser the lifecycle reads text with:
//!   `Token::parse`, `TokenHash::from_hex`, `TimeZone::parse`, `Identity::from_email`,
//!   `Role` and `StatusKind` names. Each must answer with a value or its own error code, never
//!   panic; a token that parses must match its own hash.
//! - the bytes after it are a program of lifecycle commands on one client, one byte each (the
//!   low 3 bits choose send, resend, accept, revoke, archive, restore, time passing, seen; the
//!   high bits choose the link, the identity, or how much time passes). After every command the
//!   target checks the rules the model-based test checks: a refused command changes nothing, an
//!   accepted link was live, an archived client gets no mail, one activation at most.

#![no_main]

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use invitekit::ErrorCode;
use invitekit::address::ParseOptions;
use invitekit::lifecycle::{Acceptance, ClientRecord, NewInvitation, StatusKind};
use invitekit::model::{Actor, Client, Identity, InvitationId, Organization, Role};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::{Token, TokenHash};
use libfuzzer_sys::fuzz_target;

const IDENTITIES: [&str; 3] = ["jane@example.com", "bob@example.com", "jane@other.org"];

fn parsers(text: &str) {
    match Token::parse(text) {
        Ok(token) => assert!(token.hash().matches(&token)),
        Err(error) => assert_eq!(error.code(), ErrorCode::InvalidToken),
    }
    if let Err(error) = TokenHash::from_hex(text) {
        assert_eq!(error.code(), ErrorCode::InvalidToken);
    }
    if let Err(error) = TimeZone::parse(text) {
        assert_eq!(error.code(), ErrorCode::InvalidTimeZone);
        // The name is cut to 64 bytes, each escaped to at most 6 characters.
        assert!(error.to_string().len() < 600);
    }
    if let Ok(identity) = Identity::from_email(text, &ParseOptions::default()) {
        assert!(identity.email.key.contains('@'));
    }
    let _ = text.parse::<Role>();
    let _ = text.parse::<StatusKind>();
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
        .single()
        .expect("instant")
}

fn program(bytes: &[u8]) {
    let Some((&settings, commands)) = bytes.split_first() else {
        return;
    };
    let org = Organization {
        expiry: ExpiryWindow::new(i64::from(settings % 90) + 1).expect("1 to 90"),
        email_binding: match settings >> 6 {
            0 => EmailBinding::SameAddress,
            1 => EmailBinding::SameDomain,
            _ => EmailBinding::AnyIdentity,
        },
        ..Organization::new("acme".into(), "Acme", t0())
    };
    let jane = Identity::from_email(IDENTITIES[0], &ParseOptions::default()).expect("identity");
    let client = Client::new("c1".into(), "acme".into(), Some(jane.email), Role::Client, t0());
    let (mut record, _) = ClientRecord::create(client, Actor::System);
    let mut tokens: Vec<(InvitationId, Token)> = Vec::new();
    let mut now = t0();
    let mut activations = 0;
    for &byte in commands.iter().take(256) {
        let before = record.clone();
        let arg = usize::from(byte >> 3);
        let result: Result<(), ErrorCode> = match byte & 7 {
            0 | 1 => {
                let token = Token::mint().expect("entropy");
                let id = InvitationId::new(format!("i{}", tokens.len()));
                let new = NewInvitation {
                    id: id.clone(),
                    token_hash: token.hash(),
                };
                let sent = if byte & 7 == 0 {
                    record.send(&org, new, Actor::System, now)
                } else {
                    record.resend(&org, new, Actor::System, now)
                };
                if sent.is_ok() {
                    assert!(before.client.archived_at.is_none());
                    tokens.push((id, token));
                }
                sent.map(|_| ()).map_err(|e| e.code())
            }
            2 => {
                let (id, token) = tokens
                    .get(arg % (tokens.len() + 1))
                    .cloned()
                    .unwrap_or_else(|| ("none".into(), Token::mint().expect("entropy")));
                let who = Identity::from_email(IDENTITIES[arg % 3], &ParseOptions::default())
                    .expect("identity");
                match record.accept(&org, &id, &token, &who, now) {
                    Ok(Acceptance::Activated { .. }) => {
                        let link = before.invitations.iter().find(|i| i.id == id);
                        assert!(link.is_some_and(|l| l.is_live(now)));
                        activations += 1;
                        assert_eq!(activations, 1);
                        Ok(())
                    }
                    Ok(Acceptance::AlreadyAccepted) => Err(ErrorCode::AlreadyActivated),
                    Err(error) => Err(error.code()),
                }
            }
            3 => record.revoke(Actor::System, now).map(|_| ()).map_err(|e| e.code()),
            4 => record.archive(Actor::System, now).map(|_| ()).map_err(|e| e.code()),
            5 => record.restore(Actor::System, now).map(|_| ()).map_err(|e| e.code()),
            6 => {
                now += Duration::hours(1i64 << (arg % 12));
                Ok(())
            }
            _ => {
                record.record_seen(now);
                Ok(())
            }
        };
        if result.is_err() {
            assert_eq!(record, before, "a refused command changed the record");
        }
        let status = record.status(now);
        let _ = status.detail(now, org.time_zone);
    }
}

fuzz_target!(|data: &[u8]| {
    let (text, commands) = match data.iter().position(|&b| b == 0xff) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(text) = std::str::from_utf8(text) {
        parsers(text);
    }
    program(commands);
});
