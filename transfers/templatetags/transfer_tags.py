"""Template tags of bank transfers: the report an invoice is waiting on, the provider's accounts."""

from django import template

from transfers.banks import bank_accounts as configured_accounts
from transfers.waiting import waiting_of

register = template.Library()


@register.simple_tag(takes_context=True)
def transfer_waiting(context: template.Context, invoice):
    """The signed-in subscriber's report under review that covers `invoice`, if any (one query
    per request, however many invoices the page shows)."""
    request = context.get("request")
    if invoice is None or request is None:
        return None
    return waiting_of(request).get(invoice.num_bill)


@register.simple_tag
def bank_accounts():
    return configured_accounts()
