"""Where a transfer report meets the payment ledger (billing): the only module here that knows it.

An approved report becomes one ledger payment covering the report's invoices, already captured
(staff saw the money arrive), with way_to_pay "Transferencia bancaria", the bank reference as the
transaction id and the day the subscriber paid; the shared settlement then records it in
SmartISP exactly as it records a card payment (status and total read first, retried when
SmartISP is down).
"""

from accounts.models import User
from portal.smartisp.records import Invoice

WAY_TO_PAY = "Transferencia bancaria"
GATEWAY = "transfer"


class InvoiceTaken(Exception):
    """One of the report's invoices is already held by another payment (a card payment made
    while the report waited): approving would pay it twice."""


def invoice_paying(user: User, invoice: Invoice) -> bool:
    """Whether a payment in the ledger already holds the invoice (under way, captured or paid)."""
    from billing.ledger import payment_in_progress

    return payment_in_progress(user.smartisp_id, invoice.id) is not None


def transfer_payment_open(report, *, by: User):
    """Open the ledger payment of an approved report, inside the caller's transaction, and queue
    its settlement for when that commits."""
    raise NotImplementedError("needs issue 14's multi-invoice ledger")
