"""Type stubs of invitekit's native module (``invitekit._invitekit``).

Instants: every ``datetime`` argument must be aware (any time zone; it is converted to UTC). A
naive ``datetime`` (no ``tzinfo``, or ``utcoffset()`` is ``None``) raises ``TypeError``. Record
dicts hold instants as RFC 3339 text; where a function reads one from a mapping, an aware
``datetime`` is accepted as well.

Errors: every failure is an ``InvitekitError`` subclass carrying a published ``code``; a bug in
the Rust core raises ``pyo3_runtime.PanicException`` (a ``BaseException``) and the interpreter
goes on.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
import os
from datetime import datetime, timedelta
from typing import Any, Final, Optional, Union, final, overload

from invitekit._enums import (
    Command,
    EmailBinding,
    Operation,
    OrgOperation,
    Permission,
    Role,
    Status,
)
from invitekit.types import (
    AddressListDict,
    BatchEntryDict,
    ClientDict,
    CsvLayoutDict,
    EmailDict,
    EntryDict,
    ImportRowDict,
    InvitationDict,
    MessageDict,
    OrganizationDict,
    PreviewDict,
    Record,
)

__all__ = [
    "InvitekitError",
    "InvalidAddressesError",
    "InvalidInputError",
    "ForbiddenError",
    "NotFoundError",
    "AlreadyExistsError",
    "ExpiredError",
    "ConflictError",
    "StorageError",
    "DeliveryError",
    "ERROR_CODES",
    "error_class_for",
    "error_for",
    "error_meaning",
    "_panic",
    "parse_addresses",
    "parse_one",
    "AddressList",
    "AddressEntry",
    "DEFAULT_MAX_ADDRESSES",
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_INPUT_CEILING",
    "ClientStatus",
    "Outcome",
    "ClientRecord",
    "new_organization",
    "new_client",
    "client_status",
    "transition",
    "permit",
    "mint_token",
    "hash_token",
    "verify_token",
    "mint_id",
    "authorize",
    "required_permission",
    "authorize_org",
    "grants",
    "render_invitation",
    "validate_message_options",
    "validate_accept_url",
    "accept_link",
    "default_subject",
    "mask_email",
    "deadline",
    "format_deadline",
    "_enum_values",
    "TOKEN_LEN",
    "import_csv",
    "export_csv",
    "CsvImport",
    "EXPORT_HEADER",
    "DEFAULT_MAX_CSV_BYTES",
    "Invitations",
    "FixedClock",
]

# --- errors (errors.rs) ---------------------------------------------------------------------

ERROR_CODES: Final[tuple[str, ...]]
"""Every published error code, in the order of ``testdata/error_codes.json``."""

class InvitekitError(ValueError):
    """Every invitekit error.

    ``str(error)`` is ``"code: message"``. ``code`` is a published code (``ERROR_CODES``);
    ``details`` holds the error's particulars (``permission``, ``command``, ``status``,
    ``limit``, ``field``, ``reason``, ...); ``entries`` the entries at fault of a refused batch.
    """

    code: str
    message: str
    details: Mapping[str, Any]
    entries: tuple[BatchEntryDict, ...]
    permission: Optional[str]
    """For ``forbidden``: the missing permission's name."""

class InvalidAddressesError(InvitekitError):
    """An address-level code (``not_an_address`` ... ``unexpected_text``, ``duplicate``,
    ``over_limit``, ``missing_email``), ``invalid_batch`` or ``empty_batch``."""

class InvalidInputError(InvitekitError):
    """``input_too_large``, ``invalid_utf8``, ``invalid_role``, ``invalid_status``,
    ``invalid_expiry_window``, ``invalid_time_zone``, ``invalid_token``, ``no_email_column``,
    ``invalid_message_text``, ``invalid_url``."""

class ForbiddenError(InvitekitError):
    """``forbidden`` (``permission`` names what is missing), ``email_mismatch``,
    ``email_domain_not_allowed``."""

class NotFoundError(InvitekitError):
    """``client_not_found``, ``invitation_not_found``, ``organization_not_found``,
    ``group_not_found``, ``program_not_found``, ``signup_link_not_found``,
    ``message_not_found``."""

