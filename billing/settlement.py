"""Recording captured payments in SmartISP, exactly once (DESIGN.md section 7, steps 4 to 6).

Each run claims the payment in one short transaction (a conditional UPDATE: two workers never
hold it at once, and a killed worker's claim expires), reads the invoice's status, records the
attempt and commits it, and only then calls SmartISP, outside any transaction. The outcome is
recorded in another short transaction. An unknown outcome is retried with backoff for 72 hours;
every retry reads the invoice first, so a pagar_factura that SmartISP applied before timing out
is never sent twice.

The status is read with getInvoiceCliente (`invoice_get(num_bill)`): one small request about
exactly this invoice, whichever list it is in, never served from the portal's 60-second cache.
Its id is checked against the ledger's invoice id before anything is written.
"""

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from billing.gateways import get_gateway
from billing.ledger import (
    S,
    local_date,
    payment_move,
    payment_note,
    payment_review,
    writes_of_ours,
)
from billing.models import AttemptKind, AttemptOutcome, Payment, SettlementAttempt
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
from portal.smartisp.records import InvoiceStatus

logger = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=5)
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=30)
RETRY_FOR = timedelta(hours=72)


def retry_delay(failures: int) -> timedelta:
    """30 s after the first failure, doubling, never more than 30 minutes apart."""
    doublings = min(max(failures - 1, 0), 16)  # past the cap already; keeps the number small
    return min(RETRY_FIRST * (2**doublings), RETRY_MAX)


# -- claims and attempts -----------------------------------------------------------------------


def payment_claim(pk: int, status: str, now: datetime, **conditions) -> str | None:
    """Take the payment for one SmartISP write; the token proves it later. None: not ours now."""
    token = secrets.token_hex(16)
    with transaction.atomic():
        taken = (
            Payment.objects.filter(pk=pk, status=status, **conditions)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(claimed_until=now + CLAIM_FOR, claim_token=token, updated_at=now)
        )
    return token if taken else None


def attempt_begin(
    payment: Payment, token: str, status: str, kind: str, invoice_status: str
) -> SettlementAttempt | None:
    """Record, and commit, that a SmartISP write is about to go out. None when the payment was
    moved on meanwhile (a refund, an operator): then nothing may be sent."""
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=payment.pk)
        if row.status != status or row.claim_token != token:
            return None
        row.attempts += 1
        row.save(update_fields=["attempts", "updated_at"])
        return SettlementAttempt.objects.create(
            payment=row,
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
    token: str,
    status: str,
    kind: str,
    invoice_status: str,
    call: Callable[[], str],
    *,
    refused: str,
) -> tuple[bool, str]:
    """Send one SmartISP write under the claim, its attempt committed first.

    (True, SmartISP's message) when it went through; otherwise (False, the run's outcome): a clear
    refusal goes to a person, an unknown outcome (or a bad key) is retried with backoff."""
    attempt = attempt_begin(payment, token, status, kind, invoice_status)
    if attempt is None:
        return False, "moved on"
    try:
        message = call()
    except (Rejected, NotFound) as exc:
        attempt_finish(attempt, AttemptOutcome.REJECTED, exc.message)
        return False, payment_review(payment, f"{refused}: {exc.message}", (status,))
    except Unauthorized as exc:
        # Refused before anything was applied: retry once the operator fixes the key.
        attempt_finish(attempt, AttemptOutcome.ERROR, exc.message)
        return False, retry_later(payment, token, status, kind, exc.message)
    except (Unavailable, BadResponse) as exc:
        attempt_finish(attempt, AttemptOutcome.UNKNOWN, exc.message)
        return False, retry_later(payment, token, status, kind, exc.message)
    attempt_finish(attempt, AttemptOutcome.OK, message)
    return True, message


