"""The REST API for organizations, members, invitations, connections and the audit log
(/api/v1/), with personal access tokens and with the browser session.

A token acts for exactly one organization; every refusal has the one error shape
``{"error": {"code": str, "message": str, "fields"?: {name: [str]}}}``.
"""

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for, make_user
from dentalbridge.accounts.models import ApiToken
from dentalbridge.accounts.services import api_token_create, api_token_revoke
from dentalbridge.organizations import services
from dentalbridge.organizations.models import (
    ConnectionStatus,
    Invitation,
    InvitationStatus,
    LabConnection,
    Membership,
)
from dentalbridge.privacy.audit import AuditAction
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


# --- Helpers -------------------------------------------------------------------------------------


def secret_for(user, organization, *, days: int = 30) -> str:
    return api_token_create(
        actor=acting(user, organization), name="Intraoral scanner", valid_days=days
    ).secret


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def api_as(user, organization) -> Client:
    return bearer(secret_for(user, organization))


def session_as(user, organization) -> Client:
    return client_for(user, membership=Membership.objects.get(user=user, organization=organization))


def url(name: str, organization=None, **kwargs) -> str:
    if organization is not None:
        kwargs["organization_id"] = organization.public_id
    return reverse(name, kwargs=kwargs)


def patch(client: Client, path: str, data) -> object:
    return client.patch(path, data=json.dumps(data), content_type="application/json")


def post(client: Client, path: str, data) -> object:
    return client.post(path, data=json.dumps(data), content_type="application/json")


