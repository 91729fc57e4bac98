"""Helpers and fixtures of the payment tests: a movable clock, the sandbox gateway mocked at its
HTTP boundary, really signed webhooks, and the task queue run on demand.

Tasks never run inline: they are enqueued in the database (django_tasks_db, as in production) and
`run_tasks()` runs the ready ones with django_tasks_db's own worker code, so a test says exactly
when the worker gets to them. Test modules import the fixtures they use from here.
"""

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import responses
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from billing.models import (
    ACTIVE_STATUSES,
    Payment,
    PaymentInvoice,
    PaymentStatus,
    PaymentTransition,
)
from portal.sandbox.signing import sign
from tests.conftest import api, example_json

GATEWAY = "http://gateway.test"
SECRET = "test-gateway-secret"
SESSION = "cs_test_4624"
TXN = "txn_test_8842"
INVOICE_ID = 4585  # invoice 4624 of the reference's InvoiceClientStatus3 example, client 1
NUM_BILL = "4624"
AMOUNT = Decimal("21.51")


class Clock:
    """django.utils.timezone.now, frozen at `now` until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> datetime:
        self.now = now
        return now


@pytest.fixture
def clock(settings):
    # Sessions made before the clock moves must outlive any jump a test makes.
    settings.SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600
    start = Clock(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    with mock.patch("django.utils.timezone.now", start):
        yield start


# -- SmartISP -------------------------------------------------------------------------------------


def invoice_body(num_bill: str = NUM_BILL, invoice_id: int = INVOICE_ID, paid: bool = False):
    """getInvoiceCliente as the reference shows it, for one of client 1's invoices."""
    body = copy.deepcopy(example_json("getInvoiceCliente"))
    status = "Pagada" if paid else "No pagado"
    body["estatus"] = status
    body["BillCustomer"].update(
        id=invoice_id,
        num_bill=num_bill,
        total_pay=str(AMOUNT),
        status=status,
        paid_on="2026-03-09" if paid else None,
    )
    return body


def invoice_status(smartisp, *, paid: bool, num_bill: str = NUM_BILL) -> None:
    """What getInvoiceCliente/<num_bill> answers from now on."""
    smartisp.upsert(
        responses.GET, api(f"getInvoiceCliente/{num_bill}"), json=invoice_body(paid=paid)
    )


def invoice_lists(smartisp, *, paid_4624: bool = False) -> None:
    """Client 1's unpaid and paid lists (the reference's examples); 4624 moves when paid."""
    unpaid = copy.deepcopy(example_json("InvoiceClientStatus3"))
    paid = copy.deepcopy(example_json("InvoiceClientStatus1"))
    if paid_4624:
        moved = next(i for i in unpaid["invoices"] if i["num_bill"] == NUM_BILL)
        unpaid["invoices"].remove(moved)
        paid["invoices"].append({**moved, "status": "Pagada", "paid_on": "2026-03-09"})
    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), json=unpaid)
    smartisp.upsert(responses.GET, api("InvoiceClientStatus1/1"), json=paid)


def pay_ok(smartisp) -> None:
    smartisp.upsert(responses.POST, api("pagar_factura"), json=example_json("pagar_factura"))


def calls_to(smartisp, path: str) -> list:
    return [c for c in smartisp.calls if c.request.url.split("?")[0].endswith("/" + path)]


def gateway_calls(smartisp) -> list:
    return [c for c in smartisp.calls if c.request.url.startswith(GATEWAY)]


# -- the sandbox gateway --------------------------------------------------------------------------


def gateway_checkout(smartisp, session_id: str = SESSION) -> None:
    smartisp.upsert(
        responses.POST,
        f"{GATEWAY}/checkout/sessions",
        status=201,
        json={"id": session_id, "url": f"{GATEWAY}/checkout/{session_id}"},
    )


def gateway_session(
    smartisp,
    payment: Payment,
    status: str = "succeeded",
    *,
    amount: str = "21.51",
    currency: str = "USD",
    transaction: str | None = TXN,
) -> None:
    """What GET /checkout/sessions/<id> answers about the payment's checkout from now on."""
    smartisp.upsert(
        responses.GET,
        f"{GATEWAY}/checkout/sessions/{payment.session_id}",
        json={
            "id": payment.session_id,
            "reference": payment.reference,
            "status": status,
            "transaction": transaction if status != "open" else None,
            "amount": amount,
            "currency": currency,
        },
    )


