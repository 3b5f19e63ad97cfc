"""The whole order loop, as people do it in Chromium (ORD-2, ORD-3, FIL-6): an order the dentist
sent with a scan is accepted by the lab manager from the inbox and given to the designer; the
designer starts the design, uploads an STL through the tus uploader and sends it for approval; the
dentist sees the design next to the scan in 3D and approves it; the technician takes it through
the quality check to "Ready to ship". The designer's access ends with the approval. Every page
visited passes axe-core and the strict CSP."""

import re
from datetime import date

import pytest
from django.test import TestCase
from playwright.sync_api import expect

from conftest import acting, client_for
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sent_order_with_scan(world):
    """Set up in Python: the practice connected to the lab, a patient, a scan uploaded through
    the whole files pipeline, and a complete crown order with the scan, sent by the dentist."""
    from dentalbridge.orders import services
    from dentalbridge.orders.tests.conftest import draft_order
    from dentalbridge.organizations.models import ConnectionStatus, LabConnection, Membership
    from dentalbridge.patients import access as patients_access
    from dentalbridge.patients.services import patient_create

    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    patient = patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Ilse",
        family_name="Brouwer",
        date_of_birth=date(1975, 2, 11),
        attending_dentist=world.dentist,
    )
    client = client_for(
        world.dentist,
        membership=Membership.objects.get(user=world.dentist, organization=world.practice),
    )
    data = tus.cube_stl(b"Ilse Brouwer upper", size=20.0)
    created = tus.create(client, len(data), filename="upper.stl", patient=patient.public_id)
    assert created.status_code == 201, created.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tus.patch(client, created["Location"], 0, data).status_code == 204
    scan = patients_access.record_of(patient).first()

    order = draft_order(world, patient)
    dentist = acting(world.dentist, world.practice)
    services.order_attach(actor=dentist, order_id=order.public_id, item_id=scan.public_id)
    services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
    return order


def step(window, label: str, state: str):
    """Click one of the order's next steps; the page comes back with the new state."""
    page = window.page
    page.get_by_role("region", name="Next steps").get_by_role(
        "button", name=label, exact=True
    ).click()
    expect(page.locator("h1 .badge")).to_have_text(state)
    window.check()


def test_order_from_acceptance_through_design_approval_to_ready_to_ship(
    visitor,
    world,
    local_files,  # noqa: F811
    tmp_path,
):
    order = sent_order_with_scan(world)
    reference, url = order.reference, f"/orders/{order.public_id}/"
    design = tmp_path / "crown-11-design.stl"
    design.write_bytes(tus.cube_stl(b"design", size=9.0))

    # --- The lab manager accepts it from the inbox and gives it to the designer. ----------------
    manager = visitor()
    signed_in_as(manager, world.manager)
    page = manager.goto("/")
    page.get_by_role("link", name="Order inbox").click()
    page.get_by_role("navigation", name="Order views").get_by_role("link", name="New").click()
    expect(page.get_by_role("heading", name="Order inbox")).to_be_visible()
    manager.check()
    page.get_by_role("row").filter(has_text=reference).get_by_role("link", name=reference).click()
    expect(page.locator("h1 .badge")).to_have_text("Submitted")
    manager.check()
    step(manager, "Accept", "Accepted")
    team = page.get_by_role("region", name="Who works on it")
    team.get_by_label("Technician or designer").select_option(
        label="Dora Designer — Freelance designer"
    )
    team.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Dora Designer is assigned.")).to_be_visible()
    manager.check()

    # --- The designer starts, uploads the design and sends it for approval. ---------------------
    designer = visitor()
    signed_in_as(designer, world.designer)
    page = designer.goto(url)
    expect(page.locator("h1 .badge")).to_have_text("Accepted")
    designer.check()
    step(designer, "Start the design", "In design")
    section = page.get_by_role("region", name="Design", exact=True)
    expect(section.get_by_text("No design uploaded yet.")).to_be_visible()
    uploader = page.get_by_role("form", name="Upload design files")
    uploader.get_by_label("Files", exact=True).set_input_files(design)
    with page.expect_event("load", timeout=30_000):  # data-reload-on-done
        uploader.get_by_role("button", name="Upload").click()
    # The test settings run the processing inside the last PATCH; reload once if it lags.
    entry = section.get_by_role("listitem").filter(has_text="Design 1")
    if entry.locator(".badge").inner_text() != "Ready":
        page.reload()
    expect(entry.locator(".badge")).to_have_text("Ready")
    expect(entry.get_by_role("link", name=re.compile(r"-design-v1\.stl$"))).to_be_visible()
    designer.check()
    step(designer, "Send the design for approval", "Awaiting design approval")

    # --- The dentist sees the design next to the scan in 3D and approves it. --------------------
    dentist = visitor()
    signed_in_as(dentist, world.dentist)
    page = dentist.goto(url)
    expect(page.locator("h1 .badge")).to_have_text("Awaiting design approval")
    figure = page.locator("figure[data-mesh-viewer]")
    expect(figure).to_have_attribute("data-rendered", "true", timeout=30_000)
    expect(
        page.get_by_role("region", name="Design", exact=True).get_by_text("crown-11-design.stl")
    ).to_be_visible()
    dentist.check()
    step(dentist, "Approve the design", "In production")

    # The designer's assignment ended with the design work: the order no longer opens.
    response = designer.page.goto(designer.base_url + url)
    assert response.status == 404
    designer.check()

    # --- The technician takes it through the quality check. -------------------------------------
    technician = visitor()
    signed_in_as(technician, world.technician)
    page = technician.goto(url)
    expect(page.locator("h1 .badge")).to_have_text("In production")
    technician.check()
    step(technician, "Send to quality check", "Quality check")
    step(technician, "Passed the quality check", "Ready to ship")
    expect(
        page.get_by_role("region", name="Next steps").get_by_role("button", name="Mark as shipped")
    ).to_be_visible()
