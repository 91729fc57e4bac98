"""The payment ledger's state machine: starting a checkout, and what a gateway's answer does to it.

Every status change goes through `payment_move`, which locks the row, checks the status it moves
from, and records a PaymentTransition, all in one short transaction. Nothing here calls SmartISP;
gateway calls are made outside any transaction.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from billing.gateways import (
    CheckoutRef,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    GatewayBadResponse,
    GatewayError,
    GatewayRejected,
    ReturnInfo,
    get_gateway,
)
from billing.models import (
    ACTIVE_STATUSES,
    IN_PROGRESS_STATUSES,
    PROBLEM_OUTCOMES,
    RECORDED_OUTCOMES,
    AttemptKind,
    AttemptOutcome,
    GatewayEvent,
    ItemOutcome,
    Payment,
    PaymentInvoice,
    PaymentSource,
    PaymentStatus,
    PaymentTransition,
)
from portal.smartisp import cache
from portal.smartisp.records import Invoice

logger = logging.getLogger(__name__)

S = PaymentStatus
# A capture is recorded from any state that has not already recorded one: a subscriber may pay
# at the gateway after the portal gave the checkout up (cancelled) or after a declined card.
CAPTURABLE = (S.CREATED, S.PENDING, S.CANCELLED, S.FAILED)
# What a subscriber can leave unfinished: "continue" or "start again" (DESIGN.md section 7, step 7).
UNFINISHED = (S.CREATED, S.PENDING, S.CANCELLED)
# The gateway name of payments that never had a checkout (bank transfers staff approved).
TRANSFER_GATEWAY = "transfer"
TRANSFER_WAY_TO_PAY = "Transferencia bancaria"
# The note of a checkout the subscriber replaced ("start again"): it is not offered again.
STARTED_AGAIN = "the subscriber started again"
# How long a checkout left unpaid may still be paid at the gateway (Stripe's longest session;
# the reconciler watches cancelled checkouts as long).
CANCELLED_PAYABLE = timedelta(hours=24)
# A browser coming back from the gateway makes the portal ask about these (and no others).
RETURNABLE = (S.CREATED, S.PENDING, S.CANCELLED)
# The note of a refund whose recorded invoices are being taken back out of SmartISP: a payment
# with a person that carries it is still the refund's to finish (billing.settlement.refund_claim).
UNDO_ASKED = "refunded at the gateway: removing what SmartISP recorded of it"
# How long a write whose outcome is unknown, or a refund the gateway cannot make yet, is tried
# again before a person gets it (DESIGN.md section 7, step 5): settlement's deadline too.
RETRY_FOR = timedelta(hours=72)


class PaymentNotAllowed(Exception):
    """The pay button cannot start a checkout for this invoice (the view says why)."""


class InvoiceAlreadyPaid(PaymentNotAllowed):
    pass


class InvoiceNotPayable(PaymentNotAllowed):
    pass


class PaymentDuplicate(PaymentNotAllowed):
    """The same money (a transaction or bank reference) is already in the ledger."""


class PaymentInProgress(PaymentNotAllowed):
    def __init__(self, payment: Payment | None) -> None:
        super().__init__("a payment of this invoice is already under way")
        self.payment = payment


# -- the state machine -------------------------------------------------------------------------


def payment_move(
    payment: Payment | int,
    to: str,
    *,
    allowed_from: Iterable[str],
    note: str = "",
    claimed_by: str | None = None,
    **fields: Any,
) -> Payment | None:
    """Move a payment to `to` if it is in one of `allowed_from` (and, given `claimed_by`, still
    claimed with that token); set `fields`; record the transition. None if it had moved on."""
    pk = payment.pk if isinstance(payment, Payment) else payment
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=pk)
        if row.status not in set(allowed_from):
            return None
        if claimed_by is not None and row.claim_token != claimed_by:
            return None
        before = row.status
        row.status = to
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        holds = to in ACTIVE_STATUSES
        if holds != (before in ACTIVE_STATUSES):
            # IntegrityError when another active payment covers one of its invoices.
            PaymentInvoice.objects.filter(payment=row).update(holds=holds)
        PaymentTransition.objects.create(
            payment=row, from_status=before, to_status=to, note=note[:300], at=timezone.now()
        )
    logger.info("payment %s %s -> %s %s", row.reference, before, to, note)
    return row


def payment_note(payment: Payment, note: str) -> None:
    """Record something that happened to a payment without changing its status."""
    PaymentTransition.objects.create(
        payment=payment,
        from_status=payment.status,
        to_status=payment.status,
        note=note[:300],
        at=timezone.now(),
    )


def writes_of_ours(payment: Payment, kind: str, item: PaymentInvoice | None = None) -> bool:
    """Whether a SmartISP write of this kind was sent for the payment (for `item` only, when
    given) and may have been applied (succeeded, or its outcome was never known)."""
    attempts = payment.settlement_attempts.filter(kind=kind, called=True)
    if item is not None:
        attempts = attempts.filter(item=item)
    return attempts.exclude(outcome__in=[AttemptOutcome.REJECTED, AttemptOutcome.ERROR]).exists()


def items_unsure(payment: Payment) -> list[PaymentInvoice]:
    """The payment's invoices a pagar_factura of ours may have reached without settlement
    learning what it did: sent, and no status read since that decided the invoice's outcome."""
    undecided = payment.items.filter(outcome__in=(ItemOutcome.PENDING, ItemOutcome.NOT_MATCHED))
    return [item for item in undecided if writes_of_ours(payment, AttemptKind.PAY, item)]


