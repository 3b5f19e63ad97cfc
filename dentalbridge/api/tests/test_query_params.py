"""Finding 7 of issue 13: invalid ``view``/``status``/``page_size`` query values were silently
ignored. The API refuses them with 400 naming the parameter and documents what it accepts; the
HTML pages may fall back to their default but never answer 500."""

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.accounts.services import api_token_create

SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "openapi.json"
BAD = ["", "0", "-1", "201", "abc", "1.5", "٣", "1e3", "10 "]

pytestmark = pytest.mark.django_db


def bearer(user, organization) -> Client:
    secret = api_token_create(actor=acting(user, organization), name="t", valid_days=1).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _refused(response, parameter):
    assert response.status_code == 400, (parameter, response.content[:200])
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert list(error["fields"]) == [parameter]


def test_finding_7_invalid_page_size_is_a_400(world):
    api = bearer(world.owner, world.practice)
    lists = [
        reverse("api_patients"),
        reverse("api_orders"),
        reverse("api_members", args=[world.practice.public_id]),
        reverse("api_connections", args=[world.practice.public_id]),
    ]
    for url in lists:
        for value in BAD:
            _refused(api.get(url, {"page_size": value}), "page_size")
        for value in ("1", "200"):
            assert api.get(url, {"page_size": value}).status_code == 200
        for value in ("0", "abc", ""):
            _refused(api.get(url, {"page": value}), "page")
        assert api.get(url, {"page": "1"}).status_code == 200


def test_finding_7_invalid_view_status_and_stage_are_a_400(world):
    api = bearer(world.owner, world.practice)
    for value in ("", "nope", "ALL", "open "):
        _refused(api.get(reverse("api_orders"), {"view": value}), "view")
        _refused(api.get(reverse("api_orders"), {"stage": value}), "stage")
        _refused(
            api.get(reverse("api_connections", args=[world.practice.public_id]), {"status": value}),
            "status",
        )
    _refused(api.get(reverse("api_patients"), {"deleted": "maybe"}), "deleted")
    assert api.get(reverse("api_orders"), {"view": "done", "stage": "draft"}).status_code == 200
    connections = reverse("api_connections", args=[world.practice.public_id])
    assert api.get(connections, {"status": "accepted"}).status_code == 200
    assert api.get(reverse("api_patients"), {"deleted": "false"}).status_code == 200


def test_finding_7_the_schema_documents_the_accepted_values():
    paths = json.loads(SCHEMA.read_text())["paths"]
    for path, operations in paths.items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "page_size":
                    assert (
                        parameter["schema"] | {"minimum": 1, "maximum": 200} == parameter["schema"]
                    ), path
                if parameter["name"] == "page":
                    assert parameter["schema"]["minimum"] == 1, path
                if parameter["name"] in {"view", "status", "stage"}:
                    assert parameter["schema"]["enum"], path
            if "parameters" in operation:
                assert "400" in operation["responses"], path


def test_finding_7_pages_fall_back_on_invalid_values_without_a_500(world):
    owner = client_for(world.owner)
    for value in ("", "nope", "-1", "abc", "99999999999999999999", "\x00"):
        for url, parameter in (
            (reverse("order_list"), "view"),
            (reverse("order_list"), "stage"),
            (reverse("order_list"), "page"),
            (reverse("patient_list"), "page"),
        ):
            response = owner.get(url, {parameter: value})
            assert response.status_code < 500, (url, parameter, value)
