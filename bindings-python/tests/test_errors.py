"""Every published code maps to an exception class, and real failures raise them."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from typing import Any

import pytest

import invitekit

FAMILIES = {
    invitekit.InvalidAddressesError,
    invitekit.InvalidInputError,
    invitekit.ForbiddenError,
    invitekit.NotFoundError,
    invitekit.AlreadyExistsError,
    invitekit.ExpiredError,
    invitekit.ConflictError,
    invitekit.StorageError,
    invitekit.DeliveryError,
}

# The families as documented (README, errors.rs); a code moving family is a breaking change.
EXPECTED = {
    invitekit.InvalidAddressesError: {"invalid_batch", "empty_batch", "missing_email"},
    invitekit.InvalidInputError: {
        "input_too_large", "invalid_utf8", "invalid_role", "invalid_status", "invalid_expiry_window",
        "invalid_time_zone", "invalid_token", "no_email_column", "invalid_message_text", "invalid_url",
    },
    invitekit.ForbiddenError: {"forbidden", "email_mismatch", "email_domain_not_allowed"},
    invitekit.NotFoundError: {
        "client_not_found", "invitation_not_found", "organization_not_found", "group_not_found",
        "program_not_found", "signup_link_not_found", "message_not_found",
    },
    invitekit.AlreadyExistsError: {"client_exists", "invitation_exists", "organization_exists", "group_exists"},
    invitekit.ExpiredError: {"invitation_expired", "invitation_revoked", "signup_link_disabled", "signup_link_exhausted"},
    invitekit.ConflictError: {
        "already_invited", "not_invited", "already_activated", "client_archived", "already_archived",
        "not_archived", "no_email", "conflict",
    },
    invitekit.StorageError: {"storage_failed", "read_failed", "write_failed", "entropy_unavailable"},
    invitekit.DeliveryError: {"delivery_failed"},
}


def test_the_published_codes_are_the_modules(error_codes: Any) -> None:
    published = [entry["code"] for entry in error_codes["codes"]]
    assert list(invitekit.ERROR_CODES) == published
    for entry in error_codes["codes"]:
        assert invitekit.error_meaning(entry["code"]) == entry["meaning"]


def test_every_code_maps_to_a_class_and_an_exception_with_that_code(error_codes: Any) -> None:
    unmapped = []
    for entry in error_codes["codes"]:
        code = entry["code"]
        cls = invitekit.error_class_for(code)
        if cls not in FAMILIES:
            unmapped.append(code)
            continue
        error = invitekit.error_for(code)
        assert type(error) is cls, code
        assert isinstance(error, invitekit.InvitekitError) and isinstance(error, ValueError)
        assert error.code == code
        assert error.message == entry["meaning"]
        assert str(error) == f"{code}: {entry['meaning']}"
        assert error.entries == () and dict(error.details) == {}
        with pytest.raises(cls) as raised:
            raise error
        assert raised.value.code == code
    assert not unmapped, f"codes without a family: {unmapped}"


def test_the_families_are_as_documented(error_codes: Any) -> None:
    entry_codes = {entry["code"] for entry in error_codes["codes"][: error_codes_index(error_codes, "input_too_large")]}
    expected = dict(EXPECTED)
    expected[invitekit.InvalidAddressesError] = expected[invitekit.InvalidAddressesError] | entry_codes
    actual: dict[type[invitekit.InvitekitError], set[str]] = {}
    for code in invitekit.ERROR_CODES:
        actual.setdefault(invitekit.error_class_for(code), set()).add(code)
    assert actual == expected


def error_codes_index(error_codes: Any, code: str) -> int:
    return [entry["code"] for entry in error_codes["codes"]].index(code)


def test_unknown_codes_are_refused() -> None:
    for function in (invitekit.error_class_for, invitekit.error_for, invitekit.error_meaning):
        with pytest.raises(ValueError, match="not a published"):
            function("no_such_code")


def test_real_failures_carry_their_code_message_and_details() -> None:
    now = datetime(2026, 11, 21, 9, tzinfo=timezone.utc)
    with pytest.raises(invitekit.InvalidInputError) as too_large:
        invitekit.parse_addresses("jane@example.com", max_input_bytes=8)
    error = too_large.value
    assert (error.code, dict(error.details)) == ("input_too_large", {"limit": 8})
    assert str(error) == "input_too_large: the input is larger than the limit of 8 bytes"
    assert error.message == "the input is larger than the limit of 8 bytes"

    with pytest.raises(invitekit.InvalidInputError) as window:
        invitekit.new_organization("acme", "Acme", created_at=now, expiry_days=91)
    assert (window.value.code, window.value.details["days"]) == ("invalid_expiry_window", 91)
    with pytest.raises(invitekit.InvalidInputError) as zone:
        invitekit.new_organization("acme", "Acme", created_at=now, time_zone="Mars/Olympus")
    assert zone.value.code == "invalid_time_zone"


def test_row_errors_do_not_raise() -> None:
    rows = invitekit.import_csv("email,role\na@example.com,owner\n")
    assert rows[0]["error"] == "invalid_role"


def test_refusals_name_the_command_and_status() -> None:
    now = datetime(2026, 11, 21, 9, tzinfo=timezone.utc)
    org = invitekit.new_organization("acme", "Acme", created_at=now)
    client = invitekit.new_client("c1", "acme", created_at=now, email="jane@example.com")
    record = invitekit.ClientRecord(client)
    with pytest.raises(invitekit.ConflictError) as raised:
        record.resend(org, invitation_id="i1", token_hash=invitekit.mint_token()[1], now=now)
    assert raised.value.code == "not_invited"
    assert dict(raised.value.details) == {"command": "resend", "status": "provisioned"}
    assert raised.value.permission is None
    with pytest.raises(invitekit.ConflictError, match="no_email"):
        invitekit.ClientRecord(invitekit.new_client("c2", "acme", created_at=now)).send(
            org, invitation_id="i1", token_hash=invitekit.mint_token()[1], now=now
        )


def test_forbidden_names_the_permission() -> None:
    now = datetime(2026, 11, 21, 9, tzinfo=timezone.utc)
    admin = invitekit.new_client("a1", "acme", created_at=now, role="admin")
    with pytest.raises(invitekit.ForbiddenError) as raised:
        invitekit.authorize({"id": "s1", "role": "staff"}, "archive", admin)
    assert raised.value.code == "forbidden"
    assert raised.value.permission == "manage_admins"
    assert str(raised.value) == "forbidden: this needs the manage_admins permission"


def test_exceptions_built_by_hand_have_the_attributes() -> None:
    error = invitekit.NotFoundError("client_not_found: no such client")
    assert (error.code, error.message, error.entries, error.permission) == ("", "", (), None)
    assert dict(error.details) == {}


def test_a_panic_becomes_an_exception_and_the_interpreter_goes_on() -> None:
    # In a child interpreter, so the panic message on stderr does not clutter this run.
    script = (
        "import invitekit\n"
        "try:\n"
        "    invitekit._invitekit._panic('boom')\n"
        "except BaseException as e:\n"
        "    print(type(e).__name__, isinstance(e, Exception), e)\n"
        "print(invitekit.parse_one('a@example.com')['key'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["PanicException False boom", "a@example.com"]
