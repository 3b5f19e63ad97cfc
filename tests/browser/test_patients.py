"""Patient pages at the chair: register (a future birth date refused), find, open, edit, record a
guardian's consent, delete and restore — each page checked with axe-core and the strict CSP."""

import re
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dentist_registers_finds_edits_deletes_and_restores_a_patient(visitor, world):
    window = visitor()
    signed_in_as(window, world.dentist)
    page = window.goto("/")
    page.get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    window.check()

    page.get_by_role("link", name="New patient").click()
    window.check()
    page.get_by_label("Given name").fill("Lucia")
    page.get_by_label("Family name").fill("<b>Ferrari</b>")
    next_year = timezone.localdate().year + 1
    page.get_by_label("Date of birth").fill(f"{next_year}-01-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    window.check()
    page.get_by_label("Date of birth").fill("1975-03-08")
    page.get_by_label("Attending dentist").select_option(label="Dan Dentist")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile(r"Patient P-\w{4}-\d{2} registered"))).to_be_visible()
    # Markup typed into a field is shown as text, never interpreted.
    expect(page.get_by_role("heading", name="<b>Ferrari</b>, Lucia")).to_be_visible()
    assert page.locator("h1 b").count() == 0
    window.check()

    # Find it again by name.
    page = window.goto("/patients/")
    page.get_by_label("Name, pseudonym or file number").fill("ferrari")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="<b>Ferrari</b>, Lucia").click()
    page.get_by_role("link", name="Edit").click()
    window.check()
    page.get_by_label("Notes").fill("Sensitive to cold.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Sensitive to cold.")).to_be_visible()

    # Delete (confirm dialog accepted), find it under Recently deleted, restore.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Reason (kept in the audit log)").fill("registered twice")
    page.get_by_role("button", name="Delete patient").click()
    expect(page.get_by_text(re.compile("deleted. It can be restored for 30 days"))).to_be_visible()
    page.get_by_role("link", name="Recently deleted").click()
    window.check()
    page.get_by_role("button", name=re.compile("^Restore")).click()
    expect(page.get_by_role("heading", name="<b>Ferrari</b>, Lucia")).to_be_visible()
    window.check()


def test_a_minor_is_kept_in_the_practice_until_the_guardian_consents(visitor, world):
    from conftest import acting
    from dentalbridge.patients.services import patient_create

    today = timezone.localdate()
    child = patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Tommaso",
        family_name="Greco",
        date_of_birth=date(today.year - 8, 6, 1),
        guardian_name="Elena Greco",
        guardian_contact="elena.greco@patient.example",
    )
    window = visitor(locale="it-IT")
    signed_in_as(window, world.assistant)
    page = window.goto(f"/patients/{child.public_id}/")
    expect(page.get_by_text("Elena Greco")).to_be_visible()
    window.check()
    page.get_by_role("button").filter(has_text=re.compile("consenso|consent", re.I)).click()
    expect(page.locator(".message.success")).to_be_visible()
    window.check()


def test_care_team_grant_seen_by_the_grantee_then_revoked(visitor, world):
    from conftest import acting
    from dentalbridge.patients.services import patient_create

    patient = patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Sofia",
        family_name="Conti",
        date_of_birth=date(1988, 4, 2),
        attending_dentist=world.dentist,
    )
    dentist = visitor()
    signed_in_as(dentist, world.dentist)
    page = dentist.goto(f"/patients/{patient.public_id}/")
    page.get_by_label("Physician's e-mail address").fill(world.other_owner.email)
    page.get_by_label("Reason").fill("Periodontal second opinion")
    page.get_by_role("button", name="Give access").click()
    expect(page.get_by_text("Oscar Other now has access to this record.")).to_be_visible()
    dentist.check()

    colleague = visitor(locale="it-IT")
    signed_in_as(colleague, world.other_owner)
    other = colleague.goto("/patients/shared/")
    colleague.check()
    other.get_by_role("link", name="Conti, Sofia").click()
    expect(other.get_by_text(re.compile("Smile Studio"))).to_be_visible()
    assert other.get_by_role("link", name=re.compile("^(Edit|Modifica)$")).count() == 0
    colleague.check()

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(page.get_by_text(re.compile("Access of Oscar Other revoked"))).to_be_visible()
    response = other.goto(colleague.base_url + f"/patients/{patient.public_id}/")
    assert response.status == 404


