"""Bank transfer reports: what can be reported, reporting one, and the staff decision.

A report is only the subscriber's word: it puts nothing in the ledger. The one decision on it is
taken under a row lock in one short transaction with no SmartISP call inside; an approval hands the
report to the ledger (transfers.handoff), whose settlement records it in SmartISP on the worker.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Channel, User
from messaging.notify import TRANSFER_OUTCOME, subscriber_channel, subscriber_notify
from portal.smartisp import cache
from portal.smartisp.errors import SmartISPError
from portal.smartisp.records import Invoice
from transfers import handoff
from transfers.banks import bank_key
from transfers.models import Decision, TransferReport, TransferStatus
from transfers.receipts import Receipt

logger = logging.getLogger(__name__)

S = TransferStatus


class ReportRefused(Exception):
    """The report cannot be taken as it is; `field` names the form field to show `message` on."""

    def __init__(self, message, field: str | None = None, report: TransferReport | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.report = report


def reference_key(reference: str) -> str:
    """A bank reference as the approved-once check compares it: "0012-3456 7" is "001234567"."""
    return re.sub(r"[^0-9A-Za-z]", "", reference).upper()


def invoices_oldest_first(invoices: list[Invoice]) -> list[Invoice]:
    return sorted(
        invoices,
        key=lambda i: (
            i.expiration_date or i.release_date or date.max,
            i.release_date or date.max,
            i.id,
        ),
    )


def reportable_invoices(user: User) -> list[Invoice]:
    """The subscriber's unpaid invoices, oldest first (SmartISP errors pass: the 503 page)."""
    client_id = user.smartisp_id
    if client_id is None:
        return []
    unpaid = cache.unpaid_invoices(client_id)
    own = [i for i in unpaid if i.client_id in (None, client_id) and i.is_unpaid]
    return invoices_oldest_first(own)


def reports_waiting(user: User) -> dict[str, TransferReport]:
    """The subscriber's reports under review, by the num_bill of each invoice they cover."""
    waiting: dict[str, TransferReport] = {}
    reports = TransferReport.objects.filter(user=user, status=S.REVIEW).order_by("created_at")
    for report in reports:
        for num_bill in report.num_bills:
            waiting.setdefault(num_bill, report)
    return waiting


@dataclass(frozen=True)
class ReportRequest:
    """What the form's fields came to, checked."""

    invoices: list[Invoice]
    bank: str
    account: str
    reference: str
    paid_on: date
    amount: Decimal


def transfer_report(user: User, request: ReportRequest, receipt: Receipt) -> TransferReport:
    """Keep the subscriber's report and its receipt; ReportRefused says why not (and nothing is
    stored then)."""
    key = reference_key(request.reference)
    bank = bank_key(request.bank)
    same = TransferReport.objects.filter(bank_key=bank, reference_key=key)
    if same.filter(status=S.APPROVED).exists():
        raise ReportRefused(
            _("This bank reference was already recorded as a payment."), field="reference"
        )
    mine = same.filter(user=user, status=S.REVIEW).first()
    if mine is not None:
        raise ReportRefused(
            _("You already reported this transfer: it is under review."),
            field="reference",
            report=mine,
        )
    waiting = reports_waiting(user)
    taken = [i.num_bill for i in request.invoices if i.num_bill in waiting]
    if taken:
        raise ReportRefused(
            _("A transfer you reported for invoice %(num_bill)s is already under review.")
            % {"num_bill": taken[0]},
            field="invoices",
            report=waiting[taken[0]],
        )
    paying = [i.num_bill for i in request.invoices if handoff.invoice_paying(user, i)]
    if paying:
        raise ReportRefused(
            _("Invoice %(num_bill)s is already paid or being paid online.")
            % {"num_bill": paying[0]},
            field="invoices",
        )
    report = TransferReport(
        user=user,
        client_id=user.smartisp_id,
        invoices=[
            {
                "num_bill": i.num_bill,
                "invoice_id": i.id,
                "total": str(i.total_pay),
                "due": i.expiration_date.isoformat() if i.expiration_date else None,
            }
            for i in request.invoices
        ],
        bank=request.bank,
        bank_key=bank,
        account=request.account,
        reference=request.reference,
        reference_key=key,
        paid_on=request.paid_on,
        amount=request.amount,
        receipt_type=receipt.content_type,
        receipt_size=len(receipt.content),
        receipt_pages=receipt.pages,
        created_at=timezone.now(),
    )
    # Stored first, under a random name; removed again if the row cannot be written.
    report.receipt.save(f"receipt.{receipt.extension}", ContentFile(receipt.content), save=False)
    try:
        report.save()
    except Exception:
        report.receipt.storage.delete(report.receipt.name)
        raise
    logger.info("transfer report %s by account %s", report.pk, user.pk)
    return report


