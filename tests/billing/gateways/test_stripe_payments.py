"""Paying with Stripe end to end: the pay button, webhooks posted with really computed
Stripe-Signature headers, the session re-read before anything is captured, refunds, the
reconciler, and what reaches SmartISP (or, when Stripe's answer is not a capture of this
checkout, that nothing does)."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses

from billing.models import GatewayEvent, Payment, PaymentStatus
from billing.reconcile import payments_reconcile
from tests.billing.gateways import stripe_bodies
from tests.billing.gateways.stripe_bodies import (
    API,
    CHECKOUT_URL,
    INTENT,
    SECRET_KEY,
    SESSION,
    charge,
    event,
    paid_session,
    post_webhook,
    retrieve_answers,
    session,
    signature,
    stripe_calls,
)
from tests.billing.payment_helpers import (
    INVOICE_ID,
    calls_to,
    invoice_lists,
    invoice_status,
    pay_ok,
    payment_make,
    payment_of,
    queued,
    run_tasks,
)
from tests.conftest import api, example_json, json_body

clock = stripe_bodies.clock  # the fixtures
stripe_settings = stripe_bodies.stripe_settings

PAY_URL = "/billing/invoices/4624/pay/"
DELETE = f"DeleteIvoicePay/{INVOICE_ID}"


@pytest.fixture
def pending(subscriber, clock, stripe_settings):
    """A Checkout Session Stripe opened; the subscriber is on Stripe's page."""
    return payment_make(
        subscriber,
        PaymentStatus.PENDING,
        gateway="stripe",
        session_id=SESSION,
        checkout_url=CHECKOUT_URL,
    )


@pytest.fixture
def smartisp_ready(smartisp):
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    return smartisp


def completed(payment, **changes) -> bytes:
    return event("checkout.session.completed", session(payment.reference, **changes))


def assert_nothing_reached_smartisp(smartisp):
    assert calls_to(smartisp, "pagar_factura") == []


def assert_nothing_changed(payment, smartisp):
    assert payment_of(payment).status == PaymentStatus.PENDING
    assert not GatewayEvent.objects.exists()
    assert queued() == []
    assert stripe_calls(smartisp) == []


# -- the whole path ------------------------------------------------------------------------------


