"""The lab manager's calendar and catalogue page, and a person's notifications, used as people
would, each page checked with axe-core and the CSP."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manager_sets_working_days_a_closure_and_the_catalogue(visitor, world):
    from dentalbridge.orders import selectors

    manager = visitor()
    signed_in_as(manager, world.manager)
    page = manager.goto("/")
    page.get_by_role("link", name="Calendar and catalogue").click()
    expect(page.get_by_role("heading", name="Calendar and catalogue", level=1)).to_be_visible()
    manager.check()
    page.get_by_label("Saturday").check()
    page.get_by_label("Orders due per day").fill("8")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The lab's settings are saved.")).to_be_visible()
    manager.check()
    page.get_by_label("From", exact=True).fill("2099-12-27")
    page.get_by_label("Until (optional)").fill("2099-12-31")
    page.get_by_label("Reason (optional)").fill("Winter break")
    page.get_by_role("button", name="Add a closure").click()
    expect(page.get_by_text("Winter break")).to_be_visible()
    page.get_by_label("Restoration", exact=True).select_option("crown")
    page.get_by_label("Material", exact=True).select_option("zirconia")
    page.get_by_label("Lead time (working days)", exact=True).fill("4")
    page.get_by_role("button", name="Add or update").click()
    expect(page.get_by_role("cell", name="4 working days")).to_be_visible()
    manager.check()
    settings = selectors.lab_settings(world.lab)
    assert settings.weekdays == [0, 1, 2, 3, 4, 5] and settings.daily_capacity == 8

    page.get_by_role("link", name="Notifications").first.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    manager.check()
    page.get_by_role("link", name="Choose what you receive").click()
    page.get_by_label("An order is shipped: by e-mail").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your notification choices are saved.")).to_be_visible()
    expect(page.get_by_label("An order is shipped: by e-mail")).not_to_be_checked()
    manager.check()


def test_the_manager_adds_a_platform_to_the_implant_library(visitor, world):
    from dentalbridge.orders.models import ImplantPlatform

    manager = visitor()
    signed_in_as(manager, world.manager)
    page = manager.goto("/")
    page.get_by_role("link", name="Implant library").click()
    expect(page.get_by_role("heading", name="Implant library", level=1)).to_be_visible()
    manager.check()
    page.get_by_role("textbox", name="Manufacturer").fill("Straumann")
    page.get_by_role("textbox", name="System").fill("BLX")
    page.get_by_role("textbox", name="Platform").fill("XW")
    page.get_by_label("Diameter (mm)").fill("7.5")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("XW added.")).to_be_visible()
    page.locator("summary", has_text="Straumann").click()  # open its details
    expect(page.get_by_role("button", name="Remove BLX XW")).to_be_visible()
    manager.check()
    assert ImplantPlatform.objects.get(organization=world.lab).name == "XW"