def local_date(moment: datetime):
    """The calendar date of `moment` where the provider is (TIME_ZONE)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


# -- starting a checkout -----------------------------------------------------------------------


def payment_in_progress(client_id: int, invoice_id: int) -> Payment | None:
    """The newest payment covering the invoice that is under way, done, or with a person."""
    item = (
        PaymentInvoice.objects.filter(
            client_id=client_id, invoice_id=invoice_id, payment__status__in=IN_PROGRESS_STATUSES
        )
        .select_related("payment")
        .order_by("-payment__created_at", "-pk")
        .first()
    )
    return item.payment if item is not None else None


def payments_in_progress(client_id: int) -> dict[int, Payment]:
    """Invoice id -> the payment covering it that is under way, done or with a person (the
    newest), for every invoice of the subscriber: one query for a whole page."""
    found: dict[int, Payment] = {}
    items = (
        PaymentInvoice.objects.filter(client_id=client_id, payment__status__in=IN_PROGRESS_STATUSES)
        .select_related("payment")
        .order_by("payment__created_at", "pk")
    )
    for item in items:
        found[item.invoice_id] = item.payment
    return found


# The money for these is in: every page shows their invoices as paid (being recorded) at once.
MONEY_IN = (S.CAPTURED, S.SETTLED)


def invoices_paid_now(client_id: int | None) -> dict[int, Payment]:
    """Invoice id -> the payment whose captured money covers it, whether or not SmartISP has
    recorded it yet (DESIGN.md section 7, step 8). One query."""
    if client_id is None:
        return {}
    items = (
        PaymentInvoice.objects.filter(client_id=client_id, payment__status__in=MONEY_IN)
        .select_related("payment")
        .order_by("payment__created_at", "pk")
    )
    return {item.invoice_id: item.payment for item in items}


def invoices_oldest_first(invoices: Iterable[Invoice]) -> list[Invoice]:
    """The order settlement records a payment's invoices in: the one due first, first."""
    return sorted(
        invoices,
        key=lambda i: (i.expiration_date or i.release_date or i.period or date.max, i.id),
    )


def payment_saved(sender: type, instance: Payment, **kwargs: object) -> None:
    """post_save of a payment (made, or moved: every move saves it): what the subscriber's pages
    say of it changes, so their cached SmartISP answers and kept pages are dropped, now and again
    at commit (a page made between the two from the old row would otherwise be kept)."""
    client_id = instance.client_id
    cache.forget(client_id)
    transaction.on_commit(lambda: cache.forget(client_id))


def payments_stamp(client_id: int) -> tuple[int, datetime | None]:
    """Changes whenever a payment of the subscriber is made or saved (every move saves it).

    Plain SQL: it runs on every view of a kept page that shows payment states, and the ORM's
    aggregate costs several times the query itself (make bench)."""
    table = Payment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MAX(updated_at) FROM {table} WHERE client_id = %s",  # noqa: S608
            [client_id],
        )
        count, last = cursor.fetchone()
    return count, last


