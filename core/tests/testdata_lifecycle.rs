//! Replays `testdata/lifecycle.json` against the Rust core: the transition table, the scenarios
//! (commands at instants, with the statuses, details and error codes they must give) and the
//! access tables. The Python, Node and Kotlin suites replay the same file; its format is in
//! `testdata/README.md`. Every disagreement is reported, not only the first.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use invitekit::access::{Member, Operation, OrgOperation, authorize, authorize_org};
use invitekit::address::{ParseOptions, parse_one};
use invitekit::lifecycle::{
    Acceptance, ClientRecord, CommandKind, NewInvitation, Outcome, StatusKind, transition,
};
use invitekit::model::{Actor, Client, Identity, Invitation, InvitationId, Organization, Owner};
use invitekit::policy::{EmailBinding, ExpiryWindow, TimeZone};
use invitekit::token::Token;
use invitekit::{Error, ErrorKind};
use serde_json::{Map, Value, json};

fn read_lifecycle() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/lifecycle.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("lifecycle.json: {e}"))
}

/// Every failure of every case, reported together.
#[derive(Default)]
struct Report(Vec<String>);

impl Report {
    fn check(&mut self, case: &str, field: &str, expected: &Value, actual: &Value) {
        if expected != actual {
            self.0.push(format!(
                "{case}: {field}\n    expected: {expected}\n    actual:   {actual}"
            ));
        }
    }

