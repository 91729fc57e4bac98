"""Settlement of a payment that covers several invoices: each is recorded on its own, oldest first,
with its own status and total read, attempts and outcome; one that cannot be recorded does not stop
the others, and the payment then goes to a person with the reason for each."""

import copy
import json
import os
import threading
from decimal import Decimal

import pytest
import requests
import responses
from django.core import mail
from django.db import connection
from django.test import Client

from billing.models import (
    AttemptKind,
    GatewayEvent,
    ItemOutcome,
    Payment,
    PaymentStatus,
    SettlementAttempt,
)
from billing.settlement import payment_refund, payment_settle
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    calls_to,
    event_body,
    gateway_session,
    invoice_body,
    payment_make,
    payment_of,
    run_tasks,
    webhook_post,
)
from tests.conftest import api, example_json

clock = payment_helpers.clock  # the fixture

# Three of client 1's unpaid invoices, oldest first: (id, num_bill, total_pay).
THREE = [(4580, "4619", Decimal("18.70")), (4585, "4624", Decimal("21.51")),
         (4590, "4630", Decimal("30.00"))]  # fmt: skip


def invoice_reads(smartisp, *, paid=(), totals=None) -> None:
    """getInvoiceCliente for each of THREE, as the reference shows it: unpaid unless in `paid`,
    with its total_pay (or the one in `totals`)."""
    for invoice_id, num_bill, total in THREE:
        body = invoice_body(num_bill, invoice_id, paid=num_bill in paid)
        body["BillCustomer"]["total_pay"] = str((totals or {}).get(num_bill, total))
        smartisp.upsert(responses.GET, api(f"getInvoiceCliente/{num_bill}"), json=body)


def pagar_factura_answers(smartisp, refuse: set[int] = frozenset()) -> None:
    """pagar_factura succeeds (the reference's answer), except for the invoice ids in `refuse`,
    which SmartISP refuses with HTTP 422 and its message."""

    def answer(request):
        body = json.loads(request.body)
        if body["invoice_id"] in refuse:
            return 422, {}, json.dumps({"success": False, "message": "La factura está anulada"})
        return 200, {}, json.dumps(example_json("pagar_factura"))

    smartisp.add_callback(responses.POST, api("pagar_factura"), callback=answer)


def sent(smartisp) -> list[dict]:
    return [json.loads(c.request.body) for c in calls_to(smartisp, "pagar_factura")]


@pytest.fixture
def captured(subscriber, clock, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    return payment_make(subscriber, PaymentStatus.CAPTURED, items=THREE)


def test_each_invoice_gets_its_own_pagar_factura_oldest_first_with_its_share(captured, smartisp):
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp)

    assert payment_settle(captured.pk) == "settled"

    bodies = sent(smartisp)
    assert [(b["invoice_id"], Decimal(str(b["amount"]))) for b in bodies] == [
        (i, total) for i, _n, total in THREE
    ]
    assert {b["id_pago"] for b in bodies} == {"txn_test_8842"}
    assert {b["commentary"] for b in bodies} == {captured.reference}
    # Each invoice was read just before its own write.
    reads = [
        c.request.url.rsplit("/", 1)[-1] for c in smartisp.calls if "getInvoice" in c.request.url
    ]
    assert reads == ["4619", "4624", "4630"]
    payment = payment_of(captured)
    assert payment.status == PaymentStatus.SETTLED
    assert [i.outcome for i in payment.invoices()] == [ItemOutcome.RECORDED] * 3
    assert [a.item.num_bill for a in SettlementAttempt.objects.order_by("pk")] == [
        "4619", "4624", "4630"
    ]  # fmt: skip
    assert [m.to for m in mail.outbox] == [["jaquego@gmail.com"]]  # one receipt, no alert


def test_pay_all_with_one_of_three_refused_records_the_others_and_asks_a_person(captured, smartisp):
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp, refuse={4585})

    assert payment_settle(captured.pk) == "needs_review"

    assert [b["invoice_id"] for b in sent(smartisp)] == [4580, 4585, 4590]
    payment = payment_of(captured)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert [i.outcome for i in payment.invoices()] == [
        ItemOutcome.RECORDED, ItemOutcome.REFUSED, ItemOutcome.RECORDED
    ]  # fmt: skip
    assert "invoice 4624: SmartISP rejected the payment: La factura está anulada" in (
        payment.last_error
    )
    assert "recorded: 4619, 4630" in payment.last_error
    (alert,) = mail.outbox
    assert alert.to == ["ops@example.com"] and "4624" in alert.body
    # Nothing is sent again: the recorded ones stay recorded, the refused one waits for a person.
    assert payment_settle(captured.pk) == "not claimed"
    assert len(calls_to(smartisp, "pagar_factura")) == 3


