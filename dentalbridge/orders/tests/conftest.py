"""Orders between the fixed personas: Smile Studio (practice) and Precision Lab, connected; a
patient, Jane Doe; a complete crown prescription; and ``put_in`` to place an order in any state
for the tests that walk the workflow table."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import acting
from dentalbridge.orders import services
from dentalbridge.orders.models import ImplantPlatform, Order
from dentalbridge.organizations.models import ConnectionStatus, LabConnection
from dentalbridge.patients import services as patient_services
from dentalbridge.privacy.door import through_the_door


def next_weekday(start: date, weekday: int = 2) -> date:
    """The first given weekday (Wednesday by default) after ``start`` that is no public holiday
    in the Netherlands (the lab's country)."""
    from dentalbridge.orders.calendar import WorkingCalendar

    calendar = WorkingCalendar(country="NL")
    day = start + timedelta(days=1)
    while day.weekday() != weekday or not calendar.is_open(day):
        day += timedelta(days=1)
    return day


@pytest.fixture
def connected(world):
    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    LabConnection.objects.create(
        practice=world.other_practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    return world


@pytest.fixture
def patient(connected):
    world = connected
    return patient_services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Jane",
        family_name="Doe",
        date_of_birth=date(1980, 4, 2),
        attending_dentist=world.dentist,
    )


@pytest.fixture
def platform(db):
    """A real platform of the seeded library (seeded again if a transactional test flushed it)."""
    from dentalbridge.orders.implant_catalogue import seed
    from dentalbridge.orders.models import ImplantManufacturer, ImplantSystem

    seed(ImplantManufacturer, ImplantSystem, ImplantPlatform)
    return ImplantPlatform.objects.select_related("system__manufacturer").get(
        system__manufacturer__name="Straumann",
        system__name="Bone Level Tapered (BLT)",
        name="NC",
        organization=None,
    )


def crown(**fields) -> dict:
    item = {"restoration_type": "crown", "teeth": [11], "material": "zirconia", "shade": "A2"}
    item.update(fields)
    return item


def draft_order(world, patient, *, items=None, due=None, **data) -> Order:
    """A complete draft (crown on 11, zirconia A2) for Precision Lab, due on a working day."""
    dentist = acting(world.dentist, world.practice)
    order = services.order_create(
        actor=dentist, patient_id=patient.public_id, lab_id=world.lab.public_id
    )
    payload = {
        "due_date": due or next_weekday(timezone.localdate() + timedelta(days=14)),
        "items": items if items is not None else [crown()],
        "preparation_notes": "Chamfer margin, 0.8 mm.",
    }
    payload.update(data)
    return services.order_save_draft(actor=dentist, order_id=order.public_id, data=payload)


def put_in(order: Order, state: str, **fields) -> Order:
    """Place an order in ``state`` directly (the workflow tests then try every step from it)."""
    values = {"state": state, **fields}
    if state == "info_requested":
        values.setdefault("resume_state", "accepted")
    if state not in ("draft", "submitted", "info_requested", "declined", "cancelled"):
        values.setdefault(
            "confirmed_due_date", next_weekday(timezone.localdate() + timedelta(days=14))
        )
    with through_the_door():
        Order.objects.filter(pk=order.pk).update(**values)
        return Order.objects.get(pk=order.pk)
