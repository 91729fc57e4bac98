"""The payment ledger (DESIGN.md section 7): payments, the invoices each covers, gateway events,
settlement attempts.

A payment is money that came in once (a gateway checkout, or a bank transfer staff approved); it
covers one or more invoices (PaymentInvoice), each recorded in SmartISP on its own. Nothing here is
ever deleted and every change of a payment's status leaves a PaymentTransition. Exactly-once rests
on the database: unique gateway event ids, unique transaction ids, at most one active payment per
invoice, and claims taken with conditional UPDATEs (see billing/settlement.py).
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def reference_new() -> str:
    """An unguessable payment reference: it is the only key of the payment page's URL."""
    return secrets.token_urlsafe(16)


def now() -> datetime:
    # Looked up at call time so tests can move the clock (django.utils.timezone.now).
    return timezone.now()


class LedgerQuerySet(models.QuerySet):
    def delete(self):  # type: ignore[override]
        raise PermissionError("the payment ledger is never deleted")


class LedgerModel(models.Model):
    """Rows of the ledger are kept forever: deleting one is a bug."""

    objects = LedgerQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise PermissionError("the payment ledger is never deleted")


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("created")
    PENDING = "pending", _("waiting for the gateway")
    CAPTURED = "captured", _("received, being recorded")
    SETTLED = "settled", _("paid")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    NEEDS_REVIEW = "needs_review", _("needs review")
    # Captured although another payment already holds its invoices (a superseded checkout
    # paid late): the money goes back through the gateway, SmartISP never hears of it.
    REFUNDING = "refunding", _("being returned")
    REFUNDED = "refunded", _("refunded")


class PaymentSource(models.TextChoices):
    """How the money came in. Every source settles through the same settlement."""

    CHECKOUT = "checkout", _("online checkout")
    TRANSFER = "transfer", _("bank transfer or deposit")


# At most one of these per invoice: a double tap, or a second tab, can never open a second checkout
# for an invoice that is being (or has been) paid. needs_review is left out on purpose: a late
# capture of an abandoned checkout must still be recordable, and it becomes needs_review.
ACTIVE_STATUSES = (
    PaymentStatus.CREATED,
    PaymentStatus.PENDING,
    PaymentStatus.CAPTURED,
    PaymentStatus.SETTLED,
)
# What the pay view treats as "already being paid" (no new checkout, a message instead).
IN_PROGRESS_STATUSES = (*ACTIVE_STATUSES, PaymentStatus.NEEDS_REVIEW)
FINAL_STATUSES = (
    PaymentStatus.SETTLED,
    PaymentStatus.FAILED,
    PaymentStatus.CANCELLED,
    PaymentStatus.NEEDS_REVIEW,
    PaymentStatus.REFUNDED,
)


