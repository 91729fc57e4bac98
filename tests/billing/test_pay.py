"""The pay button: a checkout only for the subscriber's own unpaid invoice, one at a time; and the
whole path from the button to exactly one pagar_factura."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
from django.core import mail

from billing.models import Payment, PaymentStatus, PaymentTransition
from billing.services import invoices_of
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    GATEWAY,
    INVOICE_ID,
    SESSION,
    TXN,
    calls_to,
    event_body,
    gateway_calls,
    gateway_checkout,
    gateway_session,
    invoice_lists,
    invoice_status,
    pay_ok,
    payment_make,
    run_tasks,
    webhook_post,
)
from tests.conftest import api, json_body

clock = payment_helpers.clock  # the fixture

PAY_URL = "/billing/invoices/4624/pay/"


@pytest.fixture
def lists(smartisp):
    invoice_lists(smartisp)
    return smartisp


def test_pay_checkout_webhook_records_one_pagar_factura_with_every_field(
    subscriber_client, subscriber, lists, clock, settings
):
    settings.LANGUAGE_CODE = "es"  # the portal's default; the receipt follows it
    smartisp = lists
    settings.ADMINS = [("Ops", "ops@example.com")]
    gateway_checkout(smartisp)

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 303
    assert response["Location"] == f"{GATEWAY}/checkout/{SESSION}"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING
    assert payment.client_id == 1
    assert [(i.invoice_id, i.num_bill, str(i.amount)) for i in payment.invoices()] == [
        (INVOICE_ID, "4624", "21.51")
    ]
    assert str(payment.amount) == "21.51" and payment.currency == "USD"
    assert payment.session_id == SESSION
    asked = json.loads(gateway_calls(smartisp)[0].request.body)
    assert asked == {
        "reference": payment.reference,
        "amount": "21.51",
        "currency": "USD",
        "description": asked["description"],
        "success_url": f"http://testserver/billing/payments/{payment.reference}/",
        "cancel_url": f"http://testserver/billing/payments/{payment.reference}/?cancelled=1",
        "webhook_url": "http://testserver/billing/webhooks/sandbox/",
    }
    assert "4624" in asked["description"]

    # Captured at 02:00 UTC on 10 March: still 9 March in Guayaquil (UTC-5).
    captured = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    clock.set(captured)
    gateway_session(smartisp, payment, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    answer = webhook_post(subscriber_client, event_body(payment, created=int(captured.timestamp())))
    assert answer.status_code == 200
    assert calls_to(smartisp, "pagar_factura") == []  # the worker does that, not the webhook

    clock.advance(seconds=2)
    run_tasks()

    paid = calls_to(smartisp, "pagar_factura")
    assert len(paid) == 1
    assert json_body(paid[0]) == {
        "invoice_id": INVOICE_ID,
        "amount": Decimal("21.51"),  # a JSON number
        "id_pago": TXN,
        "way_to_pay": "Sandbox",
        "date": "03/09/2026",
        "commentary": payment.reference,
        "payByWallet": False,
    }
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert payment.transaction_id == TXN
    assert payment.captured_at == captured
    assert payment.settle_note == "recorded in SmartISP"

    # The invoice shows paid: the subscriber's cached lists were dropped, SmartISP is asked again.
    invoice_lists(smartisp, paid_4624=True)
    unpaid, paid_list = invoices_of(subscriber)
    assert "4624" not in [i.num_bill for i in unpaid]
    assert "4624" in [i.num_bill for i in paid_list]

    # The receipt, to the subscriber.
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == ["jaquego@gmail.com"]
    assert "4624" in receipt.subject
    # In the subscriber's language: Spanish unless they chose otherwise, so "$21,51".
    assert payment.reference in receipt.body and TXN in receipt.body and "$21,51" in receipt.body
    assert "9 mar. 2026" in receipt.body or "9 Mar 2026" in receipt.body

    steps = list(
        PaymentTransition.objects.filter(payment=payment)
        .order_by("pk")
        .values_list("to_status", flat=True)
    )
    assert steps == ["created", "pending", "captured", "settled"]


def test_way_to_pay_setting_overrides_the_gateway_label(subscriber, smartisp, clock, settings):
    settings.PAYMENT_WAY_TO_PAY = "Pago en línea"
    payment = payment_make(subscriber, PaymentStatus.CAPTURED)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    from billing.settlement import payment_settle

    assert payment_settle(payment.pk) == "settled"
    assert json_body(calls_to(smartisp, "pagar_factura")[0])["way_to_pay"] == "Pago en línea"


def test_paying_another_subscribers_invoice_is_404_and_opens_no_checkout(
    client, other_subscriber, smartisp
):
    client.force_login(other_subscriber)
    smartisp.get(api("InvoiceClientStatus3/1057"), json={"invoices": []})
    smartisp.get(api("InvoiceClientStatus1/1057"), json={"invoices": []})
    gateway_checkout(smartisp)

    response = client.post(PAY_URL)

    assert response.status_code == 404
    assert gateway_calls(smartisp) == []
    assert not Payment.objects.exists()


def test_paying_an_invoice_listed_for_another_client_is_404(subscriber_client, smartisp):
    """Even if SmartISP's list for client 1 held someone else's invoice, it is not payable."""
    unpaid = {"invoices": [dict(json.loads(json.dumps(_unpaid_4624())), client_id=1057)]}
    smartisp.get(api("InvoiceClientStatus3/1"), json=unpaid)
    smartisp.get(api("InvoiceClientStatus1/1"), json={"invoices": []})
    gateway_checkout(smartisp)

    assert subscriber_client.post(PAY_URL).status_code == 404
    assert gateway_calls(smartisp) == []


def _unpaid_4624() -> dict:
    from tests.conftest import example_json

    return next(
        i for i in example_json("InvoiceClientStatus3")["invoices"] if i["num_bill"] == "4624"
    )


def test_paying_an_invoice_already_paid_says_so_and_opens_no_checkout(subscriber_client, lists):
    gateway_checkout(lists)

    response = subscriber_client.post("/billing/invoices/2/pay/", follow=False)

    assert response.status_code == 302
    assert response["Location"] == "/billing/invoices/2/"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["This invoice is already paid: there is nothing to pay."]
    assert gateway_calls(lists) == []
    assert not Payment.objects.exists()


def test_pay_reads_the_invoice_fresh_not_from_the_cache(subscriber_client, subscriber, lists):
    invoices_of(subscriber)  # the dashboard cached 4624 as unpaid a moment ago
    invoice_lists(lists, paid_4624=True)  # then it was paid at the office
    gateway_checkout(lists)

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 302
    assert gateway_calls(lists) == []


def test_double_post_opens_one_checkout(subscriber_client, lists):
    gateway_checkout(lists)

    first = subscriber_client.post(PAY_URL)
    second = subscriber_client.post(PAY_URL)

    assert first.status_code == 303
    payment = Payment.objects.get()
    # The second tap lands on the first checkout's page: continue it, or start again.
    assert second.status_code == 302
    assert second["Location"] == f"/billing/payments/{payment.reference}/"
    assert len(gateway_calls(lists)) == 1


def test_the_database_allows_one_active_payment_per_invoice(subscriber):
    from django.db import IntegrityError, transaction

    payment_make(subscriber, PaymentStatus.PENDING)
    with pytest.raises(IntegrityError), transaction.atomic():
        payment_make(subscriber, PaymentStatus.CREATED, session_id=None)


def test_an_invoice_paid_online_says_so_and_opens_no_checkout(subscriber_client, subscriber, lists):
    payment_make(subscriber, PaymentStatus.SETTLED)
    gateway_checkout(lists)

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["You already paid this invoice online: there is nothing to pay."]
    assert gateway_calls(lists) == []


def test_a_payment_under_review_blocks_a_second_checkout(subscriber_client, subscriber, lists):
    payment_make(subscriber, PaymentStatus.NEEDS_REVIEW)
    gateway_checkout(lists)

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 302
    assert gateway_calls(lists) == []


def test_gateway_down_fails_the_payment_and_the_subscriber_can_retry(subscriber_client, lists):
    lists.post(f"{GATEWAY}/checkout/sessions", status=503, body="down")

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 302
    assert response["Location"] == "/billing/invoices/4624/"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "not answering" in messages[0]
    failed = Payment.objects.get()
    assert failed.status == PaymentStatus.FAILED
    assert "503" in failed.last_error

    gateway_checkout(lists)
    again = subscriber_client.post(PAY_URL)
    assert again.status_code == 303
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == 1


def test_gateway_unreachable_fails_the_payment(subscriber_client, lists):
    lists.post(f"{GATEWAY}/checkout/sessions", body=responses.ConnectionError("refused"))

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 302
    assert Payment.objects.get().status == PaymentStatus.FAILED


def test_pay_needs_sign_in_and_post(subscriber_client, db):
    from django.test import Client

    anonymous = Client().post(PAY_URL)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert subscriber_client.get(PAY_URL).status_code == 405


def test_a_checkout_url_that_is_not_http_is_refused(subscriber_client, lists):
    lists.post(
        f"{GATEWAY}/checkout/sessions",
        status=201,
        json={"id": "cs_x", "url": "javascript:alert(1)"},
    )

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 302
    assert response["Location"] == "/billing/invoices/4624/"
    assert Payment.objects.get().status == PaymentStatus.FAILED
