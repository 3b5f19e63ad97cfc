"""Privacy as people meet it in Chromium: the cookie banner and cookie settings (nothing that
needs consent loads before it is given), a person's own newsletter consent, and the platform DPO
keeping the processing register and publishing a notice version. Every page visited passes
axe-core (no serious/critical violations) and the strict CSP."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANALYTICS = "/static/consent-test/analytics.js"
MARKETING = "/static/consent-test/marketing.js"
FAKE_SCRIPTS = {
    "analytics.js": "window.analyticsLoaded = true;",
    "marketing.js": "window.marketingLoaded = true;",
}


@pytest.fixture
def consent_scripts(settings):
    """Both consent categories configured, with same-origin scripts (the strict CSP allows them)."""
    settings.CONSENT_SCRIPTS = {"analytics": ANALYTICS, "marketing": MARKETING}


def watch_scripts(window) -> list[str]:
    """Serve the consent-test scripts from the browser and note every script the page requests."""
    requested: list[str] = []

    def fulfil(route):
        name = route.request.url.rsplit("/", 1)[-1]
        route.fulfill(status=200, content_type="text/javascript", body=FAKE_SCRIPTS[name])

    window.page.route("**/consent-test/*.js", fulfil)
    window.page.on(
        "request",
        lambda request: (
            requested.append(request.url) if request.resource_type == "script" else None
        ),
    )
    return requested


def loaded(requested: list[str], path: str) -> bool:
    return any(url.endswith(path) for url in requested)


def test_no_analytics_or_marketing_script_loads_before_consent(visitor, consent_scripts):
    window = visitor()
    requested = watch_scripts(window)
    page = window.goto("/privacy/")
    banner = page.get_by_role("region", name="Cookies")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("button", name="Accept all")).to_be_visible()
    page.wait_for_load_state("load")
    assert loaded(requested, "/static/app.js")  # the page's own scripts are seen…
    assert not loaded(requested, ANALYTICS)  # …but nothing that needs consent
    assert not loaded(requested, MARKETING)
    assert page.evaluate("typeof window.analyticsLoaded") == "undefined"
    assert page.evaluate("typeof window.marketingLoaded") == "undefined"
    window.check()  # with the banner showing

    # Refusing is one click, and it leads back to the same page.
    banner.get_by_role("button", name="Necessary only").click()
    expect(page).to_have_url(window.base_url + "/privacy/")
    expect(page.get_by_text("Your cookie choices are saved.")).to_be_visible()
    expect(page.get_by_role("region", name="Cookies")).to_have_count(0)
    page.wait_for_load_state("load")
    assert not loaded(requested, ANALYTICS) and not loaded(requested, MARKETING)
    window.check()

    # Later, the footer's link: agree to analytics only, with the keyboard.
    page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    expect(page.get_by_role("heading", name="Cookie settings", level=1)).to_be_visible()
    analytics = page.get_by_label("Analytics")
    marketing = page.get_by_label("Marketing")
    expect(analytics).not_to_be_checked()
    expect(marketing).not_to_be_checked()
    window.check()
    analytics.focus()
    page.keyboard.press("Space")
    expect(analytics).to_be_checked()
    expect(marketing).not_to_be_checked()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your cookie choices are saved.")).to_be_visible()
    expect(page.get_by_label("Analytics")).to_be_checked()
    window.check()

    page.get_by_role("contentinfo").get_by_role("link", name="Cookies", exact=True).click()
    expect(page).to_have_url(window.base_url + "/privacy/cookies/")
    page.wait_for_function("() => window.analyticsLoaded === true")
    page.wait_for_load_state("load")
    assert loaded(requested, ANALYTICS)
    assert not loaded(requested, MARKETING)
    assert page.evaluate("typeof window.marketingLoaded") == "undefined"
    expect(page.get_by_role("region", name="Cookies")).to_have_count(0)
    window.check()


def test_accept_all_from_the_banner_loads_both_categories(visitor, consent_scripts):
    window = visitor()
    requested = watch_scripts(window)
    page = window.goto("/privacy/cookies/")
    banner = page.get_by_role("region", name="Cookies")
    expect(banner).to_be_visible()
    window.check()
    banner.get_by_role("button", name="Accept all").click()
    expect(page).to_have_url(window.base_url + "/privacy/cookies/")
    expect(page.get_by_role("region", name="Cookies")).to_have_count(0)
    page.wait_for_function(
        "() => window.analyticsLoaded === true && window.marketingLoaded === true"
    )
    assert loaded(requested, ANALYTICS) and loaded(requested, MARKETING)
    window.check()


def test_a_person_manages_their_newsletter_consent(visitor, world):
    window = visitor()
    signed_in_as(window, world.dentist)
    page = window.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Privacy", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Your privacy", level=1)).to_be_visible()
    expect(page.get_by_text("No consent recorded.")).to_be_visible()
    window.check()

    newsletter = page.get_by_label("E-mail me occasional news")
    expect(newsletter).not_to_be_checked()
    newsletter.check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("You will receive product news.")).to_be_visible()
    expect(page.get_by_label("E-mail me occasional news")).to_be_checked()
    rows = page.get_by_role("row").filter(has_text="newsletter")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("cell", name="given", exact=True)).to_be_visible()
    window.check()

    page.get_by_label("E-mail me occasional news").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("You will receive no more product news.")).to_be_visible()
    expect(page.get_by_label("E-mail me occasional news")).not_to_be_checked()
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_role("cell", name="withdrawn", exact=True)).to_be_visible()
    expect(rows.nth(1).get_by_role("cell", name="given", exact=True)).to_be_visible()
    window.check()


def test_the_dpo_keeps_the_register_and_publishes_a_version(visitor, world):
    dpo = visitor()
    signed_in_as(dpo, world.dpo)
    page = dpo.goto("/")
    sidenav = page.get_by_role("navigation", name="Organization")
    sidenav.get_by_role("link", name="Record of processing").click()
    expect(
        page.get_by_role("heading", name="Record of processing activities", level=1)
    ).to_be_visible()
    dpo.check()

    # The operator and its DPO.
    page.get_by_role("link", name="Enter the operator's details").click()
    expect(page.get_by_role("heading", name="Operator and DPO", level=1)).to_be_visible()
    dpo.check()
    page.get_by_label("Operator (controller) name").fill("Example Hosting B.V.")
    page.get_by_label("Postal address", exact=True).fill("Voorbeeldstraat 1\n1234 AB Utrecht")
    page.get_by_label("Contact e-mail").fill("privacy@platform.example")
    page.get_by_label("Country of establishment").select_option(label="Netherlands")
    page.get_by_label("Data protection officer").fill("Erin Example")
    page.get_by_label("DPO e-mail").fill("dpo@platform.example")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(
        page.get_by_text("The operator's details are saved; the notice shows them.")
    ).to_be_visible()
    expect(page.get_by_label("Operator (controller) name")).to_have_value("Example Hosting B.V.")
    dpo.check()

    # A sub-processor, from the record's count of them.
    sidenav.get_by_role("link", name="Record of processing").click()
    expect(page.get_by_text("Example Hosting B.V.").first).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^0 listed$")).click()
    expect(page.get_by_role("heading", name="Sub-processors", level=1)).to_be_visible()
    dpo.check()
    page.get_by_label("Name", exact=True).fill("Example Storage GmbH")
    page.get_by_label("Service", exact=True).fill("Object storage for uploaded files")
    page.get_by_label("Where the data is processed").select_option(label="Germany")
    page.get_by_label("Transfer safeguard").select_option(label="Within the EU/EEA: no transfer")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Sub-processor added.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Example Storage GmbH")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Example Storage GmbH")).to_be_visible()
    dpo.check()

    # A notice version.
    sidenav.get_by_role("link", name="Record of processing").click()
    expect(page.get_by_role("link", name=re.compile(r"^1 listed$"))).to_be_visible()
    page.get_by_role("link", name="Publish a new version").click()
    expect(page.get_by_role("heading", name="Notice versions", level=1)).to_be_visible()
    dpo.check()
    page.get_by_label("What changed").fill("We now name our hosting company and storage provider.")
    page.get_by_role("button", name="Publish and tell everyone").click()
    expect(
        page.get_by_text("Version 1 is published; every account is told by e-mail.")
    ).to_be_visible()
    expect(page.get_by_role("rowheader", name="1", exact=True)).to_be_visible()
    dpo.check()

    # Anyone reads the result in the public notice.
    reader = visitor()
    page = reader.goto("/privacy/")
    expect(page.get_by_role("heading", name="Privacy notice", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Version 1, published "))).to_be_visible()
    who = page.get_by_role("region", name="Who is responsible")
    expect(who.get_by_text("Example Hosting B.V.")).to_be_visible()
    expect(who.get_by_role("link", name="privacy@platform.example")).to_be_visible()
    expect(who.get_by_role("link", name="dpo@platform.example")).to_be_visible()
    subprocessors = page.get_by_role("region", name="Sub-processors and transfers")
    expect(subprocessors.get_by_role("rowheader", name="Example Storage GmbH")).to_be_visible()
    expect(subprocessors.get_by_role("cell", name="Germany")).to_be_visible()
    reader.check()
