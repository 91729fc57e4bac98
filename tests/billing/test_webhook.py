"""The webhook: verified, stored once, answered at once; acting on it is the worker's job."""

import os
import threading
import time

import pytest
import responses
from django.core import mail
from django.db import connection
from django.test import Client

from billing.gateways import GatewayUnavailable
from billing.gateways.base import GATEWAYS
from billing.gateways.sandbox import SandboxGateway
from billing.models import GatewayEvent, Payment, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    INVOICE_ID,
    TXN,
    calls_to,
    event_body,
    gateway_calls,
    gateway_session,
    invoice_status,
    pay_ok,
    payment_make,
    payment_of,
    queued,
    run_tasks,
    webhook_post,
)
from tests.conftest import api, example_json

clock = payment_helpers.clock  # the fixture


@pytest.fixture
def pending(subscriber, clock):
    return payment_make(subscriber, PaymentStatus.PENDING)


@pytest.fixture
def gateway_succeeded(smartisp, pending):
    gateway_session(smartisp, pending, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    return smartisp


def assert_nothing_changed(payment):
    assert payment_of(payment).status == PaymentStatus.PENDING
    assert not GatewayEvent.objects.exists()
    assert queued() == []


# -- refused -----------------------------------------------------------------------------------


def test_bad_signature_is_400_and_changes_nothing(client, pending, smartisp):
    response = webhook_post(client, event_body(pending), secret="not-the-secret")

    assert response.status_code == 400
    assert_nothing_changed(pending)
    assert list(smartisp.calls) == []


def test_missing_signature_is_400_and_changes_nothing(client, pending):
    response = webhook_post(client, event_body(pending), header=False)

    assert response.status_code == 400
    assert_nothing_changed(pending)


def test_signature_of_another_body_is_400(client, pending):
    from django.utils import timezone

    from portal.sandbox.signing import sign

    signed = sign(
        "test-gateway-secret", event_body(pending, amount="1.00"), int(timezone.now().timestamp())
    )
    response = client.post(
        "/billing/webhooks/sandbox/",
        data=event_body(pending),
        content_type="application/json",
        HTTP_SANDBOX_SIGNATURE=signed,
    )

    assert response.status_code == 400
    assert_nothing_changed(pending)


def test_timestamp_ten_minutes_old_is_400_and_changes_nothing(client, pending, clock):
    ten_minutes_ago = clock.now.timestamp() - 600

    response = webhook_post(client, event_body(pending), t=ten_minutes_ago)

    assert response.status_code == 400
    assert_nothing_changed(pending)


def test_timestamp_within_five_minutes_is_accepted(client, pending, clock):
    response = webhook_post(client, event_body(pending), t=clock.now.timestamp() - 290)

    assert response.status_code == 200


def test_malformed_json_is_400_and_changes_nothing(client, pending):
    response = webhook_post(client, b'{"id": "evt_1", "type": "payment.succeeded", ')

    assert response.status_code == 400
    assert_nothing_changed(pending)


def test_json_of_the_wrong_shape_is_400(client, pending):
    response = webhook_post(client, b'["payment.succeeded"]')

    assert response.status_code == 400
    assert_nothing_changed(pending)


def test_webhook_of_an_unknown_gateway_is_404(client, db):
    assert (
        client.post(
            "/billing/webhooks/nope/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_webhook_answers_only_post(client, db):
    assert client.get("/billing/webhooks/sandbox/").status_code == 405


class UnreachableGateway(SandboxGateway):
    """A gateway whose notifications can only be read by asking it, which cannot be done now."""

    name = "unreachable"

    def notification_parse(self, body, headers, *, now):
        raise GatewayUnavailable("the gateway timed out (test)")


def test_gateway_unreachable_while_reading_a_webhook_is_503_and_stores_nothing(
    client, pending, monkeypatch
):
    monkeypatch.setitem(GATEWAYS, "unreachable", f"{__name__}.UnreachableGateway")

    response = client.post(
        "/billing/webhooks/unreachable/", data=event_body(pending), content_type="application/json"
    )

    # A 5xx: the gateway sends it again later.
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert_nothing_changed(pending)


# -- stored once ---------------------------------------------------------------------------------


def test_unknown_reference_is_200_and_kept_as_an_orphan(client, db, clock, smartisp):
    response = webhook_post(client, event_body(None, reference="no-such-reference"))

    assert response.status_code == 200
    event = GatewayEvent.objects.get()
    assert event.outcome == "orphan"
    assert event.payment is None
    assert event.processed_at is not None
    assert event.reference == "no-such-reference"
    assert event.verified
    assert queued() == []
    assert list(smartisp.calls) == []


def test_an_event_naming_only_the_transaction_reaches_its_payment(
    client, subscriber, smartisp, clock
):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)  # transaction TXN recorded
    gateway_session(smartisp, settled, "refunded")
    invoice_status(smartisp, paid=True)
    smartisp.post(api(f"DeleteIvoicePay/{INVOICE_ID}"), json=example_json("DeleteIvoicePay"))

    # No reference, and a checkout id the portal does not know: only the transaction matches.
    webhook_post(client, event_body(None, "payment.refunded", reference=""))
    run_tasks()

    event = GatewayEvent.objects.get()
    assert (event.payment, event.transaction_id) == (settled, TXN)
    assert payment_of(settled).status == PaymentStatus.REFUNDED
    assert len(calls_to(smartisp, f"DeleteIvoicePay/{INVOICE_ID}")) == 1


def test_webhook_is_stored_as_received_and_answered_without_calling_anyone(
    client, pending, smartisp
):
    body = event_body(pending)

    response = webhook_post(client, body)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    event = GatewayEvent.objects.get()
    assert event.body == body.decode()
    assert (event.gateway, event.event_id, event.type) == (
        "sandbox",
        "evt_test_1",
        "payment.succeeded",
    )
    assert event.payment == pending
    assert event.processed_at is None
    assert queued() == ["event_process"]
    assert list(smartisp.calls) == []  # neither SmartISP nor the gateway during the request


def test_duplicate_webhook_records_one_payment(client, pending, gateway_succeeded, clock):
    body = event_body(pending)

    answers = [webhook_post(client, body) for _ in range(5)]
    run_tasks()
    for _ in range(5):
        webhook_post(client, body)
    run_tasks()

    assert [a.status_code for a in answers] == [200] * 5
    assert [a.json()["duplicate"] for a in answers] == [False, True, True, True, True]
    assert GatewayEvent.objects.count() == 1
    assert len(calls_to(gateway_succeeded, "pagar_factura")) == 1
    assert payment_of(pending).status == PaymentStatus.SETTLED


def test_different_events_about_one_capture_record_it_once(client, pending, gateway_succeeded):
    for n in range(5):
        webhook_post(client, event_body(pending, event_id=f"evt_{n}"))
    run_tasks()

    assert GatewayEvent.objects.count() == 5
    assert len(calls_to(gateway_succeeded, "pagar_factura")) == 1
    outcomes = sorted(GatewayEvent.objects.values_list("outcome", flat=True))
    assert outcomes == ["captured", "duplicate", "duplicate", "duplicate", "duplicate"]


def test_a_webhook_only_says_look_the_status_query_decides(client, pending, smartisp):
    """A signed "succeeded" for a checkout the gateway says is still open captures nothing."""
    gateway_session(smartisp, pending, "open")

    webhook_post(client, event_body(pending))
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.PENDING
    assert calls_to(smartisp, "pagar_factura") == []
    assert GatewayEvent.objects.get().outcome == "open"


def test_failed_event_marks_the_payment_failed(client, pending, smartisp):
    gateway_session(smartisp, pending, "failed")

    webhook_post(client, event_body(pending, "payment.failed"))
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.FAILED
    assert calls_to(smartisp, "pagar_factura") == []


@pytest.mark.parametrize(
    ("gateway_amount", "gateway_currency", "event_amount", "event_currency"),
    [
        ("20.00", "USD", "20.00", "USD"),  # the gateway captured less
        ("21.51", "EUR", "21.51", "EUR"),  # another currency
        ("21.51", "USD", "2.15", "USD"),  # the signed event says another amount
    ],
)
def test_amount_or_currency_differing_needs_review_and_no_pagar_factura(
    client,
    pending,
    smartisp,
    settings,
    gateway_amount,
    gateway_currency,
    event_amount,
    event_currency,
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    gateway_session(
        smartisp, pending, "succeeded", amount=gateway_amount, currency=gateway_currency
    )
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    response = webhook_post(
        client, event_body(pending, amount=event_amount, currency=event_currency)
    )
    run_tasks()

    assert response.status_code == 200
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert payment.transaction_id == TXN
    assert calls_to(smartisp, "pagar_factura") == []
    assert calls_to(smartisp, "getInvoiceCliente/4624") == []
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    assert pending.reference in mail.outbox[0].subject


def test_gateway_down_while_processing_leaves_the_event_for_the_reconciler(
    client, pending, smartisp, clock
):
    smartisp.get(f"http://gateway.test/checkout/sessions/{pending.session_id}", status=502)

    webhook_post(client, event_body(pending))
    run_tasks()

    event = GatewayEvent.objects.get()
    assert event.processed_at is None
    assert payment_of(pending).status == PaymentStatus.PENDING

    gateway_session(smartisp, pending, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    clock.advance(minutes=3)
    from billing.reconcile import payments_reconcile

    payments_reconcile()
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1


# -- SmartISP down -------------------------------------------------------------------------------


def test_smartisp_down_webhook_answers_fast_and_the_payment_settles_once_it_is_back(
    client, pending, smartisp, clock
):
    def hang(request):
        time.sleep(3)
        raise responses.ConnectionError("SmartISP hangs")

    for method, path in [
        (responses.GET, "getInvoiceCliente/4624"),
        (responses.POST, "pagar_factura"),
        (responses.GET, "InvoiceClientStatus3/1"),
        (responses.GET, "InvoiceClientStatus1/1"),
    ]:
        smartisp.add_callback(method, api(path), callback=hang)
    gateway_session(smartisp, pending, "succeeded")

    started = time.monotonic()
    response = webhook_post(client, event_body(pending))
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed < 2
    assert list(smartisp.calls) == []

    # The worker captures, then finds SmartISP down: nothing is sent, a retry is scheduled.
    smartisp.replace(responses.GET, api("getInvoiceCliente/4624"), status=503, body="down")
    run_tasks()
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.next_attempt_at == clock.now + __import__("datetime").timedelta(seconds=30)
    assert calls_to(smartisp, "pagar_factura") == []

    # Hours later SmartISP is back.
    for _ in range(10):
        clock.advance(minutes=30)
        run_tasks()
    assert payment_of(pending).status == PaymentStatus.CAPTURED
    invoice_status(smartisp, paid=False)
    smartisp.replace(
        responses.POST, api("pagar_factura"), json={"success": True, "mesnage": "factura pagada"}
    )
    clock.advance(minutes=30)
    run_tasks()

    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1


# -- at the same moment (PostgreSQL) --------------------------------------------------------------

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="!!! SKIPPED: concurrent webhooks need PostgreSQL's row locks; set "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI does) !!!",
)
@pytest.mark.django_db(transaction=True)
def test_same_webhook_ten_times_at_once_records_one_payment(subscriber, smartisp, clock):
    pending = payment_make(subscriber, PaymentStatus.PENDING)
    gateway_session(smartisp, pending, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    body = event_body(pending)
    start = threading.Barrier(10)
    answers: list[int] = []

    def deliver():
        try:
            start.wait()
            answers.append(webhook_post(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 10
    assert GatewayEvent.objects.count() == 1

    # Ten workers at once, each with its own copy of the settlement task.
    from billing import tasks

    for _ in range(9):
        tasks.event_process.enqueue(GatewayEvent.objects.get().pk)
    run_tasks()  # processes the events: one capture, one settlement queued...
    assert payment_of(pending).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="!!! SKIPPED: concurrent settlement needs PostgreSQL's row locks; set "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI does) !!!",
)
@pytest.mark.django_db(transaction=True)
def test_ten_workers_settling_one_payment_at_once_send_one_pagar_factura(
    subscriber, smartisp, clock
):
    from billing.settlement import payment_settle

    captured = payment_make(subscriber, PaymentStatus.CAPTURED)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def settle():
        try:
            start.wait()
            outcomes.append(payment_settle(captured.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=settle) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["not claimed"] * 9 + ["settled"]
    assert len(calls_to(smartisp, "pagar_factura")) == 1
    assert payment_of(captured).status == PaymentStatus.SETTLED
    assert gateway_calls(smartisp) == []
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "evt_1", "type": "payment.succeeded", "data": {"amount": "21.515"}}',
        b'{"id": "evt_1", "type": "payment.succeeded", "data": {"currency": "USDT"}}',
        b'{"id": "", "type": "payment.succeeded", "data": {}}',
        b'{"id": "evt_1", "data": {}}',
        b'{"id": "evt_1", "type": "payment.succeeded", "data": {"reference": 12}}',
    ],
)
def test_signed_event_of_the_wrong_shape_is_400(client, pending, body):
    response = webhook_post(client, body)

    assert response.status_code == 400
    assert_nothing_changed(pending)


def test_an_event_for_a_checkout_the_gateway_does_not_know_ends_there(client, pending, smartisp):
    smartisp.get(f"http://gateway.test/checkout/sessions/{pending.session_id}", status=404)

    webhook_post(client, event_body(pending))
    run_tasks()

    event = GatewayEvent.objects.get()
    assert event.outcome == "status query refused"
    assert event.processed_at is not None
    assert payment_of(pending).status == PaymentStatus.PENDING