def error_of(response, status: int, code: str | None = None) -> dict:
    """Assert the one error shape and return its inner object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "fields"}
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    if "fields" in error:
        assert isinstance(error["fields"], dict)
        for messages in error["fields"].values():
            assert isinstance(messages, list)
            assert all(isinstance(m, str) for m in messages)
    if code is not None:
        assert error["code"] == code
    return error


# --- Who am I ------------------------------------------------------------------------------------


def test_me_with_a_token_names_the_user_and_the_tokens_organization(world):
    response = api_as(world.manager, world.lab).get(reverse("api_me"))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(world.manager.public_id),
        "email": "mia.manager@lab.example",
        "full_name": "Mia Manager",
        "via": "token",
        "acting_for": {
            "organization_id": str(world.lab.public_id),
            "organization_name": "Precision Lab",
            "kind": "lab",
            "role": "manager",
        },
    }


def test_me_with_a_session_acts_for_the_active_organization(world):
    response = session_as(world.owner, world.practice).get(reverse("api_me"))
    assert response.status_code == 200
    body = response.json()
    assert body["via"] == "web"
    assert body["acting_for"]["organization_id"] == str(world.practice.public_id)


def test_me_of_a_user_without_organization_acts_for_none(world):
    response = client_for(world.newcomer).get(reverse("api_me"))
    assert response.status_code == 200
    assert response.json()["acting_for"] is None


def test_token_records_when_it_was_last_used(world):
    secret = secret_for(world.owner, world.practice)
    assert ApiToken.objects.get().last_used_at is None
    bearer(secret).get(reverse("api_me"))
    assert ApiToken.objects.get().last_used_at is not None


# --- Organizations -------------------------------------------------------------------------------


def test_organizations_list_is_the_tokens_organization_only(world):
    Membership.objects.create(user=world.owner, organization=world.lab, role="technician")
    response = api_as(world.owner, world.practice).get(reverse("api_organizations"))
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [str(world.practice.public_id)]


def test_organizations_list_of_a_user_without_organization_is_empty(world):
    response = client_for(world.newcomer).get(reverse("api_organizations"))
    assert response.status_code == 200
    assert response.json() == []


def test_organization_detail_shows_the_organization(world):
    response = api_as(world.dentist, world.practice).get(url("api_organization", world.practice))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(world.practice.public_id)
    assert (body["kind"], body["name"], body["country"], body["city"]) == (
        "practice",
        "Smile Studio",
        "NL",
        "Utrecht",
    )


def test_owner_patches_the_organization_and_it_is_audited_as_via_token(world):
    client = api_as(world.owner, world.practice)
    response = patch(
        client,
        url("api_organization", world.practice),
        {"name": "Smile Studio Utrecht", "vat_number": "004495445B01", "kind": "lab"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Smile Studio Utrecht"
    assert response.json()["vat_number"] == "NL004495445B01"
    world.practice.refresh_from_db()
    assert (world.practice.name, world.practice.kind) == ("Smile Studio Utrecht", "practice")
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_UPDATED)
    assert (event.via, event.data) == ("token", {"fields": "name,vat_number"})


def test_patch_with_an_invalid_vat_number_is_400_naming_the_field_and_saves_nothing(world):
    client = api_as(world.owner, world.practice)
    response = patch(
        client,
        url("api_organization", world.practice),
        {"name": "Renamed", "vat_number": "NL004495446B01"},
    )
    error = error_of(response, 400, "validation_failed")
    assert list(error["fields"]) == ["vat_number"]
    assert "NL004495446B01" in error["fields"]["vat_number"][0]
    world.practice.refresh_from_db()
    assert (world.practice.name, world.practice.vat_number) == ("Smile Studio", "")
    assert not AuditEvent.objects.filter(action=AuditAction.ORGANIZATION_UPDATED).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"country": "Netherlands"}, "country"),
        ({"country": "ZZ"}, "country"),
        ({"data_region": "mars"}, "data_region"),
        ({"pec": "not-an-address"}, "pec"),
        ({"sdi_code": ["M5UXCR1"]}, "sdi_code"),
        ({"sdi_code": "M5UXCR12"}, "sdi_code"),
    ],
)
def test_patch_with_wrong_values_is_400_validation_failed(world, data, field):
    response = patch(
        api_as(world.owner, world.practice), url("api_organization", world.practice), data
    )
    error = error_of(response, 400, "validation_failed")
    assert field in error["fields"]


def test_patch_by_a_dentist_is_forbidden(world):
    response = patch(
        api_as(world.dentist, world.practice),
        url("api_organization", world.practice),
        {"name": "Dan's"},
    )
    error_of(response, 403, "forbidden")
    world.practice.refresh_from_db()
    assert world.practice.name == "Smile Studio"


# --- Members -------------------------------------------------------------------------------------


def test_members_list_is_paginated_and_sorted_by_email(world):
    response = api_as(world.dentist, world.practice).get(url("api_members", world.practice))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [m["user"]["email"] for m in body["results"]] == [
        "ada.assistant@smile.example",
        "dan.dentist@smile.example",
        "olivia.owner@smile.example",
    ]
    first = body["results"][0]
    assert set(first) == {"id", "user", "role", "created_at"}
    assert first["user"] == {
        "id": str(world.assistant.public_id),
        "email": "ada.assistant@smile.example",
        "full_name": "Ada Assistant",
    }


def test_members_list_pages_follow_the_page_size(world):
    response = api_as(world.dentist, world.practice).get(
        url("api_members", world.practice), {"page_size": 2}
    )
    body = response.json()
    assert (body["count"], len(body["results"]), body["previous"]) == (3, 2, None)
    assert "page=2" in body["next"]
    rest = api_as(world.dentist, world.practice).get(body["next"]).json()
    assert [m["user"]["email"] for m in rest["results"]] == ["olivia.owner@smile.example"]


def test_members_list_is_forbidden_to_a_freelance_designer(world):
    error_of(api_as(world.designer, world.lab).get(url("api_members", world.lab)), 403)


def _members(organization, n: int) -> None:
    for i in range(n):
        user = make_user(
            f"staff{i:02d}@{organization.name.split()[0].lower()}.example", "", mfa=False
        )
        Membership.objects.create(user=user, organization=organization, role="assistant")


def _queries(client: Client, path: str, status: int = 200) -> int:
    """Queries of a repeated request (the first one may record the token's last use)."""
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == status
    return len(queries)


def test_members_list_api_uses_a_constant_number_of_queries(world):
    client = api_as(world.owner, world.practice)
    path = url("api_members", world.practice)
    small = _queries(client, path)
    _members(world.practice, 27)
    big = _queries(client, path)
    assert client.get(path).json()["count"] == 30
    assert big == small, (small, big)


def test_members_html_page_uses_a_constant_number_of_queries(world):
    client = session_as(world.owner, world.practice)
    path = url("members", world.practice)
    for i in range(2):
        services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email=f"invitee{i}@smile.example",
            role="assistant",
        )
    small = _queries(client, path)
    _members(world.practice, 27)
    for i in range(2, 20):
        services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email=f"invitee{i}@smile.example",
            role="assistant",
        )
    big = _queries(client, path)
    page = client.get(path).content.decode()
    assert "staff26@smile.example" in page
    assert "invitee19@smile.example" in page
    assert big == small, (small, big)


