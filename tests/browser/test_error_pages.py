"""The one error path of HTML pages, as people meet it (issue 12, item 5): the draft editor is
open when a colleague sends the order, and the next autosave says so where it shows its status;
the lab's manager accepts an order the practice cancelled meanwhile, and gets a 409 page that says
what happened and leads back to the order — on a 390 px phone, accessible, under the CSP."""

import math
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_flows import signed_in_as
from tests.browser.test_orders import connected_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:
    """Nothing wider than the phone's screen (no sideways scrolling)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_autosave_after_a_colleague_sent_the_order_says_so_in_place(visitor, world):
    from conftest import acting
    from dentalbridge.orders import services
    from dentalbridge.orders.tests.conftest import draft_order

    order = draft_order(world, connected_patient(world))
    assistant = visitor()
    signed_in_as(assistant, world.assistant)
    page = assistant.goto(f"/orders/{order.public_id}/edit/")
    expect(page.locator("#autosave-status")).to_contain_text("saved as you type")

    services.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )
    page.get_by_label("Preparation and margin notes").fill("Chamfer margin, 1 mm.")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("This order was sent; it can no longer be edited.")
    assistant.check()
    status.get_by_role("link", name="Open the order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.public_id}/$"))


def test_a_step_on_an_order_changed_meanwhile_answers_409_with_the_way_back(visitor, world):
    from conftest import acting
    from dentalbridge.orders import services
    from dentalbridge.orders.tests.conftest import draft_order

    order = draft_order(world, connected_patient(world))
    services.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )
    manager = visitor()
    manager.page.set_viewport_size(PHONE)
    signed_in_as(manager, world.manager)
    page = manager.goto(f"/orders/{order.public_id}/")
    accept = page.get_by_role("button", name="Accept", exact=True)
    expect(accept).to_be_visible()

    services.order_transition(
        actor=acting(world.dentist, world.practice),
        order_id=order.public_id,
        transition="cancel",
        reason="The patient moved away.",
    )
    with page.expect_navigation() as navigation:
        accept.click()
    assert navigation.value.status == 409
    expect(page.get_by_role("heading", name="Not possible now")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "“Accept” is not possible while the order is “Cancelled”."
    )
    _fits(page)
    manager.check()
    page.get_by_role("link", name="Open the order").click()
    expect(page.get_by_text("Cancelled").first).to_be_visible()


def test_a_sign_in_lock_out_says_when_to_come_back_on_a_phone(visitor, world):
    """Issue 13, finding 5: after five wrong passwords for an account, the next sign-in answers
    429 with Retry-After and a page that says how long to wait and how to reset the password —
    readable on a 390 px phone, accessible."""
    window = visitor()
    window.page.set_viewport_size(PHONE)
    page = window.goto("/accounts/login/")
    for attempt in range(6):
        page.get_by_label("Email").fill(world.owner.email)
        page.get_by_label("Password").fill(f"not-the-password-{attempt}")
        with page.expect_response(re.compile("/accounts/login/")) as answer:
            page.get_by_role("button", name="Sign In").click()
        if attempt < 5:
            assert answer.value.status == 200  # the form again, with its message
    assert answer.value.status == 429
    # Five minutes from the first failure: a little less by the time the lock-out answers.
    wait = int(answer.value.headers["retry-after"])
    assert 0 < wait <= 300
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(rf"Try again in {math.ceil(wait / 60)} minutes?\.")
    )
    window.check()
    _fits(page)
    page.get_by_role("link", name="Reset it").click()
    expect(page).to_have_url(re.compile("/accounts/password/reset/$"))