def test_the_owner_reads_a_patients_audit_trail(visitor, world):
    from conftest import acting
    from dentalbridge.patients.services import patient_create

    patient = patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Irene",
        family_name="Galli",
        date_of_birth=date(1979, 11, 30),
    )
    window = visitor()
    signed_in_as(window, world.owner)
    page = window.goto(f"/patients/{patient.public_id}/")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail: Galli")).to_be_visible()
    expect(page.get_by_text("patient.created")).to_be_visible()
    window.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"audit-{patient.pseudonym}.csv"


def test_record_timeline_add_edit_and_read_an_earlier_version(visitor, world):
    from conftest import acting
    from dentalbridge.patients.services import patient_create

    patient = patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Paolo",
        family_name="Romano",
        date_of_birth=date(1960, 7, 14),
    )
    window = visitor()
    signed_in_as(window, world.assistant)
    page = window.goto(f"/patients/{patient.public_id}/")
    expect(page.get_by_text("Nothing in the record yet.")).to_be_visible()
    page.get_by_role("link", name="Add a note or document").click()
    window.check()
    page.get_by_label("Kind").select_option("radiograph")
    page.get_by_label("Title").fill("Bitewing left")
    page.get_by_label("Text").fill("Interproximal caries 25 distal.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Added to the record.")).to_be_visible()
    window.check()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Text").fill("Interproximal caries 25 distal, 26 mesial.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved as a new version; the previous one is kept.")).to_be_visible()
    expect(page.get_by_text("version 2 of 2")).to_be_visible()
    page.get_by_role("link", name="Version 1").click()
    expect(page.get_by_text("an earlier version")).to_be_visible()
    expect(page.get_by_text("Interproximal caries 25 distal.", exact=True)).to_be_visible()
    window.check()
    page = window.goto(f"/patients/{patient.public_id}/")
    expect(page.get_by_text("edited, version 2")).to_be_visible()
    window.check()


def test_owner_opens_an_archived_record_for_a_stated_purpose(visitor, world):
    from datetime import timedelta

    import time_machine

    from conftest import acting
    from dentalbridge.patients.retention import patients_purge_due
    from dentalbridge.patients.services import patient_create, patient_delete

    owner = acting(world.owner, world.practice)
    patient = patient_create(
        actor=owner, given_name="Ada", family_name="Archived", date_of_birth=date(1940, 2, 2)
    )
    patient_delete(actor=owner, patient_id=patient.public_id)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    window = visitor()
    signed_in_as(window, world.owner)
    page = window.goto("/patients/")
    page.get_by_role("link", name="Legal archive").click()
    window.check()
    page.get_by_role("link", name=patient.pseudonym).click()
    window.check()
    page.get_by_label("Legal purpose for opening this archived record").fill("Insurance claim 77")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name=re.compile("Archived, Ada"))).to_be_visible()
    window.check()


def test_the_dpo_looks_up_a_patients_trail(visitor, world):
    from conftest import acting
    from dentalbridge.patients.services import patient_create

    patient = patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Dina",
        family_name="Dpo",
        date_of_birth=date(1970, 3, 3),
    )
    window = visitor()
    signed_in_as(window, world.dpo)
    page = window.goto("/")
    page.get_by_role("link", name="Data protection").click()
    window.check()
    page.get_by_label("Patient id").fill(str(patient.public_id))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("patient.created")).to_be_visible()
    window.check()
