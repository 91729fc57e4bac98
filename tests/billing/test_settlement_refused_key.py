"""Settlement when SmartISP refuses the key with HTTP 200 {"message": "Unauthenticated."}
(smartisp-field-notes.md): the invoice is not "gone", nobody is alerted about a missing invoice,
and the payment waits for the key to be fixed; an alert after 72 hours says the key was refused."""

import pytest
from django.core import mail

from billing.models import PaymentStatus, SettlementAttempt
from billing.settlement import payment_settle
from tests.billing import payment_helpers
from tests.billing.payment_helpers import NUM_BILL, calls_to, payment_make, payment_of
from tests.conftest import api

clock = payment_helpers.clock  # the fixture


@pytest.fixture
def captured(subscriber, clock, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    return payment_make(subscriber, PaymentStatus.CAPTURED)


def refuse_key(smartisp):
    smartisp.get(api(f"getInvoiceCliente/{NUM_BILL}"), json={"message": "Unauthenticated."})


def test_a_refused_key_is_retried_not_sent_to_review_as_a_missing_invoice(captured, smartisp):
    refuse_key(smartisp)

    assert payment_settle(captured.pk) == "retry"

    assert payment_of(captured).status == PaymentStatus.CAPTURED
    assert calls_to(smartisp, "pagar_factura") == []
    (attempt,) = SettlementAttempt.objects.filter(payment=captured)
    assert "SmartISP refused the API key" in attempt.detail
    assert mail.outbox == []


def test_after_72_hours_the_operators_mail_says_the_key_was_refused(captured, smartisp, clock):
    refuse_key(smartisp)
    clock.advance(hours=73)

    payment_settle(captured.pk)

    assert payment_of(captured).status == PaymentStatus.NEEDS_REVIEW
    (alert,) = [m for m in mail.outbox if m.to != ["jaquego@gmail.com"]]
    assert "SmartISP refused the API key" in alert.body
    assert "cannot match the invoice" not in alert.body
