"""Data-subject requests as people make and handle them in Chromium (PRV-3, PRV-4, PRV-5, PRV-8):
a visitor without an account asks and confirms by e-mail, and the practice sees it; the owner
places a legal hold and answers an erasure request from its page; the platform DPO records a
breach and works from the data-protection workspace; a lab forwards a patient's request without
learning who the patient is; a person asks for a copy of their account data. Every page visited
passes axe-core (no serious/critical violations) and the strict CSP."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from conftest import acting, make_user
from tests.browser.test_flows import link_in_last_mail, signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def smile_patient(world, **fields):
    """A patient of Smile Studio, created by its owner."""
    from dentalbridge.patients.services import patient_create

    return patient_create(
        actor=acting(world.owner, world.practice),
        attending_dentist=world.dentist,
        **fields,
    )


def side_link(page, name: str):
    return page.get_by_role("navigation", name="Organization").get_by_role(
        "link", name=name, exact=True
    )


def test_a_visitor_sends_a_request_and_confirms_it_by_email(visitor, world):
    email = "greta.gerritsen@patient.example"
    smile_patient(
        world,
        given_name="Greta",
        family_name="Gerritsen",
        date_of_birth=date(1971, 9, 3),
        email=email,
    )

    # The visitor reads the notice and asks, without an account.
    window = visitor()
    page = window.goto("/privacy/")
    expect(page.get_by_role("heading", name="Privacy notice", level=1)).to_be_visible()
    window.check()
    page.get_by_role("link", name="Make a request").click()
    expect(page.get_by_role("heading", name="Data-protection request", level=1)).to_be_visible()
    window.check()
    page.get_by_label("Your name").fill("Greta Gerritsen")
    page.get_by_label("Your e-mail address").fill(email)
    page.get_by_role("radio", name=re.compile(r"^Access")).check()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", name="Check your e-mail", level=1)).to_be_visible()
    expect(page.get_by_text(f"We sent a link to {email}.")).to_be_visible()
    window.check()

    # The link from the e-mail shows a button; the request counts once it is pressed.
    page = window.goto(link_in_last_mail(email))
    expect(page.get_by_role("heading", name="Confirm your request", level=1)).to_be_visible()
    window.check()
    page.get_by_role("button", name="Confirm my request").click()
    confirmed = page.get_by_role("status").filter(has_text="is confirmed")
    expect(confirmed).to_have_text(re.compile(r"^Request R-\w{8} is confirmed\. We answer by .*\d"))
    expect(page.get_by_role("button", name="Confirm my request")).to_have_count(0)
    window.check()
    reference = re.search(r"R-\w{8}", confirmed.inner_text()).group(0)

    # The practice whose patient has this address handles it.
    owner = visitor()
    signed_in_as(owner, world.owner)
    page = owner.goto("/")
    side_link(page, "Data requests").click()
    expect(page.get_by_role("heading", name="Data-protection requests", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Greta Gerritsen")).to_be_visible()
    expect(row.get_by_role("cell", name="Access: a copy of my data")).to_be_visible()
    owner.check()


def test_the_owner_handles_an_erasure_request_from_its_page(visitor, world):
    from dentalbridge.gdpr.requests import request_create
    from dentalbridge.patients.models import PatientAccount
    from dentalbridge.privacy.door import through_the_door
    from dentalbridge.privacy.principal import Principal

    email = "hugo.hendriks@patient.example"
    patient = smile_patient(
        world,
        given_name="Hugo",
        family_name="Hendriks",
        date_of_birth=date(1958, 1, 20),
        email=email,
    )
    person = make_user(email, "Hugo Hendriks")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=person)
    made = request_create(
        actor=Principal(user=person), kind="erasure", patient_id=patient.public_id
    )

    window = visitor()
    signed_in_as(window, world.owner)
    page = window.goto("/")

    # A claim is pending: the owner places a legal hold on the record first.
    side_link(page, "Patients").click()
    page.get_by_role("link", name="Hendriks, Hugo").click()
    holds = page.get_by_role("region", name="Legal holds")
    expect(holds.get_by_text("No legal hold.")).to_be_visible()
    window.check()
    holds.get_by_label("Kind of hold").select_option(label="Litigation or a claim")
    holds.get_by_label("Reason").fill("Court case 2024/117 about an implant")
    holds.get_by_role("button", name="Place a hold").click()
    expect(
        page.get_by_text("The hold is placed: nothing of this record is erased.")
    ).to_be_visible()
    holds = page.get_by_role("region", name="Legal holds")
    expect(holds.get_by_text("Court case 2024/117 about an implant")).to_be_visible()
    expect(holds.get_by_role("button", name="Lift the hold")).to_be_visible()
    window.check()

    # The request's page says the hold keeps everything; erasing answers with the reason.
    side_link(page, "Data requests").click()
    expect(page.get_by_role("heading", name="Data-protection requests", level=1)).to_be_visible()
    window.check()
    page.get_by_role("link", name=made.reference).click()
    expect(page.get_by_role("heading", name=f"Request {made.reference}", level=1)).to_be_visible()
    erase = page.get_by_role("region", name="Carry out the erasure")
    expect(erase.get_by_text(re.compile(r"^A legal hold is active"))).to_be_visible()
    expect(erase.get_by_text("Court case 2024/117 about an implant")).to_be_visible()
    window.check()
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    erase.get_by_role("button", name="Erase and send the receipt").click()
    expect(
        page.get_by_text(
            "We cannot erase your data now: a legal hold requires us to keep it."
        ).first
    ).to_be_visible()
    assert dialogs == ["Erase now? This cannot be undone."]
    details = page.locator("dl.details")
    expect(details.get_by_role("definition").filter(has_text="Refused")).to_have_count(1)
    expect(details).to_contain_text("Litigation or a claim: Court case 2024/117 about an implant")
    expect(page.get_by_role("region", name="Carry out the erasure")).to_have_count(0)
    expect(page.get_by_role("button", name="Send the answer")).to_have_count(0)
    window.check()

    # Nothing was erased: the record is still there.
    side_link(page, "Patients").click()
    expect(page.get_by_role("link", name="Hendriks, Hugo")).to_be_visible()
    window.check()


def test_the_dpo_records_a_breach_and_works_from_the_workspace(visitor, world):
    window = visitor()
    signed_in_as(window, world.dpo)
    page = window.goto("/")
    side_link(page, "Data protection").click()
    expect(page.get_by_role("heading", name="Data protection", level=1)).to_be_visible()
    expect(
        page.get_by_role("region", name="Breaches").get_by_text("No open breach.")
    ).to_be_visible()
    window.check()

    page.get_by_role("main").get_by_role("link", name="Breach register").click()
    expect(page.get_by_role("heading", name="Breach register", level=1)).to_be_visible()
    window.check()
    page.get_by_label("What happened, in a line").fill("A laptop with exports was stolen")
    page.get_by_label("What happened", exact=True).fill(
        "A support laptop holding two order exports was stolen from a car on the way home."
    )
    # Noticed an hour ago (the server's time zone), to the minute.
    detected = (timezone.localtime() - timedelta(hours=1)).replace(second=0, microsecond=0)
    page.get_by_label("Detected at").fill(detected.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Orders between practices and laboratories").check()
    page.get_by_label("Business contact details of practices and laboratories").check()
    page.get_by_label("People affected (approximately)").fill("40")
    page.get_by_label("Likely consequences").fill("Phishing e-mails to the practices concerned.")
    page.get_by_label("Measures taken or proposed").fill(
        "The laptop's disk is encrypted; its sessions were ended and the police informed."
    )
    page.get_by_role("button", name="Record the breach", exact=True).click()

    # The breach's page: the drafted notification and the 72-hour clock.
    heading = page.get_by_role("heading", name=re.compile(r": A laptop with exports was stolen$"))
    expect(heading).to_be_visible()
    draft = page.get_by_role("region", name="Draft notification to the supervisory authority")
    expect(draft).to_contain_text("Notification of a personal data breach (Article 33 GDPR)")
    expect(draft).to_contain_text("- Orders between practices and laboratories")
    expect(draft).to_contain_text("Phishing e-mails to the practices concerned.")
    details = page.locator("dl.details")
    expect(details.get_by_role("term").filter(has_text="Notify the authority by")).to_be_visible()
    deadline = date_format(detected + timedelta(hours=72), "DATETIME_FORMAT")
    expect(details.get_by_role("definition").filter(has_text=deadline)).to_have_count(1)
    expect(details.get_by_text("72 hours passed")).to_have_count(0)
    window.check()
    breach_title = heading.inner_text()
    breach_reference = breach_title.split(":", 1)[0]

    notified = page.get_by_role("region", name="Record the notification")
    notified.get_by_label("The authority's reference").fill("AP-2024-00042")
    notified.get_by_role("button", name="The authority is notified").click()
    expect(page.get_by_text("The notification to the authority is recorded.")).to_be_visible()
    expect(page.locator("dl.details")).to_contain_text("(AP-2024-00042)")
    expect(page.get_by_role("region", name="Record the notification")).to_have_count(0)
    window.check()

    # Back on the workspace: the breach is listed, and a retention dry run is one click.
    side_link(page, "Data protection").click()
    breaches = page.get_by_role("region", name="Breaches")
    entry = breaches.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=breach_reference)
    )
    expect(entry).to_contain_text("A laptop with exports was stolen")
    expect(entry).to_contain_text("authority notified")
    window.check()
    page.get_by_role("region", name="Retention").get_by_role("button", name="Dry run now").click()
    expect(page.get_by_role("heading", name="Data protection", level=1)).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Dry run: \d+ rows would be deleted tonight\.$"))
    ).to_be_visible()
    expect(
        page.get_by_role("region", name="Retention").get_by_text("(dry run)").first
    ).to_be_visible()
    window.check()


def test_a_lab_manager_forwards_a_patients_request(visitor, world):
    from dentalbridge.orders.tests.conftest import draft_order, put_in
    from dentalbridge.organizations.models import ConnectionStatus, LabConnection

    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    patient = smile_patient(
        world, given_name="Ingrid", family_name="Jansen", date_of_birth=date(1990, 5, 14)
    )
    order = put_in(draft_order(world, patient), "submitted")

    window = visitor()
    signed_in_as(window, world.manager)
    page = window.goto("/")
    side_link(page, "Forward a patient's request").click()
    expect(page.get_by_role("heading", name="Forward a patient's request", level=1)).to_be_visible()
    window.check()
    page.get_by_label("Order reference").fill(order.reference)
    page.get_by_label("What the person asks for").select_option(label="Access: a copy of my data")
    page.get_by_label("The person's e-mail address, if they gave one").fill(
        "ingrid.jansen@patient.example"
    )
    page.get_by_role("button", name="Forward to the practice").click()
    expect(
        page.get_by_text(re.compile(r"^Forwarded to Smile Studio as request R-\w{8}"))
    ).to_be_visible()
    body = page.locator("body")
    expect(body).not_to_contain_text("Ingrid")
    expect(body).not_to_contain_text("Jansen")
    window.check()


def test_a_person_asks_for_a_copy_of_their_account_data(visitor, world):
    window = visitor()
    signed_in_as(window, world.newcomer)
    page = window.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Privacy", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Your privacy", level=1)).to_be_visible()
    window.check()
    page.get_by_role("link", name="Your data-protection requests").click()
    expect(
        page.get_by_role("heading", name="Your data-protection requests", level=1)
    ).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    window.check()

    page.get_by_label("About").select_option(label="My account on this platform")
    page.get_by_role("radio", name=re.compile(r"^Access")).check()
    page.get_by_role("button", name="Send the request").click()
    received = page.get_by_text(
        re.compile(r"^Request R-\w{8} is received; the answer is due by \d{4}-\d{2}-\d{2}\.$")
    )
    expect(received).to_be_visible()
    reference, due = re.search(
        r"(R-\w{8}) is received; the answer is due by (\S+)\.", received.inner_text()
    ).groups()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=reference))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Access: a copy of my data")).to_be_visible()
    expect(row.get_by_role("cell", name="Open", exact=True)).to_be_visible()
    # The due date, as the table shows it (the short date format), is the one announced.
    shown = date_format(date.fromisoformat(due), "SHORT_DATE_FORMAT")
    expect(row.get_by_role("cell").nth(2)).to_have_text(shown)
    window.check()
