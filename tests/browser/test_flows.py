"""The foundation's acceptance flows, as a person does them in Chromium.

1. Sign up → verify the e-mail (link from the test mailbox) → enrol TOTP → sign out → sign in
   with TOTP → create a practice (a bad VAT number first) → invite a colleague.
2. The colleague accepts the invitation → switches organization → signs out everywhere, which
   ends their other session.
Every page visited passes axe-core (no serious/critical violations) and the strict CSP.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import PASSWORD, TOTP_SECRET, make_org, make_user
from dentalbridge.accounts.services import totp_code
from dentalbridge.organizations.models import Membership, Organization
from dentalbridge.privacy import audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link_in_last_mail(to: str) -> str:
    message = [m for m in mail.outbox if to in m.to][-1]
    return re.search(r"https?://\S+", message.body).group(0)


def sign_in(window, email: str, *, code: str | None = None):
    page = window.goto("/accounts/login/")
    window.check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if code is not None:
        expect(page).to_have_url(re.compile("/accounts/2fa/authenticate/"))
        window.check()
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Sign In").click()
    return page


def signed_in_as(window, user):
    """Skip the sign-in pages (tested above): hand the browser a session cookie."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    window.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": window.base_url}]
    )


def test_sign_up_verify_enrol_totp_sign_in_create_practice_and_invite(visitor):
    window = visitor()
    email = "pat.newdentist@practice.example"

    # Sign up.
    page = window.goto("/accounts/signup/")
    window.check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile("/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    window.check()

    # Verify the address with the link from the e-mail.
    page = window.goto(link_in_last_mail(email))
    window.check()
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))

    # Sign in: no organization yet, so no second factor is demanded yet.
    sign_in(window, email)
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    window.check()

    # Enrol TOTP: confirm the password, read the secret as an authenticator app would.
    page = window.goto("/accounts/2fa/totp/activate/")
    expect(page).to_have_url(re.compile("/accounts/reauthenticate/"))
    window.check()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile("/accounts/2fa/totp/activate/"))
    window.check()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(re.compile("/accounts/2fa/recovery-codes/"))
    window.check()

    # Sign out, and back in with the second factor.
    page.get_by_role("button", name="Sign out").click()
    sign_in(window, email, code=totp_code(secret, step=1))
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()

    # Create a practice; a bad VAT number is refused with a clear message, nothing is saved.
    page.get_by_role("link", name="Set up a practice or lab").click()
    window.check()
    page.get_by_label("Dental practice").check()
    page.get_by_label("Name").fill("Studio Sorriso")
    page.get_by_label("Country").select_option("IT")
    page.get_by_label("VAT number").fill("IT12345678901")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("is not a valid VAT number")).to_be_visible()
    window.check()
    assert not Organization.objects.filter(name="Studio Sorriso").exists()
    page.get_by_label("VAT number").fill("IT00743110157")
    page.get_by_label("SDI code").fill("ABC1234")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Studio Sorriso")).to_be_visible()
    window.check()
    practice = Organization.objects.get(name="Studio Sorriso")
    assert practice.memberships.get().role == "owner"

    # Invite a colleague.
    page.get_by_role("link", name="Members").first.click()
    window.check()
    page.get_by_label("E-mail address").fill("carla.colleague@practice.example")
    page.get_by_label("Role", exact=True).select_option("dentist")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to carla.colleague@practice.example")).to_be_visible()
    window.check()
    assert "/invitations/" in link_in_last_mail("carla.colleague@practice.example")
    assert audit.verify().ok


def test_invited_colleague_accepts_switches_and_signs_out_everywhere(visitor, world):
    from django.test import Client

    # The owner of Smile Studio invites a dentist who already works at Other Dental.
    colleague = make_user("carla.colleague@practice.example", "Carla Colleague")
    Membership.objects.create(user=colleague, organization=world.other_practice, role="dentist")
    owner = Client()
    owner.force_login(world.owner)
    owner.post(
        f"/organizations/{world.practice.public_id}/invitations/",
        {"email": colleague.email, "role": "dentist"},
    )
    invitation_link = link_in_last_mail(colleague.email)

    # Desk computer: sign in with TOTP and accept.
    desk = visitor()
    page = sign_in(desk, colleague.email, code=totp_code(TOTP_SECRET))
    page = desk.goto(invitation_link)
    expect(page.get_by_role("heading", name="Join Smile Studio")).to_be_visible()
    desk.check()
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_role("heading", name="Smile Studio")).to_be_visible()
    expect(page.get_by_text("Welcome to Smile Studio.")).to_be_visible()
    desk.check()

    # Switch to the other organization with the switcher in the header.
    page.get_by_label("Acting for").select_option(label="Other Dental — Dentist")
    expect(page.get_by_role("heading", name="Other Dental")).to_be_visible()
    expect(page.get_by_text("You are now acting for Other Dental.")).to_be_visible()
    desk.check()

    # A second session (the phone), then "sign out everywhere" from the desk.
    phone = visitor()
    sign_in(phone, colleague.email, code=totp_code(TOTP_SECRET, step=1))
    expect(phone.page.get_by_role("heading", name="Other Dental")).to_be_visible()
    page = desk.goto("/accounts/sessions/")
    desk.check()
    page.get_by_role("button", name="Sign Out Other Sessions").click()
    desk.check()
    phone.goto("/accounts/profile/")
    expect(phone.page).to_have_url(re.compile("/accounts/login/"))
    # The desk stays signed in.
    desk.goto("/accounts/profile/")
    expect(desk.page.get_by_role("heading", name="Profile")).to_be_visible()
    desk.check()


def test_pages_of_each_role_pass_accessibility_checks(visitor, world):
    """Every organization page, for the role that uses it, in two languages."""
    make_org("lab", "Second Lab")
    pages = {
        "owner": [
            "/",
            f"/organizations/{world.practice.public_id}/",
            f"/organizations/{world.practice.public_id}/edit/",
            f"/organizations/{world.practice.public_id}/members/",
            f"/organizations/{world.practice.public_id}/connections/",
            f"/organizations/{world.practice.public_id}/audit/",
            "/organizations/new/",
            "/accounts/profile/",
            "/accounts/tokens/",
            "/accounts/2fa/",
            "/accounts/email/",
            "/accounts/password/change/",
            "/accounts/sessions/",
        ],
        "manager": [
            f"/organizations/{world.lab.public_id}/members/",
            f"/organizations/{world.lab.public_id}/connections/",
        ],
    }
    for locale in ("en-GB", "it-IT"):
        for persona, paths in pages.items():
            window = visitor(locale=locale)
            signed_in_as(window, getattr(world, persona))
            for path in paths:
                page = window.goto(path)
                assert page.locator("h1").count() >= 1, path
                window.check()
            window.context.close()
    # Public pages too.
    window = visitor()
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        window.goto(path)
        window.check()


def test_api_docs_render_from_our_own_files_under_the_strict_csp(visitor):
    window = visitor()
    page = window.goto("/api/v1/docs/")
    expect(page.get_by_text("DentalBridge API").first).to_be_visible()
    members = "/api/v1/organizations/{organization_id}/members/"
    expect(page.get_by_role("link", name=members, exact=True)).to_be_visible()
    assert window.csp_violations == []
