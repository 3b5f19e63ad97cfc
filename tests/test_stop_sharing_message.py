"""Finding 7 of issue 13: "Stop sharing" told the practice the lab lost access while the lab still
reached the item through the order's share. The message tells the truth about remaining shares."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import TestCase
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.files import services as file_services
from dentalbridge.orders import services as order_services
from dentalbridge.organizations.models import ConnectionStatus, LabConnection
from dentalbridge.patients import services as patient_services

pytestmark = pytest.mark.django_db


def _due() -> date:
    from dentalbridge.orders.calendar import WorkingCalendar

    calendar = WorkingCalendar(country="NL")
    day = timezone.localdate() + timedelta(days=15)
    while day.weekday() != 2 or not calendar.is_open(day):
        day += timedelta(days=1)
    return day


@pytest.fixture
def shared(world):
    """A scan note of a patient shared by hand with Precision Lab, and also sent with an order."""
    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    dentist = acting(world.dentist, world.practice)
    patient = patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Jane", family_name="Doe",
        date_of_birth=date(1980, 4, 2), attending_dentist=world.dentist,
    )  # fmt: skip
    item = patient_services.record_item_create(
        actor=dentist, patient_id=patient.public_id, kind="note", title="Shade notes"
    )
    by_hand = file_services.share_create(
        actor=dentist, patient_id=patient.public_id, item_id=item.public_id,
        lab_id=world.lab.public_id, note="Please look at the shade",
    )  # fmt: skip
    order = order_services.order_create(
        actor=dentist, patient_id=patient.public_id, lab_id=world.lab.public_id
    )
    order = order_services.order_save_draft(
        actor=dentist, order_id=order.public_id,
        data={"due_date": _due(), "items": [
            {"restoration_type": "crown", "teeth": [11], "material": "zirconia", "shade": "A2"}
        ]},
    )  # fmt: skip
    order_services.order_attach(actor=dentist, order_id=order.public_id, item_id=item.public_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        order_services.order_transition(
            actor=dentist, order_id=order.public_id, transition="submit"
        )
    return patient, item, by_hand, order


def _stop(world, patient, item, share) -> str:
    from django.urls import reverse

    client = client_for(world.dentist)
    response = client.post(
        reverse(
            "record_item_share_revoke", args=[patient.public_id, item.public_id, share.public_id]
        )
    )
    assert response.status_code == 302
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_finding_7_stop_sharing_tells_of_the_orders_share(world, shared):
    patient, item, by_hand, order = shared
    text = _stop(world, patient, item, by_hand)
    assert "no longer sees" not in text
    assert "still sees these files" in text
    assert order.reference in text
    assert "Precision Lab" in text
    # … and it is true: the lab still reaches the item.
    from dentalbridge.files.access import lab_shares

    assert [s.item_id for s in lab_shares(acting(world.manager, world.lab))] == [item.pk]


def test_stop_sharing_says_the_lab_lost_access_when_no_share_is_left(world, shared):
    patient, item, by_hand, _order = shared
    from dentalbridge.files.access import shares_of_item

    _stop(world, patient, item, by_hand)
    (orders_share,) = [s for s in shares_of_item(item) if s.revoked_at is None]
    text = _stop(world, patient, item, orders_share)
    assert text == "Precision Lab no longer sees these files."
