"""The service flows from Python, on the SQLite store and on stores written in Python.

Every flow runs three times: ``Invitations.open(path)`` (the native SQLite store), and
``Invitations(store=...)`` on ``MemoryBackend`` and on ``SqliteBackend`` (Python's ``sqlite3``,
the recipe of an ORM model). The rules are the core's; these tests check that they reach
Python whole, with Pythonic values and exceptions.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import invitekit
from invitekit import FixedClock, Invitations, Status
from invitekit.backends import MemoryBackend, SqliteBackend

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
ADMIN = "admin@acme.example"
LINK = re.compile(r"/invitations/([A-Za-z0-9_-]{43})")


class Outbox:
    """A mailer that keeps what it is given, and can be told to fail."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.failing = False

    def send(self, message: dict[str, Any]) -> None:
        if self.failing:
            raise ConnectionError("the mail relay is down")
        self.messages.append(message)

    def token_for(self, to: str) -> str:
        for message in reversed(self.messages):
            if message["to"] == to:
                found = LINK.search(message["text"])
                assert found, message["text"]
                return found.group(1)
        raise AssertionError(f"no message to {to}")


Make = Callable[..., Invitations]


def postgres_url() -> str:
    """The test server's URL (``scripts/test`` starts one); skipped without it, unless in CI."""
    url = os.environ.get("INVITEKIT_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("INVITEKIT_PG_URL is not set (scripts/test starts a PostgreSQL server)")
        pytest.skip("INVITEKIT_PG_URL is not set")
    return url


@pytest.fixture(params=["sqlite", "python-memory", "python-sqlite3", "postgres"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    """A factory of services on one store, all sharing it (as several app servers would)."""
    kind = request.param
    backend: Any = None
    if kind == "postgres":
        url = postgres_url()
        schema = f"py_{uuid.uuid4().hex}"  # a schema of its own: tests run side by side

        def on_postgres(**kwargs: Any) -> Invitations:
            return Invitations.open(url, schema=schema, **kwargs)

        yield on_postgres
        return
    if kind == "python-memory":
        backend = MemoryBackend()
    elif kind == "python-sqlite3":
        backend = SqliteBackend(str(tmp_path / "documents.db"))

    def factory(**kwargs: Any) -> Invitations:
        if kind == "sqlite":
            return Invitations.open(tmp_path / "invitekit.db", **kwargs)
        return Invitations(store=backend, **kwargs)

    yield factory


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def inv(make: Make, clock: FixedClock, outbox: Outbox) -> Invitations:
    service = make(mailer=outbox, clock=clock)
    service.create_organization("acme", name="Acme", admin_email=ADMIN)
    return service


def test_invite_accept_expire_resend(inv: Invitations, clock: FixedClock, outbox: Outbox) -> None:
    report = inv.create_clients(
        "acme", "Jane Doe <jane@example.com>, bob@example.org", by=ADMIN, send=True
    )
    assert report["created"] == 2 and report["invited"] == 2
    assert len(report["delivery"]["sent"]) == 2
    assert [m["to"] for m in outbox.messages] == ["jane@example.com", "bob@example.org"]
    assert outbox.messages[0]["to_name"] == "Jane Doe"
    assert "<html" in outbox.messages[0]["html"].lower()

    token = outbox.token_for("jane@example.com")
    preview = inv.preview(token)  # safe on GET: changes nothing
    assert preview["organization"] == "Acme"
    assert preview["masked_email"] == "j•••@example.com"
    assert preview["state"] == "live"
    accepted = inv.accept(token, "jane@example.com")
    assert accepted["activated_now"] is True
    assert accepted["status"] == Status.ACTIVATED == "activated"
    again = inv.accept(token, "jane@example.com")
    assert again["activated_now"] is False, "a double click activates once"
    with pytest.raises(invitekit.ForbiddenError) as other:
        inv.accept(outbox.token_for("bob@example.org"), "mallory@example.com")
    assert other.value.code == "email_mismatch"

    clock.advance(timedelta(days=15))
    listed = inv.list_clients("acme", by=ADMIN, status="invite_expired")
    assert [c["record"]["client"]["email"]["address"] for c in listed["clients"]] == [
        "bob@example.org"
    ]
    with pytest.raises(invitekit.ExpiredError) as expired:
        inv.accept(outbox.token_for("bob@example.org"), "bob@example.org")
    assert expired.value.code == "invitation_expired"
    assert isinstance(expired.value, ValueError)

    resent = inv.resend("acme", ["bob@example.org"], by=ADMIN)
    assert resent[0]["status"] == Status.INVITE_PENDING
    assert resent[0]["error"] is None
    accepted = inv.accept(outbox.token_for("bob@example.org"), "bob@example.org")
    assert accepted["status"] == "activated"


def test_one_invalid_address_creates_nothing_and_names_the_entry(
    inv: Invitations, outbox: Outbox
) -> None:
    text = "Zoë <zoe@example.com>, bob@example, ann@example.org"
    with pytest.raises(invitekit.InvalidAddressesError) as refused:
        inv.create_clients("acme", text, by=ADMIN, send=True)
    error = refused.value
    assert error.code == "invalid_batch"
    (entry,) = error.entries
    assert entry["code"] == "dotless_domain"
    # String indices, after a non-ASCII name: text[start:end] is the entry.
    assert text[entry["start"] : entry["end"]] == "bob@example"
    assert (entry["line"], entry["column"]) == (1, 24)
    assert inv.list_clients("acme", by=ADMIN)["total"] == 1, "only the admin"
    assert outbox.messages == []


def test_existing_and_repeated_addresses(inv: Invitations) -> None:
    inv.create_clients("acme", "jane@example.com", by=ADMIN)
    report = inv.create_clients("acme", "JANE@Example.com, new@example.com, New@example.com", by=ADMIN)
    kinds = [e["outcome"]["kind"] for e in report["entries"]]
    assert kinds == ["existing", "created", "duplicate"]
    assert report["entries"][0]["outcome"]["status"] == "provisioned"
    assert report["entries"][2]["outcome"]["of"] == 1
    preview = inv.create_clients("acme", "later@example.com", by=ADMIN, dry_run=True)
    assert preview["committed"] is False
    assert inv.list_clients("acme", by=ADMIN, search="later")["total"] == 0


def test_csv_import_groups_programs_and_export(inv: Invitations) -> None:
    inv.create_group("acme", "Cohort A", by=ADMIN)
    inv.create_program("acme", "Onboarding", by=ADMIN)
    csv = "\ufeffEmail,Name,Group,Program\nann@example.com,Ann,Cohort A,Onboarding\nben@example.com,Ben,,\n"
    report = inv.import_clients("acme", csv.encode(), by=ADMIN)
    assert report["created"] == 2
    in_group = inv.list_clients("acme", by=ADMIN, group="Cohort A")
    assert [c["record"]["client"]["name"] for c in in_group["clients"]] == ["Ann"]
    assert inv.list_clients("acme", by=ADMIN, program="Onboarding")["total"] == 1
    with pytest.raises(invitekit.InvalidAddressesError) as unknown:
        inv.import_clients("acme", "email,group\ncy@example.com,Nope\n", by=ADMIN)
    assert unknown.value.code == "invalid_batch"
    assert [(e["line"], e["code"]) for e in unknown.value.entries] == [(2, "group_not_found")]
    exported = inv.export_clients("acme", by=ADMIN)
    assert exported.splitlines()[0].startswith("name,email,role,status")
    assert "ann@example.com" in exported and "ben@example.com" in exported

    inv.assign("acme", ["ben@example.com"], by=ADMIN, group="Cohort A")
    assert inv.list_clients("acme", by=ADMIN, group="Cohort A")["total"] == 2
    inv.rename_group("acme", "Cohort A", "Cohort B", by=ADMIN)
    assert [g["name"] for g in inv.groups("acme")] == ["Cohort B"]
    inv.delete_group("acme", "Cohort B", by=ADMIN)
    assert inv.groups("acme") == []


def test_never_invited_and_bulk_outcomes(inv: Invitations, outbox: Outbox) -> None:
    inv.create_clients("acme", "a@example.com b@example.com c@example.com", by=ADMIN)
    assert inv.never_invited("acme", by=ADMIN)["total"] == 3
    sent = inv.invite_never_invited("acme", by=ADMIN, except_=["c@example.com"])
    assert sorted(o["status"] for o in sent) == ["invite_pending", "invite_pending"]
    assert inv.never_invited("acme", by=ADMIN)["total"] == 1
    again = inv.send("acme", ["a@example.com"], by=ADMIN)
    assert again[0]["status"] is None
    assert isinstance(again[0]["error"], invitekit.InvitekitError)
    assert again[0]["error"].code == "already_invited"
    revoked = inv.revoke("acme", ["a@example.com"], by=ADMIN)
    assert revoked[0]["status"] == "provisioned"
    archived = inv.archive("acme", ["b@example.com"], by=ADMIN)
    assert archived[0]["status"] == Status.ARCHIVED
    restored = inv.restore("acme", ["b@example.com"], by=ADMIN)
    assert restored[0]["error"] is None
    events = inv.events("acme", by=ADMIN, limit=1000)
    assert len(events) >= 6


def test_signup_links(inv: Invitations) -> None:
    link, token = inv.create_signup_link(
        "acme", by=ADMIN, max_uses=2, allowed_domains=["Example.ORG"]
    )
    assert link["allowed_domains"] == ["example.org"]
    with pytest.raises(invitekit.InvitekitError) as outsider:
        inv.join(token, "eve@elsewhere.net")
    assert outsider.value.code == "email_domain_not_allowed"
    joined = inv.join(token, "zoe@example.org")
    assert joined["client"]["role"] == "client"
    new_token = inv.rotate_signup_link("acme", link["id"], by=ADMIN)
    with pytest.raises(invitekit.NotFoundError):
        inv.join(token, "ann@example.org")
    inv.join(new_token, "ann@example.org")
    with pytest.raises(invitekit.InvitekitError) as exhausted:
        inv.join(new_token, "al@example.org")
    assert exhausted.value.code == "signup_link_exhausted"
    disabled = inv.disable_signup_link("acme", link["id"], by=ADMIN)
    assert disabled["disabled_at"] is not None and disabled["uses"] == 2
    with pytest.raises(invitekit.InvitekitError) as refused:
        inv.join(new_token, "al@example.org")
    assert refused.value.code == "signup_link_disabled"


def test_access_is_checked(inv: Invitations) -> None:
    inv.create_clients("acme", "cli@example.com", by=ADMIN)
    with pytest.raises(invitekit.ForbiddenError) as forbidden:
        inv.create_clients("acme", "x@example.com", by="cli@example.com")
    assert forbidden.value.code == "forbidden"
    with pytest.raises(invitekit.NotFoundError):
        inv.list_clients("acme", by="nobody@example.com")


def test_a_failing_mailer_loses_nothing_and_the_outbox_retries(
    make: Make, clock: FixedClock
) -> None:
    outbox = Outbox()
    inv = make(mailer=outbox, clock=clock)
    inv.create_organization("acme", name="Acme", admin_email=ADMIN)
    outbox.failing = True
    report = inv.create_clients("acme", "a@example.com, b@example.com", by=ADMIN, send=True)
    assert report["invited"] == 2
    failed = report["delivery"]["failed"]
    assert len(failed) == 2
    # The mailer's own exception, traceback and all, next to the failed message.
    assert isinstance(failed[0]["exception"], ConnectionError)
    assert failed[0]["exception"].__traceback__ is not None
    assert "relay is down" in failed[0]["reason"]
    waiting = inv.outbox("acme", by=ADMIN, state="failed")
    assert len(waiting) == 2
    outbox.failing = False
    delivered = inv.deliver_pending()
    assert len(delivered["sent"]) == 2
    assert len(outbox.messages) == 2
    assert inv.deliver_pending()["sent"] == [], "each message once"


def test_queued_mail_waits_for_a_worker(make: Make, clock: FixedClock) -> None:
    outbox = Outbox()
    inv = make(mailer=outbox, clock=clock, deliver_inline=False)
    inv.create_organization("acme", name="Acme", admin_email=ADMIN)
    inv.create_clients("acme", "a@example.com", by=ADMIN, send=True)
    assert outbox.messages == []
    assert len(inv.deliver_pending()["sent"]) == 1
    assert len(outbox.messages) == 1


def test_message_text_is_checked(inv: Invitations) -> None:
    inv.create_clients("acme", "a@example.com", by=ADMIN)
    with pytest.raises(invitekit.InvitekitError) as refused:
        inv.send("acme", ["a@example.com"], by=ADMIN, subject="Hi\r\nBcc: x@evil.example")
    assert refused.value.code == "invalid_message_text"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(TypeError):
        FixedClock(datetime(2026, 11, 21, 9, 0))


def test_the_default_mailer_keeps_messages_in_memory() -> None:
    inv = Invitations(clock=FixedClock(T0))
    inv.create_organization("acme", name="Acme", admin_email=ADMIN)
    inv.create_clients("acme", "a@example.com", by=ADMIN, send=True)
    (message,) = inv.sent_messages()
    assert message["to"] == "a@example.com"
    assert inv.now() == T0


class Broken(MemoryBackend):
    """A backend whose commits fail like a database that went away."""

    def commit(self, writes: Any) -> None:
        raise OSError("disk I/O error from the host database")


def test_an_exception_in_a_python_store_comes_back_with_its_traceback() -> None:
    backend = Broken()
    inv = Invitations(store=backend, clock=FixedClock(T0))
    with pytest.raises(OSError, match="disk I/O error") as raised:
        inv.create_organization("acme", name="Acme", admin_email=ADMIN)
    frames = [frame.name for frame in raised.traceback]
    assert "commit" in frames, frames


def test_a_store_object_without_the_methods_is_refused() -> None:
    with pytest.raises(TypeError, match="commit"):
        Invitations(store=object())


def test_update_organization_and_read_one_client(inv: Invitations, outbox: Outbox) -> None:
    updated = inv.update_organization(
        "acme", by=ADMIN, name="Acme Inc", expiry_days=3, time_zone="Europe/Paris"
    )
    assert (updated["name"], updated["expiry"], updated["time_zone"]) == (
        "Acme Inc", 3, "Europe/Paris"
    )
    assert inv.organization("acme")["name"] == "Acme Inc"
    with pytest.raises(invitekit.InvalidInputError) as bad:
        inv.update_organization("acme", by=ADMIN, expiry_days=0)
    assert bad.value.code == "invalid_expiry_window"
    inv.create_clients("acme", "jane@example.com", by=ADMIN, send=True)
    assert "Acme Inc" in outbox.messages[0]["text"]
    record = inv.client("acme", "jane@example.com", by=ADMIN)
    assert record["client"]["email"]["address"] == "jane@example.com"
    assert len(record["invitations"]) == 1
    with pytest.raises(invitekit.NotFoundError):
        inv.client("acme", "nobody@example.com", by=ADMIN)
