"""The reconciler: lost webhooks, abandoned checkouts and overdue settlements are caught."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from billing.models import GatewayEvent, PaymentStatus
from billing.reconcile import payments_reconcile
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    GATEWAY,
    calls_to,
    gateway_calls,
    gateway_refund_ok,
    gateway_session,
    invoice_status,
    pay_ok,
    payment_make,
    payment_of,
    queued,
    run_tasks,
)

clock = payment_helpers.clock  # the fixture


@pytest.fixture
def pending(subscriber, clock):
    return payment_make(subscriber, PaymentStatus.PENDING)


def test_lost_webhook_the_reconciler_settles_the_payment(pending, smartisp, clock):
    gateway_session(smartisp, pending, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    clock.advance(minutes=3)
    counts = payments_reconcile()
    run_tasks()

    assert counts == {"captured": 1}
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1
    assert not GatewayEvent.objects.exists()


def test_a_fresh_checkout_is_left_alone(pending, smartisp, clock):
    gateway_session(smartisp, pending, "succeeded")

    clock.advance(seconds=60)
    assert payments_reconcile() == {}
    assert gateway_calls(smartisp) == []


def test_a_checkout_open_for_over_an_hour_is_cancelled(pending, smartisp, clock):
    gateway_session(smartisp, pending, "open")

    clock.advance(minutes=10)
    assert payments_reconcile() == {"open": 1}
    assert payment_of(pending).status == PaymentStatus.PENDING

    clock.advance(minutes=55)
    assert payments_reconcile() == {"cancelled": 1}
    assert payment_of(pending).status == PaymentStatus.CANCELLED


def test_a_checkout_the_gateway_failed_is_failed(pending, smartisp, clock):
    gateway_session(smartisp, pending, "failed")

    clock.advance(minutes=3)
    payments_reconcile()

    assert payment_of(pending).status == PaymentStatus.FAILED


def test_a_cancelled_checkout_paid_later_is_still_captured_and_settled(subscriber, smartisp, clock):
    cancelled = payment_make(subscriber, PaymentStatus.CANCELLED)
    gateway_session(smartisp, cancelled, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    clock.advance(hours=2)
    payments_reconcile()
    run_tasks()

    assert payment_of(cancelled).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1


def test_gateway_down_the_reconciler_tries_again_next_time(pending, smartisp, clock):
    smartisp.get(f"http://gateway.test/checkout/sessions/{pending.session_id}", status=503)

    clock.advance(minutes=3)
    assert payments_reconcile() == {"gateway unavailable": 1}
    assert payment_of(pending).status == PaymentStatus.PENDING


def test_a_checkout_that_never_reached_the_gateway_is_failed(subscriber, smartisp, clock):
    stuck = payment_make(subscriber, PaymentStatus.CREATED, session_id=None)

    clock.advance(minutes=11)
    assert payments_reconcile() == {"failed": 1}
    assert payment_of(stuck).status == PaymentStatus.FAILED
    assert gateway_calls(smartisp) == []


def test_an_overdue_settlement_is_queued_again(subscriber, smartisp, clock):
    captured = payment_make(subscriber, PaymentStatus.CAPTURED)  # its task was lost
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    assert payments_reconcile() == {}  # not overdue yet
    clock.advance(minutes=2)
    assert payments_reconcile() == {"settlement queued": 1}
    run_tasks()

    assert payment_of(captured).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1


def test_a_settlement_younger_than_the_grace_setting_is_not_queued(
    subscriber, smartisp, clock, settings
):
    settings.PAYMENT_RECONCILE_GRACE_SECONDS = 600
    payment_make(subscriber, PaymentStatus.CAPTURED)  # its task was lost

    clock.advance(minutes=5)  # past the default minute of grace, within the setting's ten
    assert payments_reconcile() == {}
    assert queued() == []

    clock.advance(minutes=5)
    assert payments_reconcile() == {"settlement queued": 1}


def test_a_settlement_scheduled_for_later_is_not_queued_early(subscriber, smartisp, clock):
    from datetime import timedelta

    payment_make(
        subscriber, PaymentStatus.CAPTURED, next_attempt_at=clock.now + timedelta(minutes=20)
    )
    clock.advance(minutes=10)

    assert payments_reconcile() == {}
    assert queued() == []


def test_reconcile_command_runs_once(pending, smartisp, clock, capsys):
    gateway_session(smartisp, pending, "open")
    clock.advance(minutes=3)

    call_command("payments_reconcile")

    assert "open: 1" in capsys.readouterr().out


def test_the_worker_queues_one_reconciler_run_at_a_time(db):
    from billing.management.commands.db_worker import reconcile_enqueue

    assert reconcile_enqueue() is True
    assert reconcile_enqueue() is False
    assert queued() == ["payments_reconcile"]
    run_tasks()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert reconcile_enqueue() is True


def test_db_worker_is_ours_and_takes_the_reconcile_interval():
    from django.core.management import get_commands, load_command_class

    assert get_commands()["db_worker"] == "billing"
    command = load_command_class("billing", "db_worker")
    parser = command.create_parser("manage.py", "db_worker")
    options = parser.parse_args(["--reconcile-interval", "15", "--batch"])
    assert options.reconcile_interval == 15


@pytest.mark.django_db(transaction=True)
def test_db_worker_batch_runs_queued_settlements(subscriber, smartisp):
    from unittest import mock

    from django_tasks_db.management.commands.db_worker import Worker

    from billing import tasks

    captured = payment_make(subscriber, PaymentStatus.CAPTURED)
    tasks.payment_settle.enqueue(captured.pk)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    with mock.patch.object(Worker, "configure_signals"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert payment_of(captured).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1


def test_a_checkout_the_gateway_does_not_know_is_cancelled_after_an_hour(pending, smartisp, clock):
    smartisp.get(f"http://gateway.test/checkout/sessions/{pending.session_id}", status=404)

    clock.advance(minutes=5)
    assert payments_reconcile() == {"gateway unavailable": 1}
    clock.advance(hours=1)
    assert payments_reconcile() == {"cancelled": 1}
    assert payment_of(pending).status == PaymentStatus.CANCELLED


def test_an_abandoned_checkout_paid_after_a_new_one_is_refunded_and_the_new_one_settles(
    subscriber, smartisp, clock, settings
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    abandoned = payment_make(subscriber, PaymentStatus.CANCELLED, session_id="cs_old")
    clock.advance(minutes=5)
    current = payment_make(subscriber, PaymentStatus.PENDING, session_id="cs_new")
    gateway_session(smartisp, abandoned, "succeeded", transaction="txn_old")
    gateway_session(smartisp, current, "succeeded", transaction="txn_new")
    gateway_refund_ok(smartisp, abandoned, transaction="txn_old")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    clock.advance(minutes=3)
    payments_reconcile()
    run_tasks()

    old = payment_of(abandoned)
    assert old.status == PaymentStatus.REFUNDED
    assert old.transaction_id == "txn_old"
    refunds = [c for c in gateway_calls(smartisp) if c.request.url.endswith("/refund")]
    assert [c.request.url for c in refunds] == [f"{GATEWAY}/checkout/sessions/cs_old/refund"]
    assert payment_of(current).status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 1
    assert calls_to(smartisp, "DeleteIvoicePay/4585") == []