def test_a_stale_total_is_never_recorded_as_full_payment(captured, smartisp):
    # A late fee was added to 4624 after the checkout opened.
    invoice_reads(smartisp, totals={"4624": Decimal("23.51")})
    pagar_factura_answers(smartisp)

    assert payment_settle(captured.pk) == "needs_review"

    assert [b["invoice_id"] for b in sent(smartisp)] == [4580, 4590]
    payment = payment_of(captured)
    item = payment.items.get(num_bill="4624")
    assert item.outcome == ItemOutcome.TOTAL_CHANGED
    assert "its total is 23.51 now, 21.51 was paid for it" in payment.last_error
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_a_single_invoice_payment_with_a_stale_total_calls_nothing(subscriber, clock, smartisp):
    payment = payment_make(subscriber, PaymentStatus.CAPTURED)
    body = invoice_body()
    body["BillCustomer"]["total_pay"] = "24.00"
    smartisp.upsert(responses.GET, api("getInvoiceCliente/4624"), json=body)

    assert payment_settle(payment.pk) == "needs_review"
    assert calls_to(smartisp, "pagar_factura") == []


def test_paid_at_the_office_is_one_invoices_problem_not_the_others(captured, smartisp):
    invoice_reads(smartisp, paid={"4630"})
    pagar_factura_answers(smartisp)

    assert payment_settle(captured.pk) == "needs_review"

    assert [b["invoice_id"] for b in sent(smartisp)] == [4580, 4585]
    assert payment_of(captured).items.get(num_bill="4630").outcome == ItemOutcome.PAID_ELSEWHERE


def test_an_odd_status_read_is_retried_with_backoff_not_sent_to_review(captured, smartisp, clock):
    invoice_reads(smartisp)
    # The second invoice's read answers a shape SmartISP does not document.
    smartisp.upsert(responses.GET, api("getInvoiceCliente/4624"), json={"BillCustomer": "?"})
    pagar_factura_answers(smartisp)

    assert payment_settle(captured.pk) == "retry"
    payment = payment_of(captured)
    assert payment.status == PaymentStatus.CAPTURED
    assert [i.outcome for i in payment.invoices()] == [
        ItemOutcome.RECORDED, ItemOutcome.PENDING, ItemOutcome.PENDING
    ]  # fmt: skip
    assert mail.outbox == []

    invoice_reads(smartisp)  # SmartISP answers properly again
    clock.advance(seconds=30)
    run_tasks()

    assert payment_of(captured).status == PaymentStatus.SETTLED
    # The first invoice was not sent again.
    assert [b["invoice_id"] for b in sent(smartisp)] == [4580, 4585, 4590]


def test_a_read_that_times_out_mid_payment_resumes_where_it_stopped(captured, smartisp, clock):
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp)
    smartisp.upsert(
        responses.GET,
        api("getInvoiceCliente/4630"),
        body=requests.exceptions.ConnectTimeout("connect timed out"),
    )

    assert payment_settle(captured.pk) == "retry"
    invoice_reads(smartisp)
    clock.advance(seconds=30)
    run_tasks()

    assert payment_of(captured).status == PaymentStatus.SETTLED
    assert [b["invoice_id"] for b in sent(smartisp)] == [4580, 4585, 4590]


def test_a_refund_removes_each_recorded_invoice_once(subscriber, clock, smartisp):
    settled = payment_make(
        subscriber, PaymentStatus.SETTLED, items=THREE[:2], refund_requested_at=clock.now
    )
    invoice_reads(smartisp, paid={"4619", "4624"})
    for invoice_id, _num, _total in THREE[:2]:
        smartisp.post(api(f"DeleteIvoicePay/{invoice_id}"), json=example_json("DeleteIvoicePay"))

    assert payment_refund(settled.pk) == "refunded"

    assert len(calls_to(smartisp, "DeleteIvoicePay/4580")) == 1
    assert len(calls_to(smartisp, "DeleteIvoicePay/4585")) == 1
    payment = payment_of(settled)
    assert payment.status == PaymentStatus.REFUNDED
    assert [i.outcome for i in payment.invoices()] == [ItemOutcome.REFUNDED] * 2
    assert SettlementAttempt.objects.filter(kind=AttemptKind.REFUND, called=True).count() == 2


# -- refunds of a payment partly recorded ----------------------------------------------------------


@pytest.fixture
def partly_recorded(captured, smartisp):
    """Pay-all of THREE in review: 4619 and 4630 recorded, 4624 refused upstream. SmartISP then
    shows 4619 and 4630 paid; the gateway has refunded the whole payment."""
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp, refuse={4585})
    assert payment_settle(captured.pk) == "needs_review"
    invoice_reads(smartisp, paid={"4619", "4630"})
    gateway_session(smartisp, captured, "refunded", amount=str(captured.amount))
    mail.outbox.clear()
    return captured


