"""Where to pay: the dashboard and invoice pages show the provider's accounts, "I already paid by
transfer", and "transfer under review" instead of the Pay button while a report waits."""

import re

import pytest

from tests.transfers.helpers import ACCOUNTS, report_make


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


# -- several invoices owed: the dashboard's pay-all and the invoice list -----------------------

ONLY_3112 = [{"num_bill": "3112", "invoice_id": 0, "total": "330.00"}]


def due_card(page: str) -> str:
    start = page.index('class="card due-card')
    return page[start : page.index("</section>", start)]


def test_the_invoice_list_leaves_an_invoice_under_review_unticked_but_selectable(
    subscriber_client, subscriber, unpaid
):
    report = report_make(subscriber, invoices=ONLY_3112, amount="330.00")

    page = subscriber_client.get("/billing/invoices/").content.decode()

    form = page[page.index('<form class="pick-form"') :]
    form = form[: form.index("</form>")]
    assert '<input type="checkbox" name="invoices" value="3112" data-amount="330.00">' in form
    assert 'name="invoices" value="4624" data-amount="21.51" checked>' in form
    item = form[form.index('value="3112"') :]  # newest first: 3112 is the last one
    item = item[: item.index("</li>")]
    assert "Transfer under review." in item
    assert f'href="/billing/transfers/{report.pk}/"' in item


def test_the_invoice_list_shows_the_bank_accounts_and_i_already_paid(subscriber_client, unpaid):
    page = subscriber_client.get("/billing/invoices/").content.decode()

    after_pay = page[page.index("Pay the selected invoices") :]
    box = after_pay[after_pay.index('<section class="card bank-accounts"') :]
    box = box[: box.index("</section>")]
    assert "Pay by bank transfer or deposit" in box and "2201234567" in box
    assert 'href="/billing/transfers/new/">I already paid by transfer' in box
    assert page.count("I already paid by transfer") == 1


def test_the_dashboards_pay_all_names_what_is_not_under_review(
    subscriber_client, subscriber, smartisp
):
    from tests.billing.test_dashboard import mock_dashboard

    mock_dashboard(smartisp)
    report = report_make(subscriber, invoices=ONLY_3112, amount="330.00")

    card = due_card(subscriber_client.get("/").content.decode())

    assert "$351.51" in card  # still owed, all of it
    assert "Transfer under review for invoice 3112." in card
    assert f'href="/billing/transfers/{report.pk}/"' in card
    form = card[card.index('<form class="pay-form pay-all-form"') :]
    form = form[: form.index("</form>")]
    assert 'action="/billing/pay/"' in form
    assert '<input type="hidden" name="invoices" value="4624">' in form
    assert 'value="3112"' not in form
    assert "Pay the rest: $21.51" in form
    assert 'href="/billing/transfers/new/">I already paid by transfer' in card


def test_everything_under_review_offers_a_card_payment_behind_a_fold(
    subscriber_client, subscriber, smartisp
):
    from tests.billing.test_dashboard import mock_dashboard

    mock_dashboard(smartisp)
    report = report_make(subscriber)

    card = due_card(subscriber_client.get("/").content.decode())

    assert "Transfer under review for invoices 3112, 4624." in card
    assert f'href="/billing/transfers/{report.pk}/"' in card
    assert card.count("<form") == 1
    details = card[card.index("<details") : card.index("</details>")]
    assert "Pay by card instead" in details
    assert '<input type="hidden" name="invoices" value="3112">' in details
    assert '<input type="hidden" name="invoices" value="4624">' in details
    assert "Pay everything: $351.51" in details
    assert 'href="/billing/invoices/">Choose which invoices to pay' in card
    assert "I already paid by transfer" not in card  # no second report offered


def test_two_reports_under_review_are_each_linked_from_the_dashboard(
    subscriber_client, subscriber, smartisp
):
    from tests.billing.test_dashboard import mock_dashboard

    mock_dashboard(smartisp)
    first = report_make(subscriber, invoices=ONLY_3112, amount="330.00", reference="111")
    second = report_make(
        subscriber,
        invoices=[{"num_bill": "4624", "invoice_id": 4585, "total": "21.51"}],
        amount="21.51",
        reference="222",
    )

    card = due_card(subscriber_client.get("/").content.decode())

    assert f'href="/billing/transfers/{first.pk}/">Transfer 111</a>' in card
    assert f'href="/billing/transfers/{second.pk}/">Transfer 222</a>' in card


@pytest.mark.parametrize("accounts", ["", ACCOUNTS], ids=["no-accounts", "accounts"])
def test_i_already_paid_by_transfer_is_beside_pay_everything_with_or_without_accounts(
    subscriber_client, smartisp, settings, accounts
):
    """No account configured still takes reports (another bank, a deposit point): README."""
    from tests.billing.test_dashboard import mock_dashboard

    settings.PORTAL_BANK_ACCOUNTS = accounts
    mock_dashboard(smartisp)

    card = due_card(subscriber_client.get("/").content.decode())

    pay = card.index("Pay everything: $351.51")
    link = card.index('<p class="transfer-link small"><a href="/billing/transfers/new/">')
    assert pay < link < card.index("Choose which invoices to pay")


def test_with_no_account_configured_a_transfer_can_still_be_reported(
    subscriber_client, unpaid, settings
):
    settings.PORTAL_BANK_ACCOUNTS = ""

    page = subscriber_client.get("/billing/transfers/new/").content.decode()
    listed = subscriber_client.get("/billing/invoices/").content.decode()

    assert 'name="bank" value="other"' in page and "Another bank or a deposit point" in page
    assert 'href="/billing/transfers/new/">I already paid by transfer' in listed
    assert "Pay by bank transfer or deposit" not in listed
