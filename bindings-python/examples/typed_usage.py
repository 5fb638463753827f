"""invitekit's pure helpers from typed Python: this file passes ``mypy --strict``.

A host that keeps its own records (here, dicts in memory) parses a pasted list, creates the
clients, sends invitations, renders the email, accepts a link, and lists statuses.

    python examples/typed_usage.py
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import invitekit
from invitekit import ClientRecord, Status
from invitekit.types import ClientDict, InvitationDict, MessageDict, OrganizationDict


def main() -> None:
    now = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
    org: OrganizationDict = invitekit.new_organization(
        "acme",
        "Acme",
        created_at=now,
        time_zone="Europe/Paris",
        accept_url="https://app.example.com/invitations/{token}",
    )

    # 1. The pasted list: every entry pointed at in the text, one verdict each.
    paste = "Jane Doe <Jane@Example.COM>; bob@example.org, carol@example, jane@example.com"
    parsed = invitekit.parse_addresses(paste)
    for entry in parsed:
        mark = "ok" if entry.is_valid else entry.error
        print(f"{entry.line}:{entry.column} {paste[entry.start:entry.end]!r} -> {mark}")
    if not parsed.acceptable:
        print(f"{parsed.invalid} invalid: fix them or drop them")

    # 2. Records for the valid entries, and a first invitation each.
    records: dict[str, ClientRecord] = {}
    outbox: list[MessageDict] = []
    tokens: dict[str, tuple[str, str]] = {}
    for entry in parsed.valid_entries():
        assert entry.normalized is not None
        client: ClientDict = invitekit.new_client(
            invitekit.mint_id("cl_"), org["id"], created_at=now, email=entry.normalized, name=entry.name
        )
        record, _created = ClientRecord.create(client, by="admin-1")
        token, token_hash = invitekit.mint_token()
        invitation_id = invitekit.mint_id("inv_")
        events = record.send(org, invitation_id=invitation_id, token_hash=token_hash, now=now, by="admin-1")
        invitations: list[InvitationDict] = record.invitations
        message = invitekit.render_invitation(
            org,
            to=entry.normalized,
            token=token,
            expires_at=invitekit.deadline(now, expiry_days=org["expiry"]),
            inviter="Admin",
            name=entry.name,
        )
        outbox.append(message)
        records[client["id"]] = record
        tokens[client["id"]] = (invitation_id, token)
        print(f"sent to {message['to']}: {message['subject']} ({len(events)} event, {len(invitations)} link)")

    # 3. Jane follows her link two days later; a wrong account is refused and consumes nothing.
    jane_id = next(
        cid
        for cid, record in records.items()
        if (email := record.client["email"]) is not None and email["key"] == "jane@example.com"
    )
    invitation_id, token = tokens[jane_id]
    later = now + timedelta(days=2)
    try:
        records[jane_id].accept(org, invitation_id=invitation_id, token=token, identity="bob@example.org", now=later)
    except invitekit.ForbiddenError as refused:
        print(f"refused: {refused.code}")
    accepted = records[jane_id].accept(
        org, invitation_id=invitation_id, token=token, identity="jane@example.com", now=later
    )
    print(f"accept: {accepted['result']}")

    # 4. Statuses fifteen days on: Jane activated, Bob's link expired.
    then = now + timedelta(days=15)
    for record in records.values():
        status = record.status(then, time_zone=org["time_zone"])
        expired = status.status is Status.INVITE_EXPIRED
        email = record.client["email"]
        address = email["address"] if email is not None else "(no address)"
        print(f"{address}: {status.label} - {status.detail}{' (resend?)' if expired else ''}")

    # 5. The table as CSV.
    print(
        invitekit.export_csv(
            {
                "name": record.client["name"],
                "email": (record.client["email"] or {"address": ""})["address"],
                "role": record.client["role"],
                "status": record.status(then).status,
                "created_at": record.client["created_at"],
                "activated_at": record.client["activated_at"],
            }
            for record in records.values()
        )
    )


if __name__ == "__main__":
    main()