def attempt_unsent(payment: Payment, kind: str, invoice_status: str, detail: str) -> None:
    """An attempt that stopped before any SmartISP write (reading the invoice failed)."""
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).update(attempts=F("attempts") + 1)
    SettlementAttempt.objects.create(
        payment=payment,
        kind=kind,
        started_at=now,
        finished_at=now,
        invoice_status=invoice_status,
        called=False,
        outcome=AttemptOutcome.UNKNOWN,
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


def invoice_status_read(payment: Payment) -> InvoiceStatus:
    """The invoice's status in SmartISP now. SmartISPError passes; a changed id is BadResponse."""
    invoice = get_client().invoice_get(payment.num_bill).invoice
    if invoice.id != payment.invoice_id:
        raise BadResponse(
            f"invoice {payment.num_bill} has id {invoice.id} in SmartISP, not {payment.invoice_id}"
        )
    return invoice.status


# -- settlement ---------------------------------------------------------------------------------


def payment_settle(pk: int) -> str:
    """Record a captured payment in SmartISP with pagar_factura, exactly once."""
    from billing.payment_emails import receipt_send

    now = timezone.now()
    token = payment_claim(pk, S.CAPTURED, now)
    if token is None:
        return "not claimed"
    payment = Payment.objects.get(pk=pk)
    try:
        status = invoice_status_read(payment)
    except (NotFound, BadResponse) as exc:
        return payment_review(payment, f"cannot match the invoice: {exc.message}", (S.CAPTURED,))
    except SmartISPError as exc:
        attempt_unsent(payment, AttemptKind.PAY, "", f"reading the invoice: {exc.message}")
        return retry_later(payment, token, S.CAPTURED, AttemptKind.PAY, exc.message)

    if status is InvoiceStatus.PAID:
        if writes_of_ours(payment, AttemptKind.PAY):
            outcome = settled(payment, token, "confirmed by invoice status")
            if outcome == "settled":
                receipt_send(Payment.objects.get(pk=pk))
            return outcome
        return payment_review(
            payment,
            "the invoice was already paid in SmartISP by someone else: refund this payment",
            (S.CAPTURED,),
        )
    if status is not InvoiceStatus.UNPAID:
        return payment_review(payment, "the invoice's status in SmartISP is unclear", (S.CAPTURED,))

    sent, outcome = smartisp_write(
        payment,
        token,
        S.CAPTURED,
        AttemptKind.PAY,
        "unpaid",
        lambda: get_client().invoice_pay(
            invoice_id=payment.invoice_id,
            amount=payment.settle_amount,
            id_pago=payment.transaction_id or "",
            way_to_pay=get_gateway(payment.gateway).way_to_pay,
            paid_on=local_date(payment.captured_at or now),
            commentary=payment.reference,
            pay_by_wallet=False,
        ),
        refused="SmartISP rejected the payment",
    )
    if not sent:
        return outcome
    outcome = settled(payment, token, "recorded in SmartISP")
    if outcome == "settled":
        receipt_send(Payment.objects.get(pk=pk))
    return outcome


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


def payment_refund(pk: int) -> str:
    """Take a refunded payment back out of SmartISP with DeleteIvoicePay, exactly once."""
    now = timezone.now()
    token = payment_claim(pk, S.SETTLED, now, refund_requested_at__isnull=False)
    if token is None:
        return "not claimed"
    payment = Payment.objects.get(pk=pk)
    try:
        status = invoice_status_read(payment)
    except (NotFound, BadResponse) as exc:
        return payment_review(payment, f"cannot match the invoice: {exc.message}", (S.SETTLED,))
    except SmartISPError as exc:
        attempt_unsent(payment, AttemptKind.REFUND, "", f"reading the invoice: {exc.message}")
        return retry_later(payment, token, S.SETTLED, AttemptKind.REFUND, exc.message)

    if status is InvoiceStatus.UNPAID:
        note = (
            "refund confirmed by invoice status"
            if writes_of_ours(payment, AttemptKind.REFUND)
            else "refunded; SmartISP already showed the invoice unpaid"
        )
        return refunded(payment, token, note)
    if status is not InvoiceStatus.PAID:
        return payment_review(payment, "the invoice's status in SmartISP is unclear", (S.SETTLED,))

    sent, outcome = smartisp_write(
        payment,
        token,
        S.SETTLED,
        AttemptKind.REFUND,
        "paid",
        lambda: get_client().invoice_payment_delete(payment.invoice_id),
        refused="SmartISP refused to remove the payment",
    )
    if not sent:
        return outcome
    return refunded(payment, token, "removed from SmartISP")


def refunded(payment: Payment, token: str, note: str) -> str:
    moved = finish(payment, token, S.REFUNDED, S.SETTLED, note, refunded_at=timezone.now())
    return "refunded" if moved else "moved on"
