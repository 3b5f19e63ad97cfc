"""An order from chair to lab, as people do it: the dentist drafts a prescription from the
patient's page (teeth chosen on the chart with the keyboard, a bridge with its pontic), is told
what is missing, sees the draft saved as they type and sends it; the lab manager accepts it from
the inbox, assigns the designer and writes; the designer reads it. Every page passes axe-core and
the strict CSP, and no lab page says who the patient is."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIVEN, FAMILY, BORN = "Marieke", "Verhoeven", date(1983, 9, 17)
# In the markup (names, the birth date however written) and, the year, in the visible text (not
# in the markup, where a random token may hold four such digits).
IN_MARKUP = (GIVEN, FAMILY, "1983-09-17", "17-09-1983", "17/09/1983", "17 September", "Sept. 17")
IN_TEXT = ("1983",)
MESSAGE = "Please check the contact on 13 before designing."


def assert_anonymous(window):
    """A lab page: the pseudonym only, never the patient's name or date of birth."""
    html = window.page.content()
    text = window.page.locator("body").inner_text()
    for found, identifying in [(html, s) for s in IN_MARKUP] + [(text, s) for s in IN_TEXT]:
        assert identifying not in found, (window.page.url, identifying)


def connected_patient(world):
    """Smile Studio connected with Precision Lab, and the patient Marieke Verhoeven."""
    from conftest import acting
    from dentalbridge.organizations.models import ConnectionStatus, LabConnection
    from dentalbridge.patients.services import patient_create

    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    return patient_create(
        actor=acting(world.owner, world.practice),
        given_name=GIVEN,
        family_name=FAMILY,
        date_of_birth=BORN,
        attending_dentist=world.dentist,
    )


def test_dentist_sends_an_order_the_lab_accepts_assigns_and_discusses(visitor, world):
    from dentalbridge.orders.tests.conftest import next_weekday

    patient = connected_patient(world)
    due = next_weekday(timezone.localdate() + timedelta(days=9))  # ≥ 10 days, not a holiday

    # --- The dentist drafts the prescription from the patient's page. ---------------------------
    dentist = visitor()
    signed_in_as(dentist, world.dentist)
    page = dentist.goto(f"/patients/{patient.public_id}/")
    page.get_by_role("button", name="New order").click()
    expect(page.get_by_role("heading", name=re.compile("^New order"))).to_be_visible()
    expect(page.locator("#items-1-teeth.is-enhanced")).to_be_attached()
    dentist.check()
    page.get_by_label(re.compile(r"^Lab\b")).select_option(label="Precision Lab")
    page.get_by_label("Wanted back by").fill(due.isoformat())

    # A crown: no pontic chart. The teeth by keyboard: Tab from the type into the chart (one tab
    # stop on 18), arrows along the upper jaw to 11, Space.
    first = page.get_by_role("group", name="Restoration 1", exact=True)
    expect(first.get_by_label("Type")).to_have_value("crown")
    expect(page.locator("#items-1-pontics")).to_be_hidden()
    first.get_by_label("Type").focus()
    page.keyboard.press("Tab")
    expect(page.locator('#items-1-teeth input[value="18"]')).to_be_focused()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(page.locator('#items-1-teeth input[value="11"]')).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator('#items-1-teeth input[value="11"]')).to_be_checked()
    expect(first.get_by_text("Selected: 11")).to_be_visible()
    first.get_by_label("Material").select_option(label="Zirconia")
    first.get_by_label("Shade").select_option("A2")
    dentist.check()

    # A second restoration: a bridge 14 to 16 (Shift+click sets the range).
    page.get_by_role("button", name="Add a restoration").click()
    second = page.get_by_role("group", name="Restoration 2", exact=True)
    expect(second).to_be_visible()
    expect(page.locator('#items-1-teeth input[value="11"]')).to_be_checked()  # kept
    second.get_by_label("Type").select_option("bridge")
    expect(page.locator("#items-2-pontics")).to_be_visible()
    expect(page.locator("#items-1-pontics")).to_be_hidden()
    page.locator('#items-2-teeth label[data-fdi="14"]').click()
    page.locator('#items-2-teeth label[data-fdi="16"]').click(modifiers=["Shift"])
    expect(second.get_by_text("Selected: 14, 15, 16")).to_be_visible()
    second.get_by_label("Material").select_option(label="Zirconia")
    second.get_by_label("Shade").select_option("A3")
    dentist.check()

    # Sent without pontics: refused, said why, the draft kept.
    page.get_by_role("button", name="Send to the lab").click()
    expect(page.get_by_role("heading", name="Before you can send")).to_be_visible()
    expect(page.get_by_text(re.compile("Mark the pontics")).first).to_be_visible()
    expect(page).to_have_url(re.compile("/edit/$"))
    expect(page.locator('#items-2-teeth input[value="16"]')).to_be_checked()
    expect(page.locator('#items-1-teeth input[value="11"]')).to_be_checked()
    dentist.check()

    # The pontic (only the bridge's teeth can be chosen), notes saved as one types, then send.
    expect(page.locator('#items-2-pontics input[value="13"]')).to_be_disabled()
    page.locator('#items-2-pontics label[data-fdi="15"]').click()
    expect(page.locator("#item-2").get_by_text("Selected: 15")).to_be_visible()
    notes = page.get_by_label("Preparation and margin notes")
    with page.expect_response(
        lambda r: r.url.endswith("/autosave/") and "Chamfer" in (r.request.post_data or "")
    ):
        notes.fill("Chamfer margin 0.8 mm on 11.")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    dentist.check()
    # Saved indeed: opened again (a GET, not the refused POST again), the notes and the pontic
    # come back from the server.
    page = dentist.goto(page.url)
    expect(page.get_by_role("heading", name=re.compile("^New order"))).to_be_visible()
    expect(notes).to_have_value("Chamfer margin 0.8 mm on 11.")
    expect(page.locator('#items-2-pontics input[value="15"]')).to_be_checked()
    page.get_by_role("button", name="Send to the lab").click()
    expect(page.get_by_text(re.compile(r"was sent to Precision Lab"))).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Submitted")
    expect(page.get_by_text("Chamfer margin 0.8 mm on 11.")).to_be_visible()
    reference = page.locator("h1 code").inner_text()
    dentist.check()

    # --- The lab manager accepts it, assigns the designer and writes. ---------------------------
    manager = visitor()
    signed_in_as(manager, world.manager)
    lab = manager.goto("/")
    lab.get_by_role("link", name="Order inbox").click()
    lab.get_by_role("navigation", name="Order views").get_by_role("link", name="New").click()
    expect(lab.get_by_role("heading", name="Order inbox")).to_be_visible()
    row = lab.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text(patient.pseudonym)
    expect(row).to_contain_text("Crown 11")
    manager.check()
    assert_anonymous(manager)
    row.get_by_role("link", name=reference).click()
    expect(lab.get_by_text(patient.pseudonym).first).to_be_visible()
    expect(lab.get_by_label("Return date you promise")).not_to_have_value("")
    manager.check()
    assert_anonymous(manager)
    lab.get_by_role("button", name="Accept", exact=True).click()
    expect(lab.get_by_text(f"Order {reference}: Accepted.")).to_be_visible()
    manager.check()
    assert_anonymous(manager)
    team = lab.get_by_role("region", name="Who works on it")
    designers = team.get_by_label("Technician or designer")
    designers.select_option(label="Dora Designer — Freelance designer")
    team.get_by_role("button", name="Assign").click()
    expect(lab.get_by_text("Dora Designer is assigned.")).to_be_visible()
    lab.get_by_role("textbox", name="Message", exact=True).fill(MESSAGE)
    lab.get_by_role("button", name="Send the message").click()
    expect(lab.get_by_text(MESSAGE)).to_be_visible()
    manager.check()
    assert_anonymous(manager)

    # --- The designer finds it in the inbox and reads the message. ------------------------------
    designer = visitor()
    signed_in_as(designer, world.designer)
    work = designer.goto("/")
    work.get_by_role("link", name="Order inbox").click()
    expect(work.get_by_role("link", name=reference)).to_be_visible()
    designer.check()
    assert_anonymous(designer)
    work.get_by_role("link", name=reference).click()
    expect(work.get_by_text(MESSAGE)).to_be_visible()
    expect(work.get_by_text(patient.pseudonym).first).to_be_visible()
    designer.check()
    assert_anonymous(designer)