def payment_start(
    user: User, invoices: Invoice | Sequence[Invoice], *, gateway_name: str | None = None
) -> Payment:
    """Open one checkout for the whole of each unpaid invoice in `invoices` (their sum); the
    payment comes back `pending` with the URL to send the browser to. Raises PaymentNotAllowed or
    GatewayError (the payment is then `failed`: it never reached the gateway, and the subscriber
    can try again)."""
    invoices = invoices_oldest_first([invoices] if isinstance(invoices, Invoice) else invoices)
    if not invoices:
        raise InvoiceNotPayable("no invoice to pay")
    client_id = user.smartisp_id
    if client_id is None:
        raise InvoiceNotPayable("the account has no SmartISP client")
    for invoice in invoices:
        if invoice.is_paid:
            raise InvoiceAlreadyPaid("the invoice is paid")
        if not invoice.is_unpaid or invoice.total_pay <= 0:
            raise InvoiceNotPayable("the invoice cannot be paid online")
    leftovers_expire(client_id, [i.id for i in invoices])
    for invoice in invoices:
        existing = payment_in_progress(client_id, invoice.id)
        if existing is not None:
            raise PaymentInProgress(existing)
    gateway = get_gateway(gateway_name)
    try:
        payment = payment_create(
            user,
            invoices,
            gateway=gateway.name,
            status=S.CREATED,
            way_to_pay=gateway.way_to_pay,
            note="pay button",
        )
    except IntegrityError:
        # A second tap got here at the same moment: the database let only one through.
        raise PaymentInProgress(
            next(
                filter(None, (payment_in_progress(client_id, i.id) for i in invoices)),
                None,
            )
        ) from None

    page = settings.PORTAL_URL + reverse("billing:payment", args=[payment.reference])
    numbers = ", ".join(i.num_bill for i in invoices)
    request = CheckoutRequest(
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        description=(
            gettext("%(portal)s: invoice %(num_bill)s")
            if len(invoices) == 1
            else gettext("%(portal)s: invoices %(num_bill)s")
        )
        % {"portal": settings.PORTAL_NAME, "num_bill": numbers},
        success_url=page,
        cancel_url=page + "?cancelled=1",
        webhook_url=settings.PORTAL_URL + reverse("billing:webhook", args=[gateway.name]),
        # The invoices' own IVA split, as SmartISP computes it (records.Invoice).
        taxed_base=sum((i.subtotal for i in invoices if i.iva_rate), Decimal(0)),
        tax=sum((i.iva_amount for i in invoices), Decimal(0)),
    )
    try:
        checkout = gateway.checkout_start(request)
        if not checkout.url.startswith(("https://", "http://")):
            raise GatewayBadResponse("the gateway's checkout URL is not http(s)")
    except GatewayError as exc:
        payment_move(
            payment,
            S.FAILED,
            allowed_from=(S.CREATED,),
            note="the gateway did not open a checkout",
            last_error=exc.message,
        )
        raise
    moved = payment_move(
        payment,
        S.PENDING,
        allowed_from=(S.CREATED,),
        note="checkout opened",
        session_id=checkout.session_id,
        checkout_url=checkout.url,
        gateway_data=dict(checkout.data),
    )
    return moved or Payment.objects.get(pk=payment.pk)


def leftovers_expire(client_id: int, invoice_ids: Sequence[int]) -> None:
    """Before a new checkout of these invoices: close at the gateway the checkouts of them the
    subscriber left (cancelled here, still payable there), so the money cannot come in twice.
    One found paid meanwhile is captured now (and the new checkout is then refused)."""
    since = timezone.now() - CANCELLED_PAYABLE
    leftovers = (
        Payment.objects.filter(
            client_id=client_id,
            status=S.CANCELLED,
            session_id__isnull=False,
            created_at__gte=since,
            items__invoice_id__in=invoice_ids,
        )
        .exclude(gateway=TRANSFER_GATEWAY)
        .exclude(transitions__note__startswith=STARTED_AGAIN)
        .distinct()
    )
    for payment in leftovers:
        payment_abandon(payment)


