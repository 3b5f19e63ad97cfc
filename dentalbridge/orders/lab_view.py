"""What a lab, technician or designer may know about an order (ORD-3, REC-7): the prescription
under the patient's pseudonym, never who the patient is.

Lab-facing code — the order page, the inbox, the API's answers — receives an ``OrderForLab``, never
an ``Order``: the type holds copies of the columns the lab may read and no path to the patient (no
``patient``, no patient id, no row whose relations a template could follow), so a template or
serializer given one cannot reach what it does not hold. The orders app's services, which write,
get the row from ``orders.access.order_row``; nothing they return is shown without going through
``order_access`` again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from dentalbridge.orders.models import CostBearer, Order, OrderState, RemakeReason

if TYPE_CHECKING:
    from dentalbridge.organizations.models import Organization


@dataclass(frozen=True, slots=True)
class OrderRef:
    """Another order named on this one (the order a remake remakes): its ids, nothing more."""

    pk: int
    public_id: UUID
    reference: str

    def __str__(self) -> str:
        return self.reference


@dataclass(frozen=True, slots=True)
class OrderForLab:
    side: ClassVar[str] = "lab"

    pk: int
    public_id: UUID
    reference: str
    pseudonym: str
    practice: Organization
    lab: Organization | None
    state: str
    resume_state: str
    state_changed_at: datetime | None
    requires_approval: bool
    due_date: date | None
    confirmed_due_date: date | None
    preparation_notes: str
    technical_notes: str
    status_note: str
    remake_of: OrderRef | None
    remake_reason: str
    remake_cost_bearer: str
    created_at: datetime
    submitted_at: datetime | None
    # Whether the reading member is assigned to the order (a designer sees it only then).
    assigned: bool = False
    # The inbox's extras: the restorations in a line, and who works on it now.
    summary: str = ""
    assignees: tuple = field(default=())

    @classmethod
    def of(
        cls, row: Order, *, assigned: bool = False, summary: str = "", assignees=()
    ) -> OrderForLab:
        remake = row.remake_of if row.remake_of_id else None
        return cls(
            pk=row.pk,
            public_id=row.public_id,
            reference=row.reference,
            pseudonym=row.pseudonym,
            practice=row.practice,
            lab=row.lab,
            state=row.state,
            resume_state=row.resume_state,
            state_changed_at=row.state_changed_at,
            requires_approval=row.requires_approval,
            due_date=row.due_date,
            confirmed_due_date=row.confirmed_due_date,
            preparation_notes=row.preparation_notes,
            technical_notes=row.technical_notes,
            status_note=row.status_note,
            remake_of=OrderRef(remake.pk, remake.public_id, remake.reference) if remake else None,
            remake_reason=row.remake_reason,
            remake_cost_bearer=row.remake_cost_bearer,
            created_at=row.created_at,
            submitted_at=row.submitted_at,
            assigned=assigned,
            summary=summary,
            assignees=tuple(assignees),
        )

    def __str__(self) -> str:
        return self.reference

    @property
    def lab_id(self) -> int | None:
        return self.lab.pk if self.lab is not None else None

    @property
    def practice_id(self) -> int:
        return self.practice.pk

    @property
    def remake_of_id(self) -> int | None:
        return self.remake_of.pk if self.remake_of is not None else None

    @property
    def promised_date(self) -> date | None:
        return self.confirmed_due_date or self.due_date

    def get_state_display(self) -> str:
        return str(dict(OrderState.choices).get(self.state, self.state))

    def get_remake_reason_display(self) -> str:
        return str(dict(RemakeReason.choices).get(self.remake_reason, self.remake_reason))

    def get_remake_cost_bearer_display(self) -> str:
        return str(dict(CostBearer.choices).get(self.remake_cost_bearer, self.remake_cost_bearer))
