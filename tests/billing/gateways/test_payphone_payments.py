"""Paying with PayPhone end to end: the pay button, the browser's return that confirms at once
(signed in or not), PayPhone's notification, the reconciler, and what reaches SmartISP (or, when
PayPhone's answer is not a capture of this checkout, that nothing does)."""

import json
from decimal import Decimal

import pytest
import requests
import responses
from django.test import Client
from responses import matchers

from billing.gateways.payphone import CONFIRM_URL, PREPARE_URL
from billing.models import GatewayEvent, Payment, PaymentStatus, PaymentTransition
from billing.reconcile import payments_reconcile
from tests.billing import payment_helpers
from tests.billing.gateways import payphone_bodies
from tests.billing.gateways.payphone_bodies import (
    NOT_FOUND,
    PAY_WITH_CARD,
    PAYMENT_ID,
    STORE,
    TOKEN,
    TXN,
    calls_to_url,
    confirm_answer,
    confirm_with,
    notification_body,
    prepare_ok,
)
from tests.billing.payment_helpers import (
    INVOICE_ID,
    calls_to,
    invoice_lists,
    invoice_status,
    pay_ok,
    payment_make,
    payment_of,
    run_tasks,
)
from tests.conftest import json_body

clock = payment_helpers.clock  # the fixture
payphone = payphone_bodies.payphone  # the fixture

PAY_URL = "/billing/invoices/4624/pay/"
RETURN_URL = "/billing/return/payphone/"
WEBHOOK_URL = "/billing/webhooks/payphone/"


@pytest.fixture
def pending(subscriber, clock, payphone):
    """A checkout PayPhone prepared; the subscriber is on PayPhone's form."""
    return payment_make(
        subscriber,
        PaymentStatus.PENDING,
        gateway="payphone",
        session_id=PAYMENT_ID,
        checkout_url=PAY_WITH_CARD,
    )


@pytest.fixture
def smartisp_ready(smartisp):
    """SmartISP shows invoice 4624 unpaid and accepts pagar_factura."""
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    return smartisp


def come_back(client, payment, transaction_id=TXN):
    reference = payment if isinstance(payment, str) else payment.reference
    return client.get(RETURN_URL, {"id": str(transaction_id), "clientTransactionId": reference})


def notify(client, body: dict):
    return client.post(WEBHOOK_URL, data=json.dumps(body), content_type="application/json")


def assert_nothing_reached_smartisp(smartisp):
    assert calls_to(smartisp, "pagar_factura") == []


# -- the whole path ------------------------------------------------------------------------------


def test_pay_prepare_return_confirm_records_one_pagar_factura(
    subscriber_client, smartisp, payphone, clock
):
    invoice_lists(smartisp)
    prepare_ok(smartisp)

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 303
    assert response["Location"] == PAY_WITH_CARD
    # PayPhone checks the Referer's origin; a redirect's policy governs the request it leads to.
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    payment = Payment.objects.get()
    assert (payment.gateway, payment.session_id, payment.status) == (
        "payphone",
        PAYMENT_ID,
        PaymentStatus.PENDING,
    )
    (prepare,) = calls_to_url(smartisp, PREPARE_URL)
    assert prepare.request.headers["Authorization"] == f"Bearer {TOKEN}"
    sent = json_body(prepare)
    assert sent["clientTransactionId"] == payment.reference
    assert (sent["amount"], sent["amountWithTax"], sent["tax"], sent["amountWithoutTax"]) == (
        2151,
        1870,
        281,
        0,
    )
    assert sent["storeId"] == STORE and sent["currency"] == "USD"
    assert sent["responseUrl"] == "http://testserver/billing/return/payphone/"
    assert sent["cancellationUrl"] == (
        f"http://testserver/billing/payments/{payment.reference}/?cancelled=1"
    )

    # PayPhone sends the browser back: the portal confirms there and then, before SmartISP.
    confirm_with(smartisp, confirm_answer(payment.reference))
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    back = come_back(subscriber_client, payment)

    assert back.status_code == 302
    assert back["Location"] == f"/billing/payments/{payment.reference}/"
    (confirm,) = calls_to_url(smartisp, CONFIRM_URL)
    assert confirm.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json_body(confirm) == {"id": TXN, "clientTxId": payment.reference}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert_nothing_reached_smartisp(smartisp)  # the worker's job

    run_tasks()

    (paid,) = calls_to(smartisp, "pagar_factura")
    body = json_body(paid)
    assert (body["invoice_id"], body["amount"], body["id_pago"], body["way_to_pay"]) == (
        INVOICE_ID,
        Decimal("21.51"),  # a JSON number
        str(TXN),
        "PayPhone",
    )
    assert body["commentary"] == payment.reference
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert payment.transaction_id == str(TXN)


