"""The life of an order: its states and the one table of who may move it where (ORD-2, ORD-3).

``TRANSITIONS`` is the whole rule book (STYLE.md §3). ``check()`` answers, for a principal's role
and an order's state, whether a transition may happen — and if not, why, in a sentence. The
services call it before anything changes; the tests walk every state x transition x role.

DESIGN.md §2 lists the states; we add ``ready_to_ship`` between the quality check and shipping,
because a lab's dispatch desk works from "passed the check, not yet collected" and the practice
wants to see that the work is done before the courier has it.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dentalbridge.core.errors import Conflict, Forbidden
from dentalbridge.organizations.models import Role


class OrderState(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    SUBMITTED = "submitted", gettext_lazy("Submitted")
    INFO_REQUESTED = "info_requested", gettext_lazy("Information requested")
    ACCEPTED = "accepted", gettext_lazy("Accepted")
    DECLINED = "declined", gettext_lazy("Declined")
    IN_DESIGN = "in_design", gettext_lazy("In design")
    AWAITING_APPROVAL = "awaiting_approval", gettext_lazy("Awaiting design approval")
    IN_PRODUCTION = "in_production", gettext_lazy("In production")
    QUALITY_CHECK = "quality_check", gettext_lazy("Quality check")
    READY_TO_SHIP = "ready_to_ship", gettext_lazy("Ready to ship")
    SHIPPED = "shipped", gettext_lazy("Shipped")
    DELIVERED = "delivered", gettext_lazy("Delivered")
    CLOSED = "closed", gettext_lazy("Closed")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


S = OrderState
OPEN_STATES = frozenset(set(S) - {S.DRAFT, S.DECLINED, S.CLOSED, S.CANCELLED, S.DELIVERED})
# States in which the lab is still working toward the due date (late alerts, capacity).
LAB_WORK_STATES = frozenset(
    {S.ACCEPTED, S.IN_DESIGN, S.AWAITING_APPROVAL, S.IN_PRODUCTION, S.QUALITY_CHECK}
)
DESIGN_STATES = frozenset({S.ACCEPTED, S.IN_DESIGN, S.AWAITING_APPROVAL})

PRACTICE_CLINICIANS = frozenset({Role.OWNER, Role.DENTIST})
PRACTICE_TEAM = PRACTICE_CLINICIANS | {Role.ASSISTANT}
LAB_LEAD = frozenset({Role.MANAGER})
LAB_STAFF = frozenset({Role.MANAGER, Role.TECHNICIAN})
LAB_DESIGN = LAB_STAFF | {Role.DESIGNER}


class Transition(models.TextChoices):
    SUBMIT = "submit", gettext_lazy("Send to the lab")
    CANCEL = "cancel", gettext_lazy("Cancel the order")
    ACCEPT = "accept", gettext_lazy("Accept")
    DECLINE = "decline", gettext_lazy("Decline")
    REQUEST_INFO = "request_info", gettext_lazy("Ask for information")
    ANSWER_INFO = "answer_info", gettext_lazy("Answer the lab")
    START_DESIGN = "start_design", gettext_lazy("Start the design")
    SUBMIT_DESIGN = "submit_design", gettext_lazy("Send the design for approval")
    APPROVE_DESIGN = "approve_design", gettext_lazy("Approve the design")
    REQUEST_CHANGES = "request_changes", gettext_lazy("Ask for changes")
    START_PRODUCTION = "start_production", gettext_lazy("Start production")
    TO_QUALITY_CHECK = "to_quality_check", gettext_lazy("Send to quality check")
    PASS_QUALITY_CHECK = "pass_quality_check", gettext_lazy("Passed the quality check")
    FAIL_QUALITY_CHECK = "fail_quality_check", gettext_lazy("Back to production")
    SHIP = "ship", gettext_lazy("Mark as shipped")
    DELIVER = "deliver", gettext_lazy("Confirm delivery")
    CLOSE = "close", gettext_lazy("Close the order")


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str | None  # None: back to the state the order was in (answering the lab)
    side: str  # "practice" or "lab": whose members may make it
    roles: frozenset[str]
    needs_reason: bool = False
    # Only while assigned to the order (designers; lab staff make it in any case).
    assigned_designer: bool = False


T = Transition
TRANSITIONS: dict[str, Rule] = {
    T.SUBMIT: Rule(frozenset({S.DRAFT}), S.SUBMITTED, "practice", PRACTICE_CLINICIANS),
    T.CANCEL: Rule(
        frozenset({S.DRAFT, S.SUBMITTED, S.INFO_REQUESTED, S.ACCEPTED}),
        S.CANCELLED,
        "practice",
        PRACTICE_CLINICIANS,
        needs_reason=True,
    ),
    T.ACCEPT: Rule(frozenset({S.SUBMITTED}), S.ACCEPTED, "lab", LAB_LEAD),
    T.DECLINE: Rule(
        frozenset({S.SUBMITTED, S.INFO_REQUESTED}), S.DECLINED, "lab", LAB_LEAD, needs_reason=True
    ),
    T.REQUEST_INFO: Rule(
        frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_DESIGN}),
        S.INFO_REQUESTED,
        "lab",
        LAB_DESIGN,
        needs_reason=True,
        assigned_designer=True,
    ),
    T.ANSWER_INFO: Rule(
        frozenset({S.INFO_REQUESTED}), None, "practice", PRACTICE_TEAM, needs_reason=True
    ),
    T.START_DESIGN: Rule(
        frozenset({S.ACCEPTED}), S.IN_DESIGN, "lab", LAB_DESIGN, assigned_designer=True
    ),
    T.SUBMIT_DESIGN: Rule(
        frozenset({S.IN_DESIGN}), S.AWAITING_APPROVAL, "lab", LAB_DESIGN, assigned_designer=True
    ),
    T.APPROVE_DESIGN: Rule(
        frozenset({S.AWAITING_APPROVAL}), S.IN_PRODUCTION, "practice", PRACTICE_CLINICIANS
    ),
    T.REQUEST_CHANGES: Rule(
        frozenset({S.AWAITING_APPROVAL}),
        S.IN_DESIGN,
        "practice",
        PRACTICE_CLINICIANS,
        needs_reason=True,
    ),
    T.START_PRODUCTION: Rule(
        frozenset({S.ACCEPTED, S.IN_DESIGN}), S.IN_PRODUCTION, "lab", LAB_STAFF
    ),
    T.TO_QUALITY_CHECK: Rule(frozenset({S.IN_PRODUCTION}), S.QUALITY_CHECK, "lab", LAB_STAFF),
    T.PASS_QUALITY_CHECK: Rule(frozenset({S.QUALITY_CHECK}), S.READY_TO_SHIP, "lab", LAB_STAFF),
    T.FAIL_QUALITY_CHECK: Rule(
        frozenset({S.QUALITY_CHECK}), S.IN_PRODUCTION, "lab", LAB_STAFF, needs_reason=True
    ),
    T.SHIP: Rule(frozenset({S.READY_TO_SHIP}), S.SHIPPED, "lab", LAB_STAFF),
    T.DELIVER: Rule(frozenset({S.SHIPPED}), S.DELIVERED, "practice", PRACTICE_TEAM),
    T.CLOSE: Rule(frozenset({S.DELIVERED}), S.CLOSED, "practice", PRACTICE_CLINICIANS),
}


def check(transition: str, *, state: str, side: str, role: str | None, assigned: bool) -> Rule:
    """The rule if ``role`` (of the order's ``side``) may make ``transition`` from ``state``;
    otherwise ``Forbidden`` (not this role's to make) or ``Conflict`` (not from this state)."""
    try:
        rule = TRANSITIONS[Transition(transition)]
    except ValueError:
        raise Conflict(
            _("There is no such step for an order."), code="unknown_transition"
        ) from None
    verb = Transition(transition).label
    if rule.side != side or role not in rule.roles:
        who = _("the practice") if rule.side == "practice" else _("the lab")
        raise Forbidden(
            _("“%(step)s” is for %(who)s's %(roles)s; your role here is %(role)s.")
            % {
                "step": verb,
                "who": who,
                "roles": _(" or ").join(str(Role(r).label).lower() for r in sorted(rule.roles)),
                "role": str(Role(role).label).lower() if role else _("none"),
            },
            code="transition_not_for_role",
        )
    if role == Role.DESIGNER and rule.assigned_designer and not assigned:
        raise Forbidden(
            _("Only the designer assigned to this order may do this."), code="not_assigned"
        )
    if state not in rule.sources:
        raise Conflict(
            _("“%(step)s” is not possible while the order is “%(state)s”.")
            % {"step": verb, "state": OrderState(state).label},
            code="transition_not_from_state",
        )
    return rule


def allowed(*, state: str, side: str, role: str | None, assigned: bool) -> list[str]:
    """The transitions this role may make now, in the table's order (for the action buttons)."""
    found = []
    for transition in TRANSITIONS:
        try:
            check(transition, state=state, side=side, role=role, assigned=assigned)
        except (Conflict, Forbidden):
            continue
        found.append(transition)
    return found