def test_owner_changes_a_members_role(world):
    assistant = Membership.objects.get(user=world.assistant)
    response = patch(
        api_as(world.owner, world.practice),
        url("api_member", world.practice, membership_id=assistant.public_id),
        {"role": "dentist"},
    )
    assert response.status_code == 200
    assert response.json()["role"] == "dentist"
    assistant.refresh_from_db()
    assert assistant.role == "dentist"


@pytest.mark.parametrize("role", [123, None, "", "pope", ["dentist"]])
def test_role_of_the_wrong_type_or_unknown_is_400(world, role):
    assistant = Membership.objects.get(user=world.assistant)
    response = patch(
        api_as(world.owner, world.practice),
        url("api_member", world.practice, membership_id=assistant.public_id),
        {"role": role},
    )
    error = error_of(response, 400, "validation_failed")
    assert "role" in error["fields"]
    assistant.refresh_from_db()
    assert assistant.role == "assistant"


def test_role_of_another_kind_of_organization_is_400(world):
    assistant = Membership.objects.get(user=world.assistant)
    response = patch(
        api_as(world.owner, world.practice),
        url("api_member", world.practice, membership_id=assistant.public_id),
        {"role": "technician"},
    )
    error = error_of(response, 400, "validation_failed")
    assert list(error["fields"]) == ["role"]


def test_demoting_the_last_owner_is_409(world):
    own = Membership.objects.get(user=world.owner)
    response = patch(
        api_as(world.owner, world.practice),
        url("api_member", world.practice, membership_id=own.public_id),
        {"role": "dentist"},
    )
    error_of(response, 409, "last_admin")
    own.refresh_from_db()
    assert own.role == "owner"


def test_owner_removes_a_member_and_their_token_stops_working(world):
    assistant_secret = secret_for(world.assistant, world.practice)
    assert bearer(assistant_secret).get(reverse("api_me")).status_code == 200
    assistant = Membership.objects.get(user=world.assistant)
    response = api_as(world.owner, world.practice).delete(
        url("api_member", world.practice, membership_id=assistant.public_id)
    )
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=assistant.pk).exists()
    error_of(bearer(assistant_secret).get(reverse("api_me")), 401)


def test_removing_the_last_manager_is_409(world):
    own = Membership.objects.get(user=world.manager)
    response = api_as(world.manager, world.lab).delete(
        url("api_member", world.lab, membership_id=own.public_id)
    )
    error_of(response, 409)
    assert Membership.objects.filter(pk=own.pk).exists()


def test_technician_cannot_remove_a_colleague(world):
    designer = Membership.objects.get(user=world.designer)
    response = api_as(world.technician, world.lab).delete(
        url("api_member", world.lab, membership_id=designer.public_id)
    )
    error_of(response, 403, "forbidden")
    assert Membership.objects.filter(pk=designer.pk).exists()


# --- Invitations ---------------------------------------------------------------------------------


