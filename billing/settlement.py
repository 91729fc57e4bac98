"""Recording captured payments in SmartISP, exactly once (DESIGN.md section 7, steps 4 to 6).

A payment covers one or more invoices (PaymentInvoice), recorded one by one, oldest first, each
with its own status read, its own attempt records and its own outcome. Each run claims the payment
in one short transaction (a conditional UPDATE: two workers never hold it at once, and a killed
worker's claim expires), and for each invoice not recorded yet reads its status and total, records
the attempt and commits it (renewing the claim), and only then calls SmartISP, outside any
transaction. The outcome is recorded in another short transaction. An unknown outcome, or a status
read that fails or answers an odd shape, is retried with backoff for 72 hours; every retry reads
the invoice first, so a pagar_factura that SmartISP applied before timing out is never sent twice.

An invoice that cannot be recorded (refused, already paid another way, its total changed) does not
stop the others: they are recorded, and the payment then goes to a person with the reason for each.
A refund removes what the payment recorded, one DeleteIvoicePay per invoice, in the same way:
whether the payment settled or went to a person with only some of its invoices recorded.

The status is read with getInvoiceCliente (`invoice_get(num_bill)`): one small request about
exactly this invoice, whichever list it is in, never served from the portal's 60-second cache.
Its id is checked against the ledger's invoice id before anything is written.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from billing.gateways import get_gateway
from billing.ledger import (
    RETRY_FOR,
    UNDO_ASKED,
    S,
    local_date,
    payment_move,
    payment_note,
    payment_review,
    writes_of_ours,
)
from billing.models import (
    PROBLEM_OUTCOMES,
    RECORDED_OUTCOMES,
    AttemptKind,
    AttemptOutcome,
    ItemOutcome,
    Payment,
    PaymentInvoice,
    SettlementAttempt,
)
from portal.smartisp import cache
from portal.smartisp.client import get_client
from portal.smartisp.errors import (
    BadResponse,
    NotFound,
    Rejected,
    SmartISPError,
    Unauthorized,
    Unavailable,
)
from portal.smartisp.records import Invoice, InvoiceStatus

logger = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=30)


def retry_delay(failures: int) -> timedelta:
    """30 s after the first failure, doubling, never more than 30 minutes apart."""
    doublings = min(max(failures - 1, 0), 16)  # past the cap already; keeps the number small
    return min(RETRY_FIRST * (2**doublings), RETRY_MAX)


# -- claims and attempts -----------------------------------------------------------------------


def claim_for() -> timedelta:
    """How long a worker holds a payment from each SmartISP write it starts."""
    return timedelta(seconds=settings.PAYMENT_SETTLE_CLAIM_SECONDS)


def payment_claim(pk: int, status: str, now: datetime, **conditions) -> str | None:
    """Take the payment for its SmartISP writes; the token proves it later. None: not ours now."""
    token = secrets.token_hex(16)
    with transaction.atomic():
        taken = (
            Payment.objects.filter(pk=pk, status=status, **conditions)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(claimed_until=now + claim_for(), claim_token=token, updated_at=now)
        )
    return token if taken else None


def attempt_begin(
    payment: Payment,
    item: PaymentInvoice,
    token: str,
    status: str,
    kind: str,
    invoice_status: str,
) -> SettlementAttempt | None:
    """Record, and commit, that a SmartISP write about `item` is about to go out, and renew the
    claim for it (a payment of many invoices outlasts one claim). None when the payment was moved
    on meanwhile (a refund, an operator, another worker after our claim ran out): then nothing
    may be sent."""
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=payment.pk)
        if row.status != status or row.claim_token != token:
            return None
        row.attempts += 1
        row.claimed_until = timezone.now() + claim_for()
        row.save(update_fields=["attempts", "claimed_until", "updated_at"])
        return SettlementAttempt.objects.create(
            payment=row,
            item=item,
            kind=kind,
            started_at=timezone.now(),
            invoice_status=invoice_status,
            called=True,
        )


def attempt_finish(attempt: SettlementAttempt, outcome: str, detail: str = "") -> None:
    attempt.outcome = outcome
    attempt.detail = detail[:2000]
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["outcome", "detail", "finished_at"])


def smartisp_write(
    payment: Payment,
    item: PaymentInvoice,
    token: str,
    status: str,
    kind: str,
    invoice_status: str,
    call: Callable[[], str],
) -> tuple[str, str]:
    """Send one SmartISP write about `item` under the claim, its attempt committed first.

    ("ok", SmartISP's message) when it went through; ("refused", SmartISP's message) on a clear
    refusal; otherwise ("stop", the run's outcome): an unknown outcome (or a bad key) is retried
    with backoff, and a payment moved on meanwhile is left alone."""
    attempt = attempt_begin(payment, item, token, status, kind, invoice_status)
    if attempt is None:
        return "stop", "moved on"
    try:
        message = call()
    except (Rejected, NotFound) as exc:
        attempt_finish(attempt, AttemptOutcome.REJECTED, exc.message)
        return "refused", exc.message
    except Unauthorized as exc:
        # Refused before anything was applied: retry once the operator fixes the key.
        attempt_finish(attempt, AttemptOutcome.ERROR, exc.message)
        return "stop", retry_later(payment, token, status, kind, exc.message)
    except (Unavailable, BadResponse) as exc:
        attempt_finish(attempt, AttemptOutcome.UNKNOWN, exc.message)
        return "stop", retry_later(payment, token, status, kind, exc.message)
    attempt_finish(attempt, AttemptOutcome.OK, message)
    return "ok", message


def attempt_unsent(
    payment: Payment,
    item: PaymentInvoice,
    kind: str,
    invoice_status: str,
    detail: str,
    outcome: str = AttemptOutcome.UNKNOWN,
) -> None:
    """An attempt that stopped before any SmartISP write (reading the invoice failed, or
    answered something that rules the write out: `outcome` rejected)."""
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).update(attempts=F("attempts") + 1)
    SettlementAttempt.objects.create(
        payment=payment,
        item=item,
        kind=kind,
        started_at=now,
        finished_at=now,
        invoice_status=invoice_status,
        called=False,
        outcome=outcome,
        detail=detail[:2000],
    )


def retry_later(payment: Payment, token: str, status: str, kind: str, detail: str) -> str:
    """Release the claim and try again with backoff, or give up to a person after 72 hours."""
    from billing import tasks

    now = timezone.now()
    started = (
        payment.refund_requested_at if kind == AttemptKind.REFUND else payment.captured_at
    ) or now
    # An operator's "retry settlement" restarts the 72 hours.
    restarted = (
        payment.transitions.filter(to_status=status, at__gt=started)
        .exclude(from_status=status)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    deadline = max(started, restarted or started) + RETRY_FOR
    if now >= deadline:
        payment_review(
            payment,
            f"SmartISP could not be reached for 72 hours: {detail}",
            (status,),
        )
        return "needs_review"
    failures = payment.settlement_attempts.filter(
        kind=kind, outcome__in=[AttemptOutcome.UNKNOWN, AttemptOutcome.ERROR]
    ).count()
    when = min(now + retry_delay(failures), deadline)
    with transaction.atomic():
        released = Payment.objects.filter(pk=payment.pk, status=status, claim_token=token).update(
            next_attempt_at=when,
            claimed_until=None,
            claim_token="",
            last_error=detail[:1000],
            updated_at=now,
        )
        if released:
            task = tasks.payment_refund if kind == AttemptKind.REFUND else tasks.payment_settle
            task.using(run_after=when).enqueue(payment.pk)
    logger.warning("payment %s: %s; next try at %s", payment.reference, detail, when.isoformat())
    return "retry"


def invoice_read(item: PaymentInvoice) -> Invoice:
    """The invoice as SmartISP has it now. SmartISPError passes; a changed id is NotFound (a
    definite answer: that number is another invoice now)."""
    invoice = get_client().invoice_get(item.num_bill).invoice
    if invoice.id != item.invoice_id:
        raise NotFound(
            f"invoice {item.num_bill} has id {invoice.id} in SmartISP, not {item.invoice_id}"
        )
    return invoice


def item_mark(item: PaymentInvoice, outcome: str, note: str, **fields: Any) -> None:
    """Record what became of one invoice of the payment (its own outcome, kept for ever)."""
    item.outcome = outcome
    item.note = note[:300]
    for name, value in fields.items():
        setattr(item, name, value)
    item.save(update_fields=["outcome", "note", *fields])


# -- settlement ---------------------------------------------------------------------------------


def payment_settle(pk: int) -> str:
    """Record each invoice of a captured payment in SmartISP with pagar_factura, exactly once,
    oldest first; then settled, or with a person when one of them could not be recorded."""
    from billing.payment_emails import receipt_send

    now = timezone.now()
    # A refunded payment is never recorded, whatever moved it back to captured.
    token = payment_claim(pk, S.CAPTURED, now, refund_requested_at__isnull=True)
    if token is None:
        return "not claimed"
    payment = Payment.objects.get(pk=pk)
    for item in payment.items.filter(outcome=ItemOutcome.PENDING).order_by("position"):
        outcome = item_settle(payment, item, token, now)
        if outcome is not None:
            return outcome  # retry later, or moved on: the next run picks up from here

    items = list(payment.items.order_by("position"))
    problems = [i for i in items if i.outcome in PROBLEM_OUTCOMES]
    if problems:
        recorded = [i.num_bill for i in items if i.outcome in RECORDED_OUTCOMES]
        reason = "; ".join(f"invoice {i.num_bill}: {i.note}" for i in problems)
        if recorded:
            reason += f" (recorded: {', '.join(recorded)})"
        cache.forget(payment.client_id)
        return payment_review(payment, reason, (S.CAPTURED,))
    confirmed = any(i.outcome == ItemOutcome.CONFIRMED for i in items)
    outcome = settled(
        payment, token, "confirmed by invoice status" if confirmed else "recorded in SmartISP"
    )
    if outcome == "settled":
        receipt_send(Payment.objects.get(pk=pk))
    return outcome


def item_settle(payment: Payment, item: PaymentInvoice, token: str, now: datetime) -> str | None:
    """Record one invoice of the payment. None when its outcome is decided (recorded or a
    problem for a person); otherwise the run's outcome (it stops: retry later, or moved on)."""
    try:
        invoice = invoice_read(item)
    except NotFound as exc:
        item_mark(item, ItemOutcome.NOT_MATCHED, f"cannot match the invoice: {exc.message}")
        return None
    except SmartISPError as exc:
        # Failed or odd (BadResponse): nothing is known about the invoice yet, so ask again.
        attempt_unsent(payment, item, AttemptKind.PAY, "", f"reading the invoice: {exc.message}")
        return retry_later(payment, token, S.CAPTURED, AttemptKind.PAY, exc.message)

    if invoice.status is InvoiceStatus.PAID:
        if writes_of_ours(payment, AttemptKind.PAY, item):
            item_mark(item, ItemOutcome.CONFIRMED, "confirmed by invoice status", recorded_at=now)
            return None
        item_mark(
            item,
            ItemOutcome.PAID_ELSEWHERE,
            "already paid in SmartISP by someone else: refund its share",
        )
        return None
    if invoice.status is not InvoiceStatus.UNPAID:
        detail = "the invoice's status in SmartISP is unclear"
        attempt_unsent(payment, item, AttemptKind.PAY, str(invoice.status), detail)
        return retry_later(payment, token, S.CAPTURED, AttemptKind.PAY, detail)
    if invoice.total_pay != item.amount:
        # A late fee or a correction since the checkout opened: never record less as the whole.
        item_mark(
            item,
            ItemOutcome.TOTAL_CHANGED,
            f"its total is {invoice.total_pay} now, {item.amount} was paid for it",
        )
        return None

    kind, detail = smartisp_write(
        payment,
        item,
        token,
        S.CAPTURED,
        AttemptKind.PAY,
        "unpaid",
        lambda: get_client().invoice_pay(
            invoice_id=item.invoice_id,
            amount=item.amount,
            id_pago=payment.id_pago,
            way_to_pay=payment.way_to_pay or get_gateway(payment.gateway).way_to_pay,
            paid_on=payment.paid_on or local_date(payment.captured_at or now),
            commentary=payment.reference,
            pay_by_wallet=False,
        ),
    )
    if kind == "ok":
        item_mark(item, ItemOutcome.RECORDED, "recorded in SmartISP", recorded_at=timezone.now())
        cache.forget(payment.client_id)
        return None
    if kind == "refused":
        item_mark(item, ItemOutcome.REFUSED, f"SmartISP rejected the payment: {detail}")
        return None
    return detail


def finish(
    payment: Payment, token: str, status: str, allowed_from: str, note: str, **fields: Any
) -> Payment | None:
    """Move the claimed payment to its final `status`, release the claim, drop the subscriber's
    cached lists. None when the payment was moved on meanwhile."""
    moved = payment_move(
        payment,
        status,
        allowed_from=(allowed_from,),
        claimed_by=token,
        note=note,
        claimed_until=None,
        claim_token="",
        next_attempt_at=None,
        last_error="",
        **fields,
    )
    cache.forget(payment.client_id)
    return moved


def settled(payment: Payment, token: str, note: str) -> str:
    moved = finish(
        payment, token, S.SETTLED, S.CAPTURED, note, settle_note=note, settled_at=timezone.now()
    )
    if moved is None:
        # A refund arrived while pagar_factura was out; the payment is already with a person.
        logger.error("payment %s: recorded in SmartISP but moved on meanwhile", payment.reference)
        payment_note(Payment.objects.get(pk=payment.pk), f"pagar_factura went through: {note}")
        return "moved on"
    return "settled"


# -- refunds ------------------------------------------------------------------------------------


def refund_claim(pk: int, now: datetime) -> tuple[str, str] | None:
    """Take a refunded payment for its DeleteIvoicePay writes: (token, the status it is in). A
    settled one, or one with a person whose recorded invoices the refund is removing (asked by
    billing.ledger.payment_refund_request, and not handed back to the person since)."""
    token = payment_claim(pk, S.SETTLED, now, refund_requested_at__isnull=False)
    if token is not None:
        return token, S.SETTLED
    token = payment_claim(
        pk,
        S.NEEDS_REVIEW,
        now,
        refund_requested_at__isnull=False,
        next_attempt_at__isnull=False,
        transitions__note__startswith=UNDO_ASKED,
    )
    return (token, S.NEEDS_REVIEW) if token is not None else None


def payment_refund(pk: int) -> str:
    """Take a refunded payment back out of SmartISP: one DeleteIvoicePay for each invoice it
    recorded, exactly once each (those it never recorded are left alone). One that cannot be
    removed does not stop the others; the payment then goes to a person with the reason for
    each, else it is refunded."""
    now = timezone.now()
    claimed = refund_claim(pk, now)
    if claimed is None:
        return "not claimed"
    token, status = claimed
    payment = Payment.objects.get(pk=pk)
    for item in payment.items.filter(outcome__in=RECORDED_OUTCOMES).order_by("position"):
        if removal_refused(item):
            continue
        outcome = item_refund(payment, item, token, status, now)
        if outcome is not None:
            return outcome

    items = list(payment.items.order_by("position"))
    kept = [i for i in items if i.outcome in RECORDED_OUTCOMES]
    if kept:
        reason = "refunded at the gateway, still recorded in SmartISP: " + "; ".join(
            f"invoice {i.num_bill}: {i.note}" for i in kept
        )
        removed = [i.num_bill for i in items if i.outcome == ItemOutcome.REFUNDED]
        if removed:
            reason += f" (removed: {', '.join(removed)})"
        return payment_review(payment, reason, (status,))
    notes = sorted({i.note for i in items if i.outcome == ItemOutcome.REFUNDED})
    return refunded(payment, token, status, "; ".join(notes) or "SmartISP never had it")


def removal_refused(item: PaymentInvoice) -> bool:
    """Whether SmartISP refused to remove this invoice's payment (or it could not be matched):
    a definite answer, left to a person, never asked again."""
    return item.attempts.filter(kind=AttemptKind.REFUND, outcome=AttemptOutcome.REJECTED).exists()


def item_refund(
    payment: Payment, item: PaymentInvoice, token: str, status: str, now: datetime
) -> str | None:
    """Remove one recorded invoice's payment. None when its outcome is decided (removed, or
    refused for a person); otherwise the run's outcome (it stops: retry later, or moved on)."""
    try:
        invoice = invoice_read(item)
    except NotFound as exc:
        detail = f"cannot match the invoice: {exc.message}"
        attempt_unsent(payment, item, AttemptKind.REFUND, "", detail, AttemptOutcome.REJECTED)
        item_mark(item, item.outcome, detail)
        return None
    except SmartISPError as exc:
        attempt_unsent(payment, item, AttemptKind.REFUND, "", f"reading the invoice: {exc.message}")
        return retry_later(payment, token, status, AttemptKind.REFUND, exc.message)

    if invoice.status is InvoiceStatus.UNPAID:
        note = (
            "refund confirmed by invoice status"
            if writes_of_ours(payment, AttemptKind.REFUND, item)
            else "SmartISP already showed the invoice unpaid"
        )
        item_mark(item, ItemOutcome.REFUNDED, note, refunded_at=now)
        return None
    if invoice.status is not InvoiceStatus.PAID:
        detail = "the invoice's status in SmartISP is unclear"
        attempt_unsent(payment, item, AttemptKind.REFUND, str(invoice.status), detail)
        return retry_later(payment, token, status, AttemptKind.REFUND, detail)

    kind, detail = smartisp_write(
        payment,
        item,
        token,
        status,
        AttemptKind.REFUND,
        "paid",
        lambda: get_client().invoice_payment_delete(item.invoice_id),
    )
    if kind == "ok":
        item_mark(item, ItemOutcome.REFUNDED, "removed from SmartISP", refunded_at=timezone.now())
        cache.forget(payment.client_id)
        return None
    if kind == "refused":
        item_mark(item, item.outcome, f"SmartISP refused to remove its payment: {detail}")
        return None
    return detail


def refunded(payment: Payment, token: str, status: str, note: str) -> str:
    moved = finish(payment, token, S.REFUNDED, status, note, refunded_at=timezone.now())
    return "refunded" if moved else "moved on"
