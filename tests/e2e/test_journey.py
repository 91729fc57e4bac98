"""A subscriber's tour, at phone and desktop size: sign in, dashboard, invoices, one invoice,
tickets, profile, then the language switch (Spanish by default, English remembered)."""

import re

import pytest
from playwright.sync_api import expect

from portal.sandbox.demo import DEMO_DNI, DEMO_PASSWORD
from tests.e2e.browser import VIEWPORTS, WAIT_MS
from tests.e2e.conftest import assert_no_page_errors, watched

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_sign_in_and_visit_every_section_then_switch_to_english(new_context, size):
    page = watched(new_context(viewport=VIEWPORTS[size]).new_page())
    tabs = page.locator("nav.tabbar")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.fill("input[name=dni]", DEMO_DNI)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form[action$='/accounts/login/'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/$"), timeout=WAIT_MS)
    expect(page.locator("h1")).to_contain_text("Juan")
    pay = page.locator("main form[action$='/pay/'] button[type=submit]").first
    expect(pay).to_be_visible()
    expect(pay).to_be_in_viewport()  # the next invoice's Pay button without scrolling

    tabs.locator("a[href='/billing/invoices/']").click()
    expect(page).to_have_url(re.compile(r"/billing/invoices/"))
    invoice = page.locator("main a[href^='/billing/invoices/'][href$='/']").filter(
        has_text=re.compile(r"\d")
    )
    expect(invoice.first).to_be_visible()
    number = re.search(r"/billing/invoices/(\d+)/", invoice.first.get_attribute("href")).group(1)
    invoice.first.click()
    expect(page).to_have_url(re.compile(rf"/billing/invoices/{number}/$"))
    expect(page.locator("h1")).to_contain_text(number)

    tabs.locator("a[href='/support/tickets/']").click()
    expect(page).to_have_url(re.compile(r"/support/tickets/$"))
    expect(page.locator("main a[href^='/support/tickets/5']").first).to_be_visible()

    tabs.locator("a[href='/accounts/profile/']").click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.locator("main")).to_contain_text(DEMO_DNI)

    # Spanish until the subscriber chooses English; then English, on this page and the next.
    invoices_tab = tabs.locator("a[href='/billing/invoices/']")
    expect(invoices_tab).not_to_have_text(re.compile("Invoices"))
    page.locator("form[action='/i18n/setlang/'] button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(invoices_tab).to_have_text(re.compile("Invoices"))
    expect(page.locator("h1")).to_have_text("Your account")

    tabs.locator("a[href='/']").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(invoices_tab).to_have_text(re.compile("Invoices"))
    expect(page.locator("h1")).to_contain_text("Hello")

    page.locator("form[action='/i18n/setlang/'] button[value=es]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_no_page_errors(page)


def test_a_page_seen_again_keeps_its_style_and_its_forms_work(new_context, signed_in_state):
    """The second look at a page is the kept one (portal/pagecache.py): its inline style's new
    nonce must match the policy, and its forms' new CSRF tokens must be accepted."""
    page = watched(
        new_context(viewport=VIEWPORTS["phone"], storage_state=signed_in_state).new_page()
    )
    page.goto("/billing/invoices/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto("/")
    page.goto("/billing/invoices/")  # kept since the first look
    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert brand.strip() == "#0b5cad"
    page.locator("form[action='/i18n/setlang/'] button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Invoices")
    page.locator("form[action='/i18n/setlang/'] button[value=es]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_no_page_errors(page)
