"""Reads by the platform itself (issue 12, item 1): the orders' system-use access functions take a
``SystemActor``, refuse anything else before reading, and audit the read as ``system.read``
with its purpose; the late-order alert and a lab's upload name theirs."""

import pytest
from django.utils import timezone

from conftest import acting
from dentalbridge.orders import access, services
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.privacy.principal import Purpose, SystemActor
from dentalbridge.privacy.tests.system_reads import (
    assert_refuses_all_but_a_system_actor,
    system_reads,
    the_system_read,
)

pytestmark = pytest.mark.django_db


def _row(world, order):
    return access.order_row(acting(world.manager, world.lab), order.public_id)


# name → (how to call it, its purpose in the platform, what the event names)
CALLS = {
    "orders_in_lab_work": (
        lambda system, world, order: access.orders_in_lab_work(system),
        Purpose.ORDER_ALERTS,
        "count",
    ),
    "sent_orders_of_patient": (
        lambda system, world, order: access.sent_orders_of_patient(system, order.patient),
        Purpose.DELETION_INSTRUCTIONS,
        "patient",
    ),
    "order_patient_for_lab_upload": (
        lambda system, world, order: access.order_patient_for_lab_upload(
            system, _row(world, order)
        ),
        Purpose.LAB_UPLOAD,
        "patient",
    ),
}


@pytest.fixture
def order(world, patient):
    return put_in(draft_order(world, patient), "in_production")


@pytest.mark.parametrize("name", CALLS)
def test_an_orders_system_read_refuses_a_principal_or_nothing(world, order, name):
    call, _purpose, _subject = CALLS[name]
    assert_refuses_all_but_a_system_actor(
        lambda actor: call(actor, world, order), acting(world.manager, world.lab)
    )


@pytest.mark.parametrize("name", CALLS)
def test_an_orders_system_read_is_audited_with_its_purpose(world, order, patient, name):
    call, purpose, subject = CALLS[name]
    call(SystemActor(purpose), world, order)
    event = the_system_read(name, purpose)
    if subject == "patient":
        assert event.patient_id == patient.public_id
    else:
        assert event.data["count"] == 1


def test_the_late_order_alert_reads_for_its_purpose(world, order):
    put_in(order, "in_production", confirmed_due_date=timezone.localdate())
    assert services.orders_alert_late() == 1
    [event] = system_reads("orders_in_lab_work")
    assert (event.data["purpose"], event.actor_id) == ("order_alerts", None)


def test_the_organizations_counts_need_a_member_who_may_see_orders(world, order):
    from dentalbridge.core.errors import NotFound
    from dentalbridge.privacy.principal import Principal

    orders, side = access.orders_counted(acting(world.manager, world.lab))
    assert (side, orders.count()) == ("lab", 1)
    with pytest.raises(NotFound):
        access.orders_counted(Principal(user=world.manager))  # acting for no organization
