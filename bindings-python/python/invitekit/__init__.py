"""invitekit: client invitations for SaaS platforms, with the rules in Rust.

- ``parse_addresses(text)``: a pasted list of addresses, each entry pointed at precisely
  (``text[e.start:e.end] == e.raw``) and judged by one policy; ``parse_one`` for one address.
- Pure helpers for hosts that keep their own records (plain dicts, JSON-compatible):
  ``client_status``, ``transition``/``permit``, ``ClientRecord`` (send, resend, preview, accept,
  revoke, archive, restore), ``mint_token``/``verify_token``, ``authorize``,
  ``render_invitation``, ``import_csv``/``export_csv``.
- Every failure is an ``InvitekitError`` (a ``ValueError``) with a stable ``.code`` from
  ``ERROR_CODES``; ``error_class_for(code)`` names its family class.

Instants are aware ``datetime`` values (any time zone; converted to UTC). A naive ``datetime``
is refused with ``TypeError``. In record dicts, instants are RFC 3339 text
(``"2026-11-21T09:00:00Z"``); an aware ``datetime`` is accepted there too.
"""

from __future__ import annotations

from ._enums import (
    Command,
    EmailBinding,
    LinkState,
    Operation,
    OrgOperation,
    Permission,
    Role,
    Status,
)
from ._invitekit import (
    DEFAULT_MAX_ADDRESSES,
    DEFAULT_MAX_CSV_BYTES,
    DEFAULT_MAX_INPUT_BYTES,
    ERROR_CODES,
    EXPORT_HEADER,
    MAX_INPUT_CEILING,
    TOKEN_LEN,
    AddressEntry,
    AddressList,
    AlreadyExistsError,
    ClientRecord,
    ClientStatus,
    ConflictError,
    CsvImport,
    DeliveryError,
    ExpiredError,
    ForbiddenError,
    InvalidAddressesError,
    InvalidInputError,
    InvitekitError,
    NotFoundError,
    Outcome,
    StorageError,
    accept_link,
    authorize,
    authorize_org,
    client_status,
    deadline,
    default_subject,
    error_class_for,
    error_for,
    error_meaning,
    export_csv,
    format_deadline,
    grants,
    hash_token,
    import_csv,
    mask_email,
    mint_id,
    mint_token,
    new_client,
    new_organization,
    parse_addresses,
    parse_one,
    permit,
    render_invitation,
    required_permission,
    transition,
    validate_accept_url,
    validate_message_options,
    verify_token,
)

__all__ = [
    # Enums (str enums equal to their codes).
    "Command",
    "EmailBinding",
    "LinkState",
    "Operation",
    "OrgOperation",
    "Permission",
    "Role",
    "Status",
    # The pasted-list parser.
    "AddressEntry",
    "AddressList",
    "DEFAULT_MAX_ADDRESSES",
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_INPUT_CEILING",
    "parse_addresses",
    "parse_one",
    # Errors.
    "ERROR_CODES",
    "AlreadyExistsError",
    "ConflictError",
    "DeliveryError",
    "ExpiredError",
    "ForbiddenError",
    "InvalidAddressesError",
    "InvalidInputError",
    "InvitekitError",
    "NotFoundError",
    "StorageError",
    "error_class_for",
    "error_for",
    "error_meaning",
    # Records, statuses and the lifecycle.
    "ClientRecord",
    "ClientStatus",
    "Outcome",
    "client_status",
    "deadline",
    "format_deadline",
    "new_client",
    "new_organization",
    "permit",
    "transition",
    # Tokens.
    "TOKEN_LEN",
    "hash_token",
    "mint_id",
    "mint_token",
    "verify_token",
    # Access.
    "authorize",
    "authorize_org",
    "grants",
    "required_permission",
    # The invitation email.
    "accept_link",
    "default_subject",
    "mask_email",
    "render_invitation",
    "validate_accept_url",
    "validate_message_options",
    # CSV.
    "DEFAULT_MAX_CSV_BYTES",
    "EXPORT_HEADER",
    "CsvImport",
    "export_csv",
    "import_csv",
]

# The service: every use case on SQLite (``Invitations.open(path)``), in memory
# (``Invitations()``) or on a store written in Python (``Invitations(store=backend)``, see
# ``invitekit.backends``), with a mailer written in Python (an object with ``send(message)``).
from ._invitekit import FixedClock, Invitations  # noqa: E402
from .backends import DocumentBackend, Mailer, MemoryBackend, SqliteBackend  # noqa: E402

__all__ += [
    "DocumentBackend",
    "FixedClock",
    "Invitations",
    "Mailer",
    "MemoryBackend",
    "SqliteBackend",
]