class AlreadyExistsError(InvitekitError):
    """``client_exists``, ``invitation_exists``, ``organization_exists``, ``group_exists``."""

class ExpiredError(InvitekitError):
    """The link no longer works: ``invitation_expired``, ``invitation_revoked``,
    ``signup_link_disabled``, ``signup_link_exhausted``."""

class ConflictError(InvitekitError):
    """The record's state refuses the command: ``already_invited``, ``not_invited``,
    ``already_activated``, ``client_archived``, ``already_archived``, ``not_archived``,
    ``no_email``; or ``conflict`` (the record changed since it was read)."""

class StorageError(InvitekitError):
    """Something outside invitekit failed: ``storage_failed``, ``read_failed``,
    ``write_failed``, ``entropy_unavailable``."""

class DeliveryError(InvitekitError):
    """``delivery_failed``: the message stays in the outbox to retry."""

def error_class_for(code: str) -> type[InvitekitError]:
    """The exception class carrying ``code``. ``ValueError`` for an unpublished code."""

def error_for(code: str, message: Optional[str] = None) -> InvitekitError:
    """An exception of ``code``'s class (message: the code's meaning by default), for a host
    that reports a code itself. ``ValueError`` for an unpublished code."""

def error_meaning(code: str) -> str:
    """What a published code means, in one line. ``ValueError`` for an unpublished code."""

def _panic(message: str) -> None:
    """Panics in Rust (raises ``pyo3_runtime.PanicException``). For tests only."""

# --- the pasted-list parser (parse.rs) ------------------------------------------------------

DEFAULT_MAX_ADDRESSES: Final[int]
DEFAULT_MAX_INPUT_BYTES: Final[int]
MAX_INPUT_CEILING: Final[int]

