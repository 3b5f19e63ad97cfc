"""One use case, one service (issue 12, item 4): the prescription page and the API edit a draft
through ``order_draft_update``, which saves, attaches and sends in one transaction."""

from datetime import date

import pytest
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.core.errors import ValidationFailed
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import stored_scan
from dentalbridge.orders import access, services
from dentalbridge.orders.tests.conftest import crown, draft_order
from dentalbridge.orders.workflow import OrderState
from dentalbridge.patients import services as patient_services

pytestmark = pytest.mark.django_db


def _other_patients_scan(world):
    owner = acting(world.owner, world.practice)
    other = patient_services.patient_create(
        actor=owner, given_name="John", family_name="Roe", date_of_birth=date(1975, 1, 1)
    )
    return stored_scan(owner, other)


def test_a_refused_attachment_saves_nothing_of_the_edit(world, patient, local_files):  # noqa: F811
    order = draft_order(world, patient)
    theirs = _other_patients_scan(world)
    dentist = acting(world.dentist, world.practice)
    with pytest.raises(ValidationFailed, match="not in this patient's record"):
        services.order_draft_update(
            actor=dentist,
            order_id=order.public_id,
            data={"preparation_notes": "Shoulder margin."},
            attachments=[str(theirs.item.public_id)],
        )
    order = access.order_access(dentist, order.public_id)
    assert order.preparation_notes == "Chamfer margin, 0.8 mm."
    assert access.order_attachments(order) == []


def test_save_attach_and_send_in_one_call(world, patient, local_files):  # noqa: F811
    order = draft_order(world, patient)
    mine = stored_scan(acting(world.owner, world.practice), patient)
    dentist = acting(world.dentist, world.practice)
    update = services.order_draft_update(
        actor=dentist,
        order_id=order.public_id,
        data={"items": [crown(teeth=[21])]},
        attachments=[str(mine.item.public_id)],
        submit=True,
    )
    assert update.sent and update.not_sent is None
    order = access.order_access(dentist, order.public_id)
    assert order.state == OrderState.SUBMITTED
    assert [a.item for a in access.order_attachments(order)] == [mine.item]
    assert [item.teeth for item in access.order_items(order)] == [[21]]


def test_a_refused_sending_keeps_the_saved_draft_and_says_why(world, patient, local_files):  # noqa: F811
    order = draft_order(world, patient)
    mine = stored_scan(acting(world.owner, world.practice), patient)
    dentist = acting(world.dentist, world.practice)
    update = services.order_draft_update(
        actor=dentist,
        order_id=order.public_id,
        data={"items": [{"restoration_type": "crown", "teeth": [11]}]},  # no material yet
        attachments=[str(mine.item.public_id)],
        submit=True,
    )
    assert not update.sent
    assert isinstance(update.not_sent, ValidationFailed)
    order = access.order_access(dentist, order.public_id)
    assert order.state == OrderState.DRAFT
    assert [a.item for a in access.order_attachments(order)] == [mine.item]
    assert [item.material for item in access.order_items(order)] == [""]


def test_the_page_and_the_api_edit_through_the_same_service(
    world,
    patient,
    monkeypatch,
    local_files,  # noqa: F811
):
    order = draft_order(world, patient)
    calls = []
    real = services.order_draft_update

    def counted(**kwargs):
        calls.append(sorted(kwargs))
        return real(**kwargs)

    monkeypatch.setattr(services, "order_draft_update", counted)
    page = client_for(world.dentist).post(
        reverse("order_edit", args=[order.public_id]),
        {
            "lab": str(world.lab.public_id),
            "due_date": order.due_date.isoformat(),
            "preparation_notes": "From the page.",
            "technical_notes": "",
            "action": "save",
            "items-1-restoration_type": "crown",
            "items-1-teeth": "11",
            "items-1-material": "zirconia",
            "items-1-shade": "A2",
        },
    )
    assert page.status_code == 302
    api = client_for(world.dentist).patch(
        reverse("api_order", args=[order.public_id]),
        {"preparation_notes": "From the API."},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert len(calls) == 2
    order = access.order_access(acting(world.dentist, world.practice), order.public_id)
    assert order.preparation_notes == "From the API."
