"""The other rights, carried out by code (PRV-3, ACC-6): restriction enforced by the access
layer, rectification keeping the original on file, withdrawal of every consent, account closing."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for, make_user
from dentalbridge.core.errors import Conflict, Forbidden
from dentalbridge.gdpr import access, consent, requests, rights
from dentalbridge.gdpr.models import RequestStatus
from dentalbridge.orders import access as orders_access
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import access as patients_access
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.models import PatientAccount
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db


@pytest.fixture
def paula(world):
    patient = patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Paula", family_name="Portal",
        date_of_birth=date(1990, 1, 1), phone="+31 6 1111 2222", email="paula@patient.example",
    )  # fmt: skip
    user = make_user("paula@patient.example", "Paula Portal")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=user)
    return patient, user


def _ask(user, patient, kind, details="x"):
    return requests.request_create(
        actor=Principal(user=user), kind=kind, details=details, patient_id=patient.public_id
    )


def test_a_restricted_record_is_only_stored_until_lifted(world, paula):
    patient, user = paula
    made = _ask(user, patient, "restriction")
    owner = acting(world.owner, world.practice)
    rights.restrict(actor=owner, request_id=made.public_id)
    for who in (owner, acting(world.dentist, world.practice)):
        with pytest.raises(Forbidden, match="restricted"):
            patients_access.patient_access(who, patient.public_id, Perm.PATIENT_VIEW)
    assert (
        client_for(world.dentist)
        .get(reverse("patient_detail", args=[patient.public_id]))
        .status_code
        == 403
    )
    with pytest.raises(Forbidden):
        orders_access.prescribing_patient(acting(world.dentist, world.practice), patient.public_id)
    # The patient still sees their own record; the request page still works for the owner.
    assert patients_access.portal_patient_access(Principal(user=user), patient.public_id) == patient
    page = client_for(world.owner).get(reverse("data_request_detail", args=[made.public_id]))
    assert "Lift the restriction" in page.content.decode()
    rights.lift_restriction(actor=owner, request_id=made.public_id)
    assert patients_access.patient_access(owner, patient.public_id, Perm.PATIENT_VIEW) == patient
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"patient.restricted", "patient.restriction_lifted"} <= actions


def test_rectification_keeps_the_original_on_file(world, paula):
    patient, user = paula
    made = _ask(user, patient, "rectification", "My phone number changed.")
    client = client_for(world.owner)
    done = client.post(
        reverse("data_request_execute", args=[made.public_id]),
        {"action": "rectify", "phone": "+31 6 9999 0000"},
    )
    assert done.status_code == 302
    owner = acting(world.owner, world.practice)
    assert patients_access.patient_access(owner, patient.public_id, Perm.PATIENT_VIEW).phone == (
        "+31 6 9999 0000"
    )
    made = access.data_request_access(owner, made.public_id)
    [change] = made.outcome["rectification"]
    assert change["changes"]["phone"] == {"before": "+31 6 1111 2222", "after": "+31 6 9999 0000"}
    page = client.get(reverse("data_request_detail", args=[made.public_id])).content.decode()
    assert "+31 6 1111 2222" in page and "+31 6 9999 0000" in page
    with pytest.raises(Exception, match="cannot be corrected"):
        rights.rectify(actor=owner, request_id=made.public_id, notes="x")


def test_withdrawal_withdraws_every_consent_and_answers(world, django_capture_on_commit_callbacks):
    consent.record(purpose="newsletter", given=True, method="form", text_shown="x",
                   user=world.newcomer)  # fmt: skip
    made = requests.request_create(actor=Principal(user=world.newcomer), kind="withdrawal")
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = rights.withdraw_all(actor=acting(world.dpo, world.platform),
                                        request_id=made.public_id)  # fmt: skip
    assert withdrawn == ["Product news by e-mail"]
    assert not consent.has_consent(world.newcomer, "newsletter")
    done = access.data_request_access(acting(world.dpo, world.platform), made.public_id)
    assert done.status == RequestStatus.DONE and "Product news" in done.answer


def test_closing_an_account_hides_it_at_once_and_the_purge_comes_within_two_years(world):
    client = client_for(world.dentist)
    refused = client.post(reverse("close_my_account"), {"confirm_email": "wrong@x.example"})
    assert refused.status_code == 302
    world.dentist.refresh_from_db()
    assert world.dentist.is_active
    closed = client.post(reverse("close_my_account"), {"confirm_email": world.dentist.email})
    assert closed.status_code == 200 and "Account closed" in closed.content.decode()
    world.dentist.refresh_from_db()
    assert not world.dentist.is_active and world.dentist.closed_at is not None
    assert not Membership.objects.filter(user=world.dentist).exists()
    assert client.get(reverse("my_privacy")).status_code == 302  # signed out
    assert world.dentist not in rights.closed_accounts_due()
    with time_machine.travel(timezone.now() + timedelta(days=2 * 366)):
        assert world.dentist in rights.closed_accounts_due()


def test_the_last_owner_cannot_leave_an_organization_without_one(world):
    with pytest.raises(Conflict, match="last Owner"):
        rights.close_account(actor=acting(world.owner, world.practice))
