"""Invitations take e-mail addresses in their one form (issue 13, finding 7): a look-alike
address (a zero-width space, a bidi control) or one at an IP address is refused with a clear
message on the page, in the API and in the service; the others are normalised, so an invitation
to an existing member's look-alike is recognised as that member."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.accounts.services import api_token_create
from dentalbridge.core.emails import INVISIBLE, IP_DOMAIN
from dentalbridge.core.errors import Conflict, ValidationFailed
from dentalbridge.organizations import services
from dentalbridge.organizations.models import Invitation, Membership

pytestmark = pytest.mark.django_db

ZWSP = "\u200b"


def wide(text: str) -> str:
    """``text`` in full-width forms (U+FF21 for A, …), which NFKC folds back to ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


REFUSED = [
    (f"nina.new@newcomer{ZWSP}.example", INVISIBLE),
    (f"nina.new{ZWSP}@newcomer.example", INVISIBLE),
    ("nina.new\u202e@newcomer.example", INVISIBLE),
    ("nina.new@[192.0.2.1]", IP_DOMAIN),
    ("nina.new@192.0.2.1", IP_DOMAIN),
]


@pytest.mark.parametrize(("address", "message"), REFUSED)
def test_finding_7_lookalike_email_is_refused_for_an_invitation(world, address, message):
    with pytest.raises(ValidationFailed) as info:
        services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email=address,
            role="dentist",
        )
    assert info.value.fields == {"email": [str(message)]}
    assert not Invitation.objects.exists()


def test_finding_7_lookalike_email_with_zero_width_space_is_refused_on_the_members_page(world):
    client = client_for(
        world.owner,
        membership=Membership.objects.get(user=world.owner, organization=world.practice),
    )
    response = client.post(
        reverse("invitation_create", args=[world.practice.public_id]),
        {"email": f"nina.new@newcomer{ZWSP}.example", "role": "dentist"},
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(INVISIBLE)]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(("address", "message"), REFUSED[:1] + REFUSED[3:4])
def test_finding_7_lookalike_email_is_refused_by_the_invitation_api(world, address, message):
    secret = api_token_create(
        actor=acting(world.owner, world.practice), name="Admin", valid_days=1
    ).secret
    client = client_for(None)
    response = client.post(
        reverse("api_invitations", kwargs={"organization_id": world.practice.public_id}),
        data=json.dumps({"email": address, "role": "dentist"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert "email" in error["fields"]
    assert not Invitation.objects.exists()


def test_finding_7_invitation_email_is_stored_in_its_normal_form(world):
    invitation = services.invitation_create(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        email=f"  Nina.New@{wide('NEWCOMER')}.example. ",
        role="dentist",
    )
    assert invitation.email == "nina.new@newcomer.example"


def test_finding_7_a_lookalike_of_a_member_is_that_member(world):
    with pytest.raises(Conflict) as info:
        services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email=f"DAN.DENTIST@{wide('smile')}.example",
            role="assistant",
        )
    assert info.value.code == "already_member"