def payment_create(
    user: User,
    invoices: Sequence[Invoice],
    *,
    gateway: str,
    status: str,
    note: str,
    **fields: Any,
) -> Payment:
    """The ledger rows of a new payment of `invoices` (oldest first), each for its whole
    total_pay, in one transaction. IntegrityError when another active payment covers one."""
    with transaction.atomic():
        payment = Payment.objects.create(
            user=user,
            client_id=user.smartisp_id,
            amount=sum((i.total_pay for i in invoices), Decimal("0.00")),
            currency=settings.PAYMENT_CURRENCY,
            gateway=gateway,
            status=status,
            **fields,
        )
        PaymentInvoice.objects.bulk_create(
            PaymentInvoice(
                payment=payment,
                position=position,
                client_id=user.smartisp_id,
                invoice_id=invoice.id,
                num_bill=invoice.num_bill,
                amount=invoice.total_pay,
                holds=status in ACTIVE_STATUSES,
            )
            for position, invoice in enumerate(invoices)
        )
        PaymentTransition.objects.create(
            payment=payment, to_status=status, note=note[:300], at=timezone.now()
        )
    return payment


def payment_received(
    user: User,
    invoices: Sequence[Invoice],
    *,
    source: str,
    way_to_pay: str,
    transaction_id: str,
    id_pago: str,
    paid_on: date,
    note: str,
) -> Payment:
    """Money that came in without a checkout (a bank transfer staff approved): a `captured`
    payment of `invoices`, each for its whole current total_pay, settled by the same settlement
    as a card payment (`id_pago` and `way_to_pay` go to pagar_factura, `paid_on` is its `date`).

    `transaction_id` is what makes this money one of a kind in the ledger (a transfer's: its bank
    and normalised reference, so the same reference at two banks is two payments); `id_pago` is
    kept as given, for SmartISP (Payment.id_pago).

    Raises PaymentInProgress when another payment covers one of the invoices, PaymentDuplicate
    when `transaction_id` was recorded before, InvoiceNotPayable when an invoice is not unpaid."""
    client_id = user.smartisp_id
    transaction_id, id_pago = transaction_id.strip(), id_pago.strip()
    if client_id is None or not invoices or not transaction_id or not id_pago:
        raise InvoiceNotPayable("nothing to record")
    invoices = invoices_oldest_first(invoices)
    for invoice in invoices:
        if not invoice.is_unpaid or invoice.total_pay <= 0:
            raise InvoiceNotPayable(f"invoice {invoice.num_bill} is not unpaid")
    gateway = TRANSFER_GATEWAY if source == PaymentSource.TRANSFER else source
    if Payment.objects.filter(gateway=gateway, transaction_id=transaction_id).exists():
        raise PaymentDuplicate(f"{transaction_id} is already recorded")
    now = timezone.now()
    total = sum((i.total_pay for i in invoices), Decimal("0.00"))
    try:
        with transaction.atomic():
            payment = payment_create(
                user,
                invoices,
                gateway=gateway,
                status=S.CAPTURED,
                note=note,
                source=source,
                way_to_pay=way_to_pay,
                paid_on=paid_on,
                transaction_id=transaction_id,
                gateway_data={"id_pago": id_pago},
                captured_amount=total,
                captured_currency=settings.PAYMENT_CURRENCY,
                captured_at=now,
                next_attempt_at=now,
            )
            settlement_enqueue(payment.pk)
    except IntegrityError:
        if Payment.objects.filter(gateway=gateway, transaction_id=transaction_id).exists():
            raise PaymentDuplicate(f"{transaction_id} is already recorded") from None
        raise PaymentInProgress(
            next(filter(None, (payment_in_progress(client_id, i.id) for i in invoices)), None)
        ) from None
    return payment


def settlement_enqueue(pk: int) -> None:
    """Queue the payment's settlement. Called inside the transaction that captures it: the
    database queue (django-tasks-db) commits the task with the capture, or neither."""
    from billing import tasks

    tasks.payment_settle.enqueue(pk)


# -- what the gateway says ---------------------------------------------------------------------


