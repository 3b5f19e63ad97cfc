"""WebAuthn security keys are optional (ACC-3): a person adds one with a real browser flow,
answered by Chromium's virtual authenticator, and then uses it as the second factor."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from conftest import PASSWORD, TOTP_SECRET
from dentalbridge.accounts.services import totp_code
from dentalbridge.privacy.models import AuditEvent
from tests.browser.test_flows import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_security_key_and_sign_in_with_it(visitor, world):
    window = visitor()
    cdp = window.context.new_cdp_session(window.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    page = sign_in(window, world.owner.email, code=totp_code(TOTP_SECRET))
    page = window.goto("/accounts/2fa/webauthn/add/")
    expect(page).to_have_url(re.compile("/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    window.check()
    page.get_by_label("Name").fill("Desk key")
    page.get_by_role("button", name="Add").click()
    expect(page).not_to_have_url(re.compile("/webauthn/add/"))
    key = Authenticator.objects.get(user=world.owner, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Desk key"
    window.check()
    assert AuditEvent.objects.filter(action="account.mfa_enabled", data__type="webauthn").exists()

    # Sign out and back in: the key answers the second-factor step.
    page.get_by_role("button", name="Sign out").click()
    page = window.goto("/accounts/login/")
    page.get_by_label("Email").fill(world.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile("/accounts/2fa/authenticate/"))
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", name="Smile Studio")).to_be_visible()
    window.check()
