"""Replays testdata/lifecycle.json through invitekit's pure helpers: the transition table
(``transition``), the scenarios (``ClientRecord`` commands at instants, ``ClientStatus``), and
the access tables (``authorize``, ``required_permission``, ``authorize_org``). Every
disagreement is reported, not only the first."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest

import invitekit
from invitekit import ClientRecord, Status


def instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def rfc3339(at: Optional[datetime]) -> Optional[str]:
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, case: str, field: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            self.failures.append(f"{case}: {field}\n    expected: {expected!r}\n    actual:   {actual!r}")

    def finish(self, what: str) -> None:
        assert not self.failures, f"{len(self.failures)} failure(s) in {what}:\n" + "\n".join(self.failures)


def test_the_transition_table_is_the_files(lifecycle_cases: Any) -> None:
    report = Report()
    seen = set()
    for cell in lifecycle_cases["transitions"]:
        outcome = invitekit.transition(cell["status"], cell["command"])
        if outcome.kind == "to":
            actual: Any = outcome.status
        elif outcome.kind == "refused":
            actual = {"error": outcome.error}
        else:
            actual = outcome.kind
        report.check(f"{cell['status']} x {cell['command']}", "outcome", cell["outcome"], actual)
        seen.add((cell["status"], cell["command"]))
        # permit agrees: a refusal raises the code's exception.
        if outcome.kind == "refused":
            with pytest.raises(invitekit.InvitekitError) as raised:
                invitekit.permit(cell["status"], cell["command"])
            report.check(f"{cell['status']} x {cell['command']}", "permit", outcome.error, raised.value.code)
            assert isinstance(raised.value, invitekit.error_class_for(raised.value.code))
        else:
            report.check(f"{cell['status']} x {cell['command']}", "permit", outcome, invitekit.permit(cell["status"], cell["command"]))
    assert len(seen) == 6 * len(invitekit.Command) == len(lifecycle_cases["transitions"])
    report.finish("transitions")


class World:
    """One scenario: the organization, the record, and the links sent by name."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        settings = scenario.get("organization", {})
        self.org = invitekit.new_organization(
            "acme",
            "Acme",
            created_at=instant("2026-01-01T00:00:00Z"),
            expiry_days=settings.get("expiry_days", 14),
            time_zone=settings.get("time_zone", "UTC"),
            email_binding=settings.get("email_binding", "same_address"),
        )
        client = scenario["client"]
        self.client = invitekit.new_client(
            "c1", "acme", created_at=instant("2026-11-01T00:00:00Z"), email=client["email"], role=client["role"]
        )
        self.record, _ = ClientRecord.create(self.client)
        self.links: dict[str, tuple[str, str]] = {}

    def link(self, name: str, step: dict[str, Any]) -> tuple[str, str]:
        invitation_id, token = self.links.get(name) or ("unknown", invitekit.mint_token()[0])
        if step.get("forged"):
            token = invitekit.mint_token()[0]
        return invitation_id, token


