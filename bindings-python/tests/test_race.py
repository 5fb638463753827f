"""The double accept from threads: many threads, each with its own service (its own database
connection), accept one link at once. Exactly one activates; the others see "already
accepted". The GIL is released during SQLite work, so the threads really overlap."""

from __future__ import annotations

import os
import re
import uuid
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

import invitekit
from invitekit import FixedClock, Invitations
from invitekit.backends import SqliteBackend

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
ADMIN = "admin@acme.example"


def opener(kind: str, tmp_path: Path) -> Callable[[], Invitations]:
    if kind == "postgres":
        url = os.environ.get("INVITEKIT_PG_URL")
        if not url:
            if os.environ.get("CI"):
                pytest.fail("INVITEKIT_PG_URL is not set (scripts/test starts a server)")
            pytest.skip("INVITEKIT_PG_URL is not set")
        schema = f"race_{uuid.uuid4().hex}"
        return lambda: Invitations.open(url, schema=schema, clock=FixedClock(T0))
    if kind == "sqlite":
        return lambda: Invitations.open(tmp_path / "race.db", clock=FixedClock(T0))
    backend = SqliteBackend(str(tmp_path / "documents.db"))
    return lambda: Invitations(store=backend, clock=FixedClock(T0))


@pytest.mark.parametrize("kind", ["sqlite", "python-sqlite3", "postgres"])
def test_one_link_accepted_from_8_threads_activates_once(kind: str, tmp_path: Path) -> None:
    open_service = opener(kind, tmp_path)
    first = open_service()
    first.create_organization("acme", name="Acme", admin_email=ADMIN)
    first.create_clients("acme", "jane@example.com", by=ADMIN, send=True)
    (message,) = first.sent_messages()
    token = re.search(r"/invitations/([A-Za-z0-9_-]{43})", message["text"]).group(1)  # type: ignore[union-attr]

    start = threading.Barrier(8)
    attempts = 40 if kind == "python-sqlite3" else 200

    def accept_many(_: int) -> list[Any]:
        service = open_service()
        start.wait()
        results: list[Any] = []
        for _ in range(attempts // 8):
            try:
                results.append(service.accept(token, "jane@example.com")["activated_now"])
            except invitekit.InvitekitError as error:  # pragma: no cover - would fail below
                results.append(error.code)
        return results

    with ThreadPoolExecutor(8) as pool:
        results = [r for batch in pool.map(accept_many, range(8)) for r in batch]
    assert results.count(True) == 1, results
    assert results.count(False) == len(results) - 1, results
    events = first.events("acme", by=ADMIN, limit=1000)
    accepted = [e for e in events if e["action"]["type"] == "invitation_accepted"]
    assert len(accepted) == 1, accepted
