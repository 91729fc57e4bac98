"""A bank transfer at 360 px: the subscriber copies the account number, reports the transfer with
a photo of the receipt, sees it under review; a staff member approves it beside the receipt; the
worker records it in the sandbox SmartISP, and the subscriber's page says it is recorded.

With E2E_SCREENSHOTS=docs/screenshots the pages are also saved there for the README."""

import io
import os
import re
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import expect

from portal.sandbox.demo import staff_ensure
from tests.e2e.browser import BASE_DIR, NARROW, SETTLE_MS
from tests.e2e.conftest import assert_no_page_errors, watched

pytestmark = pytest.mark.e2e

STAFF_DNI = "0999000015"
STAFF_PASSWORD = "staff-e2e-pass-15"
# The sandbox's subscriber (f), with unpaid invoices of her own: the demo subscriber's are the
# other browser tests' to pay.
SUBSCRIBER_DNI = "0201234567"
SUBSCRIBER_PASSWORD = "rosa-e2e-pass-15"


def _manage(portal, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=portal.stack.env,
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )


# Subscriber (c): the accessibility suite reports one of his invoices, leaving everyone else's.
REPORTER_DNI = "0603456789"
REPORTER_PASSWORD = "carlos-e2e-pass-15"


def reporter_session(portal):
    """Subscriber (c)'s signed-in requests session (his portal account made first)."""
    _manage(portal, "accounts_demo_user", "--dni", REPORTER_DNI, "--password", REPORTER_PASSWORD)
    return portal.session(REPORTER_DNI, REPORTER_PASSWORD)


def staff_storage_state(portal) -> dict:
    """A staff member's signed-in browser state (the account made as the README says)."""
    _manage(portal, "shell", "-c", staff_ensure(STAFF_DNI, STAFF_PASSWORD, "Ana Revisora"))
    return portal.storage_state(STAFF_DNI, STAFF_PASSWORD)


def _shot(page, name: str) -> None:
    target = os.environ.get("E2E_SCREENSHOTS")
    if target:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(BASE_DIR / target / f"{name}.png"), full_page=True)


def _receipt_photo(tmp_path: Path, amount: str = "") -> Path:
    """A photo of a bank receipt, of sorts: the lines a real one has, a camera's EXIF."""
    image = Image.new("RGB", (900, 1200), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    lines = ["BANCO PICHINCHA", "Comprobante de transferencia", "Ref. E2E-778899", amount]
    for row, text in enumerate(lines):
        draw.text((60, 120 + row * 110), text, fill=(20, 30, 60), font=font)
    path = tmp_path / "comprobante.jpg"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=Image.Exif().tobytes())
    path.write_bytes(out.getvalue())
    return path


def _invoice_paid_in_smartisp(portal, num_bill: str) -> bool:
    answer = requests.get(
        f"{portal.smartisp_url}/api/SmartIPS-v1/getInvoiceCliente/{num_bill}",
        headers={"X-Authorization": "sandbox-key", "Accept": "application/json"},
        timeout=10,
    )
    return answer.json()["estatus"] != "No pagado"


def test_report_a_transfer_with_a_photo_and_staff_approve_it(portal, new_context, tmp_path):
    _manage(
        portal, "accounts_demo_user", "--dni", SUBSCRIBER_DNI, "--password", SUBSCRIBER_PASSWORD
    )
    subscriber = portal.storage_state(SUBSCRIBER_DNI, SUBSCRIBER_PASSWORD)
    page = watched(new_context(viewport=NARROW, storage_state=subscriber).new_page())
    page.goto("/")
    accounts = page.locator("section.bank-accounts")
    expect(accounts).to_be_visible()
    expect(accounts.locator(".copy-button").first).to_be_visible()  # revealed by copy.js
    _shot(page, "phone-transfer-accounts")
    page.locator("section.bank-accounts a[href='/billing/transfers/new/']").click()

    expect(page).to_have_url(re.compile(r"/billing/transfers/new/$"))
    expect(page.locator("form.transfer-form input[name=invoices]").first).to_be_checked()
    ticked = page.locator("input[name=invoices]:checked")
    num_bills = [ticked.nth(i).get_attribute("value") for i in range(ticked.count())]
    assert num_bills
    total = page.locator(".transfer-total strong").inner_text()
    amount = Decimal(re.sub(r"[^\d,]", "", total).replace(",", "."))
    # Only the oldest invoice, to see the total follow the choice after a refused amount.
    page.locator("input[name=bank]").first.check()
    page.fill("input[name=paid_on]", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.fill("input[name=amount]", "1,00")
    page.fill("input[name=reference]", "E2E-778899")
    page.set_input_files("#id_receipt_file", str(_receipt_photo(tmp_path)))
    page.locator("form.transfer-form button[type=submit]").click()

    # The amount is refused; everything typed is kept.
    expect(page.locator(".errorlist")).to_contain_text(re.compile("total", re.I))
    # The summary is focused (app.js), so the phone shows it, not the page's unchanged top.
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#form-errors")).to_be_in_viewport()
    expect(page.locator("input[name=reference]")).to_have_value("E2E-778899")
    _shot(page, "phone-transfer-refused")
    page.fill("input[name=amount]", f"{amount:.2f}".replace(".", ","))
    page.set_input_files("#id_receipt_file", str(_receipt_photo(tmp_path, f"USD {amount:.2f}")))
    _shot(page, "phone-transfer-form")
    page.locator("form.transfer-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/billing/transfers/\d+/$"))
    report_url = page.url
    expect(page.locator(".transfer-state")).to_contain_text(re.compile("En revisión", re.I))
    _shot(page, "phone-transfer-under-review")
    page.goto(f"/billing/invoices/{num_bills[0]}/")
    expect(page.locator(".transfer-waiting")).to_be_visible()
    assert_no_page_errors(page)

    staff = watched(
        new_context(viewport=NARROW, storage_state=staff_storage_state(portal)).new_page()
    )
    staff.goto("/staff/transfers/")
    staff.locator("ul.staff-queue a.list-link", has_text="E2E-778899").click()
    receipt = staff.locator("img.receipt-image")
    expect(receipt).to_be_visible()
    assert staff.evaluate("(img) => img.naturalWidth", receipt.element_handle()) == 900
    _shot(staff, "phone-staff-transfer-review")
    staff.locator("button[name=decision][value=approve]").click()
    expect(staff).to_have_url(re.compile(r"/staff/transfers/$"))
    expect(staff.locator(".notice-success")).to_be_visible()
    assert_no_page_errors(staff)

    def recorded() -> bool:
        page.goto(report_url)
        return page.locator(".transfer-state[data-status=recorded]").count() == 1

    from tests.e2e.browser import eventually

    eventually(recorded, seconds=SETTLE_MS / 1000, what="the transfer recorded in SmartISP")
    assert all(_invoice_paid_in_smartisp(portal, n) for n in num_bills)
    _shot(page, "phone-transfer-recorded")
    assert_no_page_errors(page)
