"""Finding 7 of issue 13: patient names accepted the right-to-left override (U+202E) that file
names refuse. One rule (``core.text.hidden_character``) serves both now."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.accounts.services import api_token_create
from dentalbridge.core.errors import ValidationFailed
from dentalbridge.core.text import hidden_character
from dentalbridge.files.intake import Refused, check_name
from dentalbridge.patients import services

RTL_OVERRIDE = "\u202e"
HIDDEN = ["\u202e", "\u202d", "\u2066", "\u200f", "\u200b", "\u2060", "\ufeff", "\x07", "\u2028"]


def _fields(**names) -> dict:
    return {
        "given_name": "Anna",
        "family_name": "Verdi",
        "date_of_birth": date(1969, 9, 9),
        **names,
    }


@pytest.mark.parametrize("character", HIDDEN)
def test_the_one_rule_finds_what_hides_or_reorders_text(character):
    assert hidden_character(f"Ver{character}di") == character
    with pytest.raises(Refused):
        check_name(f"scan{character}lts.exe")


@pytest.mark.parametrize(
    "name",
    ["Anna", "Zoë", "محمد", "\u0645\u0647\u0631\u200c\u062f\u0627\u062f", "O'Brien-Smith", "李"],
)
def test_real_names_pass_the_rule(name):
    assert hidden_character(name) is None


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["given_name", "family_name"])
def test_finding_7_rtl_override_in_patient_name_is_refused(world, field):
    actor = acting(world.owner, world.practice)
    with pytest.raises(ValidationFailed) as refused:
        services.patient_create(actor=actor, **_fields(**{field: f"Ver{RTL_OVERRIDE}idr"}))
    assert set(refused.value.fields) == {field}

    patient = services.patient_create(actor=actor, **_fields())
    with pytest.raises(ValidationFailed) as refused:
        services.patient_update(
            actor=actor, patient_id=patient.public_id, **{field: f"A\u200bnna{RTL_OVERRIDE}"}
        )
    assert set(refused.value.fields) == {field}


@pytest.mark.django_db
def test_finding_7_rtl_override_in_guardian_name_is_refused(world):
    with pytest.raises(ValidationFailed) as refused:
        services.patient_create(
            actor=acting(world.owner, world.practice),
            **_fields(
                date_of_birth=date(2020, 1, 1),
                guardian_name=f"Marco{RTL_OVERRIDE}",
                guardian_contact="+31 6 1234 5678",
            ),
        )
    assert set(refused.value.fields) == {"guardian_name"}


@pytest.mark.django_db
def test_finding_7_rtl_override_in_patient_name_is_refused_on_the_page_and_the_api(world):
    page = client_for(world.owner).post(
        reverse("patient_create"),
        {
            "given_name": "Anna",
            "family_name": f"Ver{RTL_OVERRIDE}idr",
            "date_of_birth": "1969-09-09",
        },
    )
    assert page.status_code == 200
    assert "text-direction character" in page.content.decode()

    secret = api_token_create(
        actor=acting(world.owner, world.practice), name="t", valid_days=1
    ).secret
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        reverse("api_patients"),
        {
            "given_name": f"An{RTL_OVERRIDE}na",
            "family_name": "Verdi",
            "date_of_birth": "1969-09-09",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["given_name"]


@pytest.mark.django_db
def test_names_are_stored_in_one_normal_form(world):
    patient = services.patient_create(
        actor=acting(world.owner, world.practice), **_fields(given_name="Zoe\u0308")
    )
    assert patient.given_name == "Zo\u00eb"