def checkout_ref(
    payment: Payment, *, session_id: str = "", transaction_id: str = "", data: Mapping | None = None
) -> CheckoutRef:
    """What the gateway is asked about: the payment's checkout, with the transaction id the
    ledger knows for it (`transaction_id` when given, else the captured one, else the latest
    notification's that the gateway did not refuse)."""
    known = transaction_id or payment.transaction_id or transaction_notified(payment)
    return CheckoutRef(
        reference=payment.reference,
        session_id=payment.session_id or session_id,
        data={**(payment.gateway_data or {}), **(data or {})},
        transaction_id=known or "",
    )


def transaction_notified(payment: Payment) -> str:
    """The transaction id the payment's latest notification brought (PayPhone's notification
    is the only way to learn one when the subscriber never comes back)."""
    return (
        GatewayEvent.objects.filter(payment=payment)
        .exclude(transaction_id="")
        .exclude(outcome="status query refused")
        .order_by("-received_at", "-pk")
        .values_list("transaction_id", flat=True)
        .first()
    ) or ""


def payment_sync(
    payment: Payment,
    status: CheckoutStatus,
    *,
    claimed_amount: Decimal | None = None,
    claimed_currency: str = "",
    occurred_at: datetime | None = None,
    source: str = "status query",
) -> str:
    """Apply the gateway's answer about a checkout to the ledger; returns what happened."""
    if status.reference and status.reference != payment.reference:
        return payment_review(
            payment,
            f"the gateway's checkout {status.session_id} belongs to {status.reference}",
            allowed_from=CAPTURABLE,
        )
    if status.state is CheckoutState.SUCCEEDED:
        problems = []
        if status.amount != payment.amount or status.currency != payment.currency:
            problems.append(f"gateway captured {status.amount} {status.currency}")
        if claimed_amount is not None and claimed_amount != payment.amount:
            problems.append(f"event claims {claimed_amount}")
        if claimed_currency and claimed_currency != payment.currency:
            problems.append(f"event claims {claimed_currency}")
        return payment_capture(
            payment,
            transaction_id=status.transaction_id,
            amount=status.amount,
            currency=status.currency,
            captured_at=status.captured_at or occurred_at or timezone.now(),
            mismatch=(
                f"amount or currency differ from the checkout's {payment.amount} "
                f"{payment.currency}: " + "; ".join(problems)
                if problems
                else ""
            ),
            source=source,
        )
    if status.state is CheckoutState.FAILED:
        moved = payment_move(
            payment,
            S.FAILED,
            allowed_from=(S.CREATED, S.PENDING, S.CANCELLED),
            note=f"the gateway says the payment failed ({source})",
        )
        return "failed" if moved else "unchanged"
    if status.state is CheckoutState.REFUNDED:
        return payment_refund_request(payment, source=source)
    if status.state is CheckoutState.EXPIRED:
        moved = payment_move(
            payment,
            S.CANCELLED,
            allowed_from=(S.CREATED, S.PENDING),
            note=f"the checkout expired at the gateway ({source})",
        )
        return "cancelled" if moved else "unchanged"
    return "open"


def payment_capture(
    payment: Payment,
    *,
    transaction_id: str,
    amount: Decimal | None,
    currency: str,
    captured_at: datetime,
    mismatch: str = "",
    source: str = "",
) -> str:
    """Record money the gateway captured, once; queue settlement (or ask a person to look, or
    give the money back when another payment already covers its invoices)."""
    if not transaction_id:
        return payment_review(
            payment, "the gateway reports a capture without a transaction id", CAPTURABLE
        )
    fields = {
        "transaction_id": transaction_id,
        "captured_amount": amount,
        "captured_currency": currency,
        "captured_at": captured_at,
    }
    if mismatch:
        return capture_review(payment, mismatch, fields)
    try:
        with transaction.atomic():
            moved = payment_move(
                payment,
                S.CAPTURED,
                allowed_from=CAPTURABLE,
                note=f"captured ({source})" if source else "captured",
                next_attempt_at=timezone.now(),
                **fields,
            )
            if moved is not None:
                settlement_enqueue(moved.pk)
    except IntegrityError:
        if (
            Payment.objects.filter(gateway=payment.gateway, transaction_id=transaction_id)
            .exclude(pk=payment.pk)
            .exists()
        ):
            return capture_review(payment, "the transaction id is another payment's", fields)
        # Another payment covers its invoices (the subscriber started again and paid that one,
        # or paid this old checkout after all): this money goes back, SmartISP never hears of it.
        return capture_superseded(payment, fields, source=source)
    return "captured" if moved else "duplicate"


