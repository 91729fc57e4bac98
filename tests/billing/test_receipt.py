"""The receipt: worth keeping. Subscriber's name, each invoice and its amount, the way paid, the
date and time, the gateway's transaction id and the portal's reference, on the page (printable)
and in the email; its markup is one include the PDF reuses."""

import re
from decimal import Decimal

from django.core import mail

from billing.models import PaymentStatus
from billing.payment_emails import receipt_send
from tests.billing import payment_helpers
from tests.billing.payment_helpers import TXN, payment_make

clock = payment_helpers.clock  # the fixture

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ITEMS = [(0, "3112", Decimal("330.00")), (4585, "4624", Decimal("21.51"))]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_receipt_page_says_everything_a_subscriber_keeps(subscriber_client, subscriber, clock):
    subscriber.name = "Shiguango Jaque"
    subscriber.save()
    payment = payment_make(subscriber, PaymentStatus.SETTLED, items=ITEMS)

    html = subscriber_client.get(f"/billing/payments/{payment.reference}/", **EN).content.decode()
    page = text(html)

    assert "Receipt" in page
    assert "Subscriber Shiguango Jaque" in page
    assert "3112 $330.00" in page and "4624 $21.51" in page
    assert "Total paid $351.51" in page
    assert "Paid with Sandbox" in page
    assert "10 Mar 2026, 10:00" in page  # 15:00 UTC, in Guayaquil
    assert f"Transaction {TXN}" in page
    assert f"Portal reference {payment.reference}" in page
    assert "data-print" in html
    assert 'class="receipt-body"' in html  # the include the PDF renders


def test_the_emailed_receipt_says_the_same(subscriber, clock):
    subscriber.language = "en"
    subscriber.name = "Shiguango Jaque"
    subscriber.save()
    payment = payment_make(subscriber, PaymentStatus.SETTLED, items=ITEMS)

    assert receipt_send(payment)

    (email,) = mail.outbox
    assert "3112, 4624" in email.subject
    for line in (
        "Subscriber: Shiguango Jaque",
        "Invoice 3112: $330.00",
        "Invoice 4624: $21.51",
        "Total paid: $351.51",
        "Paid with: Sandbox",
        f"Transaction: {TXN}",
        f"Portal reference: {payment.reference}",
    ):
        assert line in email.body
    assert "10 Mar 2026, 10:00" in email.body


def test_a_transfers_receipt_shows_the_bank_reference_not_the_ledgers_key(
    subscriber_client, subscriber, clock
):
    # An approved transfer: its ledger id carries the bank (one rule for duplicates), SmartISP
    # and the subscriber get the reference the bank printed.
    payment = payment_make(
        subscriber,
        PaymentStatus.SETTLED,
        items=ITEMS,
        gateway="transfer",
        session_id="",
        way_to_pay="Transferencia bancaria",
        transaction_id="banco pichincha:BP4455",
        gateway_data={"id_pago": "BP4455"},
    )

    page = text(
        subscriber_client.get(f"/billing/payments/{payment.reference}/", **EN).content.decode()
    )
    assert receipt_send(payment)

    assert "Transaction BP4455" in page and "banco pichincha:" not in page
    assert "Paid with Bank transfer or deposit" in page  # not SmartISP's Spanish label
    (email,) = mail.outbox
    assert "Transaction: BP4455" in email.body and "banco pichincha:" not in email.body
    es = subscriber_client.get(f"/billing/payments/{payment.reference}/", HTTP_ACCEPT_LANGUAGE="es")
    es = text(es.content.decode())
    assert "Transferencia bancaria o depósito" in es
