"""Credentials follow the password (issue 13, finding 6): a password change or reset revokes the
person's API tokens and signs out their other sessions, says so on the page and in the e-mail,
and audits each token as ``token.revoked`` with the reason."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, TOTP_SECRET, acting, client_for
from dentalbridge.accounts.models import ApiToken
from dentalbridge.accounts.services import api_token_create, api_tokens_revoke_all, totp_code
from dentalbridge.privacy.audit import AuditAction
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 77"
SAID = "Your API tokens were revoked and your other sessions signed out"


def sign_in(client: Client, email: str, *, step: int) -> None:
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET, step=step)})
    assert response.status_code == 302


def api_status(secret: str) -> int:
    return (
        client_for(None).get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
    )


def test_finding_6_password_change_revokes_api_tokens(world, django_capture_on_commit_callbacks):
    Membership = world.owner.memberships.model
    Membership.objects.create(user=world.owner, organization=world.lab, role="technician")
    mine = [
        api_token_create(actor=acting(world.owner, world.practice), name="Scanner", valid_days=30),
        api_token_create(actor=acting(world.owner, world.lab), name="Mill", valid_days=30),
    ]
    colleague = api_token_create(
        actor=acting(world.dentist, world.practice), name="Camera", valid_days=30
    )
    assert [api_status(issued.secret) for issued in mine] == [200, 200]

    desk, phone = Client(), Client()
    sign_in(desk, world.owner.email, step=0)
    sign_in(phone, world.owner.email, step=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert response.status_code == 302

    # The tokens stop working at once; a colleague's token is not touched.
    assert [api_status(issued.secret) for issued in mine] == [401, 401]
    assert api_status(colleague.secret) == 200
    # The other session is signed out too.
    after = phone.get(reverse("profile"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("account_login"))
    # The page says so …
    page = desk.get(response["Location"], follow=True).content.decode()
    assert SAID in page
    # … and so does the notification e-mail.
    assert [m.to for m in mail.outbox] == [[world.owner.email]]
    assert "Every API token of your account was revoked" in mail.outbox[0].body
    # Each token's revocation is in the audit log, with the reason and its organization.
    events = AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKED).order_by("seq")
    assert {(e.target_id, e.organization_id) for e in events} == {
        (str(issued.token.public_id), issued.token.organization.public_id) for issued in mine
    }
    assert {(e.actor_id, e.reason) for e in events} == {(world.owner.public_id, "password changed")}
    changed = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert all(event.seq < changed.seq for event in events)


def test_finding_6_password_reset_revokes_api_tokens(world, django_capture_on_commit_callbacks):
    issued = api_token_create(
        actor=acting(world.owner, world.practice), name="Scanner", valid_days=30
    )
    signed_in = Client()
    sign_in(signed_in, world.owner.email, step=0)

    visitor = Client()
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(reverse("account_reset_password"), {"email": world.owner.email})
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", mail.outbox[-1].body)
    form_url = visitor.get("/" + link.group(0).split("://", 1)[1].split("/", 1)[1])["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    assert api_status(issued.secret) == 401
    assert signed_in.get(reverse("profile")).status_code == 302
    assert SAID in visitor.get(response["Location"], follow=True).content.decode()
    assert "Every API token of your account was revoked" in mail.outbox[-1].body
    event = AuditEvent.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert (event.target_id, event.reason) == (str(issued.token.public_id), "password changed")


def test_finding_6_revoking_all_leaves_revoked_and_expired_tokens_alone(world):
    actor = acting(world.owner, world.practice)
    live = api_token_create(actor=actor, name="Live", valid_days=30).token
    gone = api_token_create(actor=actor, name="Gone", valid_days=30).token
    ApiToken.objects.filter(pk=gone.pk).update(revoked_at=gone.created_at)
    assert api_tokens_revoke_all(user=world.owner, reason="password changed") == 1
    assert api_tokens_revoke_all(user=world.owner, reason="password changed") == 0
    live.refresh_from_db()
    gone.refresh_from_db()
    assert live.revoked_at is not None
    assert gone.revoked_at == gone.created_at
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKED).count() == 1
