"""Settlement: the invoice's status is read before every pagar_factura, unknown outcomes are retried
with backoff for 72 hours, and nothing is ever sent twice."""

from datetime import timedelta

import pytest
import requests
import responses
from django.core import mail

from billing.models import AttemptOutcome, PaymentStatus, SettlementAttempt
from billing.reconcile import payments_reconcile
from billing.settlement import payment_settle, retry_delay
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    calls_to,
    invoice_status,
    pay_ok,
    payment_make,
    payment_of,
    queued,
    run_tasks,
)
from tests.conftest import api

clock = payment_helpers.clock  # the fixture


@pytest.fixture
def captured(subscriber, clock, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    return payment_make(subscriber, PaymentStatus.CAPTURED)


def test_smartisp_applies_the_payment_then_times_out_one_pagar_factura_in_total(
    captured, smartisp, clock
):
    invoice_status(smartisp, paid=False)
    smartisp.post(api("pagar_factura"), body=requests.exceptions.ReadTimeout("read timed out"))

    assert payment_settle(captured.pk) == "retry"
    attempt = SettlementAttempt.objects.get(called=True)
    assert attempt.outcome == AttemptOutcome.UNKNOWN
    assert payment_of(captured).status == PaymentStatus.CAPTURED

    # SmartISP had applied it: the retry reads the invoice as paid and sends nothing.
    invoice_status(smartisp, paid=True)
    clock.advance(seconds=30)
    run_tasks()

    payment = payment_of(captured)
    assert payment.status == PaymentStatus.SETTLED
    assert payment.settle_note == "confirmed by invoice status"
    assert len(calls_to(smartisp, "pagar_factura")) == 1
    assert len(calls_to(smartisp, "getInvoiceCliente/4624")) == 2
    assert [m.to for m in mail.outbox] == [["jaquego@gmail.com"]]  # the receipt, no alert


def test_smartisp_answers_5xx_to_pagar_factura_then_it_is_retried_after_reading_again(
    captured, smartisp, clock
):
    invoice_status(smartisp, paid=False)
    smartisp.post(api("pagar_factura"), status=502, body="<html>Bad gateway</html>")

    assert payment_settle(captured.pk) == "retry"

    # It was not applied: the invoice is still unpaid, so it is sent again, and succeeds.
    pay_ok(smartisp)
    clock.advance(seconds=30)
    run_tasks()

    assert payment_of(captured).status == PaymentStatus.SETTLED
    assert payment_of(captured).settle_note == "recorded in SmartISP"
    assert len(calls_to(smartisp, "pagar_factura")) == 2


def test_paid_at_the_office_first_needs_review_and_emails_admins(captured, smartisp):
    invoice_status(smartisp, paid=True)
    pay_ok(smartisp)

    assert payment_settle(captured.pk) == "needs_review"

    payment = payment_of(captured)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert "someone else" in payment.last_error
    assert calls_to(smartisp, "pagar_factura") == []
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == ["ops@example.com"]
    assert captured.reference in alert.subject
    assert "refund" in alert.body


def test_rejected_by_smartisp_needs_review_and_emails_admins(captured, smartisp):
    invoice_status(smartisp, paid=False)
    smartisp.post(
        api("pagar_factura"),
        status=422,
        json={"success": False, "message": "La factura no existe", "errors": {}},
    )

    assert payment_settle(captured.pk) == "needs_review"

    payment = payment_of(captured)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert "La factura no existe" in payment.last_error
    assert SettlementAttempt.objects.get(called=True).outcome == AttemptOutcome.REJECTED
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    assert queued() == []


def test_a_changed_invoice_id_needs_review_and_sends_nothing(captured, smartisp):
    from tests.billing.payment_helpers import invoice_body

    smartisp.get(api("getInvoiceCliente/4624"), json=invoice_body(invoice_id=9999))
    pay_ok(smartisp)

    assert payment_settle(captured.pk) == "needs_review"
    assert calls_to(smartisp, "pagar_factura") == []


def test_invoice_id_zero_is_a_real_invoice(subscriber, smartisp, clock):
    from tests.billing.payment_helpers import invoice_body

    payment = payment_make(subscriber, PaymentStatus.CAPTURED, invoice_id=0, num_bill="3112")
    smartisp.get(api("getInvoiceCliente/3112"), json=invoice_body("3112", invoice_id=0))
    pay_ok(smartisp)

    assert payment_settle(payment.pk) == "settled"
    from tests.conftest import json_body

    assert json_body(calls_to(smartisp, "pagar_factura")[0])["invoice_id"] == 0


def test_retries_back_off_from_30_seconds_doubling_to_at_most_30_minutes():
    delays = [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 150, 10**6)]

    assert delays == [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800, 1800]


