"""Tokens, CSV import and export, the invitation email, and the access helpers."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

import invitekit
from invitekit import Permission, Role

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


# --- tokens -----------------------------------------------------------------------------------


def test_tokens_are_minted_hashed_and_verified() -> None:
    token, token_hash = invitekit.mint_token()
    assert len(token) == invitekit.TOKEN_LEN == 43
    assert len(token_hash) == 64 and int(token_hash, 16) >= 0
    assert invitekit.hash_token(token) == token_hash
    assert invitekit.hash_token(f"  {token}\n") == token_hash
    assert invitekit.verify_token(token, token_hash)
    assert invitekit.verify_token(token, token_hash.upper())
    other, _ = invitekit.mint_token()
    assert other != token and not invitekit.verify_token(other, token_hash)
    assert not invitekit.verify_token("not a token", token_hash)
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.verify_token(token, "abc")
    assert raised.value.code == "invalid_token"
    with pytest.raises(invitekit.InvalidInputError):
        invitekit.hash_token("x" * 43)


def test_ids_are_random_with_a_prefix() -> None:
    first, second = invitekit.mint_id("cl_"), invitekit.mint_id("cl_")
    assert first.startswith("cl_") and len(first) == 3 + 22 and first != second
    assert len(invitekit.mint_id()) == 22


# --- CSV ----------------------------------------------------------------------------------------


def test_import_reads_rows_with_their_own_errors() -> None:
    data = "\ufeffName;E-mail Address;Role\nJane Doe;jane@example.com;client\nBob;bob@;guest\n;;\nJ;JANE@example.com;staff\nX;;client\n"
    rows = invitekit.import_csv(data)
    assert len(rows) == 4
    assert rows.layout == {
        "delimiter": ";", "header": True, "email": 1, "name": 0, "first_name": None, "last_name": None,
        "role": 2, "group": None, "program": None,
    }
    assert rows[0] == {
        "line": 2, "raw_email": "jane@example.com", "email": {"address": "jane@example.com", "key": "jane@example.com"},
        "name": "Jane Doe", "role": "client", "group": None, "program": None, "error": None, "duplicate_of_line": None,
    }
    assert [(row["line"], row["error"]) for row in rows] == [(2, None), (3, "missing_domain"), (5, "duplicate"), (6, "missing_email")]
    assert rows[2]["duplicate_of_line"] == 2
    assert (rows.valid, rows.invalid, rows.duplicates, rows.over_limit, rows.acceptable) == (1, 2, 1, 0, False)
    assert [row["line"] for row in rows.errors] == [3, 5, 6]
    assert rows[-1] == rows.rows[-1] == list(rows)[-1]
    assert [row["line"] for row in rows[1:3]] == [3, 5]
    with pytest.raises(IndexError):
        rows[4]
    # bytes and str give the same rows; the result is JSON-compatible.
    assert invitekit.import_csv(data.encode("utf-8")).rows == rows.rows
    json.dumps(rows.rows)


def test_import_cap_and_bounds() -> None:
    data = "email\n" + "".join(f"user{i}@example.com\n" for i in range(5))
    rows = invitekit.import_csv(data, max_addresses=3)
    assert [row["error"] for row in rows] == [None, None, None, "over_limit", "over_limit"]
    assert not rows.acceptable
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.import_csv(data, max_bytes=20)
    assert raised.value.code == "input_too_large"
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.import_csv(b"name,city\nJane,Paris\n")
    assert raised.value.code == "no_email_column"
    bad_row = invitekit.import_csv(b"email\na@example.com\n\xff@example.com\n")
    assert [row["error"] for row in bad_row] == [None, "invalid_utf8"]
    assert invitekit.import_csv("x@intranet\n", allow_dotless_domain=True)[0]["error"] is None
    with pytest.raises(TypeError):
        invitekit.import_csv(["email"])  # type: ignore[arg-type]


def test_export_writes_the_table_safely() -> None:
    text = invitekit.export_csv(
        [
            {
                "name": "=HYPERLINK(\"x\")", "email": "jane@example.com", "role": Role.CLIENT, "status": "invite_pending",
                "group": ["Cohort A", "Cohort B"], "assigned_staff_email": "staff@example.com",
                "last_visit": None, "created_at": NOW, "activated_at": "2026-11-22T10:00:00Z",
            },
            {"email": "bob@example.org", "status": "Activated", "created_at": NOW.astimezone(timezone(timedelta(hours=2)))},
        ]
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == invitekit.EXPORT_HEADER
    assert rows[1] == [
        "'=HYPERLINK(\"x\")", "jane@example.com", "client", "Invite Pending", "Cohort A; Cohort B",
        "staff@example.com", "", "2026-11-21T09:00:00Z", "2026-11-22T10:00:00Z",
    ]
    assert rows[2] == ["", "bob@example.org", "", "Activated", "", "", "", "2026-11-21T09:00:00Z", ""]
    with pytest.raises(ValueError, match="created_at"):
        invitekit.export_csv([{"email": "a@example.com"}])
    with pytest.raises(TypeError, match="naive"):
        invitekit.export_csv([{"created_at": datetime(2026, 1, 1)}])
    with pytest.raises(invitekit.InvalidInputError):
        invitekit.export_csv([{"created_at": NOW, "role": "owner"}])


def test_exported_names_and_addresses_import_back() -> None:
    names = ["Doe, Jane", "O'Brien \"Bob\"", "José; García", "Line\nbreak"]
    text = invitekit.export_csv(
        [{"name": name, "email": f"user{i}@example.com", "created_at": NOW} for i, name in enumerate(names)]
    )
    rows = invitekit.import_csv(text)
    assert [row["name"] for row in rows] == names
    assert [row["raw_email"] for row in rows] == [f"user{i}@example.com" for i in range(len(names))]


# --- the invitation email -----------------------------------------------------------------------


def test_render_invitation() -> None:
    org = invitekit.new_organization(
        "acme", "Acme <Corp>", created_at=NOW, time_zone="Europe/Paris",
        accept_url="https://app.example.com/invitations/{token}",
    )
    token, _ = invitekit.mint_token()
    expires_at = invitekit.deadline(NOW, expiry_days=org["expiry"])
    assert expires_at == NOW + timedelta(days=14)
    message = invitekit.render_invitation(
        org, to="Jane@Example.COM", token=token, expires_at=expires_at, inviter="Bob Smith", name="Jane Doe"
    )
    assert message["to"] == "Jane@example.com"
    assert message["to_name"] == "Jane Doe"
    assert message["subject"] == "Bob Smith invited you to Acme <Corp>"
    link = invitekit.accept_link(org["accept_url"], token)
    assert link == f"https://app.example.com/invitations/{token}"
    assert link in message["text"].splitlines()
    assert "This invitation expires on 5 December 2026 at 10:00 CET." in message["text"]
    assert "Acme &lt;Corp&gt;" in message["html"] and "<Corp>" not in message["html"]
    assert invitekit.format_deadline(expires_at, time_zone="Europe/Paris") == "5 December 2026 at 10:00 CET"
    custom = invitekit.render_invitation(
        org, to={"address": "jane@example.com", "key": "jane@example.com"}, token=token, expires_at=expires_at,
        subject="Welcome", button="Join Acme", form_url="https://forms.example.com/intake",
    )
    assert custom["subject"] == "Welcome" and ">Join Acme</a>" in custom["html"]
    assert "https://forms.example.com/intake" in custom["text"]
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.render_invitation(org, to="jane@example.com", token=token, expires_at=expires_at, subject="Hi\r\nBcc: x@y.z")
    assert (raised.value.code, raised.value.details["field"]) == ("invalid_message_text", "subject")
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.render_invitation(org, to="jane@example.com", token="forged", expires_at=expires_at)
    assert raised.value.code == "invalid_token"
    with pytest.raises(TypeError, match="naive"):
        invitekit.render_invitation(org, to="jane@example.com", token=token, expires_at=datetime(2026, 12, 5))


def test_message_checks() -> None:
    invitekit.validate_message_options(subject="Welcome", button="Join", form_url="https://example.com/f")
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.validate_message_options(form_url="javascript:alert(1)")
    assert (raised.value.code, raised.value.details["field"]) == ("invalid_url", "form_url")
    invitekit.validate_accept_url("https://app.example.com/join?t={token}")
    with pytest.raises(invitekit.InvalidInputError):
        invitekit.validate_accept_url("https://app.example.com/join")
    with pytest.raises(invitekit.InvalidInputError):
        invitekit.new_organization("acme", "Acme", created_at=NOW, accept_url="ftp://x/{token}")
    with pytest.raises(invitekit.InvalidInputError) as raised:
        invitekit.new_organization("acme", "Acme\r\nBcc: x@example.com", created_at=NOW)
    assert raised.value.code == "invalid_message_text"
    assert invitekit.new_organization("acme", "  Acme ", created_at=NOW)["name"] == "Acme"
    assert invitekit.default_subject("Acme") == "You're invited to Acme"
    assert invitekit.default_subject("Acme", "Jane") == "Jane invited you to Acme"
    assert invitekit.mask_email("jane.doe@example.com") == "j•••@example.com"


# --- access -------------------------------------------------------------------------------------


def test_grants_table() -> None:
    assert invitekit.grants("admin", Permission.MANAGE_ORGANIZATION)
    assert not invitekit.grants(Role.STAFF, "manage_staff")
    assert invitekit.grants("client", "add_guests")
    assert not any(invitekit.grants("guest", permission) for permission in Permission)
    with pytest.raises(ValueError):
        invitekit.grants("owner", "add_guests")


def test_authorize_with_ties() -> None:
    staff = {"id": "s1", "role": "staff"}
    client = invitekit.new_client("c1", "acme", created_at=NOW, email="jane@example.com")
    invitekit.authorize(staff, "archive", client)
    assert invitekit.required_permission(staff, "revoke", client) is Permission.MANAGE_ANY_INVITATION
    client["assigned_staff"] = "s1"
    assert invitekit.required_permission(staff, "revoke", client) is None
    guest = invitekit.new_client("g1", "acme", created_at=NOW, role="guest")
    guest["guest_of"] = "c1"
    invitekit.authorize({"id": "c1", "role": "client"}, "send", guest)
    with pytest.raises(invitekit.ForbiddenError):
        invitekit.authorize({"id": "c2", "role": "client"}, "send", guest)
    invitekit.authorize_org({"id": "a1", "role": "admin"}, "manage_settings")
    with pytest.raises(invitekit.ForbiddenError) as raised:
        invitekit.authorize_org(staff, invitekit.OrgOperation.MANAGE_SIGNUP_LINKS)
    assert raised.value.permission == "manage_organization"
    with pytest.raises(ValueError, match="operation"):
        invitekit.authorize(staff, "fly", client)