def test_paying_an_invoice_without_iva_sends_its_total_as_amount_without_tax(
    subscriber_client, smartisp, payphone, clock
):
    # Invoice 3112 of the reference (id 0): IVA 0, total 330.00.
    invoice_lists(smartisp)
    prepare_ok(smartisp)

    response = subscriber_client.post("/billing/invoices/3112/pay/")

    assert response.status_code == 303
    (prepare,) = calls_to_url(smartisp, PREPARE_URL)
    sent = json_body(prepare)
    assert (sent["amount"], sent["amountWithoutTax"], sent["amountWithTax"], sent["tax"]) == (
        33000,
        33000,
        0,
        0,
    )
    assert sent["service"] == sent["tip"] == 0


# -- answers that are not a capture of this checkout ----------------------------------------------


def test_confirmation_for_another_reference_records_nothing(
    subscriber_client, pending, smartisp_ready
):
    confirm_with(smartisp_ready, confirm_answer("a-reference-of-another-payment"))

    back = come_back(subscriber_client, pending)
    run_tasks()

    assert back.status_code == 302
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.PENDING
    assert payment.transaction_id is None and payment.captured_amount is None
    assert_nothing_reached_smartisp(smartisp_ready)


def test_confirmation_for_another_store_records_nothing(subscriber_client, pending, smartisp_ready):
    confirm_with(smartisp_ready, confirm_answer(pending.reference, store="another-store"))

    come_back(subscriber_client, pending)
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.PENDING
    assert_nothing_reached_smartisp(smartisp_ready)


