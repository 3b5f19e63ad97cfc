"""Browser tests: Debian's Chromium driven by Playwright, against the live test server.

Every page a test visits can be checked with axe-core (from the npm lockfile) for WCAG 2.1 A/AA
violations of serious or critical impact, and must not trip the Content-Security-Policy.
"""

import os
import threading
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this test process is single-purpose.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class _OneRequestAtATime:
    """A WSGI application wrapper for the live server on in-memory SQLite, where every request
    thread shares the test's one connection (Django's docs warn that simultaneous queries on it
    fail at random: CI saw "no such savepoint" when the 3D viewer fetched two files at once, and
    the shared database stayed locked for every later test). Django runs one request at a time;
    responses still stream in parallel."""

    lock = threading.Lock()

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        with self.lock:
            return self.application(environ, start_response)


def _one_request_at_a_time_on_sqlite():
    """Installed when this file is collected, so before any live server starts (one per test
    process): on SQLite the test database is in memory and shared. PostgreSQL keeps a connection
    per request thread, as in production."""
    from django.conf import settings
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test import testcases

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return

    class Server(ThreadedWSGIServer):
        def set_app(self, application):
            super().set_app(_OneRequestAtATime(application))

    testcases.LiveServerThread.server_class = Server


_one_request_at_a_time_on_sqlite()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` runs npm ci in frontend/")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visitor:
    """One person's browser window: a fresh context (own cookies), with page checks."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.base_url = base_url
        self.csp_violations: list[str] = []
        self.page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def goto(self, path: str):
        self.page.goto(path if path.startswith("http") else self.base_url + path)
        return self.page

    def check(self):
        """Accessibility (axe-core: no serious/critical WCAG 2.1 A/AA violation) and CSP."""
        page = self.page
        page.wait_for_load_state("load")
        # evaluate() is not subject to the page's CSP, so axe runs without weakening it.
        page.evaluate(AXE.read_text(encoding="utf-8"))
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document, {
                    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
                });
                return result.violations
                    .filter(v => ["serious", "critical"].includes(v.impact))
                    .map(v => `${v.id} (${v.impact}): ${v.help} — `
                              + v.nodes.map(n => n.target.join(" ")).join(", "));
            }"""
        )
        assert violations == [], f"{page.url}: {violations}"
        assert self.csp_violations == [], f"{page.url}: {self.csp_violations}"


@pytest.fixture
def visitor(browser, live_server, settings):
    settings.SITE_URL = live_server.url  # links in e-mails lead to the test server
    contexts = []

    def open_window(locale: str = "en-GB") -> Visitor:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return Visitor(context, live_server.url)

    yield open_window
    for context in contexts:
        context.close()
