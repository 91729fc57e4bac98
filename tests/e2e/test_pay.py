"""Paying at phone size: dashboard → Pay → the sandbox gateway's checkout with the test card that
succeeds → back in the portal, the payment page turns to paid by itself (htmx polling) once the
webhook is in and the task worker has recorded the payment in SmartISP."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, SETTLE_MS, WAIT_MS
from tests.e2e.conftest import assert_no_page_errors, watched

pytestmark = pytest.mark.e2e

CARD_SUCCEEDS = "4242 4242 4242 4242"


def _unpaid_in_smartisp(portal, num_bill: str) -> bool:
    answer = requests.get(
        f"{portal.smartisp_url}/api/SmartIPS-v1/getInvoiceCliente/{num_bill}",
        headers={"X-Authorization": "sandbox-key", "Accept": "application/json"},
        timeout=10,
    )
    return answer.json()["estatus"] == "No pagado"


def test_pay_next_invoice_with_test_card_shows_paid_without_reload(
    portal, new_context, signed_in_state
):
    page = watched(new_context(viewport=PHONE, storage_state=signed_in_state).new_page())
    page.goto("/")
    pay_form = page.locator("main form[action$='/pay/']").first
    expect(pay_form).to_be_visible()
    num_bill = re.search(r"/invoices/(\d+)/pay/", pay_form.get_attribute("action")).group(1)
    assert _unpaid_in_smartisp(portal, num_bill)
    # The invoice's page, seen once before paying, is kept (portal/pagecache.py).
    page.goto(f"/billing/invoices/{num_bill}/")
    expect(page.locator("main form[action$='/pay/']")).to_be_visible()
    page.goto("/")

    pay_form.locator("button[type=submit]").click()
    expect(page).to_have_url(
        re.compile(re.escape(portal.gateway_url) + r"/checkout/"), timeout=WAIT_MS
    )
    page.fill("input[name=card]", CARD_SUCCEEDS)
    page.locator("form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/billing/payments/[^/]+/$"), timeout=WAIT_MS)
    assert page.url.startswith(portal.url)
    # A mark on this document: it survives htmx swaps, not a reload or a navigation.
    page.evaluate("() => { window.e2eNoReload = true; }")
    settled = page.locator("#payment-status[data-status=settled]")
    expect(settled).to_be_visible(timeout=SETTLE_MS)
    expect(settled).to_contain_text(re.compile(r"Paid|Pagad", re.IGNORECASE))
    expect(settled).to_contain_text(num_bill)
    assert page.evaluate("() => window.e2eNoReload === true"), "the page was reloaded"
    assert not _unpaid_in_smartisp(portal, num_bill)
    # Seen again, the invoice's page says it is paid and offers no second payment.
    page.goto(f"/billing/invoices/{num_bill}/")
    expect(page.locator(".payment-state-notice.notice-success")).to_be_visible()
    expect(page.locator("main form[action$='/pay/']")).to_have_count(0)
    assert_no_page_errors(page)