def capture_superseded(payment: Payment, fields: dict[str, Any], *, source: str) -> str:
    """A capture of a checkout whose invoices another payment covers: refund it at the gateway
    (on the task worker), or ask a person when the gateway cannot."""
    from billing import tasks

    with transaction.atomic():
        moved = payment_move(
            payment,
            S.REFUNDING,
            allowed_from=CAPTURABLE,
            note=f"captured ({source}) while another payment covers its invoices: refunding"[:300],
            next_attempt_at=timezone.now(),
            refund_requested_at=timezone.now(),
            **fields,
        )
        if moved is not None:
            tasks.payment_gateway_refund.enqueue(moved.pk)
    return "refunding" if moved else "duplicate"


def payment_gateway_refund(pk: int) -> str:
    """Give a superseded capture back through its gateway (DESIGN.md section 7, step 7). The
    gateway's refund event then marks it refunded; a gateway that cannot refund sends it to a
    person; one that cannot answer now is asked again by the reconciler, for as long as
    settlement retries an unknown outcome (RETRY_FOR), and then a person gets it too."""
    payment = Payment.objects.get(pk=pk)
    if payment.status != S.REFUNDING:
        return "unchanged"
    try:
        get_gateway(payment.gateway).payment_refund(checkout_ref(payment))
    except GatewayError as exc:
        started = payment.refund_requested_at or payment.captured_at or timezone.now()
        if exc.retryable and timezone.now() < started + RETRY_FOR:
            logger.warning("payment %s: refund not made yet: %s", payment.reference, exc.message)
            Payment.objects.filter(pk=pk, status=S.REFUNDING).update(
                last_error=exc.message[:1000], updated_at=timezone.now()
            )
            return "retry"
        if exc.retryable:
            return payment_review(
                payment,
                f"captured after its invoices were paid, and the gateway could not be reached "
                f"to refund it for 72 hours ({exc.message}): refund it by hand",
                (S.REFUNDING,),
            )
        return payment_review(
            payment,
            f"captured after its invoices were paid, and the gateway refused the refund "
            f"({exc.message}): refund it by hand",
            (S.REFUNDING,),
        )
    payment_note(Payment.objects.get(pk=pk), "refund asked of the gateway")
    # The gateway's own answer decides (its refund event says the same, later).
    try:
        return payment_check(Payment.objects.get(pk=pk), source="refund")
    except GatewayError:
        return "refund asked"


def capture_review(payment: Payment, reason: str, fields: dict[str, Any]) -> str:
    """A capture a person must look at, recorded with what the gateway said."""
    try:
        return payment_review(payment, reason, CAPTURABLE, **fields)
    except IntegrityError:
        # The transaction id belongs to another payment: keep it in the note instead.
        others = {k: v for k, v in fields.items() if k != "transaction_id"}
        reason = f"{reason}; transaction {fields['transaction_id']} is another payment's"
        return payment_review(payment, reason, CAPTURABLE, **others)


def payment_review(
    payment: Payment, reason: str, allowed_from: Iterable[str], **fields: Any
) -> str:
    """Stop and ask a person: `needs_review`, with an email to ADMINS."""
    from billing.payment_emails import review_alert_send

    moved = payment_move(
        payment,
        S.NEEDS_REVIEW,
        allowed_from=allowed_from,
        note=reason,
        last_error=reason[:1000],
        claimed_until=None,
        claim_token="",
        next_attempt_at=None,  # a person's now: nothing is tried again by itself
        **fields,
    )
    if moved is None:
        return "unchanged"
    review_alert_send(moved, reason)
    return "needs_review"