def run_step(world: World, step: dict[str, Any], case: str, report: Report) -> None:
    now = instant(step["at"])
    by = "staff-1"
    link_name = step.get("link", "")
    do = step["do"]
    case = f"{case} @ {step['at']} {do}"
    error: Optional[str] = None
    result: Optional[str] = None
    record = world.record
    try:
        if do in ("send", "resend", "invite"):
            token, token_hash = invitekit.mint_token()
            invitation_id = f"i{len(world.links)}"
            command = getattr(record, do)
            command(world.org, invitation_id=invitation_id, token_hash=token_hash, now=now, by=by)
            world.links[link_name] = (invitation_id, token)
        elif do == "preview":
            invitation_id, token = world.link(link_name, step)
            before = record.to_dict()
            preview = record.preview(world.org, invitation_id=invitation_id, token=token, now=now)
            report.check(case, "record unchanged by preview", before, record.to_dict())
            for field in ("state", "masked_email", "deadline"):
                if field in step:
                    report.check(case, field, step[field], preview[field])
        elif do == "accept":
            invitation_id, token = world.link(link_name, step)
            acceptance = record.accept(
                world.org, invitation_id=invitation_id, token=token, identity=step["identity"], now=now
            )
            result = acceptance["result"]
        elif do == "revoke":
            record.revoke(now, by=by)
        elif do == "archive":
            record.archive(now, by=by)
        elif do == "restore":
            record.restore(now, by=by)
        elif do == "seen":
            record.record_seen(now)
        elif do == "create":
            record.permit(invitekit.Command.CREATE, now)
        elif do != "status":
            raise AssertionError(f"{case}: unknown step {do}")
    except invitekit.InvitekitError as refused:
        error = refused.code
        # The exception's class is its code's family.
        report.check(case, "exception class", invitekit.error_class_for(refused.code), type(refused))
    report.check(case, "error", step.get("error"), error)
    if "result" in step:
        report.check(case, "result", step["result"], result)

    time_zone = world.org["time_zone"]
    status = record.status(now, time_zone=time_zone)
    # The module-level function gives the same answer from the record's dicts.
    same = invitekit.client_status(record.client, record.invitations, now, time_zone=time_zone)
    report.check(case, "client_status", status.to_dict(), same.to_dict())
    for field, actual in (
        ("status", status.status),
        ("label", status.label),
        ("detail", status.detail),
        ("sent_at", rfc3339(status.sent_at)),
        ("expires_at", rfc3339(status.expires_at)),
    ):
        if field in step:
            report.check(case, field, step[field], actual)


def test_scenarios_give_the_files_statuses_and_codes(lifecycle_cases: Any) -> None:
    scenarios = lifecycle_cases["scenarios"]
    assert len(scenarios) >= 20
    ids = [scenario["id"] for scenario in scenarios]
    assert len(ids) == len(set(ids))
    report = Report()
    for scenario in scenarios:
        world = World(scenario)
        for step in scenario["steps"]:
            run_step(world, step, scenario["id"], report)
    report.finish("scenarios")


def test_access_cases_give_the_files_verdicts(lifecycle_cases: Any) -> None:
    report = Report()
    t0 = instant("2026-11-21T09:00:00Z")
    for case in lifecycle_cases["access"]:
        member = {"id": "m", "role": case["actor"]}
        target = invitekit.new_client("m" if case.get("self") else "t", "acme", created_at=t0, role=case["target"])
        if case.get("guest_of_actor"):
            target["guest_of"] = "m"
        if case.get("assigned_to_actor"):
            target["assigned_staff"] = "m"
        if case.get("owned_by_actor"):
            target["owner"] = {"kind": "member", "id": "m"}
        invitations: list[dict[str, Any]] = []
        if case.get("sent_by_actor"):
            invitations.append(
                {
                    "id": "i1",
                    "org": "acme",
                    "client": target["id"],
                    "token_hash": invitekit.mint_token()[1],
                    "sent_by": "m",
                    "sent_at": t0,
                    "expires_at": t0 + timedelta(days=14),
                }
            )
        denied: Optional[str]
        try:
            invitekit.authorize(member, case["operation"], target, invitations)
            denied = None
        except invitekit.ForbiddenError as error:
            denied = error.permission
            report.check(str(case), "code", "forbidden", error.code)
            report.check(str(case), "details", {"permission": denied}, dict(error.details))
        report.check(str(case), "denied", case["denied"], denied)
        required = invitekit.required_permission(member, case["operation"], target, invitations)
        report.check(str(case), "required_permission", case["denied"], required)
    for case in lifecycle_cases["organization_access"]:
        member = {"id": "m", "role": case["actor"]}
        try:
            invitekit.authorize_org(member, case["operation"])
            denied = None
        except invitekit.ForbiddenError as error:
            denied = error.permission
        report.check(str(case), "denied", case["denied"], denied)
    report.finish("access")


