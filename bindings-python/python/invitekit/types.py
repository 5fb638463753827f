"""The shapes of the dicts invitekit returns, as ``TypedDict``s for type checkers.

Records are the core's serde form: snake_case keys, ids and codes as text, instants as RFC 3339
text in UTC (``"2026-11-21T09:00:00Z"``). Functions that take a record accept any mapping of
this shape (``Mapping[str, Any]``), with defaults for the keys ``new_client`` and
``new_organization`` fill in, and also take aware ``datetime`` values for instants.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

__all__ = [
    "AddressListDict",
    "BatchEntryDict",
    "CsvLayoutDict",
    "EmailDict",
    "EntryDict",
    "ImportRowDict",
    "InvitationDict",
    "MemberDict",
    "MessageDict",
    "OrganizationDict",
    "ClientDict",
    "PreviewDict",
    "Record",
]

Record = Dict[str, Any]
"""Any record dict (events, acceptances): its keys are the core's serde names."""


class EmailDict(TypedDict):
    """An address as typed (trimmed, normalized, case kept) and its dedup key."""

    address: str
    key: str


class OrganizationDict(TypedDict):
    """An organization's settings, the ones the rules read."""

    id: str
    name: str
    expiry: int
    time_zone: str
    email_binding: str
    accept_url: str
    created_at: str


class ClientDict(TypedDict):
    """A client record (whatever its role)."""

    id: str
    org: str
    email: Optional[EmailDict]
    name: Optional[str]
    role: str
    programs: List[str]
    groups: List[str]
    assigned_staff: Optional[str]
    company: Optional[str]
    guest_of: Optional[str]
    owner: Dict[str, str]
    created_by: Optional[str]
    created_at: str
    activated_at: Optional[str]
    activated_by: Optional[Dict[str, Any]]
    last_seen_at: Optional[str]
    archived_at: Optional[str]
    version: int


class InvitationDict(TypedDict):
    """One invitation: a link sent to a client (only its token's hash is kept)."""

    id: str
    org: str
    client: str
    token_hash: str
    sent_by: Optional[str]
    sent_at: str
    expires_at: str
    revoked_at: Optional[str]
    accepted_at: Optional[str]
    retired_at: Optional[str]


class MemberDict(TypedDict):
    """The acting member: their client id and role."""

    id: str
    role: str


class PreviewDict(TypedDict):
    """What a link's holder may see before accepting."""

    organization: str
    inviter: Optional[str]
    masked_email: str
    expires_at: str
    deadline: str
    state: str


class MessageDict(TypedDict):
    """A rendered invitation email."""

    to: str
    to_name: Optional[str]
    subject: str
    text: str
    html: str


class EntryDict(TypedDict):
    """An entry of a parsed list (``start``/``end``: string indices)."""

    index: int
    raw: str
    start: int
    end: int
    line: int
    column: int
    name: Optional[str]
    address: Optional[str]
    normalized: Optional[str]
    key: Optional[str]
    smtputf8: bool
    error: Optional[str]
    duplicate_of: Optional[int]


class AddressListDict(TypedDict):
    """A parsed list: the counts and every entry."""

    acceptable: bool
    valid: int
    invalid: int
    duplicates: int
    over_limit: int
    entries: List[EntryDict]


class BatchEntryDict(TypedDict):
    """One entry at fault of a refused batch (``InvalidAddressesError.entries``)."""

    index: int
    line: int
    column: int
    start: int
    end: int
    text: str
    code: str
    duplicate_of: Optional[int]


class ImportRowDict(TypedDict):
    """One row of an imported CSV file."""

    line: int
    raw_email: str
    email: Optional[EmailDict]
    name: Optional[str]
    role: Optional[str]
    group: Optional[str]
    program: Optional[str]
    error: Optional[str]
    duplicate_of_line: Optional[int]


class CsvLayoutDict(TypedDict):
    """Where an import found each column (0-based), and how the file is cut."""

    delimiter: str
    header: bool
    email: int
    name: Optional[int]
    first_name: Optional[int]
    last_name: Optional[int]
    role: Optional[int]
    group: Optional[int]
    program: Optional[int]
