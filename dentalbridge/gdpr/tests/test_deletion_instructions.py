"""A practice's deletion instruction reaches its labs (PRV-4): each lab that received the case
deletes it from its own systems within 30 days and confirms; the practice sees it done; a late
one is reminded."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.core.errors import Conflict, NotFound
from dentalbridge.gdpr import erasure, requests
from dentalbridge.gdpr.models import DeletionInstruction
from dentalbridge.messaging.models import Notification
from dentalbridge.orders.tests import conftest as order_fixtures
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.patients import services as patient_services

pytestmark = pytest.mark.django_db

connected = order_fixtures.connected


@pytest.fixture
def erased(world, connected, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    patient = patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Ivo", family_name="Instruct",
        date_of_birth=date(1975, 7, 7),
    )  # fmt: skip
    order = put_in(draft_order(world, patient), "delivered")
    made = requests.request_forward(actor=acting(world.manager, world.lab),
                                    order_reference=order.reference, kind="erasure")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        erasure.erase_for_request(actor=acting(world.owner, world.practice),
                                  request_id=made.public_id)  # fmt: skip
    return made, order, patient


def test_the_lab_is_instructed_confirms_and_the_practice_sees_it_done(world, erased):
    made, order, patient = erased
    instruction = DeletionInstruction.objects.get()
    assert instruction.lab == world.lab and instruction.order_references == [order.reference]
    assert instruction.pseudonym == patient.pseudonym
    assert instruction.due_at - instruction.created_at <= timedelta(days=30, seconds=5)
    told = Notification.objects.filter(recipient=world.manager, event="data_request").last()
    assert patient.pseudonym in told.text and "Instruct" not in told.text
    lab = client_for(world.manager)
    page = lab.get(reverse("deletion_instructions")).content.decode()
    assert patient.pseudonym in page and "Instruct" not in page
    done = lab.post(
        reverse("deletion_instructions"),
        {"instruction": str(instruction.public_id), "note": "Local copies wiped"},
    )
    assert done.status_code == 302
    practice_page = (
        client_for(world.owner)
        .get(reverse("data_request_detail", args=[made.public_id]))
        .content.decode()
    )
    assert "Precision Lab" in practice_page and "Local copies wiped" in practice_page
    with pytest.raises(Conflict):
        erasure.instruction_done(actor=acting(world.manager, world.lab),
                                 instruction_id=instruction.public_id)  # fmt: skip


def test_other_labs_and_wrong_roles_cannot_confirm(world, erased):
    instruction = DeletionInstruction.objects.get()
    with pytest.raises(NotFound):
        erasure.instruction_done(actor=acting(world.other_manager, world.other_lab),
                                 instruction_id=instruction.public_id)  # fmt: skip
    with pytest.raises(NotFound):
        erasure.instruction_done(actor=acting(world.technician, world.lab),
                                 instruction_id=instruction.public_id)  # fmt: skip
    assert client_for(world.technician).get(reverse("deletion_instructions")).status_code == 403
    assert client_for(world.owner).get(reverse("deletion_instructions")).status_code == 404


def test_the_lab_is_reminded_before_the_deadline_and_when_late(world, erased):
    instruction = DeletionInstruction.objects.get()
    before = Notification.objects.filter(recipient=world.manager).count()
    with time_machine.travel(instruction.due_at - timedelta(days=10)):
        assert erasure.instruction_reminders() == 0
    with time_machine.travel(instruction.due_at - timedelta(days=5)):
        assert erasure.instruction_reminders() == 1
        assert erasure.instruction_reminders() == 0
    with time_machine.travel(instruction.due_at + timedelta(days=1)):
        assert erasure.instruction_reminders() == 1
        instruction.refresh_from_db()
        assert instruction.overdue
    texts = Notification.objects.filter(recipient=world.manager).values_list("text", flat=True)
    assert len(texts) == before + 2 and any(t.startswith("Overdue") for t in texts)
