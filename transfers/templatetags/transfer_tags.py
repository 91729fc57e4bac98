"""Template tags of bank transfers: the report an invoice is waiting on, the provider's accounts."""

from django import template

from transfers.banks import bank_accounts as configured_accounts
from transfers.services import reports_waiting

register = template.Library()


@register.simple_tag(takes_context=True)
def transfer_waiting(context: template.Context, invoice):
    """The signed-in subscriber's report under review that covers `invoice`, if any (one query
    per request, however many invoices the page shows)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if invoice is None or user is None or not user.is_authenticated:
        return None
    waiting = getattr(request, "_transfers_waiting", None)
    if waiting is None:
        waiting = reports_waiting(user)
        request._transfers_waiting = waiting
    return waiting.get(invoice.num_bill)


@register.simple_tag
def bank_accounts():
    return configured_accounts()
