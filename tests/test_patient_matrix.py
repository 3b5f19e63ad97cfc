"""Who gets what on every page and endpoint that shows patient data, persona by persona.

The general matrix (test_authorization_matrix.py) states four audiences per URL; patient data
is stated here for each person who might try: the practice's owner, dentist and assistant, a
dentist of another practice, a lab manager, a freelance designer, the patient (own record), a
different patient, and an anonymous visitor. 404 means "not there for you" (ids cannot be
probed), 403 "your role may not", LOGIN a redirect to sign in. Each app states the rows of its
routes in ``dentalbridge/<app>/tests/matrix.py`` (``PATIENT_DATA``, ``PATIENT_DATA_SKIPPED``).
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from conftest import acting, client_for, make_user
from dentalbridge.patients import services
from dentalbridge.patients.models import PatientAccount
from tests.matrix import LOGIN, PERSONAS, collect

# route name → (kwargs keys, expected per persona in PERSONAS order), from each app's
# tests/matrix.py; SKIPPED: route name → why it is not read here.
EXPECTED = collect("PATIENT_DATA")
SKIPPED = collect("PATIENT_DATA_SKIPPED")


@pytest.fixture
def scene(world):
    owner = acting(world.owner, world.practice)
    patient = services.patient_create(
        actor=owner,
        given_name="Marta",
        family_name="Matrix",
        date_of_birth=date(1975, 5, 5),
        attending_dentist=world.dentist,
    )
    item = services.record_item_create(
        actor=owner, patient_id=patient.public_id, kind="photo", title="Frontal"
    )
    people = {
        "owner": world.owner,
        "dentist": world.dentist,
        "assistant": world.assistant,
        "other_dentist": world.other_owner,
        "lab_manager": world.manager,
        "designer": world.designer,
        "anonymous": None,
    }
    for key, email in (
        ("patient", "marta@patient.example"),
        ("other_patient", "o@patient.example"),
    ):
        user = make_user(email, key)
        someone = patient
        if key == "other_patient":
            someone = services.patient_create(
                actor=owner, given_name="O", family_name="Ther", date_of_birth=date(1980, 1, 1)
            )
        PatientAccount(patient=someone, user=user).save(force_insert=True)
        people[key] = user
    order = _sent_order(world, patient)
    return {"patient_id": patient.public_id, "item_id": item.public_id, "order_id": order}, people


def _sent_order(world, patient):
    from dentalbridge.orders.tests.conftest import draft_order
    from dentalbridge.organizations.models import ConnectionStatus, LabConnection

    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    order = draft_order(world, patient)
    from dentalbridge.orders import services as orders

    orders.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )
    return order.public_id


CASES = [
    pytest.param(name, persona, expected, id=f"{name}:{persona}")
    for name, (_keys, outcomes) in EXPECTED.items()
    for persona, expected in zip(PERSONAS, outcomes, strict=True)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "persona", "expected"), CASES)
def test_patient_data_per_persona(scene, name, persona, expected):
    ids, people = scene
    keys = EXPECTED[name][0]
    url = reverse(name, kwargs={key: ids[key] for key in keys})
    user = people[persona]
    client = client_for(user) if user is not None else Client()
    response = client.get(url)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected, (url, response.status_code)


def test_every_patient_route_is_in_this_table():
    """A new page or endpoint that shows patient data must get a PATIENT_DATA row too."""
    from django.urls import get_resolver

    names = {
        name
        for name in get_resolver().reverse_dict
        if isinstance(name, str)
        and (name.startswith(
            ("patient_", "record_item_", "portal_", "api_patient", "api_record", "order_")
        )
             or name in {"api_care_team"})
    }  # fmt: skip
    readable_by_get = names - set(SKIPPED)
    assert readable_by_get == set(EXPECTED)
