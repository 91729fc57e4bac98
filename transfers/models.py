"""Reports of bank transfers and deposits, and the staff decision on each.

A report is the subscriber's word; only an approval puts money in the ledger (billing's Payment,
made by transfers.handoff). One decision per report: the decision is taken under a row lock
(transfers.services.transfer_decide), and a bank and reference can be approved once only (a
unique constraint on approved reports).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from transfers.banks import OTHER, OTHER_LABEL


class TransferStatus(models.TextChoices):
    REVIEW = "review", _("under review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


# Ledger payment statuses (billing.models.PaymentStatus) on their way to SmartISP, by settlement.
PAYMENT_RECORDING = frozenset({"created", "pending", "captured"})


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


def receipt_name(instance: "TransferReport", filename: str) -> str:
    """A random name under receipts/: the subscriber's file name never reaches the storage."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"receipts/{secrets.token_urlsafe(24)}.{extension}"


class TransferReport(models.Model):
    """A subscriber's "I paid by transfer": which invoices, how much, when, and the receipt."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.PROTECT,
        related_name="transfer_reports",
    )
    client_id = models.PositiveBigIntegerField(_("SmartISP client id"), db_index=True)
    # [{"num_bill", "invoice_id", "total"}], oldest first, as SmartISP showed them when reported.
    invoices = models.JSONField(_("invoices"), default=list)
    bank = models.CharField(_("bank"), max_length=100)
    bank_key = models.CharField(max_length=100, editable=False)
    account = models.CharField(_("account paid into"), max_length=60, blank=True)
    reference = models.CharField(_("bank reference"), max_length=40)
    reference_key = models.CharField(max_length=40, editable=False)
    paid_on = models.DateField(_("date paid"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    receipt = models.FileField(_("receipt"), upload_to=receipt_name, max_length=200)
    receipt_type = models.CharField(_("receipt type"), max_length=40)
    receipt_size = models.PositiveIntegerField(_("receipt size (bytes)"))
    receipt_pages = models.PositiveSmallIntegerField(_("receipt pages"), default=1)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TransferStatus.choices,
        default=TransferStatus.REVIEW,
        db_index=True,
    )
    created_at = models.DateTimeField(_("reported"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_decisions",
    )
    reason = models.TextField(_("reason given"), blank=True)
    # The ledger payment an approval opened: settlement records it in SmartISP.
    payment = models.OneToOneField(
        "billing.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfer_report",
    )

    class Meta:
        verbose_name = _("transfer report")
        verbose_name_plural = _("transfer reports")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_key", "reference_key"],
                condition=Q(status="approved"),
                name="transfer_unique_approved_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.reference}"

    @property
    def num_bills(self) -> list[str]:
        return [str(item["num_bill"]) for item in self.invoices]

    @property
    def bank_name(self) -> str:
        """The bank as people read it: "other" in the reader's language, else as reported."""
        return str(OTHER_LABEL) if self.bank == OTHER else self.bank

    @property
    def is_image(self) -> bool:
        return self.receipt_type.startswith("image/")

    @property
    def state(self) -> str:
        """What the subscriber's page says: "review", "rejected", or for an approval what became
        of the ledger payment it opened: "recorded" (SmartISP has it), "recording" (settlement
        is on it) or "checking" (settlement stopped for a person: a total changed, a refusal)."""
        if self.status != TransferStatus.APPROVED:
            return self.status
        payment = self.payment
        if payment is not None and payment.status == "settled":
            return "recorded"
        if payment is None or payment.status in PAYMENT_RECORDING:
            return "recording"
        return "checking"


class DigestSent(models.Model):
    """One row per day the staff digest went out: one digest a day, however many workers."""

    day = models.DateField(_("day"), unique=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    waiting = models.PositiveIntegerField(_("reports listed"), default=0)

    class Meta:
        verbose_name = _("staff digest sent")
        verbose_name_plural = _("staff digests sent")

    def __str__(self) -> str:
        return str(self.day)
