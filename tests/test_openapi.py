"""The committed OpenAPI document matches the code (STYLE.md §5); the served one is the same."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "openapi.json"


def _generated() -> dict:
    out = StringIO()
    call_command(
        "spectacular", "--format", "openapi-json", "--validate", "--fail-on-warn", stdout=out
    )
    return json.loads(out.getvalue())


def test_committed_schema_is_current():
    assert SCHEMA.exists(), "schema/openapi.json is missing: run `make schema`"
    assert json.loads(SCHEMA.read_text()) == _generated(), (
        "schema/openapi.json is out of date: run `make schema` and commit it"
    )


@pytest.mark.django_db
def test_schema_is_served_and_documents_errors_and_token_auth():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert "personalAccessToken" in schema["components"]["securitySchemes"]
    members = schema["paths"]["/api/v1/organizations/{organization_id}/members/"]["get"]
    assert {"200", "401", "403", "404"} <= set(members["responses"])
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]


@pytest.mark.django_db
def test_api_docs_page_uses_our_own_static_files():
    page = Client().get("/api/v1/docs/").content.decode()
    assert 'src="/static/api-docs' in page
    assert "cdn" not in page.lower()
