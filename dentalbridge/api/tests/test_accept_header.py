"""A sloppy or foreign ``Accept`` header gets the JSON answer, never an undocumented 406 (found by
the API fuzz test: ``Accept: v`*`` on the patient list)."""

import pytest
from django.urls import reverse

from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["v`*", "application/xml", "text/csv;q=1, image/*", "*/*"])
def test_an_unsatisfiable_accept_header_is_answered_in_json(world, accept):
    response = client_for(world.dentist).get(reverse("api_patients"), headers={"Accept": accept})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "results" in response.json()


def test_errors_keep_their_status_with_a_foreign_accept_header(world):
    response = client_for(None).get(reverse("api_patients"), headers={"Accept": "application/xml"})
    assert response.status_code == 401
    assert response.json()["error"]["code"]
