"""Where a transfer report meets the payment ledger (billing): the only module here that knows it.

An approved report becomes one ledger payment covering the report's invoices, already captured
(staff saw the money arrive), with way_to_pay "Transferencia bancaria", the bank reference as
id_pago and the day the subscriber paid as the date (billing.ledger.payment_received). The shared
settlement then records it in SmartISP exactly as it records a card payment: each invoice's
status and total read first, retried with backoff while SmartISP is down, and the subscriber's
emailed receipt once it is recorded.
"""

from datetime import date
from decimal import Decimal

from accounts.models import User
from portal.smartisp.records import Invoice, InvoiceStatus

WAY_TO_PAY = "Transferencia bancaria"


class InvoiceTaken(Exception):
    """One of the report's invoices is already held by another payment (a card payment made
    while the report waited): approving would pay it twice."""


class ReferenceTaken(Exception):
    """The ledger already holds a transfer with this bank and reference."""


def invoice_paying(user: User, invoice: Invoice) -> bool:
    """Whether a payment in the ledger already holds the invoice (under way, captured or paid)."""
    from billing.ledger import payment_in_progress

    return payment_in_progress(user.smartisp_id, invoice.id) is not None


def report_invoices(report) -> list[Invoice]:
    """The report's invoices as SmartISP showed them when reported: their totals are what the
    subscriber paid for, and settlement compares each with SmartISP's total before recording."""
    return [
        Invoice(
            id=int(item["invoice_id"]),
            num_bill=str(item["num_bill"]),
            period=None,
            start_date=None,
            release_date=None,
            expiration_date=date.fromisoformat(item["due"]) if item.get("due") else None,
            cortado_date=None,
            paid_on=None,
            cost=Decimal(item["total"]),
            iva_rate=Decimal(0),
            total_pay=Decimal(item["total"]),
            status=InvoiceStatus.UNPAID,
            client_id=report.client_id,
            client_name="",
        )
        for item in report.invoices
    ]


def transaction_key(report) -> str:
    """The ledger's transaction id of an approved report: its bank and its reference, both as
    the approved-once rule compares them (transfers.services), so that the ledger's unique
    transaction id refuses exactly what that rule refuses, and no more."""
    return f"{report.bank_key}:{report.reference_key}"


def transfer_payment_open(report, *, by: User):
    """Open the ledger payment of an approved report inside the caller's transaction; its
    settlement is queued in that same transaction (the database queue commits it with it).
    Raises InvoiceTaken or ReferenceTaken when the ledger refuses it."""
    from billing.ledger import (
        InvoiceNotPayable,
        PaymentDuplicate,
        PaymentInProgress,
        payment_received,
    )
    from billing.models import PaymentSource

    try:
        return payment_received(
            report.user,
            report_invoices(report),
            source=PaymentSource.TRANSFER,
            way_to_pay=WAY_TO_PAY,
            transaction_id=transaction_key(report),
            id_pago=report.reference,
            paid_on=report.paid_on,
            note=f"transfer report {report.pk} approved by {by.get_username()}",
        )
    except PaymentDuplicate:
        raise ReferenceTaken(report.reference) from None
    except (PaymentInProgress, InvoiceNotPayable):
        raise InvoiceTaken(report.pk) from None
