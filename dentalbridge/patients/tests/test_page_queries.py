"""The patient's page (the screen a practice opens most) has one page selector,
``patients.selectors.patient_page``, and asks the same number of queries however long the
record, however many care-team grants and orders (issue 12, item 4)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for, make_org, make_user
from dentalbridge.orders.tests.conftest import connected, draft_order, patient  # noqa: F401
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import access, services
from dentalbridge.patients.selectors import patient_page
from dentalbridge.privacy.policy import Perm

pytestmark = pytest.mark.django_db


def _grow(world, patient, n: int) -> None:  # noqa: F811
    dentist = acting(world.dentist, world.practice)
    for i in range(n):
        services.record_item_create(
            actor=acting(world.assistant, world.practice),
            patient_id=patient.public_id,
            kind="note",
            title=f"Check-up {i}",
            text="No caries.",
        )
        draft_order(world, patient)
        colleague = make_user(f"colleague{n}{i}@clinic.example", f"Colleague {i}")
        clinic = make_org("practice", f"Clinic {n}{i}", country="NL")
        Membership.objects.create(user=colleague, organization=clinic, role="dentist")
        services.care_grant_create(
            actor=dentist,
            patient_id=patient.public_id,
            grantee_email=colleague.email,
            reason="Second opinion",
            expires_at=timezone.now() + timedelta(days=30),
        )


def test_the_patient_page_has_constant_queries(world, patient):  # noqa: F811
    client = client_for(
        world.dentist,
        membership=Membership.objects.get(user=world.dentist, organization=world.practice),
    )
    url = reverse("patient_detail", args=[patient.public_id])
    counts = []
    for n in (1, 4):
        _grow(world, patient, n)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.status_code == 200
        counts.append(len(queries))
    # The second look shows five of each: record items, orders, care-team grants.
    assert page.text.count("Check-up ") == 5 and len(page.context["grants"]) == 5
    assert len(page.context["orders"]) == 5
    assert counts[0] == counts[1], counts


def test_the_page_selector_writes_nothing(world, patient):  # noqa: F811
    request = RequestFactory().get(reverse("patient_detail", args=[patient.public_id]))
    request.user, request.principal = world.dentist, acting(world.dentist, world.practice)
    seen = access.patient_access(request.principal, patient.public_id, Perm.PATIENT_VIEW)
    with CaptureQueriesContext(connection) as queries:
        page = patient_page(request, seen)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert page["patient"] == patient and page["in_practice"] and page["may_grant"]
