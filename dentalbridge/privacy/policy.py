"""Who may do what: pure functions over a principal, table-tested (DESIGN.md §3, STYLE.md §3).

Permissions are a closed vocabulary. Each role holds a fixed set; an object-level check adds the
tenant rule: the object must belong to the organization the principal acts for.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.errors import NotFound

if TYPE_CHECKING:
    from dentalbridge.privacy.principal import Principal


class Role(models.TextChoices):
    """The roles of a membership (DESIGN.md §2); which organization kind offers which is
    ``organizations.models.ROLES_BY_KIND``."""

    OWNER = "owner", _("Owner")
    DENTIST = "dentist", _("Dentist")
    ASSISTANT = "assistant", _("Assistant")
    MANAGER = "manager", _("Lab manager")
    TECHNICIAN = "technician", _("Technician")
    DESIGNER = "designer", _("Freelance designer")
    DPO = "dpo", _("Data protection officer")
    SUPPORT = "support", _("Support")


class Perm(StrEnum):
    ORGANIZATION_VIEW = "organization.view"
    ORGANIZATION_EDIT = "organization.edit"
    MEMBER_VIEW = "member.view"
    MEMBER_MANAGE = "member.manage"
    INVITATION_MANAGE = "invitation.manage"
    CONNECTION_VIEW = "connection.view"
    CONNECTION_REQUEST = "connection.request"
    CONNECTION_RESPOND = "connection.respond"
    AUDIT_VIEW = "audit.view"
    TOKEN_MANAGE = "token.manage"
    PATIENT_VIEW = "patient.view"
    PATIENT_EDIT = "patient.edit"
    PATIENT_DELETE = "patient.delete"
    # A lab works on what practices share with it: anonymized files under a pseudonym. A designer
    # sees a share only while assigned to it; the manager assigns.
    SHARED_FILES_VIEW = "shared_files.view"
    DESIGNER_ASSIGN = "designer.assign"
    # Orders (ORD-1…ORD-8): the practice's clinicians prescribe and approve, the whole team
    # follows them; the lab works them (its manager accepts, assigns and sets the calendar).
    ORDER_VIEW = "order.view"
    ORDER_PRESCRIBE = "order.prescribe"
    ORDER_WORK = "order.work"
    ORDER_MANAGE = "order.manage"
    LAB_SETTINGS_EDIT = "lab_settings.edit"
    IMPLANT_LIBRARY_EDIT = "implant_library.edit"
    # The platform's DPO answers to regulators: it reads audit trails of any tenant by patient id
    # (events carry no identity) and opens legal archives for a stated purpose.
    PLATFORM_AUDIT = "platform.audit"
    # The platform's staff write product news; it goes only to people who consented (COM-3).
    NEWSLETTER_SEND = "newsletter.send"
    # Data-subject requests (PRV-3, PRV-4): the controller's privacy contact handles them — the
    # practice owner for its patients, the platform's DPO for accounts; a lab manager forwards
    # a patient's request that reached the lab to the practice (the lab is a processor).
    DATA_REQUEST_HANDLE = "data_request.handle"
    DATA_REQUEST_FORWARD = "data_request.forward"


_EVERY_MEMBER = frozenset({Perm.ORGANIZATION_VIEW, Perm.TOKEN_MANAGE})
_STAFF = _EVERY_MEMBER | {Perm.MEMBER_VIEW, Perm.CONNECTION_VIEW}
_ADMIN = _STAFF | {
    Perm.ORGANIZATION_EDIT,
    Perm.MEMBER_MANAGE,
    Perm.INVITATION_MANAGE,
    Perm.AUDIT_VIEW,
}

# The practice team works on its patients' records; deleting one is for dentists (REC-1, REC-5).
_CLINICAL = frozenset({Perm.PATIENT_VIEW, Perm.PATIENT_EDIT, Perm.ORDER_VIEW, Perm.ORDER_PRESCRIBE})
_CLINICIAN = _CLINICAL | {Perm.PATIENT_DELETE}

_LAB_WORK = frozenset({Perm.SHARED_FILES_VIEW, Perm.ORDER_VIEW, Perm.ORDER_WORK})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.OWNER: _ADMIN | _CLINICIAN | {Perm.CONNECTION_REQUEST, Perm.DATA_REQUEST_HANDLE},
    Role.DENTIST: _STAFF | _CLINICIAN,
    Role.ASSISTANT: _STAFF | _CLINICAL,
    Role.MANAGER: _ADMIN
    | _LAB_WORK
    | {
        Perm.CONNECTION_RESPOND,
        Perm.DESIGNER_ASSIGN,
        Perm.ORDER_MANAGE,
        Perm.LAB_SETTINGS_EDIT,
        Perm.IMPLANT_LIBRARY_EDIT,
        Perm.DATA_REQUEST_FORWARD,
    },
    Role.TECHNICIAN: _STAFF | _LAB_WORK,
    # A freelance designer works per order (DESIGN.md §2): no view of the lab's people or clients,
    # and of an order only while assigned to it (the access layer checks the assignment).
    Role.DESIGNER: _EVERY_MEMBER | _LAB_WORK,
    Role.DPO: _ADMIN | {Perm.PLATFORM_AUDIT, Perm.IMPLANT_LIBRARY_EDIT, Perm.DATA_REQUEST_HANDLE},
    Role.SUPPORT: _EVERY_MEMBER
    | {Perm.MEMBER_VIEW, Perm.IMPLANT_LIBRARY_EDIT, Perm.NEWSLETTER_SEND},
}

# Every role above can reach patient data (identified or pseudonymized), so every one of them must
# have a second factor before it reaches any organization page (ACC-3).
ROLES_REQUIRING_SECOND_FACTOR = frozenset(ROLE_PERMISSIONS)


def role_may(role: str | None, perm: Perm) -> bool:
    return role is not None and perm in ROLE_PERMISSIONS.get(role, frozenset())


def may(principal: Principal, perm: Perm, organization: models.Model | None = None) -> bool:
    """May ``principal`` use ``perm`` — and, given ``organization``, on that organization's data?

    ``organization`` is the tenant owning the object; a principal only ever acts for the one
    organization of its active membership (or its token), never for another.
    """
    membership = principal.membership
    if membership is None:
        return False
    if organization is not None and organization.pk != membership.organization_id:
        return False
    return role_may(membership.role, perm)


def is_platform_dpo(principal: Principal) -> bool:
    """Is the principal the platform's data protection officer, acting for the platform?"""
    organization = principal.organization
    return (
        organization is not None
        and organization.kind == "platform"
        and may(principal, Perm.PLATFORM_AUDIT, organization)
    )


def platform_dpo_required(principal: Principal) -> None:
    """The DPO pages exist only for the platform's DPO (everyone else: 404)."""
    if not is_platform_dpo(principal):
        raise NotFound()
