"""Who acts: a user, for which organization (the active membership), through which channel (web
session, API token, system), from where (DESIGN.md §3, STYLE.md §2).

Every access function and service takes a ``Principal`` and passes it on explicitly; there is no
process-wide "current tenant". The kernel does not import the organizations app: a membership is
anything with ``organization`` (``pk``, ``kind``), ``organization_id`` and ``role``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dentalbridge.privacy.policy import Perm, may

if TYPE_CHECKING:
    from dentalbridge.organizations.models import Membership, Organization


@dataclass(frozen=True)
class Principal:
    user: Any | None
    membership: Membership | None = None
    via: str = "web"
    token: object | None = field(default=None, repr=False)
    ip: str | None = None
    user_agent: str = ""

    @property
    def organization(self) -> Organization | None:
        return self.membership.organization if self.membership else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated

    def may(self, perm: Perm) -> bool:
        return may(self, perm)