def refund_event(payment, event_id="evt_refund_1"):
    body = event_body(payment, "payment.refunded", event_id=event_id, amount=str(payment.amount))
    assert webhook_post(Client(), body).status_code == 200


def delete_answers(smartisp, **answers) -> None:
    """DeleteIvoicePay/<id> for each of THREE: the reference's success, or what `answers` says
    (keyed "i<id>": a (status, message) refusal, or an exception)."""
    for invoice_id, _num, _total in THREE:
        answer = answers.get(f"i{invoice_id}")
        url = api(f"DeleteIvoicePay/{invoice_id}")
        if answer is None:
            smartisp.upsert(responses.POST, url, json=example_json("DeleteIvoicePay"))
        elif isinstance(answer, Exception):
            smartisp.upsert(responses.POST, url, body=answer)
        else:
            smartisp.upsert(
                responses.POST, url, status=answer[0], json={"success": False, "message": answer[1]}
            )


def deletes(smartisp) -> list[str]:
    return [c.request.url.rsplit("/", 1)[-1] for c in calls_to_delete(smartisp)]


def calls_to_delete(smartisp) -> list:
    return [c for c in smartisp.calls if "/DeleteIvoicePay/" in c.request.url]


def test_a_refund_of_a_partly_recorded_payment_removes_exactly_the_recorded_invoices(
    partly_recorded, smartisp
):
    delete_answers(smartisp)

    refund_event(partly_recorded)
    run_tasks()
    refund_event(partly_recorded, event_id="evt_refund_2")  # told again: nothing more is sent
    run_tasks()

    assert deletes(smartisp) == ["4580", "4590"]
    payment = payment_of(partly_recorded)
    assert payment.status == PaymentStatus.REFUNDED
    assert [i.outcome for i in payment.invoices()] == [
        ItemOutcome.REFUNDED, ItemOutcome.REFUSED, ItemOutcome.REFUNDED
    ]  # fmt: skip
    assert SettlementAttempt.objects.filter(kind=AttemptKind.REFUND, called=True).count() == 2
    assert len(calls_to(smartisp, "pagar_factura")) == 3
    assert mail.outbox == []  # nothing is left for a person


def test_a_partly_recorded_refund_smartisp_refuses_for_one_invoice_goes_to_a_person(
    partly_recorded, smartisp, clock
):
    from billing.reconcile import payments_reconcile

    delete_answers(smartisp, i4580=(422, "La factura tiene un cierre de caja"))

    refund_event(partly_recorded)
    run_tasks()

    assert deletes(smartisp) == ["4580", "4590"]  # the refusal did not stop the other
    payment = payment_of(partly_recorded)
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert [i.outcome for i in payment.invoices()] == [
        ItemOutcome.RECORDED, ItemOutcome.REFUSED, ItemOutcome.REFUNDED
    ]  # fmt: skip
    assert (
        "invoice 4619: SmartISP refused to remove its payment: La factura tiene un cierre de caja"
        in payment.last_error
    )
    assert "(removed: 4630)" in payment.last_error
    (alert,) = mail.outbox
    assert alert.to == ["ops@example.com"] and "4619" in alert.body
    # A person has it now: neither the reconciler nor the gateway telling again sends more.
    clock.advance(minutes=5)
    payments_reconcile()
    refund_event(partly_recorded, event_id="evt_refund_2")
    run_tasks()
    assert deletes(smartisp) == ["4580", "4590"]
    assert len(mail.outbox) == 1


def test_a_partly_recorded_refund_that_times_out_is_retried_and_never_sent_twice(
    partly_recorded, smartisp, clock
):
    from django_tasks_db.models import DBTaskResult

    from billing.reconcile import payments_reconcile

    delete_answers(smartisp, i4580=requests.exceptions.ReadTimeout("read timed out"))

    refund_event(partly_recorded)
    run_tasks()
    assert payment_of(partly_recorded).status == PaymentStatus.NEEDS_REVIEW
    assert deletes(smartisp) == ["4580"]

    # SmartISP had removed it; the worker's retry is lost, the reconciler queues it again.
    invoice_reads(smartisp, paid={"4630"})
    DBTaskResult.objects.filter(status="READY").delete()
    clock.advance(minutes=2)
    assert payments_reconcile() == {"refund queued": 1}
    run_tasks()

    assert deletes(smartisp) == ["4580", "4590"]
    payment = payment_of(partly_recorded)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.items.get(num_bill="4619").note == "refund confirmed by invoice status"
    assert mail.outbox == []