@final
class AddressEntry:
    """One entry of a parsed list: a place in the text and the verdict on it."""

    @property
    def index(self) -> int:
        """Position in the list, from 0."""
    @property
    def raw(self) -> str:
        """The entry's text exactly as in the input: ``text[entry.start:entry.end]``."""
    @property
    def start(self) -> int:
        """String index (code points, not bytes) of the entry's first character."""
    @property
    def end(self) -> int:
        """String index just past the entry's last character."""
    @property
    def line(self) -> int:
        """Line of ``start``, from 1 (LF, CR, CRLF, U+2028, U+2029 end a line)."""
    @property
    def column(self) -> int:
        """Column of ``start``, from 1, in code points."""
    @property
    def name(self) -> Optional[str]:
        """The display name (``Jane Doe`` in ``Jane Doe <jane@x.com>``), or ``None``."""
    @property
    def address(self) -> Optional[str]:
        """The address as typed, trimmed; ``None`` for ``not_an_address``."""
    @property
    def normalized(self) -> Optional[str]:
        """NFC local part and lowercase punycode domain; ``None`` when invalid."""
    @property
    def key(self) -> Optional[str]:
        """The dedup key; ``None`` when invalid."""
    @property
    def smtputf8(self) -> bool:
        """Whether the local part is non-ASCII."""
    @property
    def error(self) -> Optional[str]:
        """The entry's error code, ``None`` for a unique valid address within the cap."""
    @property
    def duplicate_of(self) -> Optional[int]:
        """For ``duplicate``: the index of the first entry with the same key."""
    @property
    def is_valid(self) -> bool:
        """Whether this entry is a unique valid address within the cap."""
    def to_dict(self) -> EntryDict:
        """The entry with the keys of ``invitekit check --json`` (string indices)."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@final
class AddressList(Sequence[AddressEntry]):
    """The result of ``parse_addresses``: a read-only sequence of entries, with counts."""

    @property
    def acceptable(self) -> bool:
        """No invalid and no over-limit entries: usable as a batch."""
    @property
    def valid(self) -> int:
        """Unique valid addresses within the cap."""
    @property
    def invalid(self) -> int:
        """Entries with an error other than ``duplicate`` and ``over_limit``."""
    @property
    def duplicates(self) -> int:
        """Entries with ``duplicate``."""
    @property
    def over_limit(self) -> int:
        """Entries with ``over_limit``."""
    @property
    def entries(self) -> list[AddressEntry]:
        """Every entry, in input order, as a new list."""
    def valid_entries(self) -> list[AddressEntry]:
        """The unique valid entries within the cap, in input order."""
    def to_dict(self) -> AddressListDict:
        """The list as ``invitekit check --json`` prints it, with string indices."""
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int, /) -> AddressEntry: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[AddressEntry]: ...
    def __iter__(self) -> Iterator[AddressEntry]: ...

def parse_addresses(
    text: Union[str, bytes],
    *,
    max_addresses: int = 200,
    max_input_bytes: int = 65536,
    case_sensitive_local_part: bool = False,
    allow_quoted_local_part: bool = False,
    allow_ip_literal: bool = False,
    allow_dotless_domain: bool = False,
    allow_comments: bool = False,
    allow_special_use_domains: bool = False,
    allow_invisible_characters: bool = False,
    allow_bidi_controls: bool = False,
    allow_symbols: bool = False,
) -> AddressList:
    """Parses a pasted list of addresses (the GIL is released while it runs).

    Separators are commas, semicolons, white space and line breaks; display names, quoted
    names, ``mailto:`` and list bullets are understood. Each problem is reported on its entry;
    only an input over ``max_input_bytes`` (UTF-8 bytes) raises ``InvalidInputError``
    (``input_too_large``), and ``bytes`` that are not UTF-8 raise ``invalid_utf8``. With
    ``bytes``, positions index the decoded text. After ``max_addresses`` unique valid
    addresses, further ones are ``over_limit``. The ``allow_*`` flags relax the default policy
    one rule each; ``case_sensitive_local_part`` keeps the local part's case in dedup keys.
    """

def parse_one(
    text: str,
    *,
    max_input_bytes: int = 65536,
    case_sensitive_local_part: bool = False,
    allow_quoted_local_part: bool = False,
    allow_ip_literal: bool = False,
    allow_dotless_domain: bool = False,
    allow_comments: bool = False,
    allow_special_use_domains: bool = False,
    allow_invisible_characters: bool = False,
    allow_bidi_controls: bool = False,
    allow_symbols: bool = False,
) -> EmailDict:
    """Parses text that must be exactly one valid address (a form field, an identity's email):
    its normalized ``address`` and dedup ``key``. Raises ``InvalidAddressesError`` with the
    entry's code (``unexpected_text`` for more than one address)."""

# --- records, statuses and the lifecycle (helpers.rs) ---------------------------------------

def new_organization(
    id: str,
    name: str,
    *,
    created_at: datetime,
    expiry_days: int = 14,
    time_zone: str = "UTC",
    email_binding: Union[EmailBinding, str, None] = None,
    accept_url: Optional[str] = None,
) -> OrganizationDict:
    """A new organization dict, its settings checked (``InvalidInputError``:
    ``invalid_expiry_window``, ``invalid_time_zone``, ``invalid_url``). ``email_binding``
    defaults to ``same_address``; ``created_at`` must be aware (naive: ``TypeError``)."""

def new_client(
    id: str,
    org: str,
    *,
    created_at: datetime,
    email: Optional[str] = None,
    role: Union[Role, str, None] = None,
    name: Optional[str] = None,
) -> ClientDict:
    """A new client dict (role ``client`` by default), owned by the organization, version 0;
    ``email`` parsed and keyed as ``parse_one`` does. ``created_at`` must be aware."""

@final
class ClientStatus:
    """A client's status at an instant."""

    @property
    def status(self) -> Status:
        """The status, equal to its code (``"invite_pending"``)."""
    @property
    def label(self) -> str:
        """What platforms show: ``"Invite Pending"``."""
    @property
    def detail(self) -> str:
        """The line under the label: ``"Waiting for member to accept invitation (sent 21 Nov
        2026)"``."""
    @property
    def sent_at(self) -> Optional[datetime]:
        """Invite Pending, Invite Expired: the latest sending (UTC)."""
    @property
    def expires_at(self) -> Optional[datetime]:
        """Invite Pending: the latest deadline among the live invitations."""
    @property
    def expired_at(self) -> Optional[datetime]:
        """Invite Expired: the latest deadline, now past."""
    @property
    def accepted_at(self) -> Optional[datetime]:
        """Activated: when."""
    @property
    def last_seen_at(self) -> Optional[datetime]:
        """Activated: when the client was last seen, if reported."""
    @property
    def archived_at(self) -> Optional[datetime]:
        """Archived: when."""
    def to_dict(self) -> dict[str, str]:
        """``status``, ``label``, ``detail`` and the status's instants (RFC 3339)."""

def client_status(
    client: Mapping[str, Any],
    invitations: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    time_zone: str = "UTC",
) -> ClientStatus:
    """The status of ``client`` at ``now`` from its invitations (others' are ignored); the
    detail states dates in ``time_zone``. ``now`` must be aware (naive: ``TypeError``)."""

@final
class Outcome:
    """One cell of the transition table."""

    @property
    def kind(self) -> str:
        """``"to"``, ``"unchanged"``, ``"derived"`` or ``"refused"``."""
    @property
    def status(self) -> Optional[Status]:
        """For ``"to"``: the status afterwards."""
    @property
    def error(self) -> Optional[str]:
        """For ``"refused"``: the code."""
    @property
    def allowed(self) -> bool:
        """Any kind but ``"refused"``."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

def transition(status: Union[Status, str, None], command: Union[Command, str]) -> Outcome:
    """The table's cell for ``command`` in ``status`` (``None``: no record yet). A status may
    be its code or its label. ``InvalidInputError`` (``invalid_status``) for another text."""

def permit(status: Union[Status, str, None], command: Union[Command, str]) -> Outcome:
    """Like ``transition``, but a refusal raises its exception (``ConflictError``,
    ``NotFoundError``, ``AlreadyExistsError``, ``ExpiredError``)."""

@final
class ClientRecord:
    """A client and all its invitations: what every lifecycle command reads and changes.

    Load it from your store, call a command, then persist ``client`` and ``invitations`` (the
    client's ``version`` is bumped once per successful command: compare and set on it) and the
    returned events. A refused command raises and changes nothing. ``now`` must be an aware
    ``datetime`` (naive: ``TypeError``); ``by`` is the acting member's client id (``None``: the
    organization itself).
    """

    def __new__(
        cls,
        client: Mapping[str, Any],
        invitations: Optional[Iterable[Mapping[str, Any]]] = None,
    ) -> ClientRecord: ...
    @staticmethod
    def create(
        client: Mapping[str, Any], *, by: Optional[str] = None
    ) -> tuple[ClientRecord, Record]:
        """A record for a new client, and its ``client_created`` event."""
    @staticmethod
    def from_dict(record: Mapping[str, Any]) -> ClientRecord:
        """From ``{"client": ..., "invitations": [...]}``."""
    def to_dict(self) -> Record:
        """``{"client": ..., "invitations": [...]}``, JSON-compatible."""
    @property
    def client(self) -> ClientDict:
        """The client, as a dict."""
    @property
    def invitations(self) -> list[InvitationDict]:
        """Its invitations, in the order they were sent."""
    @property
    def version(self) -> int:
        """The client's version."""
    def status(self, now: datetime, *, time_zone: str = "UTC") -> ClientStatus:
        """The client's status at ``now``."""
    def permit(self, command: Union[Command, str], now: datetime) -> Outcome:
        """The table's cell for ``command`` at ``now``; a refusal raises."""
    def send(
        self,
        organization: Mapping[str, Any],
        *,
        invitation_id: str,
        token_hash: str,
        now: datetime,
        by: Optional[str] = None,
    ) -> list[Record]:
        """Sends a first invitation, valid for the organization's window from ``now``; returns
        the events. ``ConflictError`` (``already_invited``, ``already_activated``,
        ``client_archived``, ``no_email``), ``AlreadyExistsError`` (``invitation_exists``)."""
    def resend(
        self,
        organization: Mapping[str, Any],
        *,
        invitation_id: str,
        token_hash: str,
        now: datetime,
        by: Optional[str] = None,
    ) -> list[Record]:
        """Sends a further invitation; earlier links keep working until their deadline
        (``not_invited`` for a client never invited)."""
    def invite(
        self,
        organization: Mapping[str, Any],
        *,
        invitation_id: str,
        token_hash: str,
        now: datetime,
        by: Optional[str] = None,
    ) -> list[Record]:
        """Sends or resends, whichever applies."""
    def preview(
        self,
        organization: Mapping[str, Any],
        *,
        invitation_id: str,
        token: str,
        now: datetime,
        inviter: Optional[str] = None,
    ) -> PreviewDict:
        """What the link's holder may see; changes nothing. ``NotFoundError``
        (``invitation_not_found``), ``InvalidInputError`` (``invalid_token``)."""
    def accept(
        self,
        organization: Mapping[str, Any],
        *,
        invitation_id: str,
        token: str,
        identity: str,
        now: datetime,
        subject: Optional[str] = None,
    ) -> Record:
        """Accepts for the identity whose email (and optional host account ``subject``) the
        host authenticated: ``{"result": "activated", "events": [...]}`` or
        ``{"result": "already_accepted"}``. Refusals change nothing: ``invalid_token``,
        ``invitation_not_found``, ``client_archived``, ``already_activated``,
        ``invitation_revoked``, ``invitation_expired``, ``email_mismatch``."""
    def revoke(self, now: datetime, *, by: Optional[str] = None) -> list[Record]:
        """Revokes every open invitation; the client is Provisioned again."""
    def archive(self, now: datetime, *, by: Optional[str] = None) -> list[Record]:
        """Archives the client (``already_archived``)."""
    def restore(self, now: datetime, *, by: Optional[str] = None) -> list[Record]:
        """Restores an archived client (``not_archived``)."""
    def record_seen(self, now: datetime) -> bool:
        """Records that an active, activated client was seen; ``False`` for others."""

def deadline(sent_at: datetime, *, expiry_days: int = 14) -> datetime:
    """When an invitation sent at ``sent_at`` expires (UTC). ``sent_at`` must be aware."""

def format_deadline(instant: datetime, *, time_zone: str = "UTC") -> str:
    """A deadline as an email states it: ``"6 December 2026 at 00:30 CET"``."""

def _enum_values() -> dict[str, Any]:
    """The core's enum values, for the tests."""

# --- tokens ---------------------------------------------------------------------------------

TOKEN_LEN: Final[int]

def mint_token() -> tuple[str, str]:
    """A fresh 256-bit link token and its SHA-256 hash: ``(token, token_hash)``. Put the token
    in the link only; store the hash (64 hex digits)."""

def hash_token(token: str) -> str:
    """The hash of a token from a link. ``InvalidInputError`` (``invalid_token``) if
    malformed."""

def verify_token(token: str, token_hash: str) -> bool:
    """Whether ``token`` hashes to ``token_hash`` (constant time). A malformed token is
    ``False``; a malformed hash raises ``InvalidInputError``."""

def mint_id(prefix: str = "") -> str:
    """A fresh random record id: ``prefix`` and 22 URL-safe characters."""

# --- access ---------------------------------------------------------------------------------

def authorize(
    member: Mapping[str, Any],
    operation: Union[Operation, str],
    client: Mapping[str, Any],
    invitations: Optional[Iterable[Mapping[str, Any]]] = None,
) -> None:
    """Whether ``member`` (``{"id", "role"}``) may do ``operation`` to ``client`` (its
    invitations matter for resend and revoke). Raises ``ForbiddenError`` whose ``permission``
    names what is missing."""

def required_permission(
    member: Mapping[str, Any],
    operation: Union[Operation, str],
    client: Mapping[str, Any],
    invitations: Optional[Iterable[Mapping[str, Any]]] = None,
) -> Optional[Permission]:
    """The permission ``member`` lacks for ``operation`` on ``client``, or ``None``."""

def authorize_org(member: Mapping[str, Any], operation: Union[OrgOperation, str]) -> None:
    """Whether ``member`` may do an organization-wide operation; raises ``ForbiddenError``."""

def grants(role: Union[Role, str], permission: Union[Permission, str]) -> bool:
    """Whether ``role`` holds ``permission``."""

# --- the invitation email -------------------------------------------------------------------

def render_invitation(
    organization: Mapping[str, Any],
    *,
    to: Union[str, Mapping[str, Any]],
    token: str,
    expires_at: datetime,
    inviter: Optional[str] = None,
    name: Optional[str] = None,
    subject: Optional[str] = None,
    button: Optional[str] = None,
    form_url: Optional[str] = None,
) -> MessageDict:
    """Renders the invitation email (text and HTML, user text escaped, the deadline in the
    organization's time zone). ``to`` is an address (parsed) or an email dict;
    ``expires_at`` must be aware. ``InvalidInputError``: ``invalid_message_text``,
    ``invalid_url``, ``invalid_token``."""

def validate_message_options(
    *,
    subject: Optional[str] = None,
    button: Optional[str] = None,
    form_url: Optional[str] = None,
) -> None:
    """Checks a custom subject, button text and form link as ``render_invitation`` would."""

def validate_accept_url(template: str) -> None:
    """Checks an accept-link template such as
    ``https://app.example.com/invitations/{token}`` (``invalid_url``)."""

def accept_link(template: str, token: str) -> str:
    """The accept link: ``template`` with ``{token}`` replaced by the token."""

def default_subject(org_name: str, inviter: Optional[str] = None) -> str:
    """``"Jane Doe invited you to Acme"``, or ``"You're invited to Acme"``."""

def mask_email(address: str) -> str:
    """``"j•••@example.com"``."""

# --- CSV (csvfile.rs) -----------------------------------------------------------------------

EXPORT_HEADER: Final[tuple[str, ...]]
DEFAULT_MAX_CSV_BYTES: Final[int]

@final
class CsvImport(Sequence[ImportRowDict]):
    """The rows of an imported file (each read as a dict), with the counts a form shows."""

    @property
    def rows(self) -> list[ImportRowDict]:
        """Every row, as a new list."""
    @property
    def errors(self) -> list[ImportRowDict]:
        """The rows with an error (duplicates and over-limit rows included)."""
    @property
    def layout(self) -> CsvLayoutDict:
        """Where the columns were found."""
    @property
    def valid(self) -> int:
        """Rows with a unique valid address within the cap."""
    @property
    def invalid(self) -> int:
        """Rows with an error other than ``duplicate`` and ``over_limit``."""
    @property
    def duplicates(self) -> int:
        """Rows with ``duplicate``."""
    @property
    def over_limit(self) -> int:
        """Rows with ``over_limit``."""
    @property
    def acceptable(self) -> bool:
        """No invalid and no over-limit rows."""
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int, /) -> ImportRowDict: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[ImportRowDict]: ...
    def __iter__(self) -> Iterator[ImportRowDict]: ...

