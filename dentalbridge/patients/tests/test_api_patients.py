"""The patients API: the same door, the same rules, one error shape."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from conftest import acting
from dentalbridge.accounts.services import api_token_create
from dentalbridge.patients import services

pytestmark = pytest.mark.django_db


def bearer(user, organization) -> Client:
    secret = api_token_create(actor=acting(user, organization), name="t", valid_days=1).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def patient(world):
    return services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Anna",
        family_name="Verdi",
        date_of_birth=date(1969, 9, 9),
        attending_dentist=world.dentist,
    )


def test_create_list_search_and_read(world):
    api = bearer(world.assistant, world.practice)
    response = api.post(
        reverse("api_patients"),
        {"given_name": "Bruno", "family_name": "Neri", "date_of_birth": "1990-02-03"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["pseudonym"].startswith("P-")
    listed = api.get(reverse("api_patients"), {"search": "neri"}).json()
    assert [p["id"] for p in listed["results"]] == [created["id"]]
    assert api.get(reverse("api_patient", args=[created["id"]])).json()["age"] >= 35


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"given_name": "A", "family_name": "B", "date_of_birth": "03/02/1990"}, "date_of_birth"),
        (
            {"given_name": "A" * 10_000, "family_name": "B", "date_of_birth": "1990-01-01"},
            "given_name",
        ),
        ({"given_name": "A", "family_name": "B", "date_of_birth": "1990-01-01", "sex": 7}, "sex"),
        ({"given_name": 12, "family_name": ["B"], "date_of_birth": "1990-01-01"}, "family_name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, body, field):
    response = bearer(world.owner, world.practice).post(
        reverse("api_patients"), body, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"]


def test_another_tenants_dentist_id_reads_like_an_unknown_one(world, patient):
    api = bearer(world.owner, world.practice)
    for dentist_id in (str(world.other_owner.public_id), "6f1c1a56-0000-4000-8000-000000000000"):
        response = api.patch(
            reverse("api_patient", args=[patient.public_id]),
            {"attending_dentist": dentist_id},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["attending_dentist"][0].startswith("Object with")


def test_other_tenants_get_404_for_patients_and_grants(world, patient):
    for user, organization in (
        (world.other_owner, world.other_practice),
        (world.manager, world.lab),
    ):
        api = bearer(user, organization)
        assert api.get(reverse("api_patient", args=[patient.public_id])).status_code == 404
        assert api.get(reverse("api_care_team", args=[patient.public_id])).status_code == 404


def test_a_grantee_reads_through_the_api_until_revoked(world, patient):
    dentist = bearer(world.dentist, world.practice)
    response = dentist.post(
        reverse("api_care_team", args=[patient.public_id]),
        {"grantee_email": world.other_owner.email, "reason": "Second opinion"},
        content_type="application/json",
    )
    assert response.status_code == 201
    grant_id = response.json()["id"]
    colleague = bearer(world.other_owner, world.other_practice)
    assert colleague.get(reverse("api_patient", args=[patient.public_id])).status_code == 200
    edit = colleague.patch(
        reverse("api_patient", args=[patient.public_id]),
        {"notes": "x"},
        content_type="application/json",
    )
    assert edit.status_code == 403
    team = dentist.get(reverse("api_care_team", args=[patient.public_id])).json()
    assert [(g["id"], g["active"]) for g in team] == [(grant_id, True)]
    revoked = dentist.delete(reverse("api_care_grant", args=[patient.public_id, grant_id]))
    assert revoked.status_code == 204
    assert colleague.get(reverse("api_patient", args=[patient.public_id])).status_code == 404


def test_delete_and_restore_through_the_api(world, patient):
    api = bearer(world.dentist, world.practice)
    url = reverse("api_patient", args=[patient.public_id])
    # A NUL in the reason (PostgreSQL refuses it in JSON) is dropped, not a server error.
    assert api.delete(url + "?reason=dupli%00cate").status_code == 204
    assert api.get(url).status_code == 404
    deleted = api.get(reverse("api_patients"), {"deleted": "true"}).json()["results"]
    assert [p["id"] for p in deleted] == [str(patient.public_id)]
    restored = api.post(reverse("api_patient_restore", args=[patient.public_id]))
    assert restored.status_code == 200
    assert api.get(url).status_code == 200
    assistant = bearer(world.assistant, world.practice)
    assert assistant.get(reverse("api_patients"), {"deleted": "true"}).status_code == 403


def test_record_items_through_the_api_keep_their_versions(world, patient):
    api = bearer(world.assistant, world.practice)
    created = api.post(
        reverse("api_record", args=[patient.public_id]),
        {"kind": "scan", "title": "Upper arch", "taken_on": "2026-11-20"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    item = created.json()
    assert item["current"]["number"] == 1
    edited = api.patch(
        reverse("api_record_item", args=[patient.public_id, item["id"]]),
        {"text": "Re-scanned the distal of 17."},
        content_type="application/json",
    ).json()
    assert [v["number"] for v in edited["versions"]] == [1, 2]
    assert edited["versions"][0]["text"] == ""
    listed = api.get(reverse("api_record", args=[patient.public_id])).json()
    assert [(i["id"], i["version_count"]) for i in listed] == [(item["id"], 2)]
    future = api.post(
        reverse("api_record", args=[patient.public_id]),
        {"kind": "note", "title": "x", "taken_on": "2999-01-01"},
        content_type="application/json",
    )
    assert future.status_code == 400
    assert "taken_on" in future.json()["error"]["fields"]
