"""The demo of ``make run``, as a visitor finds it: the lab manager has a bridge waiting in the
*New* inbox, sent with a model to look at, and never learns who the patient is; the dentist has
three patients and the orders to them. Every page passes axe-core and the strict CSP."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_has_work_for_the_lab_and_the_practice(visitor):
    from dentalbridge.accounts.models import User

    call_command("seed_demo", stdout=io.StringIO())

    manager = visitor()
    signed_in_as(manager, User.objects.get(email="manager@lab.demo.example"))
    lab = manager.goto("/")
    lab.get_by_role("link", name="Order inbox").click()
    lab.get_by_role("navigation", name="Order views").get_by_role("link", name="New").click()
    row = lab.get_by_role("row").filter(has_text="Bridge")
    expect(row).to_have_count(1)
    manager.check()
    row.get_by_role("link").first.click()
    expect(lab.get_by_role("heading", name=re.compile("Submitted"))).to_be_visible()
    manager.check()
    assert_anonymous(lab)
    # The model came with it: the lab opens the anonymized copy in the 3D viewer.
    lab.get_by_role("region", name="Files").get_by_role("link", name="Intraoral scan").click()
    expect(lab.locator("figure[data-mesh-viewer] canvas")).to_be_visible()
    manager.check()
    assert_anonymous(lab)

    dentist = visitor()
    signed_in_as(dentist, User.objects.get(email="owner@studio.demo.example"))
    practice = dentist.goto("/patients/")
    for name in ("Esempio, Anna", "Prova, Luca", "Demo, Sofia"):
        expect(practice.get_by_role("link", name=name)).to_be_visible()
    dentist.check()
    practice.get_by_role("link", name="Prova, Luca").click()
    expect(practice.get_by_text(re.compile("generated demo model")).first).to_be_visible()
    dentist.check()


def assert_anonymous(page):
    """The lab never reads who the demo patient is (Luca Prova, born 1965)."""
    html, text = page.content(), page.locator("body").inner_text()
    for identifying in ("Luca", "Prova", "1965-11-02", "02/11/1965"):
        assert identifying not in html, identifying
    assert "1965" not in text