def test_owner_creates_lists_and_revokes_an_invitation(world, django_capture_on_commit_callbacks):
    client = api_as(world.owner, world.practice)
    with django_capture_on_commit_callbacks(execute=True):
        created = post(
            client,
            url("api_invitations", world.practice),
            {"email": "nina.new@newcomer.example", "role": "dentist"},
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["email"], body["role"], body["status"]) == (
        "nina.new@newcomer.example",
        "dentist",
        "pending",
    )
    assert [m.to for m in mail.outbox] == [["nina.new@newcomer.example"]]

    listed = client.get(url("api_invitations", world.practice)).json()
    assert set(listed) == {"count", "next", "previous", "results"}
    assert [i["id"] for i in listed["results"]] == [body["id"]]
    assert set(listed["results"][0]) == {
        "id",
        "email",
        "role",
        "status",
        "created_at",
        "expires_at",
    }

    gone = client.delete(url("api_invitation", world.practice, invitation_id=body["id"]))
    assert gone.status_code == 204
    assert Invitation.objects.get().status == InvitationStatus.REVOKED
    error_of(
        client.delete(url("api_invitation", world.practice, invitation_id=body["id"])),
        409,
        "not_pending",
    )


def test_inviting_an_existing_member_is_409_already_member(world):
    response = post(
        api_as(world.owner, world.practice),
        url("api_invitations", world.practice),
        {"email": "dan.dentist@smile.example", "role": "assistant"},
    )
    error_of(response, 409, "already_member")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address", "role": "assistant"}, "email"),
        ({"role": "assistant"}, "email"),
        ({"email": "nina.new@newcomer.example", "role": 7}, "role"),
        ({"email": "nina.new@newcomer.example", "role": "technician"}, "role"),
    ],
)
def test_invitation_with_invalid_input_is_400(world, data, field):
    response = post(
        api_as(world.owner, world.practice), url("api_invitations", world.practice), data
    )
    error = error_of(response, 400, "validation_failed")
    assert field in error["fields"]
    assert not Invitation.objects.exists()


def test_assistant_cannot_list_or_create_invitations(world):
    client = api_as(world.assistant, world.practice)
    error_of(client.get(url("api_invitations", world.practice)), 403, "forbidden")
    response = post(
        client,
        url("api_invitations", world.practice),
        {"email": "nina.new@newcomer.example", "role": "assistant"},
    )
    error_of(response, 403, "forbidden")
    assert not Invitation.objects.exists()


# --- Connections ---------------------------------------------------------------------------------


