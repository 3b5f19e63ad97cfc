"""A lab never learns who the patient is (REC-7).

1. The lab's view of a patient is a type that holds the pseudonym and nothing else.
2. Every page and API response a lab member (manager, technician, freelance designer) can request
   is rendered for a seeded patient — every URL pattern of the project, with that patient's and
   its record's real ids — and none of the patient's identifying values may appear in the bytes.
   As lab-facing pages arrive (orders, files), this test covers them without being edited.
"""

import dataclasses
import re
from datetime import date

import pytest
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.accounts.services import api_token_create
from dentalbridge.organizations.models import LabConnection
from dentalbridge.patients import services
from dentalbridge.patients.lab_view import PatientForLab
from tests.test_authorization_matrix import MATRIX, _routes

IDENTITY = {
    "given_name": "Zebulon",
    "family_name": "Quixotic-Marsh",
    "email": "zebulon.qm@patient.example",
    "phone": "+39 333 987 6543",
    "address": "Via Segreta 42, Bologna",
    "external_reference": "CART-ZQ-9917",
}
BORN = date(1977, 7, 13)


def forbidden_values() -> list[str]:
    dates = [
        BORN.isoformat(),
        BORN.strftime("%d/%m/%Y"),
        BORN.strftime("%m/%d/%Y"),
        BORN.strftime("%d.%m.%Y"),
        "July 13, 1977",
        "13 July 1977",
    ]
    return [value.lower() for value in (*IDENTITY.values(), *dates)]


def test_the_lab_view_holds_the_pseudonym_and_nothing_else():
    assert [f.name for f in dataclasses.fields(PatientForLab)] == ["id", "pseudonym"]


@pytest.fixture
def seeded(world):
    owner = acting(world.owner, world.practice)
    patient = services.patient_create(
        actor=owner, date_of_birth=BORN, attending_dentist=world.dentist, **IDENTITY
    )
    item = services.record_item_create(
        actor=owner,
        patient_id=patient.public_id,
        kind="scan",
        title="Upper arch",
        text="Scanned for a crown on 16.",
    )
    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status="accepted", requested_by=world.owner
    )
    assert PatientForLab.of(patient).pseudonym == patient.pseudonym
    return {"patient_id": patient.public_id, "item_id": item.public_id, "grant_id": item.public_id}


def _readable_urls(world, ids) -> list[str]:
    """Every GET-able URL of the project, addressed at the seeded patient where it takes ids."""
    urls = []
    for route, pattern in _routes().items():
        case = MATRIX.get(route)
        if case is None or pattern.name is None or case.method != "get":
            continue
        params = set(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
        params = {a or b for a, b in params}
        if params - {"patient_id", "item_id", "organization_id"}:
            continue  # tokens, keys, other people's objects: nothing of the patient behind them
        kwargs = {name: ids[name] for name in params if name in ids}
        if "organization_id" in params:
            kwargs["organization_id"] = world.lab.public_id
        urls.append(reverse(pattern.name, kwargs=kwargs))
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager", "technician", "designer"])
def test_no_lab_facing_page_or_api_response_reveals_the_patient(world, seeded, persona):
    user = getattr(world, persona)
    ids = {**seeded, "organization_id": world.lab.public_id}
    browser = client_for(user)
    secret = api_token_create(actor=acting(user, world.lab), name="p", valid_days=1).secret
    urls = _readable_urls(world, ids)
    assert len(urls) > 20  # the walk really covers the project
    assert any(str(seeded["patient_id"]) in url for url in urls)
    for url in urls:
        if url.startswith("/api/"):
            response = browser.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
        else:
            response = browser.get(url)
        body = response.content.decode(errors="replace").lower()
        leaked = [value for value in forbidden_values() if value in body]
        assert leaked == [], f"{persona} sees {leaked} at {url} ({response.status_code})"


@pytest.mark.django_db
def test_the_same_walk_finds_the_identity_where_it_may_be_shown(world, seeded):
    """The check is not vacuous: walked by the practice owner, the values are there."""
    owner = client_for(world.owner)
    ids = {**seeded, "organization_id": world.practice.public_id}
    found = set()
    for url in _readable_urls(world, ids):
        if url.startswith("/api/"):
            continue
        body = owner.get(url.replace(str(world.lab.public_id), str(world.practice.public_id)))
        found |= {v for v in forbidden_values() if v in body.content.decode().lower()}
    assert {"zebulon", "quixotic-marsh", "cart-zq-9917"} <= found
