"""The patient portal in Chromium: the practice invites; the patient signs up, verifies the
address, enrols a second factor, sees their own record, downloads the copy — and meets a 404 on
another patient's id. Every page passes axe-core and the strict CSP."""

import io
import json
import re
import zipfile
from datetime import date

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, acting
from dentalbridge.accounts.services import totp_code
from dentalbridge.patients import services
from tests.browser.test_flows import link_in_last_mail, signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "paula.portal@patient.example"


def test_patient_joins_the_portal_and_downloads_a_copy(visitor, world):
    owner = acting(world.owner, world.practice)
    patient = services.patient_create(
        actor=owner, given_name="Paula", family_name="Portal", date_of_birth=date(1985, 5, 5),
        email=EMAIL,
    )  # fmt: skip
    services.record_item_create(
        actor=owner, patient_id=patient.public_id, kind="note", title="Check-up", text="All well."
    )
    other = services.patient_create(
        actor=owner, given_name="Olga", family_name="Other", date_of_birth=date(1970, 1, 1)
    )

    # The assistant invites Paula from her page.
    practice = visitor()
    signed_in_as(practice, world.assistant)
    page = practice.goto(f"/patients/{patient.public_id}/")
    page.get_by_role("button", name="Invite to see the record").click()
    expect(page.get_by_text(f"Portal invitation sent to {EMAIL}.")).to_be_visible()
    invitation_link = link_in_last_mail(EMAIL)

    # Paula signs up with that address and verifies it.
    window = visitor()
    page = window.goto("/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page = window.goto(link_in_last_mail(EMAIL))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    # She opens the invitation and links her record.
    page = window.goto(invitation_link)
    window.check()
    page.get_by_role("button", name="Link my record").click()

    # Her record is health data: a second factor first.
    expect(page).to_have_url(re.compile("/accounts/(reauthenticate|2fa/totp/activate)/"))
    if "reauthenticate" in page.url:
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    window.check()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(re.compile("/accounts/2fa/recovery-codes/"))

    # Her own record.
    page = window.goto("/")
    expect(page.get_by_role("heading", name="Your dental record")).to_be_visible()
    expect(page.get_by_text("All well.")).to_be_visible()
    window.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a copy").click()
    assert download.value.suggested_filename == f"dental-record-{patient.pseudonym}.zip"
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        assert json.loads(archive.read("record.json"))["patient"]["family_name"] == "Portal"

    # Changing the id in the address does not reach anybody else.
    for path in (f"/portal/{other.public_id}/", f"/api/v1/patients/{other.public_id}/"):
        response = page.goto(window.base_url + path)
        assert response.status == 404, path
