"""Data-subject requests on a clock (PRV-3, PRV-4, ACC-4): received, verified, routed to the
controller, extended once with a reason, reminded, answered."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for, make_user
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from dentalbridge.gdpr import access, requests
from dentalbridge.gdpr.models import RequestStatus
from dentalbridge.messaging.models import Notification
from dentalbridge.orders.tests import conftest as order_fixtures
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.models import PatientAccount
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db

EMAIL = "rosa.request@patient.example"


connected = order_fixtures.connected


@pytest.fixture
def order_patient(connected):
    return order_fixtures.patient.__wrapped__(connected)


@pytest.fixture
def rosa(world):
    """A patient of Smile Studio with a portal account."""
    patient = patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Rosa", family_name="Request",
        date_of_birth=date(1980, 5, 5), email=EMAIL,
    )  # fmt: skip
    user = make_user(EMAIL, "Rosa Request")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=user)
    return patient, user


def test_a_signed_in_person_asks_about_their_account_and_the_platform_dpo_is_told(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = requests.request_create(actor=Principal(user=world.newcomer), kind="access")
    assert made.controller == world.platform and made.status == RequestStatus.OPEN
    assert made.due_at - made.received_at == timedelta(days=30)
    told = Notification.objects.get(recipient=world.dpo)
    assert made.reference in told.text
    assert {m.to[0] for m in mail.outbox} == {world.newcomer.email, world.dpo.email}
    assert AuditEvent.objects.filter(action="data_request.received").count() == 1


def test_a_patient_asks_about_their_record_and_the_practice_decides(world, rosa):
    patient, user = rosa
    client = client_for(user)
    page = client.get(reverse("my_data_requests"))
    assert page.status_code == 200 and "Smile Studio" in page.content.decode()
    sent = client.post(
        reverse("my_data_requests"),
        {"about": str(patient.public_id), "kind": "rectification", "details": "Wrong phone."},
    )
    assert sent.status_code == 302
    owner = acting(world.owner, world.practice)
    queue = list(access.data_requests_query(owner))
    assert len(queue) == 1 and queue[0].patient == patient and queue[0].kind == "rectification"
    # Another tenant and the wrong role see nothing.
    with pytest.raises(NotFound):
        access.data_request_access(
            acting(world.other_owner, world.other_practice), queue[0].public_id
        )
    with pytest.raises(NotFound):
        access.data_requests_query(acting(world.dentist, world.practice))
    assert client_for(world.owner).get(reverse("data_request_list")).status_code == 200
    detail = client_for(world.owner).get(reverse("data_request_detail", args=[queue[0].public_id]))
    assert "Wrong phone." in detail.content.decode()


def test_a_patient_cannot_ask_about_someone_elses_record(world, rosa):
    _patient, user = rosa
    other = patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Otto", family_name="Other",
        date_of_birth=date(1970, 1, 1),
    )  # fmt: skip
    with pytest.raises(NotFound):
        requests.request_create(
            actor=Principal(user=user), kind="access", patient_id=other.public_id
        )
    form = client_for(user).post(
        reverse("my_data_requests"), {"about": str(other.public_id), "kind": "access"}
    )
    assert form.status_code == 200 and "has-error" in form.content.decode()


def test_rectification_and_objection_need_words(world):
    client = client_for(world.newcomer)
    page = client.post(reverse("my_data_requests"), {"about": "account", "kind": "objection"})
    assert page.status_code == 200 and "has-error" in page.content.decode()


def _public(client, email=EMAIL, **extra):
    return client.post(
        reverse("data_request_public"),
        {"name": "Rosa Request", "email": email, "kind": "erasure", **extra},
        REMOTE_ADDR=extra.pop("ip", "198.51.100.7"),
    )


def _link(message) -> str:
    return re.search(r"/privacy/request/confirm/([^/\s]+)/", message.body).group(1)


def test_a_public_request_counts_once_confirmed_and_goes_to_the_practice(
    world, rosa, django_capture_on_commit_callbacks
):
    patient, _user = rosa
    visitor = client_for(None)
    with django_capture_on_commit_callbacks(execute=True):
        assert _public(visitor).status_code == 200
    token = _link(mail.outbox[-1])
    owner = acting(world.owner, world.practice)
    assert list(access.data_requests_query(owner)) == []  # not before it is confirmed
    assert visitor.get(reverse("data_request_verify", args=[token])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = visitor.post(reverse("data_request_verify", args=[token]))
    assert confirmed.status_code == 200
    [made] = access.data_requests_query(owner)
    assert made.patient == patient and made.status == RequestStatus.OPEN
    assert made.due_at - made.received_at == timedelta(days=30)
    # Replayed: the link worked once.
    assert visitor.post(reverse("data_request_verify", args=[token])).status_code == 404


def test_forged_replayed_and_expired_links_are_refused(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        requests.request_create_public(
            name="X", email="x@person.example", kind="access", details="", ip="198.51.100.8"
        )
    token = _link(mail.outbox[-1])
    with pytest.raises(NotFound):
        requests.request_verify(token[:-2] + "xx")
    with pytest.raises(NotFound):
        requests.request_verify("")
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later), pytest.raises(Conflict, match="expired"):
        requests.request_verify(token)
    assert requests.request_verify(token).controller == world.platform  # no patient: platform
    with pytest.raises(NotFound):
        requests.request_verify(token)


def test_a_flood_from_one_address_is_rate_limited(world):
    visitor = client_for(None)
    for n in range(3):
        assert _public(visitor, email=f"p{n}@person.example").status_code == 200
    assert _public(visitor, email="p9@person.example").status_code == 429
    with pytest.raises(RateLimited):
        for _ in range(4):
            requests.request_create_public(
                name="Y",
                email="same@person.example",
                kind="access",
                details="",
                ip=f"203.0.113.{_}",
            )


def test_a_lab_forwards_a_patients_request_to_the_practice(world, order_patient):
    patient = order_patient
    order = put_in(draft_order(world, patient), "submitted")
    manager = acting(world.manager, world.lab)
    made = requests.request_forward(
        actor=manager, order_reference=order.reference, kind="erasure",
        requester_email="someone@patient.example",
    )  # fmt: skip
    assert made.controller == world.practice and made.received_via == world.lab
    [seen] = access.data_requests_query(acting(world.owner, world.practice))
    assert seen.patient == patient
    with pytest.raises(NotFound):
        access.data_requests_query(manager)  # the lab has no queue: it is not the controller
    with pytest.raises(Forbidden):
        requests.request_forward(actor=acting(world.technician, world.lab),
                                 order_reference=order.reference, kind="access")  # fmt: skip
    with pytest.raises(NotFound):
        requests.request_forward(actor=acting(world.other_manager, world.other_lab),
                                 order_reference=order.reference, kind="access")  # fmt: skip
    lab_client = client_for(world.manager)
    page = lab_client.post(
        reverse("data_request_forward"), {"order_reference": order.reference, "kind": "access"}
    )
    text = page.content.decode() if page.status_code == 200 else ""
    assert page.status_code == 302 and patient.family_name not in text
    followed = lab_client.get(page["Location"]).content.decode()
    assert "Smile Studio" in followed and patient.family_name not in followed
    assert client_for(world.technician).get(reverse("data_request_forward")).status_code == 403


def test_the_deadline_extends_once_with_a_reason(world, django_capture_on_commit_callbacks):
    made = requests.request_create(actor=Principal(user=world.newcomer), kind="access")
    dpo = acting(world.dpo, world.platform)
    with pytest.raises(ValidationFailed):
        requests.request_extend(actor=dpo, request_id=made.public_id, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        extended = requests.request_extend(
            actor=dpo, request_id=made.public_id, reason="Archive on tape."
        )
    assert extended.due_at - extended.received_at == timedelta(days=90)
    assert "Archive on tape." in mail.outbox[-1].body
    with pytest.raises(Conflict):
        requests.request_extend(actor=dpo, request_id=made.public_id, reason="Again.")


def test_reminders_fire_a_week_and_a_day_before_and_when_overdue(world):
    made = requests.request_create(actor=Principal(user=world.newcomer), kind="access")
    start = made.received_at

    def run(days):
        with time_machine.travel(start + timedelta(days=days)):
            return requests.reminders_due()

    assert run(22) == 0
    assert run(23.5) == 1 and run(24) == 0  # a week before, once
    assert run(29.5) == 1  # a day before
    assert run(30.5) == 1 and run(35) == 0  # overdue, once
    texts = list(Notification.objects.filter(recipient=world.dpo).values_list("text", flat=True))
    assert len(texts) == 4 and "overdue" in texts[0]


def test_answering_closes_the_request_and_writes_to_the_requester(
    world, django_capture_on_commit_callbacks
):
    made = requests.request_create(actor=Principal(user=world.newcomer), kind="objection",
                                   details="No profiling.")  # fmt: skip
    client = client_for(world.dpo)
    assert client.post(reverse("data_request_answer", args=[made.public_id]), {}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("data_request_answer", args=[made.public_id]),
            {"answer": "We do no profiling; nothing to stop."},
        )
    made = access.data_request_access(acting(world.dpo, world.platform), made.public_id)
    assert made.status == RequestStatus.DONE and not made.overdue
    assert "nothing to stop" in mail.outbox[-1].body and mail.outbox[-1].to == [
        world.newcomer.email
    ]
    mine = client_for(world.newcomer).get(reverse("my_data_requests")).content.decode()
    assert "nothing to stop" in mine
    with pytest.raises(Conflict):
        requests.request_answer(
            actor=acting(world.dpo, world.platform), request_id=made.public_id, answer="Again"
        )


def test_the_platform_dpo_routes_a_request_to_the_practice_the_person_names(
    world, rosa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = requests.request_create_public(
            name="Rosa", email="another.address@patient.example", kind="access", details="",
            ip="198.51.100.20",
        )  # fmt: skip
    token = _link(mail.outbox[-1])
    made = requests.request_verify(token)
    assert made.controller == world.platform and made.patient is None  # no record has it
    dpo = client_for(world.dpo)
    page = dpo.get(reverse("data_request_detail", args=[made.public_id])).content.decode()
    assert "Send to the practice" in page
    bad = dpo.post(reverse("data_request_execute", args=[made.public_id]),
                   {"action": "route", "practice": "not-a-uuid"})  # fmt: skip
    assert bad.status_code == 302
    assert access.data_request_access(acting(world.dpo, world.platform), made.public_id)
    routed = dpo.post(reverse("data_request_execute", args=[made.public_id]),
                      {"action": "route", "practice": str(world.practice.public_id)})  # fmt: skip
    assert routed.status_code == 302
    [seen] = access.data_requests_query(acting(world.owner, world.practice))
    assert seen.public_id == made.public_id and seen.patient is None
    with pytest.raises(NotFound):  # the platform no longer decides
        access.data_request_access(acting(world.dpo, world.platform), made.public_id)
    with pytest.raises(Conflict):  # and a practice cannot pass it on to another
        requests.request_route(
            actor=acting(world.owner, world.practice),
            request_id=made.public_id,
            practice_id=world.other_practice.public_id,
        )