def test_smartisp_down_retries_with_backoff_then_needs_review_after_72_hours(
    captured, smartisp, clock
):
    smartisp.get(api("getInvoiceCliente/4624"), status=500, body="down")
    pay_ok(smartisp)
    capture = payment_of(captured).captured_at
    from billing import tasks

    tasks.payment_settle.enqueue(captured.pk)  # as the capture queues it

    gaps = []
    tries = 0
    while payment_of(captured).status == PaymentStatus.CAPTURED and tries < 400:
        before = clock.now
        run_tasks()
        payment = payment_of(captured)
        if payment.status == PaymentStatus.CAPTURED:
            gaps.append((payment.next_attempt_at - before).total_seconds())
            clock.set(payment.next_attempt_at)
        tries += 1

    payment = payment_of(captured)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert "72 hours" in payment.last_error
    assert gaps[:7] == [30, 60, 120, 240, 480, 960, 1800]
    assert max(gaps) == 1800
    assert clock.now - capture == timedelta(hours=72)
    assert calls_to(smartisp, "pagar_factura") == []
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    assert payment.attempts == SettlementAttempt.objects.filter(payment=payment).count()


def test_a_claimed_payment_is_not_settled_by_a_second_worker(captured, smartisp, clock):
    from billing.settlement import payment_claim

    assert payment_claim(captured.pk, PaymentStatus.CAPTURED, clock.now) is not None
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    assert payment_settle(captured.pk) == "not claimed"
    assert list(smartisp.calls) == []


@pytest.mark.parametrize(("claim_seconds", "outcome"), [(30, "settled"), (300, "not claimed")])
def test_a_claim_older_than_the_claim_setting_is_taken_over(
    captured, smartisp, clock, settings, claim_seconds, outcome
):
    from billing.settlement import payment_claim

    settings.PAYMENT_SETTLE_CLAIM_SECONDS = claim_seconds
    assert payment_claim(captured.pk, PaymentStatus.CAPTURED, clock.now) is not None  # worker A
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    clock.advance(seconds=31)

    assert payment_settle(captured.pk) == outcome  # worker B
    assert len(calls_to(smartisp, "pagar_factura")) == (1 if outcome == "settled" else 0)


def test_a_worker_killed_mid_pagar_factura_is_finished_by_another_once_its_claim_expires(
    captured, smartisp, clock
):
    from billing.settlement import attempt_begin, payment_claim

    # Worker A claims, records its attempt, sends pagar_factura (SmartISP applies it) and dies.
    token = payment_claim(captured.pk, PaymentStatus.CAPTURED, clock.now)
    payment = payment_of(captured)
    attempt_begin(payment, payment.items.get(), token, PaymentStatus.CAPTURED, "pay", "unpaid")
    invoice_status(smartisp, paid=True)
    pay_ok(smartisp)

    clock.advance(minutes=2)
    payments_reconcile()
    run_tasks()
    assert payment_of(captured).status == PaymentStatus.CAPTURED  # A's claim still holds

    clock.advance(minutes=5)
    payments_reconcile()
    run_tasks()

    payment = payment_of(captured)
    assert payment.status == PaymentStatus.SETTLED
    assert payment.settle_note == "confirmed by invoice status"
    assert calls_to(smartisp, "pagar_factura") == []


def test_settlement_holds_no_transaction_open_during_the_smartisp_call(captured, smartisp):
    from django.db import connection

    seen = []

    def pay(request):
        seen.append(connection.in_atomic_block and len(connection.savepoint_ids))
        return (200, {}, '{"success": true, "mesnage": "factura pagada"}')

    invoice_status(smartisp, paid=False)
    smartisp.add_callback(responses.POST, api("pagar_factura"), callback=pay)

    assert payment_settle(captured.pk) == "settled"
    # Only the test's own wrapping transaction is open (no savepoint of ours).
    assert seen == [0]


def test_receipt_is_sent_in_the_subscribers_language(subscriber, smartisp, clock):
    subscriber.language = "en"
    subscriber.save()
    payment = payment_make(subscriber, PaymentStatus.CAPTURED)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    payment_settle(payment.pk)

    receipt = mail.outbox[0]
    assert receipt.subject == "Mi ISP: receipt of your payment of invoice 4624"
    assert "$21.51" in receipt.body
    assert "10 Mar 2026" in receipt.body


def test_no_receipt_without_an_email_address(subscriber, smartisp, clock):
    subscriber.email = ""
    subscriber.save()
    payment = payment_make(subscriber, PaymentStatus.CAPTURED)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    assert payment_settle(payment.pk) == "settled"
    assert mail.outbox == []


def test_the_ledger_is_never_deleted(captured):
    from billing.models import Payment

    with pytest.raises(PermissionError):
        captured.delete()
    with pytest.raises(PermissionError):
        Payment.objects.all().delete()
    assert Payment.objects.count() == 1
