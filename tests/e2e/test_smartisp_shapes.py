"""The sandbox's answer-shape switches in the browser, at 360 px (issue 17): a SmartISP without the
clients search or tickets/meta still gives a dashboard with the amount and the Pay button, and a
refused key (HTTP 200 "Unauthenticated.") gives the readable 503, never "no longer a subscriber".

This module runs its own stack with a one-second SmartISP cache, so a switch takes effect at once.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from portal.sandbox.demo import DEMO_DNI, DEMO_PASSWORD, Stack, free_port
from tests.e2e.browser import WAIT_MS, axe_report, axe_violations, portal_session

pytestmark = pytest.mark.e2e
NARROW = {"width": 360, "height": 800}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    running = Stack(
        state_dir=Path(tmp_path_factory.mktemp("e2e-shapes")),
        port=free_port(),
        smartisp_port=free_port(),
        gateway_port=free_port(),
        extra_env={"SMARTISP_CACHE_SECONDS": "1"},
        quiet=True,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(stack, browser):
    session = portal_session(stack.url, DEMO_DNI, DEMO_PASSWORD)
    context = browser.new_context(
        base_url=stack.url, viewport=NARROW, locale="es-EC", bypass_csp=True,
        service_workers="block",
    )  # fmt: skip
    context.set_default_timeout(WAIT_MS)
    context.add_cookies(
        [{"name": c.name, "value": c.value, "url": stack.url} for c in session.cookies]
    )
    yield context.new_page()
    context.close()
    shapes(stack)


def shapes(stack: Stack, *names: str) -> None:
    response = requests.post(
        stack.smartisp_url + "/_sandbox/faults", json={"shapes": list(names)}, timeout=10
    )
    response.raise_for_status()
    time.sleep(1.2)  # what the portal cached before the switch expires


def test_dashboard_without_clients_search_keeps_the_pay_button(stack, page):
    shapes(stack, "no_clients_search", "no_tickets_meta")

    response = page.goto("/")

    assert response.status == 200
    expect(page.locator("main form[action$='/pay/'] button[type=submit]").first).to_be_visible()
    expect(page.locator("#services-heading + ul .notice")).to_contain_text(
        "no podemos cargar el estado de su servicio"
    )
    violations = axe_violations(page)
    assert not violations, axe_report("/ without clients search", violations)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW["width"]

    assert page.goto("/support/tickets/").status == 200  # without tickets/meta too


def test_a_key_refused_with_http_200_is_the_readable_503(stack, page):
    shapes(stack, "unauthenticated_200")

    response = page.goto("/billing/invoices/")

    assert response.status == 503
    expect(page.locator("main")).to_contain_text("no podemos conectarnos")
    health = requests.get(stack.url + "/healthz", timeout=10)
    assert health.json()["smartisp_error"] == "SmartISP refused the API key"
