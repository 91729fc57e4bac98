"""Which of the signed-in subscriber's invoices a transfer report under review covers, asked once
per request: the dashboard's pay-all, the invoice list and every Pay button read the same answer."""

from django.http import HttpRequest

from transfers.models import TransferReport
from transfers.services import reports_waiting


def waiting_of(request: HttpRequest) -> dict[str, TransferReport]:
    """The subscriber's reports under review by num_bill (transfers.services.reports_waiting),
    kept on the request: one query however many places ask."""
    waiting = getattr(request, "_transfers_waiting", None)
    if waiting is None:
        user = getattr(request, "user", None)
        waiting = reports_waiting(user) if user is not None and user.is_authenticated else {}
        request._transfers_waiting = waiting
    return waiting
