"""Where to pay: the dashboard and invoice pages show the provider's accounts, "I already paid by
transfer", and "transfer under review" instead of the Pay button while a report waits."""

import re

from tests.transfers.helpers import report_make


def test_the_dashboard_shows_the_accounts_with_copy_buttons(subscriber_client, smartisp):
    from tests.billing.test_dashboard import mock_dashboard

    mock_dashboard(smartisp)
    page = subscriber_client.get("/").content.decode()

    assert "Pay by bank transfer or deposit" in page
    assert '<span class="bank-number" id="bank-number-1">2201234567</span>' in page
    assert 'data-copy="bank-number-1" hidden aria-label="Copy account number 2201234567"' in page
    assert "0012345678" in page and "Mi ISP S.A." in page
    assert 'href="/billing/transfers/new/">I already paid by transfer' in page
    assert "js/copy.js" in page


def test_the_invoice_page_offers_pay_and_i_already_paid(subscriber_client, unpaid):
    page = subscriber_client.get("/billing/invoices/4624/").content.decode()

    assert re.search(r'action="/billing/invoices/4624/pay/"', page)
    assert "I already paid by transfer" in page
    assert "2201234567" in page


def test_no_accounts_configured_shows_no_bank_section(subscriber_client, unpaid, settings):
    settings.PORTAL_BANK_ACCOUNTS = ""

    page = subscriber_client.get("/billing/invoices/4624/").content.decode()

    assert "Pay by bank transfer or deposit" not in page
    assert "I already paid by transfer" in page  # a deposit at the office can still be reported


def test_an_invoice_under_review_shows_so_with_card_payment_still_possible(
    subscriber_client, subscriber, unpaid
):
    report = report_make(subscriber)

    page = subscriber_client.get("/billing/invoices/4624/").content.decode()

    assert "Transfer under review." in page
    assert f'href="/billing/transfers/{report.pk}/"' in page
    # The Pay button is tucked away behind "Pay by card instead", not gone.
    details = page[page.index("<details") : page.index("</details>")]
    assert "Pay by card instead" in details
    assert 'action="/billing/invoices/4624/pay/"' in details
    assert "transfer-link" not in page  # no second report offered beside it


def test_a_rejected_report_brings_the_pay_button_back(subscriber_client, subscriber, unpaid, staff):
    report_make(subscriber, status="rejected", reason="no", decided_by=staff)

    page = subscriber_client.get("/billing/invoices/4624/").content.decode()

    assert "Transfer under review." not in page
    assert "I already paid by transfer" in page


def test_a_new_report_is_seen_at_once_on_a_kept_invoice_page(subscriber_client, subscriber, unpaid):
    first = subscriber_client.get("/billing/invoices/4624/").content.decode()
    assert "Transfer under review." not in first

    report_make(subscriber)

    assert (
        "Transfer under review."
        in subscriber_client.get("/billing/invoices/4624/").content.decode()
    )


def test_an_invoice_settled_by_a_transfer_says_so_not_online(subscriber_client, subscriber, unpaid):
    from billing.models import PaymentStatus
    from tests.billing.payment_helpers import payment_make

    payment_make(subscriber, PaymentStatus.SETTLED, source="transfer", gateway="transfer")

    page = subscriber_client.get("/billing/invoices/4624/", HTTP_ACCEPT_LANGUAGE="en").content
    assert "You paid this invoice by bank transfer." in page.decode()
    assert "online" not in page.decode().split("payment-state-notice", 1)[1].split("</div>", 1)[0]