def payment_refund_request(payment: Payment, *, source: str = "") -> str:
    """The gateway refunded the payment: take it back out of SmartISP once, if it is there."""
    from billing import tasks
    from billing.payment_emails import review_alert_send

    now = timezone.now()
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=payment.pk)
        if row.status == S.REFUNDED or (
            row.refund_requested_at is not None and (row.status == S.SETTLED or undo_asked(row))
        ):
            return "duplicate"
        if row.status == S.SETTLED or undo_whole(row):
            # Settled, or with a person because some of its invoices could not be recorded:
            # those that were are removed (billing.settlement.payment_refund).
            row.refund_requested_at = now
            row.next_attempt_at = now
            row.save(update_fields=["refund_requested_at", "next_attempt_at", "updated_at"])
            payment_note(row, f"{UNDO_ASKED} ({source})")
            tasks.payment_refund.enqueue(row.pk)
            return "refund"
        review = row.status in (S.CAPTURED, S.NEEDS_REVIEW) and writes_of_ours(row, AttemptKind.PAY)
        if not review:
            # Nothing of ours reached SmartISP, and none can be on its way: settlement records its
            # attempt under this same row lock, and only while the payment is still captured.
            moved = payment_move(
                row,
                S.REFUNDED,
                allowed_from=(
                    S.CREATED, S.PENDING, S.CANCELLED, S.FAILED, S.CAPTURED, S.NEEDS_REVIEW,
                    S.REFUNDING,
                ),
                note=f"refunded at the gateway ({source}); SmartISP never had it",
                refund_requested_at=now,
                refunded_at=now,
                claimed_until=None,
                claim_token="",
            )  # fmt: skip
            return "refunded" if moved else "unchanged"
    # A pagar_factura of ours may have been applied: a person decides, with SmartISP open.
    reason = "refunded at the gateway while its recording in SmartISP is unsure: check SmartISP"
    outcome = payment_review(payment, reason, (S.CAPTURED, S.NEEDS_REVIEW), refund_requested_at=now)
    if outcome == "unchanged":
        refreshed = Payment.objects.get(pk=payment.pk)
        payment_note(refreshed, reason)
        review_alert_send(refreshed, reason)
    return "needs_review"


def undo_asked(payment: Payment) -> bool:
    """Whether a refund already asked for the payment's recorded invoices to be removed."""
    return payment.transitions.filter(note__startswith=UNDO_ASKED).exists()


def undo_whole(payment: Payment) -> bool:
    """Whether a payment with a person is known, invoice by invoice, to be recorded in SmartISP
    or not: some recorded, and none that a pagar_factura of ours may have reached unseen."""
    return (
        payment.status == S.NEEDS_REVIEW
        and payment.items.filter(outcome__in=RECORDED_OUTCOMES).exists()
        and not items_unsure(payment)
    )


def payment_check(payment: Payment, *, source: str = "status query") -> str:
    """Ask the gateway what became of the payment's checkout and apply it. GatewayError passes."""
    if not payment.session_id:
        return "no checkout"
    status = get_gateway(payment.gateway).checkout_status(checkout_ref(payment))
    return payment_sync(payment, status, source=source)


def payment_cancel_return(payment: Payment) -> str:
    """The browser came back through cancel_url. That proves nothing: the gateway decides."""
    try:
        outcome = payment_check(payment, source="cancel return")
    except GatewayError as exc:
        logger.warning("payment %s: cannot confirm a cancel: %s", payment.reference, exc)
        return "unknown"
    if outcome == "open":
        moved = payment_move(
            payment,
            S.CANCELLED,
            allowed_from=(S.CREATED, S.PENDING),
            note="the subscriber left the checkout; the gateway has no payment",
        )
        return "cancelled" if moved else "unchanged"
    return outcome


