"""Looking up the signed-in subscriber's invoices: only ever in their own lists."""

from django.http import Http404

from accounts.models import User
from portal.smartisp import cache
from portal.smartisp.parallel import gather
from portal.smartisp.records import Invoice


def invoices_of(user: User) -> tuple[list[Invoice], list[Invoice]]:
    """(unpaid, paid) for this subscriber, fetched in parallel and cached briefly."""
    client_id = user.smartisp_id
    if client_id is None:
        return [], []
    results = gather(
        unpaid=lambda: cache.unpaid_invoices(client_id),
        paid=lambda: cache.paid_invoices(client_id),
    )
    return results["unpaid"], results["paid"]


def invoice_find(user: User, num_bill: str) -> Invoice:
    """The subscriber's invoice numbered `num_bill`; another subscriber's is the same 404 as none."""
    unpaid, paid = invoices_of(user)
    for invoice in (*unpaid, *paid):
        if invoice.num_bill == num_bill and invoice.client_id in (None, user.smartisp_id):
            return invoice
    raise Http404("no such invoice")