def import_csv(
    data: Union[bytes, str],
    *,
    max_bytes: int = 268435456,
    max_addresses: int = 200,
    case_sensitive_local_part: bool = False,
    allow_quoted_local_part: bool = False,
    allow_ip_literal: bool = False,
    allow_dotless_domain: bool = False,
    allow_comments: bool = False,
    allow_special_use_domains: bool = False,
    allow_invisible_characters: bool = False,
    allow_bidi_controls: bool = False,
    allow_symbols: bool = False,
) -> CsvImport:
    """Reads a bulk-invite CSV file (the GIL is released while it runs): delimiter ``,``
    ``;`` or tab, a header naming the email column (``email``, ``E-mail Address``, ...; optional
    name, role, group, program) or the first cell that is an address. Each row carries its own
    error (``missing_email``, an address code, ``invalid_role``, ``duplicate``, ``over_limit``,
    ``invalid_utf8``). Raises ``InvalidInputError`` for ``no_email_column`` and
    ``input_too_large`` (over ``max_bytes``)."""

def export_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The client table as CSV text, header first (``EXPORT_HEADER``). Each row may have
    ``name``, ``email``, ``role``, ``status`` (a code or label, written as the label), ``group``
    (text or a list of names), ``assigned_staff_email``, ``last_visit``, ``created_at``
    (required) and ``activated_at`` (aware ``datetime`` or RFC 3339 text). Cells a spreadsheet
    would run as formulas get a leading ``'``."""


