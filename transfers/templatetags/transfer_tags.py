"""Template tags of bank transfers: the report an invoice is waiting on, the provider's accounts."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext

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


@register.filter
def ago(when: datetime) -> str:
    """How long ago `when` was, as a queue says it: under a minute is "just now", never the
    "0 minutes ago" timesince gives."""
    if timezone.now() - when < timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(when)s ago") % {"when": timesince(when)}


@register.filter
def unbroken(reference: str) -> str:
    """A bank reference marked up to stay on one line where it fits: "BG-20261201-77" would
    otherwise break at its hyphens (transfers.css, .transfer-ref)."""
    return format_html('<span class="transfer-ref">{}</span>', reference)
