"""Sign-in by a WhatsApp code at 360 px: a subscriber SmartISP holds no email for asks for a code,
reads it on WhatsApp (here: the stand-in's /__control/messages), types it and is in."""

import re

import pytest
import requests
from playwright.sync_api import expect

from portal.sandbox.demo import DEMO_PHONE_DNI
from tests.e2e.browser import NARROW, WAIT_MS, axe_report, axe_violations, eventually

pytestmark = pytest.mark.e2e

# The sandbox's client 105: phone 0965432109, no email on file, no portal account yet.
E164 = "+593965432109"


def _codes(portal) -> list[str]:
    answer = requests.get(
        f"{portal.messaging_url}/__control/messages", params={"to": E164}, timeout=10
    ).json()
    return [m["code"] for m in answer["messages"] if m["code"]]


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide at 360 px"


def test_subscriber_without_email_signs_in_by_whatsapp_code_at_360_px(portal, new_context):
    before = len(_codes(portal))
    page = new_context(viewport=NARROW, bypass_csp=True).new_page()
    page.goto("/accounts/login/")
    page.locator("main a[href='/accounts/code/']").click()
    expect(page).to_have_url(re.compile(r"/accounts/code/$"))
    _no_sideways_scroll(page)
    page.fill("input[name=dni]", DEMO_PHONE_DNI)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/accounts/code/verify/$"), timeout=WAIT_MS)
    expect(page.locator("input[name=dni]")).to_have_value(DEMO_PHONE_DNI)
    assert "965432109" not in page.content()  # the page names no phone before the code is right
    _no_sideways_scroll(page)
    violations = axe_violations(page)
    assert not violations, axe_report("the code page (360 px)", violations)

    code = eventually(
        lambda: (codes := _codes(portal))[before:] and codes[-1],
        what="the code at the WhatsApp stand-in",
    )
    page.fill("input[name=code]", code)
    page.locator("main form button[type=submit]").click()

    # A new account: choose a password, or skip and keep signing in by code.
    expect(page).to_have_url(re.compile(r"/accounts/code/password/$"), timeout=WAIT_MS)
    expect(page.locator("main")).to_contain_text(re.compile(r"(ending in|terminado en) 09\b"))
    _no_sideways_scroll(page)
    violations = axe_violations(page)
    assert not violations, axe_report(
        "the choose-a-password page after a code (360 px)", violations
    )
    page.locator("main a[href='/']").click()

    expect(page).to_have_url(re.compile(r"/$"), timeout=WAIT_MS)
    expect(page.locator("h1")).to_contain_text("Luis")
    expect(page.locator("nav.tabbar")).to_be_visible()