# --- the service (service.rs, host.rs, documents.rs) -----------------------------------------

@final
class FixedClock:
    """A clock that says what it is told, for tests, audits and replays."""

    def __new__(cls, now: datetime) -> FixedClock:
        """A clock stopped at ``now`` (aware; a naive datetime raises ``TypeError``)."""
    def now(self) -> datetime:
        """The instant it shows, in UTC."""
    def set(self, now: datetime) -> None:
        """Moves it to ``now``."""
    def advance(self, delta: timedelta) -> None:
        """Moves it on by ``delta`` (may be negative)."""

@final
class Invitations:
    """The invitation service of one database.

    ``Invitations.open(path)`` on SQLite; ``Invitations()`` in memory; ``Invitations(store=b)``
    on a store written in Python (``invitekit.backends.DocumentBackend``). ``mailer`` is an
    object with ``send(message: dict) -> None`` (default: kept in memory, see
    ``sent_messages``); ``clock`` a ``FixedClock`` (default: the system clock). The acting
    member is named by address (``by=``); clients by id or address. SQLite work runs with the
    GIL released.
    """

    def __new__(
        cls,
        *,
        store: Optional[Any] = None,
        mailer: Optional[Any] = None,
        clock: Optional[FixedClock] = None,
        deliver_inline: bool = True,
    ) -> Invitations: ...
    @staticmethod
    def open(
        path: Union[str, "os.PathLike[str]"],
        *,
        mailer: Optional[Any] = None,
        clock: Optional[FixedClock] = None,
        deliver_inline: bool = True,
        schema: Optional[str] = None,
    ) -> Invitations:
        """The service on the SQLite database at ``path`` (created on first use), or on the
        PostgreSQL database of a ``postgres://`` URL (``schema``: the tables' own schema)."""
    def now(self) -> datetime:
        """The instant the service's clock shows."""
    def sent_messages(self) -> list[dict[str, Any]]:
        """What the default in-memory mailer received, oldest first."""
    def create_organization(
        self,
        id: str,
        *,
        name: str,
        admin_email: str,
        admin_name: Optional[str] = None,
        expiry_days: int = 14,
        time_zone: str = "UTC",
        accept_url: Optional[str] = None,
    ) -> OrganizationDict:
        """Creates an organization and its first admin (activated)."""
    def organization(self, org: str) -> OrganizationDict:
        """The organization ``org``."""
    def update_organization(
        self,
        org: str,
        *,
        by: str,
        name: Optional[str] = None,
        expiry_days: Optional[int] = None,
        time_zone: Optional[str] = None,
        email_binding: Union[EmailBinding, str, None] = None,
        accept_url: Optional[str] = None,
    ) -> OrganizationDict:
        """Changes the organization's settings; None keeps a value."""
    def client(self, org: str, client: str, *, by: str) -> dict[str, Any]:
        """The client record (by id or address), if the member may see it."""
    def client_by_email(self, org: str, email: str) -> dict[str, Any]:
        """The client record with address ``email``."""
    def create_clients(
        self,
        org: str,
        text: str,
        *,
        by: str,
        role: Union[Role, str, None] = None,
        group: Optional[str] = None,
        program: Optional[str] = None,
        staff: Optional[str] = None,
        send: bool = False,
        subject: Optional[str] = None,
        button: Optional[str] = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Creates clients from a pasted list, all or nothing; the batch report."""
    def import_clients(
        self,
        org: str,
        data: Union[bytes, str],
        *,
        by: str,
        role: Union[Role, str, None] = None,
        group: Optional[str] = None,
        program: Optional[str] = None,
        staff: Optional[str] = None,
        send: bool = False,
        subject: Optional[str] = None,
        button: Optional[str] = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Creates clients from a CSV, all or nothing; the batch report."""
    def add_guest(
        self,
        org: str,
        email: str,
        *,
        by: str,
        name: Optional[str] = None,
        subject: Optional[str] = None,
        button: Optional[str] = None,
    ) -> dict[str, Any]:
        """Adds a guest and invites them at once."""
    def send(
        self,
        org: str,
        clients: Sequence[str],
        *,
        by: str,
        subject: Optional[str] = None,
        button: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """First invitations; one outcome dict per client."""
    def resend(
        self,
        org: str,
        clients: Sequence[str],
        *,
        by: str,
        subject: Optional[str] = None,
        button: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """Further invitations with fresh windows."""
    def revoke(self, org: str, clients: Sequence[str], *, by: str) -> list[dict[str, Any]]:
        """Revokes open invitations."""
    def archive(self, org: str, clients: Sequence[str], *, by: str) -> list[dict[str, Any]]:
        """Archives clients."""
    def restore(self, org: str, clients: Sequence[str], *, by: str) -> list[dict[str, Any]]:
        """Restores archived clients."""
    def assign(
        self,
        org: str,
        clients: Sequence[str],
        *,
        by: str,
        group: Optional[str] = None,
        program: Optional[str] = None,
        staff: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """Puts clients in a group or program, or under staff (exactly one)."""
    def never_invited(
        self, org: str, *, by: str, offset: int = 0, limit: Optional[int] = None
    ) -> dict[str, Any]:
        """Clients never invited: ``total`` and a page of ``clients``."""
    def invite_never_invited(
        self,
        org: str,
        *,
        by: str,
        except_: Sequence[str] = ...,
        subject: Optional[str] = None,
        button: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """Invites every never-invited client but ``except_``."""
    def list_clients(
        self,
        org: str,
        *,
        by: str,
        role: Union[Role, str, None] = None,
        status: Union[Status, str, None] = None,
        group: Optional[str] = None,
        program: Optional[str] = None,
        staff: Optional[str] = None,
        search: Optional[str] = None,
        new_since: Optional[datetime] = None,
        offset: int = 0,
        limit: Optional[int] = None,
    ) -> dict[str, Any]:
        """The client list with statuses, filtered and paged, and its counts."""
    def export_clients(self, org: str, *, by: str) -> str:
        """The client table as CSV text."""
    def preview(self, token: str) -> PreviewDict:
        """What a link's holder sees; changes nothing."""
    def accept(self, token: str, email: str) -> dict[str, Any]:
        """Accepts a link as the signed-in account ``email``."""
    def create_group(self, org: str, name: str, *, by: str) -> dict[str, Any]:
        """Creates a group."""
    def rename_group(self, org: str, group: str, name: str, *, by: str) -> dict[str, Any]:
        """Renames a group (by id or name)."""
    def delete_group(self, org: str, group: str, *, by: str) -> None:
        """Deletes a group; its members leave it."""
    def groups(self, org: str) -> list[dict[str, Any]]:
        """The organization's groups."""
    def create_program(self, org: str, name: str, *, by: str) -> dict[str, Any]:
        """Creates a program."""
    def programs(self, org: str) -> list[dict[str, Any]]:
        """The organization's programs."""
    def create_signup_link(
        self,
        org: str,
        *,
        by: str,
        role: Union[Role, str, None] = None,
        max_uses: Optional[int] = None,
        allowed_domains: Sequence[str] = ...,
    ) -> tuple[dict[str, Any], str]:
        """Creates a sign-up link: ``(link, token)``, the token shown once."""
    def signup_links(self, org: str, *, by: str) -> list[dict[str, Any]]:
        """The organization's sign-up links."""
    def rotate_signup_link(self, org: str, link: str, *, by: str) -> str:
        """A new token for the link; the old one stops working."""
    def disable_signup_link(self, org: str, link: str, *, by: str) -> dict[str, Any]:
        """Disables a sign-up link."""
    def join(self, token: str, email: str) -> dict[str, Any]:
        """Joins through a sign-up link as ``email``; the client record."""
    def deliver_pending(self, limit: Optional[int] = None) -> dict[str, Any]:
        """Delivers waiting messages: ``sent`` and ``failed``."""
    def outbox(
        self, org: str, *, by: str, state: Optional[str] = None, limit: Optional[int] = None
    ) -> list[dict[str, Any]]:
        """The organization's outbox messages, oldest first."""
    def events(self, org: str, *, by: str, skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """The activity log, oldest first."""
