"""The enums of invitekit's records, each a ``str`` enum equal to its code.

``Status.INVITE_PENDING == "invite_pending"``, ``str(Status.INVITE_PENDING) ==
"invite_pending"``, and ``json.dumps`` writes the code, so members go wherever the codes go
(dicts, JSON columns, query filters). Functions that take one of these also take its code as
plain text. The values are the core's serde names; a test checks they match the native module.
"""

from __future__ import annotations

import enum

__all__ = [
    "Command",
    "EmailBinding",
    "LinkState",
    "Operation",
    "OrgOperation",
    "Permission",
    "Role",
    "Status",
]


class _Code(str, enum.Enum):
    """A ``str`` enum whose ``str()`` and ``format()`` are its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(_Code):
    """A client's status at an instant; ``label`` is what platforms show."""

    PROVISIONED = "provisioned"
    INVITE_PENDING = "invite_pending"
    INVITE_EXPIRED = "invite_expired"
    ACTIVATED = "activated"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        """``"Provisioned"``, ``"Invite Pending"``, ``"Invite Expired"``, ``"Activated"``,
        ``"Archived"``."""
        return self.value.replace("_", " ").title()


class Role(_Code):
    """A member's role in an organization."""

    ADMIN = "admin"
    STAFF = "staff"
    CLIENT = "client"
    GUEST = "guest"

    @property
    def label(self) -> str:
        """``"Admin"``, ``"Staff"``, ``"Client"``, ``"Guest"``."""
        return self.value.title()


class Command(_Code):
    """The commands of the transition table (``expire`` is time reaching a deadline)."""

    CREATE = "create"
    SEND = "send"
    RESEND = "resend"
    ACCEPT = "accept"
    REVOKE = "revoke"
    ARCHIVE = "archive"
    RESTORE = "restore"
    EXPIRE = "expire"


class Operation(_Code):
    """Something a member does to one client record (``authorize``)."""

    CREATE = "create"
    SEND = "send"
    RESEND = "resend"
    REVOKE = "revoke"
    ARCHIVE = "archive"
    RESTORE = "restore"
    ASSIGN = "assign"
    EDIT = "edit"
    VIEW = "view"


class OrgOperation(_Code):
    """Something a member does to the organization as a whole (``authorize_org``)."""

    MANAGE_SETTINGS = "manage_settings"
    MANAGE_SIGNUP_LINKS = "manage_signup_links"
    MANAGE_GROUPS = "manage_groups"
    VIEW_CLIENTS = "view_clients"


class Permission(_Code):
    """A permission a role may hold; a denial names one."""

    MANAGE_ORGANIZATION = "manage_organization"
    MANAGE_ADMINS = "manage_admins"
    MANAGE_STAFF = "manage_staff"
    MANAGE_CLIENTS = "manage_clients"
    MANAGE_ANY_INVITATION = "manage_any_invitation"
    ADD_GUESTS = "add_guests"


class EmailBinding(_Code):
    """Whose identity may accept an invitation."""

    SAME_ADDRESS = "same_address"
    SAME_DOMAIN = "same_domain"
    ANY_IDENTITY = "any_identity"


class LinkState(_Code):
    """The state of one link at an instant, as a preview shows it."""

    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ACCEPTED = "accepted"
    CLIENT_ARCHIVED = "client_archived"
