"""The payment page: the ledger's state in plain words, polled by htmx until final, a receipt."""

import pytest
from django.test import Client

from billing.gateways.base import GATEWAYS, ReturnInfo
from billing.gateways.sandbox import SandboxGateway
from billing.models import PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    GATEWAY,
    SESSION,
    TXN,
    calls_to,
    gateway_session,
    payment_make,
    payment_of,
    queued,
)

clock = payment_helpers.clock  # the fixture

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def page_url(payment) -> str:
    return f"/billing/payments/{payment.reference}/"


@pytest.fixture
def pending(subscriber, clock):
    return payment_make(subscriber, PaymentStatus.PENDING)


def test_a_checkout_left_unpaid_offers_continue_and_start_again_and_claims_nothing(
    subscriber_client, pending, smartisp
):
    gateway_session(smartisp, pending, "open")

    response = subscriber_client.get(page_url(pending), **EN)

    page = response.content.decode()
    assert response.status_code == 200
    assert "You did not finish this payment" in page
    assert "Nothing was charged" in page
    assert "confirm" not in page.lower()  # no card was entered: nothing is being confirmed
    assert f'<a class="button" href="{GATEWAY}/checkout/{SESSION}">Continue</a>' in page
    assert f'action="/billing/payments/{pending.reference}/restart/"' in page
    assert "Start again" in page
    # Asked the gateway, which alone knows whether a card was entered.
    assert [c.request.url for c in smartisp.calls] == [f"{GATEWAY}/checkout/sessions/{SESSION}"]
    assert 'hx-trigger="every 2s"' in page
    assert f'hx-get="{page_url(pending)}?shown=pending-0"' in page
    assert f'href="{page_url(pending)}"' in page  # the no-JavaScript refresh


def test_htmx_poll_gets_only_the_status_fragment(subscriber_client, pending):
    response = subscriber_client.get(page_url(pending), **EN, **HTMX)

    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="payment-status"')
    assert 'hx-trigger="every 2s"' in fragment


def test_settled_payment_shows_a_printable_receipt_and_stops_polling(
    subscriber_client, subscriber, clock
):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)

    fragment = subscriber_client.get(page_url(settled), **EN, **HTMX).content.decode()
    page = subscriber_client.get(page_url(settled), **EN).content.decode()

    for html in (fragment, page):
        assert "hx-trigger" not in html
        assert "Receipt" in html
        assert settled.reference in html
        assert TXN in html
        assert "$21.51" in html
        assert "10 Mar 2026" in html
        assert 'href="/billing/invoices/4624/"' in html
    assert "data-print" in page


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (PaymentStatus.CAPTURED, "We received your payment and are recording it"),
        (PaymentStatus.FAILED, "The payment did not go through"),
        (PaymentStatus.CANCELLED, "You did not finish this payment"),
        (PaymentStatus.NEEDS_REVIEW, "Our staff needs to check this payment"),
        (PaymentStatus.REFUNDED, "This payment was refunded"),
    ],
)
def test_each_state_in_plain_words(subscriber_client, subscriber, clock, status, words):
    payment = payment_make(subscriber, status)

    page = subscriber_client.get(page_url(payment), **EN).content.decode()

    assert words in page
    assert ("every 2s" in page) == (status == PaymentStatus.CAPTURED)


def test_payment_page_of_another_user_is_404(client, pending, other_subscriber):
    client.force_login(other_subscriber)

    assert client.get(page_url(pending)).status_code == 404


def test_unknown_reference_is_404(subscriber_client, db):
    assert subscriber_client.get("/billing/payments/not-a-reference/").status_code == 404


def test_payment_page_needs_sign_in(pending):
    response = Client().get(page_url(pending))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_cancelled_return_shows_the_payment_to_continue_or_start_again(
    subscriber_client, pending, smartisp
):
    gateway_session(smartisp, pending, "open")

    response = subscriber_client.get(page_url(pending) + "?cancelled=1", **EN)

    assert response.status_code == 302
    assert response["Location"] == page_url(pending)
    assert payment_of(pending).status == PaymentStatus.CANCELLED
    page = subscriber_client.get(page_url(pending), **EN).content.decode()
    assert "You did not finish this payment" in page and "Start again" in page
    assert f'href="{GATEWAY}/checkout/{SESSION}"' in page


def test_declined_card_return_goes_back_to_the_invoice_with_a_message(
    subscriber_client, pending, smartisp
):
    gateway_session(smartisp, pending, "failed")

    response = subscriber_client.get(page_url(pending) + "?cancelled=1", **EN)

    assert response.status_code == 302
    assert "declined" in next(str(m) for m in response.wsgi_request._messages)
    assert payment_of(pending).status == PaymentStatus.FAILED


def test_cancel_return_of_a_checkout_the_gateway_says_succeeded_is_not_cancelled(
    subscriber_client, pending, smartisp
):
    """The browser proves nothing: the gateway's answer wins."""
    gateway_session(smartisp, pending, "succeeded")

    response = subscriber_client.get(page_url(pending) + "?cancelled=1", **EN)

    assert response.status_code == 200
    assert payment_of(pending).status == PaymentStatus.CAPTURED
    assert "We received your payment" in response.content.decode()
    assert queued() == ["payment_settle"]
    assert calls_to(smartisp, "pagar_factura") == []


