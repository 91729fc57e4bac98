"""A payment's own words: its "Paid" badge is a payment's (masculine in Spanish, "Pagado"), not
the invoice's "Pagada" that SmartISP's invoices and the invoice badge use."""

import re

from billing.models import PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import payment_make

clock = payment_helpers.clock  # the fixture

ES = {"HTTP_ACCEPT_LANGUAGE": "es"}


def badges(html: str) -> list[str]:
    return re.findall(r'<span class="badge[^"]*">([^<]*)</span>', html)


def test_a_settled_payments_badge_is_not_the_invoices_feminine_word(
    subscriber_client, subscriber, clock
):
    payment = payment_make(subscriber, PaymentStatus.SETTLED)

    html = subscriber_client.get(f"/billing/payments/{payment.reference}/", **ES).content.decode()

    assert badges(html) and "Pagada" not in badges(html) and "Pagado" in badges(html)