def test_practice_requests_a_lab_and_the_lab_accepts_through_the_api(world):
    practice = api_as(world.owner, world.practice)
    lab = api_as(world.manager, world.lab)
    created = post(
        practice,
        url("api_connections", world.practice),
        {"lab": str(world.lab.public_id), "message": "Crowns and bridges"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending"
    assert body["lab"] == {
        "id": str(world.lab.public_id),
        "name": "Precision Lab",
        "city": "Rotterdam",
        "country": "NL",
    }

    incoming = lab.get(url("api_connections", world.lab), {"status": "pending"}).json()
    assert [c["id"] for c in incoming["results"]] == [body["id"]]
    assert incoming["results"][0]["practice"]["name"] == "Smile Studio"

    accepted = patch(
        lab, url("api_connection", world.lab, connection_id=body["id"]), {"decision": "accept"}
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert lab.get(url("api_connections", world.lab), {"status": "pending"}).json()["count"] == 0

    ended = patch(
        practice,
        url("api_connection", world.practice, connection_id=body["id"]),
        {"decision": "end"},
    )
    assert ended.json()["status"] == "ended"
    assert LabConnection.objects.get().status == ConnectionStatus.ENDED


def test_lab_declines_and_the_practice_asks_again(world):
    practice = api_as(world.owner, world.practice)
    body = post(
        practice, url("api_connections", world.practice), {"lab": str(world.lab.public_id)}
    ).json()
    declined = patch(
        api_as(world.manager, world.lab),
        url("api_connection", world.lab, connection_id=body["id"]),
        {"decision": "decline"},
    )
    assert declined.json()["status"] == "declined"
    again = post(
        practice, url("api_connections", world.practice), {"lab": str(world.lab.public_id)}
    )
    assert again.status_code == 201
    assert again.json()["id"] == body["id"]
    error_of(
        post(practice, url("api_connections", world.practice), {"lab": str(world.lab.public_id)}),
        409,
    )


@pytest.mark.parametrize(
    "data",
    [{"lab": "not-a-uuid"}, {"lab": "12345"}, {"lab": ["x"]}, {}, {"lab": None}],
)
def test_connection_request_with_a_malformed_lab_is_400(world, data):
    response = post(
        api_as(world.owner, world.practice), url("api_connections", world.practice), data
    )
    error = error_of(response, 400, "validation_failed")
    assert "lab" in error["fields"]


def test_connection_request_for_an_unknown_lab_is_404(world):
    response = post(
        api_as(world.owner, world.practice),
        url("api_connections", world.practice),
        {"lab": str(world.other_practice.public_id)},
    )
    error_of(response, 404, "not_found")


def test_connection_request_by_a_dentist_is_403(world):
    response = post(
        api_as(world.dentist, world.practice),
        url("api_connections", world.practice),
        {"lab": str(world.lab.public_id)},
    )
    error_of(response, 403, "forbidden")
    assert not LabConnection.objects.exists()


@pytest.mark.parametrize("decision", ["maybe", "", 1, None])
def test_unknown_decision_is_400(world, decision):
    link = LabConnection.objects.create(practice=world.practice, lab=world.lab)
    response = patch(
        api_as(world.manager, world.lab),
        url("api_connection", world.lab, connection_id=link.public_id),
        {"decision": decision},
    )
    error = error_of(response, 400, "validation_failed")
    assert "decision" in error["fields"]


def test_other_lab_cannot_answer_a_request_through_the_api(world):
    link = LabConnection.objects.create(practice=world.practice, lab=world.lab)
    client = api_as(world.other_manager, world.other_lab)
    for organization in (world.other_lab, world.lab):
        response = patch(
            client,
            url("api_connection", organization, connection_id=link.public_id),
            {"decision": "accept"},
        )
        error_of(response, 404, "not_found")
    assert client.get(url("api_connections", world.other_lab)).json()["count"] == 0
    link.refresh_from_db()
    assert link.status == ConnectionStatus.PENDING


# --- Audit log -----------------------------------------------------------------------------------


def test_audit_events_list_shows_this_organizations_events_newest_first(world):
    client = api_as(world.owner, world.practice)
    patch(client, url("api_organization", world.practice), {"city": "Amersfoort"})
    api_as(world.other_owner, world.other_practice)  # another tenant's token.created event
    response = client.get(url("api_audit_events", world.practice))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    actions = [e["action"] for e in body["results"]]
    assert actions == ["organization.updated", "token.created"]
    newest = body["results"][0]
    assert newest["actor_email"] == "olivia.owner@smile.example"
    assert newest["via"] == "token"
    assert newest["data"] == {"fields": "city"}
    assert newest["seq"] > body["results"][1]["seq"]
    filtered = client.get(url("api_audit_events", world.practice), {"action": "token."}).json()
    assert [e["action"] for e in filtered["results"]] == ["token.created"]


def test_audit_events_are_forbidden_to_a_dentist(world):
    error_of(
        api_as(world.dentist, world.practice).get(url("api_audit_events", world.practice)), 403
    )


# --- Tenancy: a token acts for its one organization ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("api_organization", "get"),
        ("api_organization", "patch"),
        ("api_members", "get"),
        ("api_invitations", "get"),
        ("api_invitations", "post"),
        ("api_connections", "get"),
        ("api_audit_events", "get"),
    ],
)
def test_token_for_one_organization_is_refused_on_another_with_404(world, name, method):
    # The owner is a member of both practices, so the refusal comes from the token's scope.
    Membership.objects.create(user=world.owner, organization=world.other_practice, role="owner")
    client = api_as(world.owner, world.practice)
    path = url(name, world.other_practice)
    if method == "get":
        response = client.get(path)
    else:
        body = {"email": "nina.new@newcomer.example", "role": "assistant", "name": "Taken"}
        response = getattr(client, method)(
            path, data=json.dumps(body), content_type="application/json"
        )
    error_of(response, 404, "not_found")
    world.other_practice.refresh_from_db()
    assert world.other_practice.name == "Other Dental"
    assert not Invitation.objects.exists()


def test_token_cannot_reach_a_member_of_another_organization(world):
    other = Membership.objects.get(user=world.other_owner)
    client = api_as(world.owner, world.practice)
    for organization in (world.practice, world.other_practice):
        path = url("api_member", organization, membership_id=other.public_id)
        error_of(client.delete(path), 404, "not_found")
    assert Membership.objects.filter(pk=other.pk).exists()


def test_token_cannot_revoke_another_organizations_invitation(world):
    invitation = services.invitation_create(
        actor=acting(world.other_owner, world.other_practice),
        organization_id=world.other_practice.public_id,
        email="nina.new@newcomer.example",
        role="assistant",
    )
    client = api_as(world.owner, world.practice)
    for organization in (world.practice, world.other_practice):
        path = url("api_invitation", organization, invitation_id=invitation.public_id)
        error_of(client.delete(path), 404, "not_found")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_unknown_organization_id_is_404(world):
    response = api_as(world.owner, world.practice).get(
        reverse("api_organization", kwargs={"organization_id": uuid.uuid4()})
    )
    error_of(response, 404, "not_found")


def test_session_owner_patches_the_organization_audited_as_via_web(world):
    client = session_as(world.owner, world.practice)
    response = patch(client, url("api_organization", world.practice), {"city": "Amersfoort"})
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_UPDATED)
    assert (event.via, event.actor_id) == ("web", world.owner.public_id)


