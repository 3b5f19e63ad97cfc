"""Personal access tokens (ACC-3): shown once, stored as a SHA-256 hash, scoped to the
organization the user acts for when creating it, revocable only by their owner, audited."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.accounts.models import ApiToken
from dentalbridge.accounts.services import TOKEN_PREFIX, api_token_create, api_token_revoke
from dentalbridge.core.errors import NotFound, ValidationFailed
from dentalbridge.organizations.models import Membership
from dentalbridge.privacy.audit import AuditAction
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db


SECRET = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_\-]{{20,}}")


def session_as(user, organization):
    return client_for(user, membership=Membership.objects.get(user=user, organization=organization))


def create_on_page(client, name="Scanner room 2", valid_days=90):
    return client.post(reverse("api_tokens"), {"name": name, "valid_days": valid_days})


# --- Shown once, stored as a hash ----------------------------------------------------------------


def test_secret_is_shown_once_and_only_its_sha256_is_stored(world):
    client = session_as(world.owner, world.practice)
    response = create_on_page(client)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = SECRET.search(response.content.decode()).group(0)
    assert response.context["issued"].secret == secret

    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    for field in ApiToken._meta.concrete_fields:
        value = field.value_from_object(token)
        assert secret not in str(value), f"the secret is stored in ApiToken.{field.name}"
    assert secret.startswith(token.prefix)
    assert len(token.prefix) < len(secret) // 2

    again = client.get(reverse("api_tokens"))
    assert again.status_code == 200
    page = again.content.decode()
    assert "Scanner room 2" in page
    assert secret not in page
    assert token.prefix in page


def test_each_token_has_its_own_secret(world):
    actor = acting(world.owner, world.practice)
    first = api_token_create(actor=actor, name="One", valid_days=30)
    second = api_token_create(actor=actor, name="Two", valid_days=30)
    assert first.secret != second.secret
    assert first.token.token_hash != second.token.token_hash


# --- Scoped to the active organization -----------------------------------------------------------


def test_token_is_created_for_the_active_organization_only(world):
    Membership.objects.create(user=world.owner, organization=world.lab, role="technician")
    response = create_on_page(session_as(world.owner, world.lab), name="Lab token")
    secret = response.context["issued"].secret
    token = ApiToken.objects.get()
    assert token.organization == world.lab

    api = client_for(None)
    api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    me = api.get(reverse("api_me")).json()
    assert me["acting_for"]["organization_id"] == str(world.lab.public_id)
    assert me["acting_for"]["role"] == "technician"
    practice = reverse("api_organization", kwargs={"organization_id": world.practice.public_id})
    assert api.get(practice).status_code == 404


def test_token_service_uses_the_principals_organization(world):
    issued = api_token_create(actor=acting(world.designer, world.lab), name="CAD", valid_days=7)
    assert issued.token.organization == world.lab
    assert issued.token.user == world.designer


def test_user_without_an_organization_cannot_create_a_token(world):
    with pytest.raises(ValidationFailed):
        api_token_create(actor=acting(world.newcomer), name="Orphan", valid_days=30)
    response = create_on_page(client_for(world.newcomer))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert not ApiToken.objects.exists()


# --- Validity and name ---------------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, -1, settings.API_TOKEN_MAX_DAYS + 1, "30", 30.0, None])
def test_validity_outside_one_to_the_maximum_days_is_refused(world, days):
    with pytest.raises(ValidationFailed) as info:
        api_token_create(actor=acting(world.owner, world.practice), name="Scanner", valid_days=days)
    assert list(info.value.fields) == ["valid_days"]
    assert str(settings.API_TOKEN_MAX_DAYS) in info.value.fields["valid_days"][0]
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("days", [1, settings.API_TOKEN_MAX_DAYS])
def test_validity_at_the_bounds_is_accepted_and_sets_the_expiry(world, days):
    before = timezone.now()
    issued = api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=days
    )
    expected = before + timedelta(days=days)
    assert expected <= issued.token.expires_at <= expected + timedelta(seconds=5)


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_token_name_of_1_to_80_characters_is_required(world, name):
    with pytest.raises(ValidationFailed) as info:
        api_token_create(actor=acting(world.owner, world.practice), name=name, valid_days=30)
    assert list(info.value.fields) == ["name"]
    assert not ApiToken.objects.exists()


def test_page_refuses_a_validity_that_is_not_offered(world):
    response = create_on_page(session_as(world.owner, world.practice), valid_days=10_000)
    assert response.status_code == 200
    assert response.context["form"].errors["valid_days"]
    assert response.context["issued"] is None
    assert not ApiToken.objects.exists()


# --- Revocation ----------------------------------------------------------------------------------


def test_owner_revokes_a_token_on_the_page(world):
    issued = api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=30
    )
    client = session_as(world.owner, world.practice)
    path = reverse("api_token_revoke", kwargs={"token_id": issued.token.public_id})
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("api_tokens")
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert not issued.token.is_usable
    api = client_for(None)
    api.defaults["HTTP_AUTHORIZATION"] = f"Bearer {issued.secret}"
    assert api.get(reverse("api_me")).status_code == 401


def test_another_user_cannot_revoke_someone_elses_token(world):
    issued = api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=30
    )
    path = reverse("api_token_revoke", kwargs={"token_id": issued.token.public_id})
    for intruder, organization in [
        (world.dentist, world.practice),
        (world.other_owner, world.other_practice),
    ]:
        assert session_as(intruder, organization).post(path).status_code == 404
    with pytest.raises(NotFound):
        api_token_revoke(
            actor=acting(world.dentist, world.practice), token_id=issued.token.public_id
        )
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKED).exists()


def test_revoke_needs_a_post_and_a_signed_in_user(world):
    issued = api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=30
    )
    path = reverse("api_token_revoke", kwargs={"token_id": issued.token.public_id})
    assert session_as(world.owner, world.practice).get(path).status_code == 405
    anonymous = client_for(None).post(path)
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_revoking_twice_keeps_the_first_time_and_audits_once(world):
    actor = acting(world.owner, world.practice)
    issued = api_token_create(actor=actor, name="Scanner", valid_days=30)
    first = api_token_revoke(actor=actor, token_id=issued.token.public_id).revoked_at
    second = api_token_revoke(actor=actor, token_id=issued.token.public_id).revoked_at
    assert first == second
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKED).count() == 1


# --- Audit ---------------------------------------------------------------------------------------


def test_creating_and_revoking_a_token_is_audited(world):
    client = session_as(world.manager, world.lab)
    create_on_page(client, name="Milling machine", valid_days=30)
    token = ApiToken.objects.get()
    created = AuditEvent.objects.get(action=AuditAction.TOKEN_CREATED)
    assert created.actor_id == world.manager.public_id
    assert created.organization_id == world.lab.public_id
    assert (created.target_type, created.target_id) == ("accounts.apitoken", str(token.public_id))
    assert created.data == {"days": 30}

    client.post(reverse("api_token_revoke", kwargs={"token_id": token.public_id}))
    revoked = AuditEvent.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert revoked.actor_id == world.manager.public_id
    assert revoked.organization_id == world.lab.public_id
    assert revoked.target_id == str(token.public_id)
    assert revoked.seq > created.seq


def test_guessing_tokens_is_throttled_per_address(world, settings):
    settings.API_TOKEN_FAILURES_PER_MINUTE = 5
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    # Counters live in one-minute windows: the clock stands at the start of one, so the guesses
    # never straddle two, however slow the machine.
    at_a_minutes_start = timezone.now().replace(second=1, microsecond=0)
    with time_machine.travel(at_a_minutes_start, tick=False):
        statuses = [
            guesser.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer dbp_guess{n}").status_code
            for n in range(8)
        ]
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429] * 3
        limited = guesser.get(reverse("api_me"), HTTP_AUTHORIZATION="Bearer dbp_guess")
        assert 1 <= int(limited["Retry-After"]) <= 60  # the rest of the minute
        assert limited.json()["error"]["code"] == "throttled"
        # A valid token still works, from another address and from the guessing one (issue 13,
        # finding 5: test_lockouts.py).
        secret = api_token_create(
            actor=Principal(user=world.owner, membership=Membership.objects.get(user=world.owner)),
            name="ok",
            valid_days=1,
        ).secret
        other = Client(REMOTE_ADDR="203.0.113.51")
        assert (
            other.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        )
        assert (
            guesser.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        )
