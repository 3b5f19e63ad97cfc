"""Rate limits that hit the attacker (issue 13, finding 5): failed bearer tokens are counted per
presented credential and, with a much higher ceiling, per address, and a valid token is never
refused because of failures; every lock-out — API and sign-in page — answers 429 with
``Retry-After``. Time is travelled with time_machine, never waited for."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, acting
from dentalbridge.accounts.authentication import CREDENTIAL_FAILURES_PER_MINUTE
from dentalbridge.accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

# 15 seconds into a minute: the failure windows are whole minutes.
START = datetime(2026, 12, 7, 9, 30, 15, tzinfo=UTC)
NAT = "203.0.113.7"
TOO_MANY = "Too many failed login attempts"


def me(client: Client, secret: str):
    return client.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def valid(world):
    return api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=30
    ).secret


def test_finding_5_a_thousand_bad_tokens_do_not_stop_a_valid_one(world, valid, settings):
    colleague = api_token_create(
        actor=acting(world.dentist, world.practice), name="Camera", valid_days=30
    ).secret
    practice = Client(REMOTE_ADDR=NAT)
    with time_machine.travel(START, tick=False):
        statuses = [me(practice, f"dbp_wrong{n:04d}").status_code for n in range(1000)]
        limit = settings.API_TOKEN_FAILURES_PER_MINUTE
        assert statuses[:limit] == [401] * limit
        assert set(statuses[limit:]) == {429}  # the failing ones are told to back off …
        # … while the practice's valid tokens, from the same address, keep working.
        assert me(practice, valid).status_code == 200
        assert me(practice, colleague).status_code == 200
        assert me(practice, valid).json()["acting_for"]["role"] == "owner"


def test_finding_5_address_lockout_answers_429_with_retry_after_until_the_minute_ends(
    world, valid, settings
):
    settings.API_TOKEN_FAILURES_PER_MINUTE = 20
    practice = Client(REMOTE_ADDR=NAT)
    with time_machine.travel(START, tick=False) as clock:
        for n in range(20):
            assert me(practice, f"dbp_wrong{n}").status_code == 401
        limited = me(practice, "dbp_wrong-again")
        assert limited.status_code == 429
        assert limited["Retry-After"] == "45"
        assert limited.json()["error"]["code"] == "throttled"
        assert me(practice, valid).status_code == 200
        # Another address is not affected.
        assert me(Client(REMOTE_ADDR="198.51.100.20"), "dbp_wrong").status_code == 401
        clock.shift(timedelta(seconds=44))
        assert me(practice, "dbp_wrong-later")["Retry-After"] == "1"
        clock.shift(timedelta(seconds=1))
        assert me(practice, "dbp_wrong-next-minute").status_code == 401


def test_finding_5_the_same_bad_token_is_throttled_per_credential(world, valid):
    actor = acting(world.owner, world.practice)
    revoked = api_token_create(actor=actor, name="Old scanner", valid_days=30)
    api_token_revoke(actor=actor, token_id=revoked.token.public_id)
    scanner = Client(REMOTE_ADDR=NAT)
    with time_machine.travel(START, tick=False) as clock:
        statuses = [me(scanner, revoked.secret).status_code for _ in range(8)]
        assert statuses == [401] * CREDENTIAL_FAILURES_PER_MINUTE + [429] * (
            8 - CREDENTIAL_FAILURES_PER_MINUTE
        )
        assert me(scanner, revoked.secret)["Retry-After"] == "45"
        # A different token from the same address is judged on its own.
        assert me(scanner, "dbp_another-wrong-one").status_code == 401
        assert me(scanner, valid).status_code == 200
        clock.shift(timedelta(seconds=45))
        assert me(scanner, revoked.secret).status_code == 401


def test_finding_5_sign_in_lockout_answers_429_with_retry_after(world):
    client = Client()
    login = reverse("account_login")
    with time_machine.travel(START, tick=False) as clock:
        answers = []
        for _ in range(8):
            response = client.post(login, {"login": world.owner.email, "password": "wrong-1"})
            answers.append(response.status_code)
        # allauth: 5 failures per account in 5 minutes, then the lock-out.
        assert answers == [200] * 5 + [429] * 3
        assert response["Retry-After"] == "300"
        page = response.content.decode()
        assert TOO_MANY in page
        assert "Try again in 5 minutes" in page
        # While locked, even the right password does not get in, from any address.
        for other in (client, Client(REMOTE_ADDR="198.51.100.9")):
            response = other.post(login, {"login": world.owner.email, "password": PASSWORD})
            assert response.status_code == 429
            assert "_auth_user_id" not in other.session
        clock.shift(timedelta(minutes=2))
        assert client.post(login, {"login": world.owner.email, "password": PASSWORD})[
            "Retry-After"
        ] == str(180)
        clock.shift(timedelta(minutes=3))
        response = client.post(login, {"login": world.owner.email, "password": PASSWORD})
        assert response.status_code == 302


def test_finding_5_sign_in_lockout_per_address_answers_429_with_retry_after(world):
    client = Client(REMOTE_ADDR=NAT)
    login = reverse("account_login")
    people = [world.owner, world.dentist, world.assistant, world.manager, world.technician]
    with time_machine.travel(START, tick=False):
        answers = [
            client.post(login, {"login": person.email, "password": "wrong-1"}).status_code
            for person in people
            for _ in range(2)
        ]
        # allauth: 10 failures per address a minute.
        assert answers == [200] * 10
        response = client.post(login, {"login": world.designer.email, "password": "wrong-1"})
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
