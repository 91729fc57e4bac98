"""Paying at phone size: Pay → the sandbox gateway's checkout with the test card that succeeds →
back in the portal, the payment page turns to paid by itself (htmx polling) once the webhook is in
and the task worker has recorded the payment in SmartISP. One invoice from its page; everything
owed from the dashboard's total, at 360 px, in three taps plus the card."""

import re
from datetime import date

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.browser import NARROW, PHONE, SETTLE_MS, WAIT_MS
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


def _invoice_add(portal, amount: str = "23.00") -> str:
    """A new unpaid invoice of the demo subscriber (client 101), made through SmartISP's own
    CreateInvoice, so each test has something to pay whatever ran before it."""
    today = date.today()
    answer = requests.post(
        f"{portal.smartisp_url}/api/SmartIPS-v1/CreateInvoice/101",
        headers={"X-Authorization": "sandbox-key", "Accept": "application/json"},
        json={
            "description": ["Servicio de internet"], "price": [amount], "quantity": ["1"],
            "iva": ["0"], "total": [amount], "pos": ["1"], "unit": ["1"],
            "period_from": [today.isoformat()], "period_to": [today.isoformat()],
            "invoice_billing_type": "none", "invoice_memo": "",
            "invoice_date": today.strftime("%m/%d/%Y"),
            "invoice_pay_date": today.strftime("%m/%d/%Y"),
        },
        timeout=10,
    )  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["num_bill"])


def test_pay_next_invoice_with_test_card_shows_paid_without_reload(
    portal, new_context, signed_in_state
):
    page = watched(new_context(viewport=PHONE, storage_state=signed_in_state).new_page())
    page.goto("/billing/invoices/")
    unpaid = page.locator("input[name=invoices]")
    if unpaid.count():
        num_bill = unpaid.first.get_attribute("value")
    else:  # everything was paid before: a new invoice shows once the lists' cache (60 s) ends
        num_bill = _invoice_add(portal)
        for _ in range(15):
            page.wait_for_timeout(5_000)
            page.goto("/billing/invoices/")
            if page.locator(f"#invoice-{num_bill}").count():
                break
    assert _unpaid_in_smartisp(portal, num_bill)
    # The invoice's page, seen once before paying, is kept (portal/pagecache.py).
    page.goto(f"/billing/invoices/{num_bill}/")
    pay_form = page.locator("main form[action$='/pay/']")
    expect(pay_form).to_be_visible()

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


def test_pay_everything_owed_from_the_dashboard_at_360px_in_three_taps(
    portal, new_context, signed_in_state
):
    first, second = _invoice_add(portal, "17.25"), _invoice_add(portal, "30.00")
    page = watched(new_context(viewport=NARROW, storage_state=signed_in_state).new_page())
    # An earlier test may have left the subscriber's lists in the portal's cache (60 s): wait
    # for the two new invoices, as a subscriber reloading would (the dashboard shares the list).
    for _ in range(15):
        page.goto("/billing/invoices/")
        if page.locator(f"#invoice-{first}").count() and page.locator(f"#invoice-{second}").count():
            break
        page.wait_for_timeout(5_000)
    page.goto("/")
    total = page.locator(".due-card .amount")
    expect(total).not_to_have_text(re.compile(r"\$0[.,]00"))

    # Tap 1: the total's own Pay button.
    page.locator("form.pay-all-form button[type=submit]").click()
    expect(page).to_have_url(
        re.compile(re.escape(portal.gateway_url) + r"/checkout/"), timeout=WAIT_MS
    )
    # The card, then tap 2: the gateway's Pay.
    page.fill("input[name=card]", CARD_SUCCEEDS)
    page.locator("form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/billing/payments/[^/]+/$"), timeout=WAIT_MS)
    page.evaluate("() => { window.e2eNoReload = true; }")
    settled = page.locator("#payment-status[data-status=settled]")
    expect(settled).to_be_visible(timeout=SETTLE_MS)
    for num_bill in (first, second):
        expect(settled).to_contain_text(num_bill)
        assert not _unpaid_in_smartisp(portal, num_bill)
    assert page.evaluate("() => window.e2eNoReload === true"), "the page was reloaded"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW["width"]

    # Tap 3: home, where nothing is owed any more.
    page.locator("#payment-status a[href='/']").click()
    expect(page.locator(".due-card")).to_contain_text(re.compile(r"paid up|al día", re.I))
    expect(page.locator("form.pay-all-form")).to_have_count(0)
    assert_no_page_errors(page)