@pytest.mark.parametrize(
    ("changes", "captured"),
    [({"amount": 100}, "1.00 USD"), ({"currency": "EUR"}, "21.51 EUR")],
)
def test_amount_or_currency_mismatch_is_stopped_for_review_and_never_settled(
    subscriber_client, pending, smartisp_ready, settings, changes, captured
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    confirm_with(smartisp_ready, {**confirm_answer(pending.reference), **changes})

    come_back(subscriber_client, pending)
    run_tasks()

    payment = payment_of(pending)
    # PayPhone holds the money (Confirm completed it): a person refunds it; SmartISP hears nothing.
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert f"{payment.captured_amount} {payment.captured_currency}" == captured
    assert_nothing_reached_smartisp(smartisp_ready)


@pytest.mark.parametrize("transaction_status", ["Canceled", "Declined"])
def test_cancelled_or_declined_payment_fails_and_records_nothing(
    subscriber_client, pending, smartisp_ready, transaction_status
):
    confirm_with(
        smartisp_ready,
        confirm_answer(pending.reference, status_code=2, transaction_status=transaction_status),
    )

    come_back(subscriber_client, pending)
    run_tasks()

    payment = payment_of(pending)
    assert payment.status == PaymentStatus.FAILED
    assert payment.transaction_id is None
    assert_nothing_reached_smartisp(smartisp_ready)


# -- the return without the subscriber's session ---------------------------------------------------


def test_signed_out_return_confirms_and_captures_then_asks_to_sign_in(
    client, pending, smartisp_ready
):
    # The subscriber's session expired while they were on PayPhone's form.
    confirm_with(smartisp_ready, confirm_answer(pending.reference))

    back = come_back(client, pending)

    assert back.status_code == 302
    assert back["Location"] == f"/billing/payments/{pending.reference}/"
    (confirm,) = calls_to_url(smartisp_ready, CONFIRM_URL)
    assert json_body(confirm) == {"id": TXN, "clientTxId": pending.reference}
    assert payment_of(pending).status == PaymentStatus.CAPTURED  # within PayPhone's 5 minutes

    # The payment's page is only for its owner, once signed in.
    page = client.get(back["Location"])
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/?next=/billing/payments/")
    login = client.get(page["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = login.content.decode()
    assert "Sign in to see your payment." in text
    # Nothing about the payment (its invoice, amount or state) before sign-in.
    assert "4624" not in text and "21.51" not in text and "21,51" not in text
    assert "received" not in text.lower()

    run_tasks()
    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_signed_out_return_answers_alike_whether_the_reference_is_a_payment_or_not(
    client, pending, smartisp_ready
):
    confirm_with(smartisp_ready, confirm_answer(pending.reference))
    unknown = "Zz9" + pending.reference[3:]

    real = come_back(client, pending)
    made_up = come_back(Client(), unknown)

    assert (real.status_code, made_up.status_code) == (302, 302)
    assert real["Location"].replace(pending.reference, "R") == made_up["Location"].replace(
        unknown, "R"
    )
    assert real.content == made_up.content
    assert sorted(real.cookies) == sorted(made_up.cookies)
    # Only the real one reached PayPhone.
    assert len(calls_to_url(smartisp_ready, CONFIRM_URL)) == 1


def test_a_reference_no_payment_could_have_is_404(client, pending, smartisp_ready):
    for reference in ("a/b", "abc$def", "é" * 10, "x" * 41):
        assert come_back(client, reference).status_code == 404
    assert calls_to_url(smartisp_ready, CONFIRM_URL) == []


def test_return_while_signed_in_as_someone_else_confirms_but_shows_them_nothing(
    client, other_subscriber, pending, smartisp_ready
):
    client.force_login(other_subscriber)
    confirm_with(smartisp_ready, confirm_answer(pending.reference))

    back = come_back(client, pending)

    # Confirming only completes what the payment's owner paid; the page stays theirs alone.
    assert back.status_code == 302
    assert payment_of(pending).status == PaymentStatus.CAPTURED
    assert client.get(back["Location"]).status_code == 404
    assert client.get(f"/billing/payments/{'Zz9' + pending.reference[3:]}/").status_code == 404


def test_returning_again_confirms_nothing_twice(client, subscriber_client, pending, smartisp_ready):
    confirm_with(smartisp_ready, confirm_answer(pending.reference))

    first = come_back(client, pending)
    again = come_back(subscriber_client, pending)
    run_tasks()
    settled_return = come_back(client, pending)

    assert first["Location"] == again["Location"] == settled_return["Location"]
    assert len(calls_to_url(smartisp_ready, CONFIRM_URL)) == 1
    assert PaymentTransition.objects.filter(payment=pending, to_status="captured").count() == 1
    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_a_return_with_an_id_payphone_refuses_keeps_the_id_that_works(
    client, subscriber_client, pending, smartisp_ready, clock
):
    # The real return came while PayPhone was down: its id is kept for the reconciler.
    smartisp_ready.add(responses.POST, CONFIRM_URL, status=503)
    come_back(subscriber_client, pending)
    # Someone who learnt the reference comes back with a made-up id.
    smartisp_ready.replace(responses.POST, CONFIRM_URL, status=400, json=NOT_FOUND)
    assert come_back(client, pending, transaction_id=999).status_code == 302

    assert payment_of(pending).gateway_data["payphone_id"] == str(TXN)
    confirm_with(smartisp_ready, confirm_answer(pending.reference))
    clock.advance(minutes=3)
    assert payments_reconcile() == {"captured": 1}


def test_payphone_down_at_the_return_leaves_it_to_the_reconciler_within_minutes(
    subscriber_client, pending, smartisp_ready, clock
):
    smartisp_ready.add(responses.POST, CONFIRM_URL, status=503)

    back = come_back(subscriber_client, pending)

    assert back.status_code == 302  # the payment's page, still waiting
    assert payment_of(pending).status == PaymentStatus.PENDING
    assert payment_of(pending).gateway_data["payphone_id"] == str(TXN)

    # Three minutes later (within PayPhone's five) the reconciler confirms with the kept id.
    confirm_with(smartisp_ready, confirm_answer(pending.reference))
    clock.advance(minutes=3)
    assert payments_reconcile() == {"captured": 1}
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


# -- PayPhone's notification ---------------------------------------------------------------------


def test_notification_of_a_subscriber_who_never_came_back_is_confirmed_and_settled(
    client, pending, smartisp_ready
):
    confirm_with(smartisp_ready, confirm_answer(pending.reference))

    answer = notify(client, notification_body(pending.reference))

    assert answer.status_code == 200
    assert calls_to_url(smartisp_ready, CONFIRM_URL) == []  # the worker confirms, not the view
    event = GatewayEvent.objects.get()
    assert (event.payment_id, event.transaction_id) == (pending.pk, str(TXN))
    run_tasks()

    (confirm,) = calls_to_url(smartisp_ready, CONFIRM_URL)
    assert json_body(confirm) == {"id": TXN, "clientTxId": pending.reference}
    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_repeated_notification_is_stored_and_acted_on_once(client, pending, smartisp_ready):
    confirm_with(smartisp_ready, confirm_answer(pending.reference))

    first = notify(client, notification_body(pending.reference))
    repeat = notify(client, notification_body(pending.reference))
    run_tasks()

    # PayPhone's own answers: "000" received, "333" already notified.
    assert (first.status_code, first.json()) == (200, {"Response": True, "ErrorCode": "000"})
    assert (repeat.status_code, repeat.json()) == (200, {"Response": True, "ErrorCode": "333"})

    assert GatewayEvent.objects.count() == 1
    assert len(calls_to_url(smartisp_ready, CONFIRM_URL)) == 1
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_notification_for_another_store_is_refused_and_stored_nowhere(
    client, pending, smartisp_ready
):
    answer = notify(client, notification_body(pending.reference, store="another-store"))

    assert answer.status_code == 400
    assert not GatewayEvent.objects.exists()
    assert payment_of(pending).status == PaymentStatus.PENDING


def test_malformed_notification_is_refused(client, pending):
    answer = client.post(WEBHOOK_URL, data=b"{not json", content_type="application/json")

    assert answer.status_code == 400
    assert not GatewayEvent.objects.exists()


def test_forged_notification_records_no_payment_and_the_real_return_still_confirms(
    client, subscriber_client, pending, smartisp_ready
):
    # Someone who learnt the reference posts a notification with a made-up transaction id.
    smartisp_ready.add(
        responses.POST,
        CONFIRM_URL,
        status=400,
        json=NOT_FOUND,
        match=[matchers.json_params_matcher({"id": 999, "clientTxId": pending.reference})],
    )
    assert (
        notify(client, notification_body(pending.reference, transaction_id=999)).status_code == 200
    )
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.PENDING
    assert_nothing_reached_smartisp(smartisp_ready)

    # The subscriber's real return is confirmed with PayPhone's real id.
    smartisp_ready.add(
        responses.POST,
        CONFIRM_URL,
        json=confirm_answer(pending.reference),
        match=[matchers.json_params_matcher({"id": TXN, "clientTxId": pending.reference})],
    )
    come_back(subscriber_client, pending)
    run_tasks()

    payment = payment_of(pending)
    assert payment.status == PaymentStatus.SETTLED and payment.transaction_id == str(TXN)
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_notification_for_an_unknown_reference_is_kept_as_an_orphan(client, pending, smartisp):
    answer = notify(client, notification_body("not-a-portal-reference"))
    run_tasks()

    assert (answer.status_code, answer.json()) == (200, {"Response": True, "ErrorCode": "000"})
    assert GatewayEvent.objects.get().outcome == "orphan"
    assert calls_to_url(smartisp, CONFIRM_URL) == []
    assert payment_of(pending).status == PaymentStatus.PENDING


# -- the reconciler and the way out ----------------------------------------------------------------


def test_a_checkout_nobody_came_back_from_is_given_up_without_calling_payphone(
    pending, smartisp, clock
):
    clock.advance(minutes=3)
    assert payments_reconcile() == {"open": 1}

    clock.advance(hours=1)
    assert payments_reconcile() == {"cancelled": 1}

    assert payment_of(pending).status == PaymentStatus.CANCELLED
    assert calls_to_url(smartisp, CONFIRM_URL) == []


def test_a_notified_checkout_the_worker_could_not_confirm_is_confirmed_by_the_reconciler(
    client, pending, smartisp_ready, clock
):
    smartisp_ready.add(responses.POST, CONFIRM_URL, body=requests.ConnectionError("down"))
    notify(client, notification_body(pending.reference))
    run_tasks()
    assert payment_of(pending).status == PaymentStatus.PENDING

    confirm_with(smartisp_ready, confirm_answer(pending.reference))
    clock.advance(minutes=3)
    payments_reconcile()
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_a_notification_payphone_still_calls_pending_is_confirmed_again_by_the_reconciler(
    client, pending, smartisp_ready, clock
):
    confirm_with(
        smartisp_ready,
        confirm_answer(pending.reference, status_code=1, transaction_status="Pending"),
    )
    notify(client, notification_body(pending.reference))
    run_tasks()
    assert payment_of(pending).status == PaymentStatus.PENDING

    # The subscriber never came back: the ledger hands the notified id to the status query.
    confirm_with(smartisp_ready, confirm_answer(pending.reference))
    clock.advance(minutes=3)
    assert payments_reconcile() == {"captured": 1}
    run_tasks()

    confirms = calls_to_url(smartisp_ready, CONFIRM_URL)
    assert [json_body(c) for c in confirms] == [{"id": TXN, "clientTxId": pending.reference}] * 2
    assert payment_of(pending).status == PaymentStatus.SETTLED


def test_leaving_payphones_form_cancels_without_calling_payphone(
    subscriber_client, pending, smartisp
):
    response = subscriber_client.get(f"/billing/payments/{pending.reference}/?cancelled=1")

    assert response.status_code == 302
    assert payment_of(pending).status == PaymentStatus.CANCELLED
    assert calls_to_url(smartisp, CONFIRM_URL) == []