def gateway_refund_ok(smartisp, payment: Payment, *, transaction: str = TXN) -> None:
    """POST /checkout/sessions/<id>/refund (DESIGN.md section 7) answers the session refunded,
    and the status query says so from then on."""

    def refund(request):
        gateway_session(smartisp, payment, "refunded", transaction=transaction)
        body = {
            "id": payment.session_id,
            "reference": payment.reference,
            "status": "refunded",
            "transaction": transaction,
            "amount": str(payment.amount),
            "currency": "USD",
        }
        return 200, {}, json.dumps(body)

    smartisp.add_callback(
        responses.POST, f"{GATEWAY}/checkout/sessions/{payment.session_id}/refund", callback=refund
    )


def event_body(
    payment: Payment | None,
    type: str = "payment.succeeded",
    *,
    event_id: str = "evt_test_1",
    reference: str | None = None,
    amount: str = "21.51",
    currency: str = "USD",
    created: int | None = None,
) -> bytes:
    body = {
        "id": event_id,
        "type": type,
        "created": created if created is not None else 1773154800,
        "data": {
            "session": payment.session_id if payment else "cs_unknown",
            "reference": reference if reference is not None else payment.reference,
            "transaction": TXN,
            "amount": amount,
            "currency": currency,
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


def webhook_post(client, body: bytes, *, t: float | None = None, secret: str = SECRET, header=True):
    """POST a webhook signed like the sandbox gateway signs it (t defaults to the clock's now)."""
    from django.utils import timezone

    timestamp = int(t if t is not None else timezone.now().timestamp())
    headers = {"HTTP_SANDBOX_SIGNATURE": sign(secret, body, timestamp)} if header else {}
    return client.post(
        reverse("billing:webhook", args=["sandbox"]),
        data=body,
        content_type="application/json",
        **headers,
    )


# -- the ledger and the worker ---------------------------------------------------------------------


def payment_make(
    user,
    status: str = PaymentStatus.PENDING,
    *,
    invoice_id: int = INVOICE_ID,
    num_bill: str = NUM_BILL,
    items: list[tuple[int, str, Decimal]] | None = None,
    **fields,
) -> Payment:
    """A payment as the pay button leaves it, in `status`: of invoice 4624 by default, or of
    `items` ((invoice id, num_bill, share), oldest first; the amount is their sum)."""
    from django.utils import timezone

    items = items or [(invoice_id, num_bill, fields.get("amount", AMOUNT))]
    total = sum((share for _id, _num, share in items), Decimal("0.00"))
    values = {
        "user": user,
        "client_id": user.smartisp_id,
        "amount": total,
        "currency": "USD",
        "gateway": "sandbox",
        "session_id": SESSION,
        "checkout_url": f"{GATEWAY}/checkout/{SESSION}",
        "status": status,
        "created_at": timezone.now(),
    }
    if status in (PaymentStatus.CAPTURED, PaymentStatus.SETTLED, PaymentStatus.NEEDS_REVIEW):
        values.update(
            transaction_id=TXN,
            captured_amount=total,
            captured_currency="USD",
            captured_at=timezone.now(),
            next_attempt_at=timezone.now(),
        )
    values.update(fields)
    payment = Payment.objects.create(**values)
    for position, (item_invoice, item_num, share) in enumerate(items):
        PaymentInvoice.objects.create(
            payment=payment,
            position=position,
            client_id=payment.client_id,
            invoice_id=item_invoice,
            num_bill=item_num,
            amount=share,
            holds=status in ACTIVE_STATUSES,
            outcome="recorded" if status == PaymentStatus.SETTLED else "pending",
        )
    PaymentTransition.objects.create(payment=payment, to_status=status, note="test set-up")
    return payment


def run_tasks(limit: int = 200) -> list[str]:
    """Run every task that is ready now (by the clock), as the worker would, until none is left.
    Returns the task names run; a task that raised fails the test with its traceback."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = []
    for _ in range(limit):
        row = DBTaskResult.objects.ready().first()
        if row is None:
            return ran
        row.claim("test-worker")
        worker.run_task(row)
        row.refresh_from_db()
        if row.status == "FAILED":
            raise AssertionError(f"task {row.task_path} failed:\n{row.traceback}")
        ran.append(row.task_path.rsplit(".", 1)[-1])
    raise AssertionError("tasks keep coming: a loop?")


def queued() -> list[str]:
    """Names of the tasks waiting (ready now or later)."""
    return [
        path.rsplit(".", 1)[-1]
        for path in DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    ]


def payment_of(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)
