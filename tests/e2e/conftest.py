"""The browser suite's fixtures: the whole stack (sandbox SmartISP and gateway, portal, task worker)
on free ports, and Debian's Chromium driven by Playwright.

Playwright's sync API keeps an asyncio loop marked as running in this thread while it lives, and
Django refuses ORM calls then. So Playwright lives only while this package's tests run (package
scope, overriding pytest-playwright's session-wide fixtures), never during the rest of the suite.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from portal.sandbox.demo import DEMO_DNI, DEMO_PASSWORD, Stack, free_port
from tests.e2e.browser import (
    BASE_DIR,
    CHROMIUM_FLAGS,
    CHROMIUM_PATH,
    PHONE,
    WAIT_MS,
    portal_session,
)

# Pages wait on the sandbox SmartISP; a cold runserver's first answers take a moment.
expect.set_options(timeout=WAIT_MS)
FAILURES = BASE_DIR / "test-results" / "e2e"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


class Portal:
    """The running stack, as the tests see it."""

    def __init__(self, stack: Stack, mail_dir: Path):
        self.stack = stack
        self.url = stack.url
        self.gateway_url = stack.gateway_url
        self.smartisp_url = stack.smartisp_url
        self.messaging_url = stack.messaging_url  # the WhatsApp stand-in's /__control/messages
        self.mail_dir = mail_dir

    def session(self, dni: str = DEMO_DNI, password: str = DEMO_PASSWORD):
        """A requests session signed in as `dni` (the demo subscriber by default)."""
        return portal_session(self.url, dni, password)

    def storage_state(self, dni: str = DEMO_DNI, password: str = DEMO_PASSWORD) -> dict:
        """A browser storage state signed in as `dni`, made without driving the sign-in page."""
        session = self.session(dni, password)
        cookies = [
            {"name": c.name, "value": c.value, "domain": "127.0.0.1", "path": "/"}
            for c in session.cookies
        ]
        return {"cookies": cookies, "origins": []}


@pytest.fixture(scope="package")
def portal(tmp_path_factory) -> Iterator[Portal]:
    state = tmp_path_factory.mktemp("e2e-stack")
    mail_dir = state / "emails"
    stack = Stack(
        state_dir=state,
        port=free_port(),
        smartisp_port=free_port(),
        gateway_port=free_port(),
        messaging_port=free_port(),
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        },
        quiet=True,
    )
    stack.start()
    try:
        yield Portal(stack, mail_dir)
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def signed_in_state(portal) -> dict:
    """The demo subscriber's cookies, shared by the tests that start signed in."""
    return portal.storage_state()


# pytest-playwright's fixtures, package-scoped (see the module docstring) and bound to Debian's
# Chromium with the flags it needs as root.


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser_type_launch_args() -> dict:
    return {"executable_path": CHROMIUM_PATH, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture(scope="package")
def browser(playwright, browser_type_launch_args) -> Iterator[Browser]:
    browser = playwright.chromium.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(portal) -> dict:
    return {"base_url": portal.url, "viewport": PHONE, "locale": "es-EC"}


@pytest.fixture
def new_context(request, browser, browser_context_args) -> Iterator:
    """Contexts made by a test, closed after it; keyword arguments override the defaults.

    When the test fails, each open page's screenshot and HTML go to test-results/e2e/.
    """
    contexts: list[BrowserContext] = []

    def make(**kwargs) -> BrowserContext:
        context = browser.new_context(**{**browser_context_args, **kwargs})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    if getattr(request.node, "e2e_failed", False):
        _keep_evidence(request.node.name, [p for c in contexts for p in c.pages])
    for context in contexts:
        context.close()


def _keep_evidence(test_name: str, pages: list[Page]) -> None:
    FAILURES.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "-", test_name)
    for number, page in enumerate(pages):
        try:
            page.screenshot(path=str(FAILURES / f"{name}-{number}.png"), full_page=True)
            (FAILURES / f"{name}-{number}.html").write_text(
                f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8"
            )
        except Exception:  # evidence is best effort: the failure itself is reported anyway
            pass


@pytest.fixture
def context(new_context) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context) -> Page:
    return watched(context.new_page())


def watched(page: Page) -> Page:
    """A page whose script errors and CSP violations fail the test (see `assert_no_page_errors`)."""
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))

    def console(message):
        text = message.text
        if message.type == "error" and re.search(r"Content.Security.Policy|Refused to", text):
            page.problems.append(f"CSP: {text}")

    page.on("console", console)
    return page


def assert_no_page_errors(page: Page) -> None:
    problems = getattr(page, "problems", [])
    assert not problems, "the browser reported:\n" + "\n".join(problems)