def test_a_click_while_the_draft_autosaves_is_not_undone_by_the_autosave(
    visitor, world, monkeypatch
):
    """The dentist types a note (the autosave goes out, slow today) and at once adds a
    restoration: the page's post waits for the autosave's answer, and no autosave follows it, so
    the draft keeps both restorations."""
    import threading
    import time

    from conftest import acting
    from dentalbridge.orders import access as orders_access
    from dentalbridge.orders import services
    from dentalbridge.orders.tests.conftest import crown

    patient = connected_patient(world)
    actor = acting(world.dentist, world.practice)
    order = services.order_create(
        actor=actor, patient_id=patient.public_id, lab_id=world.lab.public_id
    )
    services.order_save_draft(actor=actor, order_id=order.public_id, data={"items": [crown()]})

    save_draft = services.order_save_draft
    calls, first_done = [], threading.Event()

    def slow_first(**kwargs):
        calls.append(len(kwargs["data"]["items"]))
        if len(calls) > 1:
            return save_draft(**kwargs)
        time.sleep(1.5)  # the autosave, held up on the way
        try:
            return save_draft(**kwargs)
        finally:
            first_done.set()

    monkeypatch.setattr(services, "order_save_draft", slow_first)

    dentist = visitor()
    signed_in_as(dentist, world.dentist)
    page = dentist.goto(f"/orders/{order.public_id}/edit/")
    page.get_by_label("Notes on this restoration").fill("Incisal translucency")
    page.get_by_label("Notes on this restoration").press("Tab")  # change: the autosave goes
    page.get_by_role("button", name="Add a restoration").click()
    expect(page.get_by_role("group", name="Restoration 2", exact=True)).to_be_visible()
    assert first_done.wait(timeout=10)
    page.wait_for_timeout(2000)  # a delayed autosave (1.5 s after typing) would have come by now
    assert calls == [1, 2]
    items = orders_access.order_items(order)
    assert [item.notes for item in items] == ["Incisal translucency", ""]
