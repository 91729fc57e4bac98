"""Template tags of online payments: the payment an invoice page should mention."""

from django import template

from billing.ledger import payment_in_progress
from billing.models import Payment

register = template.Library()


@register.simple_tag(takes_context=True)
def invoice_payment(context: template.Context, invoice) -> Payment | None:
    """The signed-in subscriber's payment of `invoice` that is under way or done, if any."""
    request = context.get("request")
    user = getattr(request, "user", None)
    client_id = getattr(user, "smartisp_id", None)
    if client_id is None or invoice is None or getattr(request, "has_payments", True) is False:
        return None
    payment = payment_in_progress(client_id, invoice.id)
    return payment if payment is not None and payment.user_id == user.pk else None


@register.filter
def join_numbers(invoices) -> str:
    """Invoice numbers as a sentence lists them: "4619, 4624"."""
    return ", ".join(str(getattr(i, "num_bill", i)) for i in invoices)