def test_statuses_are_str_enums() -> None:
    now = instant("2026-11-21T09:00:00Z")
    client = invitekit.new_client("c1", "acme", created_at=now, email="jane@example.com")
    status = invitekit.client_status(client, [], now)
    assert status.status is Status.PROVISIONED
    code: object = "provisioned"
    assert status.status == code and str(status.status) == code and hash(status.status) == hash(code)
    assert f"{status.status}" == "provisioned"
    assert status.status.label == status.label == "Provisioned"
    assert status.detail == "Not invited yet"
    assert status.to_dict() == {"status": "provisioned", "label": "Provisioned", "detail": "Not invited yet"}


def test_python_enums_match_the_core() -> None:
    values = invitekit._invitekit._enum_values()
    for name in ("Status", "Role", "Command", "Operation", "OrgOperation", "Permission", "EmailBinding", "LinkState"):
        enum_class = getattr(invitekit, name)
        assert tuple(member.value for member in enum_class) == values[name], name
    assert {status.value: status.label for status in Status} == values["status_labels"]


def test_naive_datetimes_are_refused() -> None:
    aware = instant("2026-11-21T09:00:00Z")
    client = invitekit.new_client("c1", "acme", created_at=aware, email="jane@example.com")
    with pytest.raises(TypeError, match="naive"):
        invitekit.client_status(client, [], datetime(2026, 11, 21, 9))
    with pytest.raises(TypeError, match="naive"):
        invitekit.new_client("c1", "acme", created_at=datetime(2026, 11, 21))
    with pytest.raises(TypeError):
        invitekit.client_status(client, [], "2026-11-21T09:00:00Z")  # type: ignore[arg-type]
    # An aware datetime in any zone is the same instant in UTC.
    paris = timezone(timedelta(hours=1))
    record, _ = ClientRecord.create(client)
    org = invitekit.new_organization("acme", "Acme", created_at=aware)
    record.send(org, invitation_id="i1", token_hash=invitekit.mint_token()[1], now=aware.astimezone(paris))
    status = record.status(aware)
    assert status.sent_at == aware and status.sent_at is not None and status.sent_at.tzinfo is not None
    assert status.expires_at == aware + timedelta(days=14)
    assert record.invitations[0]["sent_at"] == "2026-11-21T09:00:00Z"


def test_a_record_round_trips_through_its_dicts() -> None:
    now = instant("2026-11-21T09:00:00Z")
    org = invitekit.new_organization("acme", "Acme", created_at=now, accept_url="https://app.example.com/i/{token}")
    client = invitekit.new_client("c1", "acme", created_at=now, email="Jane@Example.com", name="Jane Doe")
    record, created = ClientRecord.create(client, by="admin-1")
    assert created["action"] == {"type": "client_created", "role": "client"}
    assert created["actor"] == {"kind": "member", "id": "admin-1"}
    token, token_hash = invitekit.mint_token()
    events = record.send(org, invitation_id="i1", token_hash=token_hash, now=now, by="admin-1")
    assert [event["action"]["type"] for event in events] == ["invitation_sent"]
    assert record.version == 1
    stored = copy.deepcopy(record.to_dict())
    again = ClientRecord.from_dict(stored)
    assert again.to_dict() == stored
    # A host's own dicts may leave out what new_client fills in, and give the email as text.
    minimal = ClientRecord({"id": "c1", "org": "acme", "role": "client", "created_at": now, "email": "jane@example.com"}, stored["invitations"])
    assert minimal.status(now).status == "invite_pending"
    accepted = again.accept(org, invitation_id="i1", token=token, identity="JANE@example.com", now=now, subject="user-9")
    assert accepted["result"] == "activated"
    assert again.client["activated_by"] == {"email": {"address": "JANE@example.com", "key": "jane@example.com"}, "subject": "user-9"}
    assert again.accept(org, invitation_id="i1", token=token, identity="jane@example.com", now=now, subject="user-9") == {"result": "already_accepted"}
    with pytest.raises(ValueError, match="client"):
        ClientRecord({"id": "c1"})