class Payment(LedgerModel):
    """Money for one or more of a subscriber's invoices, each in full: one gateway checkout, or
    one approved bank transfer (source). Its invoices are `items`, oldest first."""

    reference = models.CharField(
        _("reference"), max_length=40, unique=True, default=reference_new, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    client_id = models.PositiveBigIntegerField(_("SmartISP client id"), db_index=True)
    source = models.CharField(
        _("source"), max_length=10, choices=PaymentSource.choices, default=PaymentSource.CHECKOUT
    )
    # SmartISP's way_to_pay for this payment; blank: the gateway's label (Gateway.way_to_pay).
    way_to_pay = models.CharField(_("way to pay"), max_length=40, blank=True)
    # The day the subscriber paid, when it is not the capture's (a transfer made days before).
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    gateway = models.CharField(_("gateway"), max_length=20)
    session_id = models.CharField(_("gateway checkout id"), max_length=200, null=True, blank=True)
    checkout_url = models.URLField(_("checkout URL"), max_length=1000, blank=True)
    # Adapter-specific data a gateway needs later (e.g. ids PayPhone returns to the browser).
    gateway_data = models.JSONField(_("gateway data"), default=dict, blank=True)
    transaction_id = models.CharField(
        _("gateway transaction id"), max_length=200, null=True, blank=True
    )
    captured_amount = models.DecimalField(
        _("amount captured"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    captured_currency = models.CharField(_("currency captured"), max_length=3, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.CREATED,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("settlement attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    settle_note = models.CharField(_("settlement note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    captured_at = models.DateTimeField(_("captured"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    refund_requested_at = models.DateTimeField(_("refund requested"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    # When settlement (or a refund) may next be tried; the reconciler re-queues overdue ones.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A worker owns the payment's SmartISP write until claimed_until; a killed worker's claim
    # simply expires and another worker finishes the job.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "session_id"],
                condition=Q(session_id__isnull=False),
                name="payment_unique_gateway_session",
            ),
            models.UniqueConstraint(
                fields=["gateway", "transaction_id"],
                condition=Q(transaction_id__isnull=False),
                name="payment_unique_gateway_transaction",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def settle_amount(self):
        """What the gateway captured (settlement records each invoice's share of it)."""
        return self.captured_amount if self.captured_amount is not None else self.amount

    def invoices(self) -> list["PaymentInvoice"]:
        """The invoices covered, oldest first (prefetched `items` are used when present)."""
        return sorted(self.items.all(), key=lambda item: item.position)

    @property
    def num_bills(self) -> list[str]:
        return [item.num_bill for item in self.invoices()]

    @property
    def id_pago(self) -> str:
        """What SmartISP records as the payment's id: the gateway's transaction id, or for a bank
        transfer the bank reference as given (kept in gateway_data: its transaction id carries
        the bank too; transfers approved before that have the reference as their id)."""
        given = (self.gateway_data or {}).get("id_pago")
        return str(given or self.transaction_id or self.reference)

    @property
    def way_paid_label(self) -> str:
        """How the subscriber paid, for the receipt in their language: a bank transfer by that
        name (SmartISP's label for it is Spanish), a card by its gateway's brand."""
        from billing.ledger import TRANSFER_GATEWAY

        if self.gateway == TRANSFER_GATEWAY:
            return str(_("Bank transfer or deposit"))
        return self.way_paid

    @property
    def way_paid(self) -> str:
        """How the subscriber paid, as SmartISP records it (the receipt says the same)."""
        if self.way_to_pay:
            return self.way_to_pay
        from billing.gateways import UnknownGateway, get_gateway

        try:
            return get_gateway(self.gateway).way_to_pay
        except UnknownGateway:
            return self.gateway


class ItemOutcome(models.TextChoices):
    """What became of one invoice of a payment in SmartISP."""

    PENDING = "pending", _("not recorded yet")
    RECORDED = "recorded", _("recorded (pagar_factura)")
    CONFIRMED = "confirmed", _("recorded, confirmed by the invoice's status")
    REFUSED = "refused", _("refused by SmartISP")
    PAID_ELSEWHERE = "paid_elsewhere", _("already paid another way")
    TOTAL_CHANGED = "total_changed", _("its total changed")
    NOT_MATCHED = "not_matched", _("not found in SmartISP")
    REFUNDED = "refunded", _("removed again (DeleteIvoicePay)")


# Outcomes after which the invoice is paid in SmartISP by this payment.
RECORDED_OUTCOMES = (ItemOutcome.RECORDED, ItemOutcome.CONFIRMED)
# Outcomes a person must look at: the invoice was not recorded, and the money is ours to return.
PROBLEM_OUTCOMES = (
    ItemOutcome.REFUSED,
    ItemOutcome.PAID_ELSEWHERE,
    ItemOutcome.TOTAL_CHANGED,
    ItemOutcome.NOT_MATCHED,
)


class PaymentInvoice(LedgerModel):
    """One invoice a payment covers, for its full total as it was when the checkout opened (its
    share of the payment), and what became of it in SmartISP.

    `holds` mirrors whether the payment is active (ACTIVE_STATUSES); billing.ledger.payment_move
    keeps it in step under the payment's row lock, and the unique constraint on it is what lets at
    most one active payment cover an invoice, across every process."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="items", verbose_name=_("payment")
    )
    position = models.PositiveSmallIntegerField(_("order (oldest first)"))
    client_id = models.PositiveBigIntegerField(_("SmartISP client id"))
    invoice_id = models.BigIntegerField(_("SmartISP invoice id"))  # 0 is a real id
    num_bill = models.CharField(_("invoice number"), max_length=40, db_index=True)
    amount = models.DecimalField(_("share"), max_digits=12, decimal_places=2)
    holds = models.BooleanField(_("holds the invoice"), default=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ItemOutcome.choices, default=ItemOutcome.PENDING
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice paid")
        verbose_name_plural = _("invoices paid")
        ordering = ["payment", "position"]
        # Every page that shows a subscriber's invoices asks which of them a payment covers.
        indexes = [models.Index(fields=["client_id", "invoice_id"], name="item_client_invoice")]
        constraints = [
            models.UniqueConstraint(fields=["payment", "position"], name="item_unique_position"),
            models.UniqueConstraint(fields=["payment", "invoice_id"], name="item_unique_invoice"),
            models.UniqueConstraint(
                fields=["client_id", "invoice_id"],
                condition=Q(holds=True),
                name="item_one_active_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return self.num_bill

    @property
    def is_recorded(self) -> bool:
        return self.outcome in RECORDED_OUTCOMES


class PaymentTransition(LedgerModel):
    """One change of a payment's status, and why."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("payment")
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class GatewayEvent(LedgerModel):
    """A verified gateway notification, stored as received before anything acts on it."""

    gateway = models.CharField(_("gateway"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=200)
    type = models.CharField(_("type"), max_length=100, blank=True)
    body = models.TextField(_("raw body"))
    verified = models.BooleanField(_("signature verified"), default=False)
    # What the verified event claims, kept for matching and for the admin's search.
    reference = models.CharField(_("reference"), max_length=200, blank=True, db_index=True)
    session_id = models.CharField(_("gateway checkout id"), max_length=200, blank=True)
    transaction_id = models.CharField(_("gateway transaction id"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    occurred_at = models.DateTimeField(_("sent by the gateway"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("payment"),
    )

    class Meta:
        verbose_name = _("gateway event")
        verbose_name_plural = _("gateway events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="gateway_event_unique_id")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id}"


class AttemptKind(models.TextChoices):
    PAY = "pay", _("pagar_factura")
    REFUND = "refund", _("DeleteIvoicePay")


class AttemptOutcome(models.TextChoices):
    OK = "ok", _("ok")
    UNKNOWN = "unknown", _("unknown (timeout, 5xx, connection lost)")
    REJECTED = "rejected", _("rejected")
    ERROR = "error", _("not applied, will retry")


class SettlementAttempt(LedgerModel):
    """One try at writing one invoice of a payment (or its refund) into SmartISP.

    `called` is set, and committed, before the SmartISP write goes out: a worker that dies mid-call
    leaves an attempt whose outcome is unknown, which is what lets the next worker read "paid" as
    our own earlier success rather than a payment made at the office.
    """

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="settlement_attempts"
    )
    item = models.ForeignKey(
        PaymentInvoice,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=_("invoice"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttemptKind.choices)
    started_at = models.DateTimeField(_("started"), default=now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    invoice_status = models.CharField(_("invoice status read"), max_length=20, blank=True)
    called = models.BooleanField(_("SmartISP write sent"), default=False)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=AttemptOutcome.choices, blank=True
    )
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("settlement attempt")
        verbose_name_plural = _("settlement attempts")
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome or 'in flight'}"