def report_saved(sender: type, instance: TransferReport, **kwargs: object) -> None:
    """post_save: the subscriber's pages say "transfer under review" or not, so their kept pages
    and cached answers are dropped now and at commit (see billing.ledger.payment_saved)."""
    client_id = instance.client_id
    cache.forget(client_id)
    transaction.on_commit(lambda: cache.forget(client_id))


# -- staff -------------------------------------------------------------------------------------


def staff_queue():
    """Reports waiting for a decision, oldest first."""
    return (
        TransferReport.objects.filter(status=S.REVIEW)
        .select_related("user")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class StaffView:
    report: TransferReport
    unpaid: list[Invoice] | None  # None: SmartISP did not answer
    unpaid_total: Decimal | None
    reported_unpaid: bool | None  # every reported invoice still unpaid, at the reported total
    same_reference: list[TransferReport]


def staff_view(report: TransferReport) -> StaffView:
    """The report with the subscriber's unpaid invoices now, for the staff member deciding.
    SmartISP being down leaves the invoices out; the decision can still be taken."""
    try:
        unpaid = invoices_oldest_first(
            [
                i
                for i in cache.unpaid_invoices(report.client_id)
                if i.client_id in (None, report.client_id) and i.is_unpaid
            ]
        )
    except SmartISPError as exc:
        logger.warning("unpaid invoices of client %s unavailable: %s", report.client_id, exc)
        unpaid = None
    if unpaid is None:
        total = reported_unpaid = None
    else:
        total = sum((i.total_pay for i in unpaid), Decimal("0.00"))
        now = {i.num_bill: i.total_pay for i in unpaid}
        reported_unpaid = all(
            now.get(str(item["num_bill"])) == Decimal(item["total"]) for item in report.invoices
        )
    # The same reference at any bank: at the same one the rule refuses it; at another (or
    # "another bank", which no rule can check) it may be one transfer reported twice: staff see.
    same = list(
        TransferReport.objects.filter(reference_key=report.reference_key)
        .exclude(pk=report.pk)
        .select_related("user")
        .order_by("created_at")
    )
    return StaffView(report, unpaid, total, reported_unpaid, same)


@dataclass(frozen=True)
class Decided:
    outcome: str  # "approved", "rejected", "already decided", "duplicate", "invoice taken"
    report: TransferReport


def transfer_decide(pk: int, decision: str, reason: str, by: User) -> Decided:
    """Approve or reject a report, once whoever clicks and however often.

    The report's row is locked and its status checked in one short transaction; an approval
    opens the ledger payment in that same transaction (no SmartISP call in it), and settlement
    and the subscriber's notice are queued when it commits."""
    from transfers import tasks

    now = timezone.now()
    try:
        with transaction.atomic():
            report = TransferReport.objects.select_for_update().get(pk=pk)
            if report.status != S.REVIEW:
                return Decided("already decided", report)
            if decision == Decision.APPROVE:
                approved = TransferReport.objects.filter(
                    bank_key=report.bank_key,
                    reference_key=report.reference_key,
                    status=S.APPROVED,
                ).exclude(pk=report.pk)
                if approved.exists():
                    return Decided("duplicate", report)
                report.status = S.APPROVED
                report.payment = handoff.transfer_payment_open(report, by=by)
            else:
                report.status = S.REJECTED
            report.reason = reason
            report.decided_by = by
            report.decided_at = now
            report.save()
            outcome_notify(report, tasks)
    except handoff.InvoiceTaken:
        return Decided("invoice taken", TransferReport.objects.get(pk=pk))
    except handoff.ReferenceTaken:
        return Decided("duplicate", TransferReport.objects.get(pk=pk))
    except IntegrityError:
        # Another report with this bank and reference was approved at the same moment.
        return Decided("duplicate", TransferReport.objects.get(pk=pk))
    logger.info("transfer report %s %s by staff %s", report.pk, report.status, by.pk)
    return Decided(report.status, report)


def outcome_notify(report: TransferReport, tasks) -> None:
    """Tell the subscriber of a rejection, once the decision commits: on the phone channel they
    signed in by (messaging), else by our own email, as billing's receipt does. An approval's
    notice is the receipt settlement sends once SmartISP has recorded the payment."""
    if report.status != S.REJECTED:
        return
    if subscriber_channel(report.user) not in ("", Channel.EMAIL):
        subscriber_notify(
            report.user,
            TRANSFER_OUTCOME,
            {
                "approved": False,
                "reference": report.reference,
                "reason": report.reason,
                "report_url": settings.PORTAL_URL + reverse("transfers:detail", args=[report.pk]),
            },
        )
        return
    transaction.on_commit(lambda: tasks.transfer_notify.enqueue(report.pk))


def reports_overdue(older_than) -> list[TransferReport]:
    """Reports still waiting that were made before `older_than`, oldest first."""
    return list(
        TransferReport.objects.filter(Q(status=S.REVIEW) & Q(created_at__lt=older_than))
        .select_related("user")
        .order_by("created_at", "pk")
    )
