"""Who gets what on every page and endpoint that shows patient data, persona by persona.

The general matrix (test_authorization_matrix.py) states four audiences per URL; patient data
is stated here for each person who might try: the practice's owner, dentist and assistant, a
dentist of another practice, a lab manager, a freelance designer, the patient (own record), a
different patient, and an anonymous visitor. 404 means "not there for you" (ids cannot be
probed), 403 "your role may not", LOGIN a redirect to sign in.
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from conftest import acting, client_for, make_user
from dentalbridge.patients import services
from dentalbridge.patients.models import PatientAccount

LOGIN = "login"
PERSONAS = (
    "owner",
    "dentist",
    "assistant",
    "other_dentist",
    "lab_manager",
    "designer",
    "patient",
    "other_patient",
    "anonymous",
)

# route name → (kwargs keys, expected per persona in PERSONAS order)
EXPECTED = {
    "patient_list": ((), (200, 200, 200, 200, 404, 404, 404, 404, LOGIN)),
    "patient_deleted_list": ((), (200, 200, 403, 200, 404, 404, 404, 404, LOGIN)),
    "patient_archive_list": ((), (200, 403, 403, 200, 404, 404, 404, 404, LOGIN)),
    "patient_shared_list": ((), (200, 200, 200, 200, 200, 200, 200, 200, LOGIN)),
    "patient_detail": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "patient_edit": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "patient_audit": (("patient_id",), (200, 403, 403, 404, 404, 403, 403, 403, LOGIN)),
    "record_item_create": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "record_item_detail": (
        ("patient_id", "item_id"),
        (200, 200, 200, 404, 404, 404, 404, 404, LOGIN),
    ),
    "record_item_files": (
        ("patient_id", "item_id"),
        (200, 200, 200, 404, 404, 404, 404, 404, LOGIN),
    ),
    "patient_files_zip": (("patient_id",), (302, 302, 302, 404, 404, 404, 404, 404, LOGIN)),
    "patient_scans": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "portal_record": (("patient_id",), (404, 404, 404, 404, 404, 404, 200, 404, LOGIN)),
    "portal_copy": (("patient_id",), (404, 404, 404, 404, 404, 404, 200, 404, LOGIN)),
    "api_patients": ((), (200, 200, 200, 200, 404, 404, 404, 404, 401)),
    "api_patient": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
    "api_record": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
    "api_record_item": (
        ("patient_id", "item_id"),
        (200, 200, 200, 404, 404, 404, 404, 404, 401),
    ),
    "api_patient_files": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
    "api_care_team": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
    # The lab works the order under the pseudonym; its unassigned designer does not see it.
    "order_detail": (("order_id",), (200, 200, 200, 404, 200, 404, 404, 404, LOGIN)),
    "order_edit": (("order_id",), (302, 302, 302, 404, 404, 404, 404, 404, LOGIN)),
    "order_list": ((), (200, 200, 200, 200, 200, 200, 404, 404, LOGIN)),
}


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
    """A new page or endpoint that shows patient data must be added here too."""
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
    readable_by_get = names - {
        "patient_create",  # a form, no patient data
        "patient_delete",
        "patient_restore",
        "patient_guardian_consent",
        "patient_audit_export",  # covered with the audit page (same access function)
        "patient_archive_detail",  # opens only by POST with a purpose (general matrix)
        "record_item_edit",
        "patient_file_release",  # POST actions on a file (general matrix)
        "patient_file_repair",
        "api_patient_file",  # one file: general matrix and the files tests
        "record_item_share",  # POST: share with a lab (general matrix)
        "patient_order_create",  # POST: a new draft order (general matrix)
        "order_autosave",  # POST actions on an order (general matrix)
        "order_step",
        "order_assign",
        "order_unassign",
        "order_return_date",
        "order_message",
        "order_remake",
        "order_attach",
        "record_item_share_revoke",
        "portal_join",
        "portal_home",
        "portal_invite",
        "api_patient_restore",
    }
    assert readable_by_get == set(EXPECTED)