def test_pay_checkout_signed_webhook_records_one_pagar_factura(
    subscriber_client, smartisp, stripe_settings, clock
):
    invoice_lists(smartisp)
    smartisp.add(responses.POST, f"{API}/v1/checkout/sessions", json=session("r", status="open"))

    response = subscriber_client.post(PAY_URL)

    assert response.status_code == 303
    assert response["Location"] == CHECKOUT_URL
    payment = Payment.objects.get()
    assert (payment.gateway, payment.session_id, payment.status) == (
        "stripe",
        SESSION,
        PaymentStatus.PENDING,
    )
    (create,) = stripe_calls(smartisp)
    assert create.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert create.request.headers["Idempotency-Key"] == payment.reference
    sent = parse_qs(create.request.body)
    assert sent["client_reference_id"] == [payment.reference]
    assert sent["line_items[0][price_data][unit_amount]"] == ["2151"]
    assert sent["line_items[0][price_data][currency]"] == ["usd"]

    # Stripe tells, signed; the portal stores the event and answers at once.
    retrieve_answers(smartisp, paid_session(payment.reference))
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    answer = post_webhook(subscriber_client, completed(payment))

    assert answer.status_code == 200
    assert len(stripe_calls(smartisp)) == 1  # the worker reads the session, not the view
    run_tasks()

    read = stripe_calls(smartisp)[1]
    assert read.request.method == "GET" and SESSION in read.request.url
    (paid,) = calls_to(smartisp, "pagar_factura")
    body = json_body(paid)
    assert (body["invoice_id"], body["amount"], body["id_pago"], body["way_to_pay"]) == (
        INVOICE_ID,
        Decimal("21.51"),  # a JSON number
        INTENT,
        "Stripe",
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert payment.transaction_id == INTENT


def test_the_same_event_twice_is_acted_on_once(client, pending, smartisp_ready):
    retrieve_answers(smartisp_ready, paid_session(pending.reference))
    body = completed(pending)

    assert post_webhook(client, body).status_code == 200
    assert post_webhook(client, body).json()["duplicate"] is True
    run_tasks()

    assert GatewayEvent.objects.count() == 1
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


# -- refused at the door --------------------------------------------------------------------------


def test_forged_signature_is_400_and_changes_nothing(client, pending, smartisp):
    body = completed(pending)

    answer = post_webhook(client, body, header=signature(body, secret="whsec_forger"))

    assert answer.status_code == 400
    assert_nothing_changed(pending, smartisp)


def test_stale_signature_is_400_and_changes_nothing(client, pending, smartisp, clock):
    body = completed(pending)
    header = signature(body, t=int(clock.now.timestamp()) - 301)

    assert post_webhook(client, body, header=header).status_code == 400
    assert_nothing_changed(pending, smartisp)


def test_missing_signature_is_400(client, pending, smartisp):
    assert post_webhook(client, completed(pending), header=None).status_code == 400
    assert_nothing_changed(pending, smartisp)


def test_signature_of_another_body_is_400(client, pending, smartisp):
    header = signature(completed(pending))

    answer = post_webhook(client, completed(pending, amount_total=1), header=header)

    assert answer.status_code == 400
    assert_nothing_changed(pending, smartisp)


# -- signed, but not a capture of this checkout ---------------------------------------------------


def test_a_session_belonging_to_another_reference_records_no_payment(
    client, pending, smartisp_ready
):
    # The event names our payment, but Stripe's session says it is someone else's.
    retrieve_answers(smartisp_ready, paid_session("another-payments-reference"))

    post_webhook(client, completed(pending))
    run_tasks()

    payment = payment_of(pending)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert payment.transaction_id is None and payment.captured_at is None
    assert_nothing_reached_smartisp(smartisp_ready)


def test_an_event_for_a_reference_the_portal_never_made_is_an_orphan(
    client, pending, smartisp_ready
):
    stranger = {**session("not-ours"), "id": "cs_test_not_made_by_the_portal"}
    post_webhook(client, event("checkout.session.completed", stranger))
    run_tasks()

    event_row = GatewayEvent.objects.get()
    assert event_row.outcome == "orphan" and event_row.payment is None
    assert payment_of(pending).status == PaymentStatus.PENDING
    assert_nothing_reached_smartisp(smartisp_ready)


@pytest.mark.parametrize(
    ("changes", "captured"),
    [({"amount_total": 100}, "1.00 USD"), ({"currency": "eur"}, "21.51 EUR")],
)
def test_amount_or_currency_mismatch_is_stopped_for_review_and_never_settled(
    client, pending, smartisp_ready, settings, changes, captured
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    retrieve_answers(smartisp_ready, paid_session(pending.reference, **changes))

    post_webhook(client, completed(pending))
    run_tasks()

    payment = payment_of(pending)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert f"{payment.captured_amount} {payment.captured_currency}" == captured
    assert_nothing_reached_smartisp(smartisp_ready)


def test_a_completed_event_for_an_unpaid_session_captures_nothing(client, pending, smartisp_ready):
    unpaid = session(pending.reference, payment_status="unpaid")
    retrieve_answers(smartisp_ready, unpaid)

    post_webhook(client, event("checkout.session.completed", unpaid))
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.PENDING
    assert_nothing_reached_smartisp(smartisp_ready)


def test_a_delayed_payment_that_failed_fails_the_payment(client, pending, smartisp_ready):
    from tests.billing.gateways.stripe_bodies import intent

    failed = session(
        pending.reference,
        payment_status="unpaid",
        payment_intent=intent(status="requires_payment_method"),
    )
    retrieve_answers(smartisp_ready, failed)

    body = event("checkout.session.async_payment_failed", session(pending.reference))
    post_webhook(client, body)
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.FAILED
    assert_nothing_reached_smartisp(smartisp_ready)


def test_an_event_claiming_paid_is_not_believed_over_the_session(client, pending, smartisp_ready):
    # Even a signed "paid" event only tells the portal to look: the session says open.
    retrieve_answers(
        smartisp_ready,
        session(pending.reference, status="open", payment_status="unpaid", payment_intent=None),
    )

    post_webhook(client, completed(pending))
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.PENDING
    assert_nothing_reached_smartisp(smartisp_ready)


# -- refunds ------------------------------------------------------------------------------------


@pytest.fixture
def settled(subscriber, clock, stripe_settings):
    return payment_make(
        subscriber,
        PaymentStatus.SETTLED,
        gateway="stripe",
        session_id=SESSION,
        transaction_id=INTENT,
    )


def test_a_refund_removes_the_payment_from_smartisp_once(client, settled, smartisp):
    retrieve_answers(smartisp, paid_session(settled.reference, refunded=2151))
    invoice_status(smartisp, paid=True)
    smartisp.post(api(DELETE), json=example_json("DeleteIvoicePay"))

    answer = post_webhook(client, event("charge.refunded", charge(refunded=2151)))
    run_tasks()
    # Stripe also reports refund.created for the same refund: nothing more is sent.
    refund = {"id": "re_1", "object": "refund", "payment_intent": INTENT, "charge": "ch_1"}
    post_webhook(client, event("refund.created", refund, event_id="evt_refund_created"))
    run_tasks()

    assert answer.status_code == 200
    assert GatewayEvent.objects.filter(payment=settled).count() == 2
    # Found by the PaymentIntent recorded at capture: Stripe was only asked for the session.
    assert {c.request.url.split("?")[0] for c in stripe_calls(smartisp)} == {
        f"{API}/v1/checkout/sessions/{SESSION}"
    }
    assert len(calls_to(smartisp, DELETE)) == 1
    payment = payment_of(settled)
    assert payment.status == PaymentStatus.REFUNDED
    assert calls_to(smartisp, "pagar_factura") == []


def test_a_partial_refund_leaves_the_invoice_paid(client, settled, smartisp):
    retrieve_answers(smartisp, paid_session(settled.reference, refunded=500))

    post_webhook(client, event("charge.refunded", charge(refunded=500)))
    run_tasks()

    assert payment_of(settled).status == PaymentStatus.SETTLED
    assert calls_to(smartisp, DELETE) == []


def test_a_refund_before_the_portal_recorded_the_capture_is_caught_by_the_session(
    client, pending, smartisp, clock
):
    # The completion's webhook was lost: the refund names a PaymentIntent the ledger lacks.
    retrieve_answers(smartisp, paid_session(pending.reference, refunded=2151))

    post_webhook(client, event("charge.refunded", charge(refunded=2151)))
    run_tasks()
    assert GatewayEvent.objects.get().outcome == "orphan"

    # The reconciler re-reads the session, the source of truth: refunded, SmartISP untouched.
    clock.advance(minutes=3)
    assert payments_reconcile() == {"refunded": 1}
    assert payment_of(pending).status == PaymentStatus.REFUNDED
    assert calls_to(smartisp, "pagar_factura") == calls_to(smartisp, DELETE) == []


# -- the reconciler -------------------------------------------------------------------------------


def test_a_lost_webhook_the_reconciler_reads_the_session_and_settles(
    pending, smartisp_ready, clock
):
    retrieve_answers(smartisp_ready, paid_session(pending.reference))

    clock.advance(minutes=3)
    assert payments_reconcile() == {"captured": 1}
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp_ready, "pagar_factura")) == 1


def test_an_abandoned_session_is_given_up_after_an_hour(pending, smartisp, clock):
    retrieve_answers(
        smartisp,
        session(pending.reference, status="expired", payment_status="unpaid", payment_intent=None),
    )

    clock.advance(minutes=61)
    assert payments_reconcile() == {"cancelled": 1}

    assert payment_of(pending).status == PaymentStatus.CANCELLED
    assert calls_to(smartisp, "pagar_factura") == []
