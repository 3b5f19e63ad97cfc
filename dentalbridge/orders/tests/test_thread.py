"""The order's thread (ORD-4, COM-1): read receipts and mentions; a designer's view of it ends
with the assignment."""

from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.messaging.models import Notification
from dentalbridge.orders import services
from dentalbridge.orders.tests.conftest import draft_order
from dentalbridge.organizations.models import Membership
from dentalbridge.privacy import access


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