def test_an_operators_retry_loaded_before_a_refund_arrived_records_nothing(
    partly_recorded, smartisp
):
    """The admin loads the payments it was asked to retry, then acts on each: a refund that
    arrives in between wins. Without the decision on the locked row, the retry sent the payment
    back to settlement, which recorded 4624 and emailed a receipt for money given back."""
    from billing.ledger import payment_settle_retry
    from billing.webhooks import gateway_event_process

    as_the_admin_loaded_it = Payment.objects.get(pk=partly_recorded.pk)
    delete_answers(smartisp)
    refund_event(partly_recorded)
    gateway_event_process(GatewayEvent.objects.get().pk)  # the removals queued, not yet run
    assert payment_of(partly_recorded).refund_requested_at is not None

    retried = payment_settle_retry(as_the_admin_loaded_it, by="ops")
    smartisp.remove(responses.POST, api("pagar_factura"))
    pagar_factura_answers(smartisp)  # SmartISP would take 4624 this time
    run_tasks()

    assert retried is False
    assert [
        json.loads(c.request.body)["invoice_id"] for c in calls_to(smartisp, "pagar_factura")
    ] == [4580, 4585, 4590]  # fmt: skip (the first settlement's three; nothing after the refund)
    assert deletes(smartisp) == ["4580", "4590"]
    assert payment_of(partly_recorded).status == PaymentStatus.REFUNDED
    assert mail.outbox == []  # no receipt


def test_settlement_never_records_a_payment_whose_refund_was_asked_for(subscriber, clock, smartisp):
    # However it came to be captured again, money the gateway gave back is not recorded.
    from django.utils import timezone

    payment = payment_make(
        subscriber, PaymentStatus.CAPTURED, items=THREE, refund_requested_at=timezone.now()
    )
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp)

    assert payment_settle(payment.pk) == "not claimed"
    assert calls_to(smartisp, "pagar_factura") == []


def test_a_refund_while_one_pagar_factura_is_unsure_sends_nothing_and_asks_a_person(
    subscriber, clock, smartisp, settings
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    review = payment_make(subscriber, PaymentStatus.NEEDS_REVIEW, items=THREE[:2])
    first, second = review.invoices()
    first.outcome = ItemOutcome.RECORDED
    first.save()
    # 72 hours of timeouts on the second: SmartISP may have applied it.
    SettlementAttempt.objects.create(
        payment=review, item=second, kind=AttemptKind.PAY, called=True, outcome="unknown"
    )
    gateway_session(smartisp, review, "refunded", amount=str(review.amount))

    refund_event(review)
    run_tasks()

    assert payment_of(review).status == PaymentStatus.NEEDS_REVIEW
    assert calls_to_delete(smartisp) == []
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_the_subscribers_lists_show_paid_invoices_without_waiting_for_the_cache(captured, smartisp):
    """Each recorded invoice drops the subscriber's cached SmartISP lists (not only the last)."""
    from portal.smartisp import cache

    unpaid = copy.deepcopy(example_json("InvoiceClientStatus3"))
    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), json=unpaid)
    cache.unpaid_invoices(1)
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp)

    payment_settle(captured.pk)
    cache.unpaid_invoices(1)

    assert len(calls_to(smartisp, "InvoiceClientStatus3/1")) == 2


# -- at the same moment (PostgreSQL) --------------------------------------------------------------

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="!!! SKIPPED: concurrent webhooks need PostgreSQL's row locks; set "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> (CI does) !!!",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_webhooks_for_three_invoices_send_one_call_per_invoice(
    subscriber, smartisp, clock
):
    from billing.webhooks import gateway_event_process

    pending = payment_make(subscriber, PaymentStatus.PENDING, items=THREE)
    gateway_session(smartisp, pending, "succeeded", amount=str(pending.amount))
    invoice_reads(smartisp)
    pagar_factura_answers(smartisp)
    # The gateway delivers its event several times, and once more under a new event id.
    bodies = [
        event_body(pending, event_id="evt_a" if n % 2 else "evt_b", amount=str(pending.amount))
        for n in range(10)
    ]
    start = threading.Barrier(10)
    answers: list[int] = []

    def deliver(body):
        try:
            start.wait()
            answers.append(webhook_post(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 10
    assert GatewayEvent.objects.count() == 2

    # Ten workers at once, each processing both events and then settling.
    events = list(GatewayEvent.objects.values_list("pk", flat=True))
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def work():
        try:
            start.wait()
            for pk in events:
                gateway_event_process(pk)
            outcomes.append(payment_settle(pending.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_tasks()  # the settlement the capture queued, should no worker above have got it

    assert sorted(b["invoice_id"] for b in sent(smartisp)) == [4580, 4585, 4590]
    payment = payment_of(pending)
    assert payment.status == PaymentStatus.SETTLED
    assert [i.outcome for i in payment.invoices()] == [ItemOutcome.RECORDED] * 3
    assert SettlementAttempt.objects.filter(called=True).count() == 3
