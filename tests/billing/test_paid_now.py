"""True at once: from the moment the gateway's capture is recorded, every page shows its invoices
as paid (being recorded), the total owed without them and no cut-off warning for them, while
SmartISP still lists them unpaid; and one cut-off date, the same on every page."""

import re

import pytest

from billing.ledger import payment_capture
from billing.models import PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import TXN, payment_make
from tests.billing.test_dashboard import mock_dashboard
from tests.conftest import api, example

clock = payment_helpers.clock  # the fixture

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def lists(smartisp):
    """SmartISP still lists 4624 ($21.51, cut-off 16 Oct 2024) and 3112 ($330.00, cut-off
    27 Oct 2024) as unpaid: it has not been told of the payment yet."""
    mock_dashboard(smartisp)
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))
    return smartisp


def test_before_paying_the_dashboard_and_invoice_pages_give_one_cut_off_date(
    subscriber_client, lists
):
    dashboard = text(subscriber_client.get("/", **EN).content.decode())
    for num_bill in ("3112", "4624"):
        page = text(subscriber_client.get(f"/billing/invoices/{num_bill}/", **EN).content.decode())
        assert "Cut-off date 16 Oct 2024" in page
    assert "Cut-off date: 16 Oct 2024" in dashboard


def test_a_captured_payment_shows_at_once_on_the_dashboard(
    subscriber_client, subscriber, lists, clock
):
    payment_make(subscriber, PaymentStatus.CAPTURED)  # 4624

    page = text(subscriber_client.get("/", **EN).content.decode())

    assert "Total due $330.00" in page
    assert "We received your payment of invoice 4624: it is being recorded." in page
    # The cut-off warning is 3112's now; 4624's cut-off no longer applies.
    assert "Cut-off date: 27 Oct 2024" in page and "16 Oct 2024" not in page
    assert "Pay $330.00" in page


def history_row(page: str, num_bill: str) -> str:
    """The text of one invoice's line in the paid history, tags stripped."""
    start = page.index(f'id="paid-{num_bill}"')
    return text(page[start : page.index("</li>", start)])


def test_a_captured_payment_shows_at_once_on_the_invoice_pages(
    subscriber_client, subscriber, lists, clock
):
    payment_make(subscriber, PaymentStatus.CAPTURED)

    unpaid = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    paid = subscriber_client.get("/billing/invoices/?status=paid", **EN).content.decode()
    sheet = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()

    assert 'id="invoice-4624"' not in unpaid and "Unpaid (1)" in text(unpaid)
    assert "Paid, being recorded" in history_row(paid, "4624")
    assert "Paid, being recorded" in text(sheet)
    assert "/billing/invoices/4624/pay/" not in sheet
    assert "Cut-off date" not in text(sheet)
    assert "We received your payment of this invoice: it is being recorded." in text(sheet)
    # 3112 is still owed, and its cut-off is its own now.
    other = text(subscriber_client.get("/billing/invoices/3112/", **EN).content.decode())
    assert "Cut-off date 27 Oct 2024" in other


def test_a_kept_dashboard_is_not_served_stale_after_a_capture(
    subscriber_client, subscriber, lists, clock, settings
):
    settings.CACHE_SHARED = True
    pending = payment_make(subscriber, PaymentStatus.PENDING)
    assert "Total due $351.51" in text(subscriber_client.get("/", **EN).content.decode())

    payment_capture(
        pending, transaction_id=TXN, amount=pending.amount, currency="USD", captured_at=clock.now
    )

    assert "Total due $330.00" in text(subscriber_client.get("/", **EN).content.decode())


def test_a_payment_with_a_person_is_not_shown_as_paid(subscriber_client, subscriber, lists, clock):
    payment_make(subscriber, PaymentStatus.NEEDS_REVIEW)

    page = text(subscriber_client.get("/", **EN).content.decode())

    assert "Total due $351.51" in page
