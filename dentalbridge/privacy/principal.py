"""Who acts: a user, for which organization (the active membership), through which channel (web
session, API token, system), from where (DESIGN.md §3, STYLE.md §2).

Every access function and service takes a ``Principal`` and passes it on explicitly; there is no
process-wide "current tenant". The kernel does not import the organizations app: a membership is
anything with ``organization`` (``pk``, ``kind``), ``organization_id`` and ``role``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
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


class Purpose(StrEnum):
    """Why the platform itself reads patient data, with nobody's session behind the read. Each
    is a closed, reviewed reason (STYLE.md §3); the audit log names it on every system read."""

    INTAKE = "intake"  # checking, converting and previewing an upload
    UPLOAD_CLEANUP = "upload_cleanup"  # removing unfinished uploads past their expiry
    STALLED_FILES = "stalled_files"  # finding files whose processing stopped
    RETENTION = "retention"  # purging what is past its retention period (PRV-5)
    ERASURE = "erasure"  # carrying out an erasure, or replaying one after a restore (PRV-4)
    DELETION_INSTRUCTIONS = "deletion_instructions"  # telling recipients to delete (Art. 19)
    LAB_UPLOAD = "lab_upload"  # filing a lab's authorized upload in the patient's record
    ORDER_ALERTS = "order_alerts"  # late-order alerts and order notifications
    REPORTS = "reports"  # aggregate counts that show no patient
    DATA_REQUESTS = "data_requests"  # routing, reminding and copying data-subject requests (PRV-3)


@dataclass(frozen=True)
class SystemActor:
    """The platform acting on its own for a stated purpose: a task, the retention run, an erasure
    replay. System-use access functions take one instead of a ``Principal`` and audit the read
    under its purpose; ``on_behalf_of`` names the person whose action started it, if any."""

    purpose: Purpose
    on_behalf_of: Principal | None = None
    via: str = field(default="system", init=False)

    def __post_init__(self) -> None:
        Purpose(self.purpose)  # a closed list: an unknown purpose is a programming error


def system_only(system: object) -> SystemActor:
    """For system-use access functions, which serve the platform itself for a stated purpose: a
    principal (or nothing) passed by mistake is refused before anything is read."""
    if not isinstance(system, SystemActor):
        raise TypeError(f"a system read needs a SystemActor, not {type(system).__name__}")
    return system