def test_session_acts_for_the_active_organization_only(world):
    Membership.objects.create(user=world.owner, organization=world.lab, role="technician")
    client = session_as(world.owner, world.practice)
    assert client.get(url("api_organization", world.practice)).status_code == 200
    error_of(client.get(url("api_organization", world.lab)), 404, "not_found")


# --- Authentication ------------------------------------------------------------------------------


def test_request_without_credentials_is_401(world):
    error = error_of(Client().get(url("api_members", world.practice)), 401, "not_authenticated")
    assert error["message"]


def test_revoked_token_is_401(world):
    issued = api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=30
    )
    api_token_revoke(actor=acting(world.owner, world.practice), token_id=issued.token.public_id)
    response = bearer(issued.secret).get(reverse("api_me"))
    error_of(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(world):
    secret = secret_for(world.owner, world.practice, days=1)
    assert bearer(secret).get(reverse("api_me")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1), tick=False):
        error_of(bearer(secret).get(reverse("api_me")), 401, "authentication_failed")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer dbp_abc dbp_def",
        "Bearer not-a-dentalbridge-token",
        "Bearer dbp_" + "x" * 200,
        "Bearer dbp_doesnotexist",
        "bearer dbp_doesnotexist",
        "Token dbp_doesnotexist",
        "Basic Zm9vOmJhcg==",
        "Bearer dbp_\u00e9t\u00e9",
    ],
)
def test_malformed_or_unknown_authorization_header_is_401(world, header):
    response = Client(HTTP_AUTHORIZATION=header).get(url("api_members", world.practice))
    error_of(response, 401)


def test_bearer_token_of_another_user_with_a_valid_prefix_but_one_character_off_is_401(world):
    secret = secret_for(world.owner, world.practice)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    error_of(bearer(tampered).get(reverse("api_me")), 401)


def test_token_of_a_user_whose_membership_was_removed_is_401(world):
    secret = secret_for(world.assistant, world.practice)
    # Deleted outside the service, so the token is still unrevoked: the membership check refuses.
    Membership.objects.filter(user=world.assistant).delete()
    assert ApiToken.objects.get(user=world.assistant).revoked_at is None
    error_of(bearer(secret).get(reverse("api_me")), 401, "authentication_failed")


def test_token_of_a_user_without_a_second_factor_is_401(world):
    secret = secret_for(world.dentist, world.practice)
    Authenticator.objects.filter(user=world.dentist).delete()
    error_of(bearer(secret).get(reverse("api_me")), 401, "authentication_failed")


