"""Stores written in Python: the ``DocumentBackend`` protocol and two backends.

``Invitations(store=backend)`` runs every use case on a backend with three methods; the rules,
queries and statuses stay in the native core, the backend only keeps documents. A document is
``(key, version, body)``: ``body`` is JSON text the backend never parses, ``version`` starts at
1 and goes up by 1 with each write.

- ``get(kind, key)`` returns the document or None;
- ``scan(kind, prefix)`` returns every document of ``kind`` whose key starts with ``prefix``,
  ordered by key (code point order; in SQL compare ``substr(key, 1, length(prefix)) = prefix``,
  never ``LIKE``);
- ``commit(writes)`` applies a list of ``(kind, key, expected, body)`` all or nothing:
  ``expected`` is ``0`` (the document must not exist), a version (it must have exactly that
  version) or None (anything); ``body`` None deletes. When an expectation fails, apply nothing
  and raise ``invitekit.ConflictError`` (``raise invitekit.error_for("conflict")``). Any other
  exception reaches the caller of the ``Invitations`` method unchanged.

``MemoryBackend`` keeps documents in a dict; ``SqliteBackend`` in one table of a ``sqlite3``
database, the recipe a Django or SQLAlchemy model follows (one table, primary key ``(kind,
key)``, a transaction per commit).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Iterable, Optional, Protocol, Sequence, Tuple

from ._invitekit import error_for

__all__ = ["Document", "DocumentBackend", "Mailer", "MemoryBackend", "SqliteBackend", "Write"]

#: ``(key, version, body)``.
Document = Tuple[str, int, str]
#: ``(kind, key, expected, body)``.
Write = Tuple[str, str, Optional[int], Optional[str]]


class Mailer(Protocol):
    """What ``Invitations(mailer=...)`` needs: ``send`` delivers one message or raises.

    ``message`` is a dict: ``id`` (stable: use it as the provider's idempotency key), ``org``,
    ``to``, ``to_name``, ``subject``, ``text``, ``html``, ``attempts``. An exception marks the
    message failed (it stays in the outbox, and ``deliver_pending()`` retries it); the
    exception itself is handed back in the report, next to the failed message.
    """

    def send(self, message: dict[str, Any]) -> None:
        """Delivers ``message``, or raises."""
        ...


class DocumentBackend(Protocol):
    """What ``Invitations(store=...)`` needs from a store written in Python."""

    def get(self, kind: str, key: str) -> Optional[Document]:
        """The document ``key`` of ``kind``, or None."""
        ...

    def scan(self, kind: str, prefix: str) -> Iterable[Document]:
        """The documents of ``kind`` whose key starts with ``prefix``, ordered by key."""
        ...

    def commit(self, writes: Sequence[Write]) -> None:
        """Applies all ``writes`` or none; raises ``ConflictError`` on a failed expectation."""
        ...


def _check(found: Optional[int], expected: Optional[int]) -> bool:
    if expected is None:
        return True
    if expected == 0:
        return found is None
    return found == expected


class MemoryBackend:
    """Documents in a dict, behind a lock: for tests and as the reference implementation."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[str, tuple[int, str]]] = {}
        self._lock = threading.Lock()
        #: How many commits succeeded (for tests).
        self.commits = 0

    def get(self, kind: str, key: str) -> Optional[Document]:
        with self._lock:
            found = self._docs.get(kind, {}).get(key)
        return None if found is None else (key, found[0], found[1])

    def scan(self, kind: str, prefix: str) -> list[Document]:
        with self._lock:
            docs = self._docs.get(kind, {})
            return [(k, v, b) for k, (v, b) in sorted(docs.items()) if k.startswith(prefix)]

    def commit(self, writes: Sequence[Write]) -> None:
        with self._lock:
            for kind, key, expected, _body in writes:
                found = self._docs.get(kind, {}).get(key)
                if not _check(None if found is None else found[0], expected):
                    raise error_for("conflict")
            for kind, key, _expected, body in writes:
                docs = self._docs.setdefault(kind, {})
                found = docs.get(key)
                if body is None:
                    docs.pop(key, None)
                else:
                    docs[key] = ((found[0] + 1) if found else 1, body)
            self.commits += 1


class SqliteBackend:
    """Documents in one table of a ``sqlite3`` database: the recipe for an ORM model.

    ``CREATE TABLE invitekit_documents (kind TEXT, key TEXT, version INTEGER, body TEXT,
    PRIMARY KEY (kind, key))``. Each thread gets its own connection; a commit is one
    ``BEGIN IMMEDIATE`` transaction, so processes sharing the file serialize their writes.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        with self._connection() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS invitekit_documents ("
                " kind TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,"
                " body TEXT NOT NULL, PRIMARY KEY (kind, key))"
            )

    def _connection(self) -> sqlite3.Connection:
        db: Optional[sqlite3.Connection] = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def get(self, kind: str, key: str) -> Optional[Document]:
        row = (
            self._connection()
            .execute(
                "SELECT version, body FROM invitekit_documents WHERE kind = ? AND key = ?",
                (kind, key),
            )
            .fetchone()
        )
        return None if row is None else (key, row[0], row[1])

    def scan(self, kind: str, prefix: str) -> list[Document]:
        rows = (
            self._connection()
            .execute(
                "SELECT key, version, body FROM invitekit_documents"
                " WHERE kind = ? AND substr(key, 1, length(?)) = ? ORDER BY key",
                (kind, prefix, prefix),
            )
            .fetchall()
        )
        return [(k, v, b) for k, v, b in rows]

    def commit(self, writes: Sequence[Write]) -> None:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            for kind, key, expected, body in writes:
                row = db.execute(
                    "SELECT version FROM invitekit_documents WHERE kind = ? AND key = ?",
                    (kind, key),
                ).fetchone()
                found = None if row is None else int(row[0])
                if not _check(found, expected):
                    raise error_for("conflict")
                if body is None:
                    db.execute(
                        "DELETE FROM invitekit_documents WHERE kind = ? AND key = ?", (kind, key)
                    )
                elif found is None:
                    db.execute(
                        "INSERT INTO invitekit_documents (kind, key, version, body)"
                        " VALUES (?, ?, 1, ?)",
                        (kind, key, body),
                    )
                else:
                    db.execute(
                        "UPDATE invitekit_documents SET version = version + 1, body = ?"
                        " WHERE kind = ? AND key = ?",
                        (body, kind, key),
                    )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