def test_cancel_return_while_the_gateway_is_down_keeps_the_payment_pending(
    subscriber_client, pending, smartisp
):
    smartisp.get(f"{GATEWAY}/checkout/sessions/{SESSION}", status=503)

    response = subscriber_client.get(page_url(pending) + "?cancelled=1", **EN)

    assert response.status_code == 200
    assert payment_of(pending).status == PaymentStatus.PENDING


def test_cancel_parameter_on_a_settled_payment_changes_nothing(
    subscriber_client, subscriber, smartisp, clock
):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)

    response = subscriber_client.get(page_url(settled) + "?cancelled=1", **EN)

    assert response.status_code == 200
    assert payment_of(settled).status == PaymentStatus.SETTLED
    assert list(smartisp.calls) == []


def test_invoice_page_include_shows_the_payment_under_way(rf, subscriber, pending):
    from django.template.loader import render_to_string

    from portal.smartisp.records import parse_invoice
    from tests.billing.test_pay import _unpaid_4624

    request = rf.get("/billing/invoices/4624/")
    request.user = subscriber
    html = render_to_string(
        "billing/includes/payment_state.html",
        {"invoice": parse_invoice(_unpaid_4624())},
        request=request,
    )

    assert page_url(pending) in html
    assert "billing/invoices/4624/pay/" not in html


def test_invoice_page_include_offers_the_pay_button_otherwise(rf, subscriber, db):
    from django.template.loader import render_to_string

    from portal.smartisp.records import parse_invoice
    from tests.billing.test_pay import _unpaid_4624

    request = rf.get("/billing/invoices/4624/")
    request.user = subscriber
    html = render_to_string(
        "billing/includes/payment_state.html",
        {"invoice": parse_invoice(_unpaid_4624())},
        request=request,
    )

    assert 'action="/billing/invoices/4624/pay/"' in html


def test_htmx_poll_with_nothing_new_swaps_nothing(subscriber_client, pending):
    url = page_url(pending) + "?shown=pending-0"

    unchanged = subscriber_client.get(url, **HTMX)
    pending.status = PaymentStatus.CAPTURED
    pending.save()
    changed = subscriber_client.get(url, **HTMX)

    assert unchanged.status_code == 204
    assert changed.status_code == 200
    assert "We received your payment" in changed.content.decode()


# -- /billing/return/<gateway>/ (gateways that send the browser back with their own ids) ---------


class ReturningGateway(SandboxGateway):
    """The sandbox's API, returning the browser PayPhone-style: ?id=…&clientTransactionId=…"""

    name = "returning"

    def return_parse(self, params):
        if not params.get("clientTransactionId"):
            return None
        return ReturnInfo(reference=params["clientTransactionId"], data={"id": params.get("id")})


@pytest.fixture
def returning(monkeypatch, subscriber, clock):
    monkeypatch.setitem(GATEWAYS, "returning", f"{__name__}.ReturningGateway")
    return payment_make(subscriber, PaymentStatus.PENDING, gateway="returning")


def test_gateway_return_confirms_server_side_then_shows_the_payment(
    subscriber_client, returning, smartisp
):
    gateway_session(smartisp, returning, "succeeded")

    response = subscriber_client.get(
        f"/billing/return/returning/?id=777&clientTransactionId={returning.reference}"
    )

    assert response.status_code == 302
    assert response["Location"] == page_url(returning)
    payment = payment_of(returning)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.gateway_data == {"id": "777"}


def test_gateway_return_confirms_for_anyone_and_the_page_stays_the_owners(
    client, other_subscriber, returning, smartisp
):
    gateway_session(smartisp, returning, "succeeded")
    client.force_login(other_subscriber)

    response = client.get(
        f"/billing/return/returning/?id=1&clientTransactionId={returning.reference}"
    )

    assert response.status_code == 302
    assert payment_of(returning).status == PaymentStatus.CAPTURED
    assert client.get(response["Location"]).status_code == 404


def test_gateway_return_signed_out_confirms_then_sends_to_sign_in(client, returning, smartisp):
    gateway_session(smartisp, returning, "succeeded")

    response = client.get(
        f"/billing/return/returning/?id=7&clientTransactionId={returning.reference}", follow=True
    )

    assert payment_of(returning).status == PaymentStatus.CAPTURED
    assert response.redirect_chain[0] == (page_url(returning), 302)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.status_code == 200


def test_gateway_return_of_an_unknown_reference_asks_the_gateway_nothing(
    client, returning, smartisp
):
    response = client.get("/billing/return/returning/?id=7&clientTransactionId=NoSuchPayment")

    assert response.status_code == 302
    assert response["Location"] == "/billing/payments/NoSuchPayment/"
    assert list(smartisp.calls) == []
    assert payment_of(returning).status == PaymentStatus.PENDING


def test_gateway_return_without_its_parameters_is_404(subscriber_client, returning):
    assert subscriber_client.get("/billing/return/returning/").status_code == 404
    assert subscriber_client.get("/billing/return/sandbox/?id=1").status_code == 404
    assert subscriber_client.get("/billing/return/nope/").status_code == 404