def payment_abandon(payment: Payment) -> str:
    """The subscriber chose "start again": close the old checkout at the gateway so it can no
    longer be paid, and cancel it here. "paid" when the gateway says it was paid after all (it
    is captured now), else "cancelled" (or "unchanged" when it had moved on already).

    A gateway that cannot expire it, or cannot be reached, does not keep the subscriber waiting:
    should the old checkout be paid later, that capture is refunded (capture_superseded)."""
    if payment.status not in UNFINISHED:
        return "unchanged"
    note = STARTED_AGAIN
    closed_before = payment.transitions.filter(note__startswith=STARTED_AGAIN).exists()
    if payment.session_id and payment.gateway != TRANSFER_GATEWAY and not closed_before:
        try:
            get_gateway(payment.gateway).checkout_expire(checkout_ref(payment))
            note += "; the checkout was expired at the gateway"
        except GatewayError as exc:
            logger.warning("payment %s: not expired: %s", payment.reference, exc.message)
            try:
                if payment_check(payment, source="start again") in ("captured", "duplicate"):
                    return "paid"
            except GatewayError:
                pass
            note += f"; the gateway did not expire the checkout ({exc.message})"
    moved = payment_move(payment, S.CANCELLED, allowed_from=(S.CREATED, S.PENDING), note=note)
    if moved is None and Payment.objects.get(pk=payment.pk).status != S.CANCELLED:
        return "unchanged"
    if moved is None and not closed_before:
        payment_note(Payment.objects.get(pk=payment.pk), note)
    return "cancelled"


def payment_return(gateway: str, info: ReturnInfo) -> str:
    """A browser came back through /billing/return/<gateway>/ with what the gateway put on its
    way (PayPhone: its transaction id, which must be confirmed within 5 minutes or the payment is
    reversed). Ask the gateway, server to server, whoever the browser belongs to: nobody needs to
    be signed in, and the answer says nothing to the browser. Repeating it is harmless."""
    payment = Payment.objects.filter(gateway=gateway, reference=info.reference).first()
    if payment is None:
        return "no payment"
    if payment.status not in RETURNABLE or not payment.session_id:
        return "unchanged"
    try:
        status = get_gateway(gateway).checkout_status(checkout_ref(payment, data=info.data))
    except GatewayRejected as exc:
        # The gateway disowns what the browser brought (a mistyped or made-up id): keep none of
        # it, so it can never replace an id that works.
        logger.warning("payment %s: the gateway refused a return: %s", payment.reference, exc)
        return "refused"
    except GatewayError as exc:
        # Kept, so the reconciler confirms with it as soon as the gateway answers again.
        gateway_data_keep(payment, info.data)
        logger.warning("payment %s: cannot confirm a return: %s", payment.reference, exc)
        return "unknown"
    gateway_data_keep(payment, info.data)
    return payment_sync(payment, status, source="browser return")


def gateway_data_keep(payment: Payment, data: Mapping[str, Any]) -> None:
    """Add what a gateway needs to look the checkout up again to the payment's gateway_data."""
    if not data:
        return
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=payment.pk)
        row.gateway_data = {**(row.gateway_data or {}), **data}
        row.save(update_fields=["gateway_data", "updated_at"])
    payment.refresh_from_db()


def settle_retry_allowed(payment: Payment) -> bool:
    """Whether an operator may send the payment back to settlement: with a person, its capture
    sound (the amount and currency asked for), and no refund asked for since."""
    return (
        payment.status == S.NEEDS_REVIEW
        and bool(payment.transaction_id)
        and payment.captured_at is not None
        and payment.refund_requested_at is None
        and payment.captured_amount == payment.amount
        and payment.captured_currency == payment.currency
    )


def payment_settle_retry(payment: Payment, *, by: str) -> bool:
    """An operator's "retry settlement" of a needs_review payment whose capture is sound: its
    invoices not recorded yet are read again and recorded; those recorded stay as they are.

    Decided on the locked row, not on the caller's copy: the admin loads its rows before acting
    on them, and a refund that arrives in between must win (its removals are already queued)."""
    if not settle_retry_allowed(payment):
        return False
    try:
        with transaction.atomic():
            if not settle_retry_allowed(Payment.objects.select_for_update().get(pk=payment.pk)):
                return False
            moved = payment_move(
                payment,
                S.CAPTURED,
                allowed_from=(S.NEEDS_REVIEW,),
                note=f"settlement retry requested by {by}",
                next_attempt_at=timezone.now(),
                claimed_until=None,
                claim_token="",
                last_error="",
            )
            if moved is not None:
                PaymentInvoice.objects.filter(payment=moved, outcome__in=PROBLEM_OUTCOMES).update(
                    outcome=ItemOutcome.PENDING, note=""
                )
                settlement_enqueue(moved.pk)
    except IntegrityError:
        # Another payment covers one of its invoices now: nothing to retry.
        return False
    return moved is not None
