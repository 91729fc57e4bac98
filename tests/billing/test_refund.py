"""Refunds: a refunded payment leaves SmartISP by exactly one DeleteIvoicePay."""

import pytest
import requests
from django.core import mail

from billing.models import AttemptKind, PaymentStatus, SettlementAttempt
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    INVOICE_ID,
    calls_to,
    event_body,
    gateway_session,
    invoice_status,
    payment_make,
    payment_of,
    run_tasks,
    webhook_post,
)
from tests.conftest import api, example_json

clock = payment_helpers.clock  # the fixture

DELETE = f"DeleteIvoicePay/{INVOICE_ID}"


@pytest.fixture
def settled(subscriber, clock, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    return payment_make(subscriber, PaymentStatus.SETTLED)


def refund_event(client, payment, event_id="evt_refund_1"):
    return webhook_post(client, event_body(payment, "payment.refunded", event_id=event_id))


def test_refund_calls_delete_invoice_pay_once_and_marks_the_payment_refunded(
    client, settled, smartisp
):
    gateway_session(smartisp, settled, "refunded")
    invoice_status(smartisp, paid=True)
    smartisp.post(api(DELETE), json=example_json("DeleteIvoicePay"))

    assert refund_event(client, settled).status_code == 200
    run_tasks()
    # The gateway tells again, with another event id: nothing more is sent.
    refund_event(client, settled, event_id="evt_refund_2")
    run_tasks()

    assert len(calls_to(smartisp, DELETE)) == 1
    payment = payment_of(settled)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_at is not None
    assert calls_to(smartisp, "pagar_factura") == []


def test_refund_timing_out_after_smartisp_applied_it_is_not_sent_twice(
    client, settled, smartisp, clock
):
    gateway_session(smartisp, settled, "refunded")
    invoice_status(smartisp, paid=True)
    smartisp.post(api(DELETE), body=requests.exceptions.ReadTimeout("read timed out"))

    refund_event(client, settled)
    run_tasks()
    assert payment_of(settled).status == PaymentStatus.SETTLED
    assert SettlementAttempt.objects.get(kind=AttemptKind.REFUND, called=True).outcome == "unknown"

    invoice_status(smartisp, paid=False)  # SmartISP had removed it
    clock.advance(seconds=30)
    run_tasks()

    payment = payment_of(settled)
    assert payment.status == PaymentStatus.REFUNDED
    assert "confirmed by invoice status" in payment.transitions.last().note
    assert len(calls_to(smartisp, DELETE)) == 1


def test_refund_before_settlement_sends_nothing_to_smartisp_and_stops_settlement(
    client, subscriber, smartisp, clock
):
    from billing import tasks

    captured = payment_make(subscriber, PaymentStatus.CAPTURED)
    tasks.payment_settle.using(run_after=clock.now.replace(year=2027)).enqueue(captured.pk)
    gateway_session(smartisp, captured, "refunded")
    invoice_status(smartisp, paid=False)

    refund_event(client, captured)
    run_tasks()

    assert payment_of(captured).status == PaymentStatus.REFUNDED
    assert calls_to(smartisp, DELETE) == []
    from billing.settlement import payment_settle

    assert payment_settle(captured.pk) == "not claimed"
    assert calls_to(smartisp, "pagar_factura") == []


def test_refund_while_a_pagar_factura_outcome_is_unknown_needs_review(
    client, subscriber, smartisp, clock, settings
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    captured = payment_make(subscriber, PaymentStatus.CAPTURED)
    SettlementAttempt.objects.create(
        payment=captured,
        item=captured.items.get(),
        kind=AttemptKind.PAY,
        called=True,
        outcome="unknown",
    )
    gateway_session(smartisp, captured, "refunded")

    refund_event(client, captured)
    run_tasks()

    assert payment_of(captured).status == PaymentStatus.NEEDS_REVIEW
    assert calls_to(smartisp, DELETE) == []
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_refund_of_a_payment_needing_review_after_an_office_payment_deletes_nothing(
    client, subscriber, smartisp, clock
):
    """Paid at the office too, so the gateway payment was refunded: the office payment stays."""
    review = payment_make(subscriber, PaymentStatus.NEEDS_REVIEW)
    gateway_session(smartisp, review, "refunded")

    refund_event(client, review)
    run_tasks()

    assert payment_of(review).status == PaymentStatus.REFUNDED
    assert calls_to(smartisp, DELETE) == []


def test_refund_rejected_by_smartisp_needs_review(client, settled, smartisp):
    gateway_session(smartisp, settled, "refunded")
    invoice_status(smartisp, paid=True)
    smartisp.post(api(DELETE), status=422, json={"success": False, "message": "no se puede"})

    refund_event(client, settled)
    run_tasks()

    assert payment_of(settled).status == PaymentStatus.NEEDS_REVIEW
    assert len(calls_to(smartisp, DELETE)) == 1
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_refund_forgets_the_subscribers_cached_invoices(client, settled, smartisp, subscriber):
    from billing.services import invoices_of
    from tests.billing.payment_helpers import invoice_lists

    invoice_lists(smartisp, paid_4624=True)
    invoices_of(subscriber)
    gateway_session(smartisp, settled, "refunded")
    invoice_status(smartisp, paid=True)
    smartisp.post(api(DELETE), json=example_json("DeleteIvoicePay"))

    refund_event(client, settled)
    run_tasks()

    invoice_lists(smartisp, paid_4624=False)
    unpaid, _paid = invoices_of(subscriber)
    assert "4624" in [i.num_bill for i in unpaid]