    fn finish(self, what: &str) {
        assert!(
            self.0.is_empty(),
            "{} failure(s) in {what}:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn parse_enum<T: serde::de::DeserializeOwned>(value: &str) -> T {
    serde_json::from_value(json!(value)).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn instant(value: &str) -> DateTime<Utc> {
    value.parse().unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn code_of<T>(result: &Result<T, Error>) -> Value {
    match result {
        Ok(_) => Value::Null,
        Err(error) => json!(error.code().as_str()),
    }
}

#[test]
fn the_transition_table_is_the_files() {
    let doc = read_lifecycle();
    let cells = doc["transitions"].as_array().expect("transitions");
    let mut report = Report::default();
    let mut seen = HashSet::new();
    for cell in cells {
        let status: Option<StatusKind> = cell["status"].as_str().map(parse_enum);
        let command: CommandKind = parse_enum(cell["command"].as_str().expect("command"));
        let expected = &cell["outcome"];
        let actual = match transition(status, command) {
            Outcome::To(next) => json!(next.as_str()),
            Outcome::Unchanged => json!("unchanged"),
            Outcome::Derived => json!("derived"),
            Outcome::Refused(code) => json!({"error": code.as_str()}),
        };
        seen.insert((status, command));
        report.check(
            &format!("{status:?} × {command}"),
            "outcome",
            expected,
            &actual,
        );
    }
    // The file holds the whole table: every status (and no record) against every command.
    assert_eq!(seen.len(), 6 * CommandKind::ALL.len());
    assert_eq!(cells.len(), seen.len());
    report.finish("testdata/lifecycle.json transitions");
}

/// One scenario's world: the organization, the record, and the links sent by name.
struct World {
    org: Organization,
    record: ClientRecord,
    links: HashMap<String, (InvitationId, Token)>,
}

fn organization(settings: Option<&Value>) -> Organization {
    let mut org = Organization::new("acme".into(), "Acme", instant("2026-01-01T00:00:00Z"));
    if let Some(settings) = settings {
        if let Some(days) = settings.get("expiry_days").and_then(Value::as_i64) {
            org.expiry = ExpiryWindow::new(days).expect("expiry_days");
        }
        if let Some(zone) = settings.get("time_zone").and_then(Value::as_str) {
            org.time_zone = TimeZone::parse(zone).expect("time_zone");
        }
        if let Some(binding) = settings.get("email_binding").and_then(Value::as_str) {
            org.email_binding = parse_enum::<EmailBinding>(binding);
        }
    }
    org
}

/// The invitation id and token of the link named `name`: an unknown id when no link has that
/// name, a freshly minted (wrong) token when the step says `"forged": true`.
fn link_of(world: &World, name: &str, step: &Map<String, Value>) -> (InvitationId, Token) {
    let (id, token) = world.links.get(name).cloned().unwrap_or_else(|| {
        (
            InvitationId::new("unknown"),
            Token::mint().expect("entropy"),
        )
    });
    if step.get("forged") == Some(&json!(true)) {
        (id, Token::mint().expect("entropy"))
    } else {
        (id, token)
    }
}

fn run_step(world: &mut World, step: &Map<String, Value>, case: &str, report: &mut Report) {
    let now = instant(text(step, "at").expect("at"));
    let actor = Actor::Member("staff-1".into());
    let link_name = text(step, "link").unwrap_or("");
    let new_link = |links: &HashMap<_, _>| {
        let token = Token::mint().expect("entropy");
        let id = InvitationId::new(format!("i{}", links.len()));
        (id, token)
    };
    let do_ = text(step, "do").expect("do");
    let (error, result) = match do_ {
        "status" => (Value::Null, Value::Null),
        "send" | "resend" | "invite" => {
            let (id, token) = new_link(&world.links);
            let new = NewInvitation {
                id: id.clone(),
                token_hash: token.hash(),
            };
            let result = match do_ {
                "send" => world.record.send(&world.org, new, actor, now),
                "resend" => world.record.resend(&world.org, new, actor, now),
                _ => world.record.invite(&world.org, new, actor, now),
            };
            if result.is_ok() {
                world.links.insert(link_name.to_owned(), (id, token));
            }
            (code_of(&result), Value::Null)
        }
        "preview" => {
            let (id, token) = link_of(world, link_name, step);
            let before = world.record.clone();
            let result = world.record.preview(&world.org, &id, &token, None, now);
            if world.record != before {
                report
                    .0
                    .push(format!("{case}: a preview changed the record"));
            }
            if let Ok(preview) = &result {
                let preview = serde_json::to_value(preview).expect("preview json");
                for field in ["state", "masked_email", "deadline"] {
                    if let Some(expected) = step.get(field) {
                        report.check(case, field, expected, &preview[field]);
                    }
                }
            }
            (code_of(&result), Value::Null)
        }
        "accept" => {
            let (id, token) = link_of(world, link_name, step);
            let identity = Identity::from_email(
                text(step, "identity").expect("identity"),
                &ParseOptions::default(),
            )
            .expect("identity parses");
            let result = world.record.accept(&world.org, &id, &token, &identity, now);
            let what = match &result {
                Ok(Acceptance::Activated { .. }) => json!("activated"),
                Ok(Acceptance::AlreadyAccepted) => json!("already_accepted"),
                Err(_) => Value::Null,
            };
            (code_of(&result), what)
        }
        "revoke" => (code_of(&world.record.revoke(actor, now)), Value::Null),
        "archive" => (code_of(&world.record.archive(actor, now)), Value::Null),
        "restore" => (code_of(&world.record.restore(actor, now)), Value::Null),
        "seen" => {
            world.record.record_seen(now);
            (Value::Null, Value::Null)
        }
        "create" => (
            code_of(&world.record.permit(CommandKind::Create, now)),
            Value::Null,
        ),
        other => panic!("{case}: unknown step {other}"),
    };
    let case = format!("{case} @ {} {do_}", text(step, "at").unwrap_or(""));
    report.check(
        &case,
        "error",
        step.get("error").unwrap_or(&Value::Null),
        &error,
    );
    if let Some(expected) = step.get("result") {
        report.check(&case, "result", expected, &result);
    }
    let status = world.record.status(now);
    let status_json = serde_json::to_value(status).expect("status json");
    for (field, actual) in [
        ("status", json!(status.kind().as_str())),
        ("label", json!(status.label())),
        ("detail", json!(status.detail(now, world.org.time_zone))),
        ("sent_at", status_json["sent_at"].clone()),
        ("expires_at", status_json["expires_at"].clone()),
    ] {
        if let Some(expected) = step.get(field) {
            let actual = match actual
                .as_str()
                .and_then(|s| s.parse::<DateTime<Utc>>().ok())
            {
                Some(instant) if field.ends_with("_at") => {
                    json!(instant.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                }
                _ => actual,
            };
            report.check(&case, field, expected, &actual);
        }
    }
}

#[test]
fn scenarios_give_the_files_statuses_and_codes() {
    let doc = read_lifecycle();
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    assert!(scenarios.len() >= 20, "{} scenarios", scenarios.len());
    let mut report = Report::default();
    let mut ids = HashSet::new();
    for scenario in scenarios {
        let id = scenario["id"].as_str().expect("id");
        assert!(ids.insert(id), "{id} twice");
        let org = organization(scenario.get("organization"));
        let client = &scenario["client"];
        let email = client["email"]
            .as_str()
            .map(|e| parse_one(e, &ParseOptions::default()).expect("client email"));
        let role = parse_enum(client["role"].as_str().expect("role"));
        let created = instant("2026-11-01T00:00:00Z");
        let client = Client::new("c1".into(), org.id.clone(), email, role, created);
        let mut world = World {
            org,
            record: ClientRecord::create(client, Actor::System).0,
            links: HashMap::new(),
        };
        for step in scenario["steps"].as_array().expect("steps") {
            run_step(&mut world, step.as_object().expect("step"), id, &mut report);
        }
    }
    report.finish("testdata/lifecycle.json scenarios");
}

fn denied(result: Result<(), Error>) -> Value {
    match result.map_err(|e| e.kind().clone()) {
        Ok(()) => Value::Null,
        Err(ErrorKind::Forbidden { permission }) => json!(permission.as_str()),
        Err(other) => json!(format!("not a denial: {other:?}")),
    }
}

#[test]
fn access_cases_give_the_files_verdicts() {
    let doc = read_lifecycle();
    let mut report = Report::default();
    let t0 = instant("2026-11-21T09:00:00Z");
    let flag = |case: &Value, key: &str| case.get(key) == Some(&json!(true));
    for case in doc["access"].as_array().expect("access") {
        let member = Member {
            id: "m".into(),
            role: parse_enum(case["actor"].as_str().expect("actor")),
        };
        let operation: Operation = parse_enum(case["operation"].as_str().expect("operation"));
        let target_id = if flag(case, "self") { "m" } else { "t" };
        let role = parse_enum(case["target"].as_str().expect("target"));
        let mut target = Client::new(target_id.into(), "acme".into(), None, role, t0);
        if flag(case, "guest_of_actor") {
            target.guest_of = Some("m".into());
        }
        if flag(case, "assigned_to_actor") {
            target.assigned_staff = Some("m".into());
        }
        if flag(case, "owned_by_actor") {
            target.owner = Owner::Member("m".into());
        }
        let invitations: Vec<Invitation> = if flag(case, "sent_by_actor") {
            vec![Invitation {
                id: "i1".into(),
                org: "acme".into(),
                client: target.id.clone(),
                token_hash: Token::mint().expect("entropy").hash(),
                sent_by: Some("m".into()),
                sent_at: t0,
                expires_at: t0 + chrono::Duration::days(14),
                revoked_at: None,
                accepted_at: None,
                retired_at: None,
            }]
        } else {
            Vec::new()
        };
        let actual = denied(authorize(&member, operation, &target, &invitations));
        report.check(&case.to_string(), "denied", &case["denied"], &actual);
    }
    for case in doc["organization_access"]
        .as_array()
        .expect("organization_access")
    {
        let member = Member {
            id: "m".into(),
            role: parse_enum(case["actor"].as_str().expect("actor")),
        };
        let operation: OrgOperation = parse_enum(case["operation"].as_str().expect("operation"));
        let actual = denied(authorize_org(&member, operation));
        report.check(&case.to_string(), "denied", &case["denied"], &actual);
    }
    report.finish("testdata/lifecycle.json access");
}
