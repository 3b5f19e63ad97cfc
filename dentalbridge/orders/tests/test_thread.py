"""The order's thread (ORD-4, COM-1): read receipts and mentions; a designer's view of it ends
with the assignment."""

import pytest
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.messaging.models import Notification
from dentalbridge.orders import access, services
from dentalbridge.orders.tests.conftest import draft_order
from dentalbridge.organizations.models import Membership


def _sent(world, patient):
    order = draft_order(world, patient)
    services.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )
    return order


def test_opening_the_order_leaves_a_read_receipt(world, patient):
    order = _sent(world, patient)
    services.order_message_post(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, body="Light bite."
    )
    manager = client_for(world.manager, membership=Membership.objects.get(user=world.manager))
    manager.get(reverse("order_detail", args=[order.public_id]))
    manager.get(reverse("order_detail", args=[order.public_id]))  # once only
    dentist = client_for(world.dentist, membership=Membership.objects.get(user=world.dentist))
    page = dentist.get(reverse("order_detail", args=[order.public_id]))
    assert "Read by Mia Manager" in page.text
    (message,) = access.order_messages(order)
    assert [r.reader for r in message.reads.all()] == [world.manager]  # not the author


def test_a_mention_notifies_the_person_mentioned(world, patient):
    order = _sent(world, patient)
    services.order_message_post(
        actor=acting(world.manager, world.lab),
        order_id=order.public_id,
        body="@Tom please check the margin; @dora.designer too. @nobody",
    )
    mentioned = set(
        Notification.objects.filter(event="order_mention").values_list("recipient", flat=True)
    )
    assert mentioned == {world.technician.pk}  # the designer is not on this order (yet)
    services.order_transition(
        actor=acting(world.manager, world.lab), order_id=order.public_id, transition="accept"
    )
    services.order_assign(
        actor=acting(world.manager, world.lab),
        order_id=order.public_id,
        member_id=Membership.objects.get(user=world.designer).public_id,
    )
    services.order_message_post(
        actor=acting(world.dentist, world.practice),
        order_id=order.public_id,
        body="@dora.designer thank you",
    )
    assert Notification.objects.filter(event="order_mention", recipient=world.designer).exists()


def test_the_practice_attaches_a_record_file_to_a_message(world, patient, local_files):  # noqa: F811
    from dentalbridge.core.errors import ValidationFailed
    from dentalbridge.files.tests.factories import stored_scan
    from dentalbridge.patients import services as patient_services

    order = _sent(world, patient)
    owner = acting(world.owner, world.practice)
    photo = stored_scan(owner, patient, filename="try-in.stl")
    message = services.order_message_post(
        actor=acting(world.dentist, world.practice),
        order_id=order.public_id,
        body="See the try-in.",
        item_id=photo.item.public_id,
    )
    assert message.attachment == photo.item
    attachment = next(a for a in access.order_attachments(order) if a.item == photo.item)
    assert attachment.kind == "message" and attachment.share.lab == world.lab
    manager = client_for(world.manager, membership=Membership.objects.get(user=world.manager))
    page = manager.get(reverse("order_detail", args=[order.public_id]))
    assert reverse("lab_share_detail", args=[attachment.share.public_id]) in page.text
    from datetime import date

    someone_else = patient_services.patient_create(
        actor=owner, given_name="John", family_name="Roe", date_of_birth=date(1970, 1, 1)
    )
    theirs = stored_scan(owner, someone_else)
    with pytest.raises(ValidationFailed, match="not in this patient's record"):
        services.order_message_post(
            actor=acting(world.dentist, world.practice),
            order_id=order.public_id,
            body="Wrong one",
            item_id=theirs.item.public_id,
        )
    with pytest.raises(ValidationFailed):
        services.order_message_post(
            actor=acting(world.manager, world.lab),
            order_id=order.public_id,
            body="Labs upload instead",
            item_id=photo.item.public_id,
        )


def test_the_lab_sends_a_file_on_the_thread(world, patient, local_files):  # noqa: F811
    from django.test import TestCase

    from dentalbridge.files.tests import tus_client as tus

    order = _sent(world, patient)
    technician = client_for(
        world.technician, membership=Membership.objects.get(user=world.technician)
    )
    data = tus.cube_stl(b"try-in", size=8.0)
    created = tus.create(
        technician,
        len(data),
        filename="tryin.stl",
        order=order.public_id,
        purpose="message",
        title="Try-in scan",
    )
    assert created.status_code == 201, created.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tus.patch(technician, created["Location"], 0, data).status_code == 204
    (message,) = access.order_messages(order)
    assert message.body == "Try-in scan" and message.side == "lab" and message.attachment
    assert Notification.objects.filter(recipient=world.dentist, event="order_message").exists()
    dentist = client_for(world.dentist, membership=Membership.objects.get(user=world.dentist))
    page = dentist.get(reverse("order_detail", args=[order.public_id]))
    assert "Attached file" in page.text


def test_no_file_is_attached_to_a_finished_order(world, patient, local_files):  # noqa: F811
    from dentalbridge.core.errors import Conflict
    from dentalbridge.files.tests.factories import stored_scan
    from dentalbridge.orders.tests.conftest import put_in

    order = put_in(_sent(world, patient), "cancelled")
    scan = stored_scan(acting(world.owner, world.practice), patient)
    with pytest.raises(Conflict, match="finished"):
        services.order_message_post(
            actor=acting(world.dentist, world.practice),
            order_id=order.public_id,
            body="One more",
            item_id=scan.item.public_id,
        )
    assert not access.order_attachments(order)