def test_token_of_a_deactivated_user_is_401(world):
    secret = secret_for(world.dentist, world.practice)
    world.dentist.is_active = False
    world.dentist.save()
    error_of(bearer(secret).get(reverse("api_me")), 401)


def test_session_user_without_a_second_factor_gets_403_second_factor_required(world):
    Authenticator.objects.filter(user=world.dentist).delete()
    response = session_as(world.dentist, world.practice).get(url("api_members", world.practice))
    error_of(response, 403, "second_factor_required")


def test_session_unsafe_request_needs_the_csrf_token(world):
    client = session_as(world.owner, world.practice)
    client.handler.enforce_csrf_checks = True
    response = patch(client, url("api_organization", world.practice), {"name": "Forged"})
    error_of(response, 403)
    world.practice.refresh_from_db()
    assert world.practice.name == "Smile Studio"


def test_token_requests_need_no_csrf_token(world):
    client = api_as(world.owner, world.practice)
    client.handler.enforce_csrf_checks = True
    response = patch(client, url("api_organization", world.practice), {"city": "Zeist"})
    assert response.status_code == 200


# --- Error shape ---------------------------------------------------------------------------------


def test_non_json_body_is_415_in_the_error_shape(world):
    response = api_as(world.owner, world.practice).patch(
        url("api_organization", world.practice), data="name=Forged", content_type="text/plain"
    )
    error_of(response, 415, "unsupported_media_type")


def test_form_encoded_body_is_415_in_the_error_shape(world):
    response = api_as(world.owner, world.practice).post(
        url("api_invitations", world.practice),
        {"email": "nina.new@newcomer.example", "role": "assistant"},
    )
    error_of(response, 415)
    assert not Invitation.objects.exists()


def test_malformed_json_is_400_in_the_error_shape(world):
    response = api_as(world.owner, world.practice).patch(
        url("api_organization", world.practice), data="{name:", content_type="application/json"
    )
    error_of(response, 400)


@pytest.mark.parametrize("body", ["[]", '"text"', "42"])
def test_json_that_is_not_an_object_is_400_validation_failed(world, body):
    assistant = Membership.objects.get(user=world.assistant)
    response = api_as(world.owner, world.practice).patch(
        url("api_member", world.practice, membership_id=assistant.public_id),
        data=body,
        content_type="application/json",
    )
    error_of(response, 400, "validation_failed")


def test_method_not_allowed_is_405_in_the_error_shape(world):
    response = api_as(world.owner, world.practice).delete(url("api_organization", world.practice))
    error_of(response, 405)


def test_page_past_the_end_is_404_in_the_error_shape(world):
    response = api_as(world.owner, world.practice).get(
        url("api_members", world.practice), {"page": 99}
    )
    error_of(response, 404, "not_found")


def test_unknown_api_path_is_404_in_the_error_shape(world):
    client = api_as(world.owner, world.practice)
    error_of(client.get("/api/v1/no-such-endpoint/"), 404)
    error_of(client.get("/api/v1/organizations/not-a-uuid/"), 404)


def test_nul_bytes_in_query_strings_are_harmless(world):
    """Found by the API fuzzer on PostgreSQL: a NUL in a filter became a 500."""
    client = api_as(world.owner, world.practice)
    response = client.get(url("api_audit_events", world.practice) + "?action=%00member.")
    assert response.status_code == 200


@pytest.mark.parametrize("country", ["³", "١٢", "N", "NLD", "12"])
def test_a_country_that_is_not_two_letters_is_a_clear_400(world, country):
    """Found by the API fuzzer: a superscript digit made django-countries raise (500)."""
    from dentalbridge.accounts.services import api_token_create

    secret = api_token_create(
        actor=acting(world.owner, world.practice), name="t", valid_days=1
    ).secret
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").patch(
        f"/api/v1/organizations/{world.practice.public_id}/",
        {"country": country},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "country" in response.json()["error"]["fields"]
