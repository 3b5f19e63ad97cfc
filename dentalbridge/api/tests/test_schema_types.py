"""Finding 7 of issue 13: ``CareGrant.revoked_at`` was null where the schema said string. The
schema's types are true to the responses: a field that can be null is nullable in the schema."""

import importlib
import inspect
import json
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs shipped
from rest_framework import serializers

from conftest import acting
from dentalbridge.accounts.services import api_token_create
from dentalbridge.patients import services

SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "openapi.json"
DATES = (serializers.DateTimeField, serializers.DateField)

# The model behind each plain serializer with dates (ModelSerializers take nullability from
# their model themselves).
MODELS = {
    "dentalbridge.patients.api.CareGrantSerializer": "patients.CareTeamGrant",
    "dentalbridge.patients.api.RecordVersionSerializer": "patients.RecordItemVersion",
    "dentalbridge.patients.api.RecordItemSerializer": "patients.RecordItem",
    "dentalbridge.patients.api.RecordItemDetailSerializer": "patients.RecordItem",
    "dentalbridge.patients.api.RecordItemCreateSerializer": "patients.RecordItemVersion",
    "dentalbridge.files.api.FileSerializer": "files.Asset",
    "dentalbridge.orders.api.OrderSerializer": "orders.Order",
    "dentalbridge.orders.api.OrderWriteSerializer": "orders.Order",
    "dentalbridge.orders.api.OrderCreateSerializer": "orders.Order",
    "dentalbridge.orders.api.OrderMessageSerializer": "orders.OrderMessage",
    "dentalbridge.orders.api.OrderAssignSerializer": "orders.OrderAssignment",
    "dentalbridge.orders.api.OrderAssignmentSerializer": "orders.OrderAssignment",
    "dentalbridge.organizations.api.AuditEventSerializer": "privacy.AuditEvent",
}
# Dates that are no column: what a client sends for one step.
NOT_COLUMNS = {"dentalbridge.orders.api.OrderStepSerializer": {"return_date"}}


def _api_serializers():
    for config in apps.get_app_configs():
        if not config.name.startswith("dentalbridge."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.api")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.Serializer) and cls.__module__ == module.__name__:
                yield f"{cls.__module__}.{cls.__qualname__}", cls


def _schema() -> dict:
    return json.loads(SCHEMA.read_text())


def _validator(component: str) -> Draft202012Validator:
    document = _schema()
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    )


def test_a_read_only_field_that_defaults_to_none_is_nullable():
    found = list(_api_serializers())
    assert len(found) > 20
    for name, cls in found:
        for field_name, field in cls().fields.items():
            if field.read_only and getattr(field, "default", serializers.empty) is None:
                assert field.allow_null, f"{name}.{field_name} can be null: allow_null=True"


def test_every_date_from_a_nullable_column_is_nullable():
    for name, cls in _api_serializers():
        if issubclass(cls, serializers.ModelSerializer):
            continue
        dated = {
            field_name: field
            for field_name, field in cls().fields.items()
            if isinstance(field, DATES) and field_name not in NOT_COLUMNS.get(name, set())
        }
        if not dated:
            continue
        assert name in MODELS, f"{name} has dates: name its model in MODELS"
        model = apps.get_model(MODELS[name])
        for field_name, field in dated.items():
            column = model._meta.get_field(field.source or field_name)
            if column.null:
                assert field.allow_null, f"{name}.{field_name} can be null: allow_null=True"


@pytest.mark.django_db
def test_finding_7_care_grant_revoked_at_is_nullable_in_the_schema(world):
    revoked_at = _schema()["components"]["schemas"]["CareGrant"]["properties"]["revoked_at"]
    assert revoked_at["type"] == ["string", "null"]

    dentist = acting(world.dentist, world.practice)
    patient = services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Anna", family_name="Verdi",
        date_of_birth=date(1969, 9, 9), attending_dentist=world.dentist,
    )  # fmt: skip
    active = services.care_grant_create(
        actor=dentist, patient_id=patient.public_id, grantee_email=world.other_owner.email,
        reason="Second opinion",
    )  # fmt: skip
    services.care_grant_revoke(
        actor=dentist, patient_id=patient.public_id, grant_id=active.public_id
    )
    services.care_grant_create(
        actor=dentist, patient_id=patient.public_id, grantee_email=world.other_owner.email,
        reason="Second opinion again",
    )  # fmt: skip
    secret = api_token_create(actor=dentist, name="t", valid_days=1).secret
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(
        reverse("api_care_team", args=[patient.public_id])
    )
    assert response.status_code == 200
    grants = response.json()
    assert sorted(g["revoked_at"] is None for g in grants) == [False, True]
    validator = _validator("CareGrant")
    for grant in grants:
        validator.validate(grant)
