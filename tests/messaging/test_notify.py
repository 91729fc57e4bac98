"""Notices reach the subscriber on the channel they use (email, WhatsApp or SMS), in their
language: the receipt of a recorded payment and the outcome of a reported transfer."""

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import PaymentStatus
from billing.settlement import payment_settle
from messaging.notify import TRANSFER_OUTCOME, subscriber_channel, subscriber_notify
from tests.accounts.code_helpers import run_tasks
from tests.billing import payment_helpers
from tests.billing.payment_helpers import invoice_status, pay_ok, payment_make
from tests.messaging.shapes import (
    TW_MESSAGES,
    WA_MESSAGES,
    WA_NOTICE_TEMPLATE,
    WA_UNDELIVERABLE,
    tw_created,
    use_whatsapp,
    wa_accepted,
)

clock = payment_helpers.clock  # the fixture
E164 = "+593991234567"


@pytest.fixture(autouse=True)
def _whatsapp(settings):
    use_whatsapp(settings)
    settings.WHATSAPP_NOTICE_TEMPLATE = WA_NOTICE_TEMPLATE


@pytest.fixture
def by_phone(subscriber):
    """A subscriber who signed in by a WhatsApp code and has no email."""
    subscriber.email = ""
    subscriber.phone = E164
    subscriber.channel = "whatsapp"
    subscriber.language = "es"
    subscriber.save()
    return subscriber


def notice_texts(mock, url=WA_MESSAGES) -> list[str]:
    texts = []
    for call in mock.calls:
        if call.request.url == WA_MESSAGES == url:
            body = json.loads(call.request.body)
            texts.append(body["template"]["components"][0]["parameters"][0]["text"])
        elif call.request.url == TW_MESSAGES == url:
            texts.append(parse_qs(call.request.body)["Body"][0])
    return texts


def test_receipt_of_a_recorded_payment_reaches_a_whatsapp_subscriber_in_spanish(
    by_phone, smartisp, clock, django_capture_on_commit_callbacks
):
    payment = payment_make(by_phone, PaymentStatus.CAPTURED)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    smartisp.post(WA_MESSAGES, json=wa_accepted(E164))

    with django_capture_on_commit_callbacks(execute=True):
        assert payment_settle(payment.pk) == "settled"
    assert run_tasks() == ["notice_send"]

    (text,) = notice_texts(smartisp)
    assert text == (
        "Mi ISP: recibimos su pago de $21,51 de la factura 4624. ¡Gracias! Comprobante: "
        f"http://testserver/billing/payments/{payment.reference}/"
    )
    wa = next(c for c in smartisp.calls if c.request.url == WA_MESSAGES)
    assert json.loads(wa.request.body)["to"] == E164
    assert mail.outbox == []


def test_receipt_still_goes_by_email_to_a_subscriber_who_signed_up_by_email(
    subscriber, smartisp, clock
):
    subscriber.phone = E164  # a phone on file does not change their channel
    subscriber.channel = "email"
    subscriber.save()
    payment = payment_make(subscriber, PaymentStatus.CAPTURED)
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    assert payment_settle(payment.pk) == "settled"

    assert [m.to for m in mail.outbox] == [["jaquego@gmail.com"]]
    assert notice_texts(smartisp) == []


def test_notice_whatsapp_refuses_goes_by_sms_in_the_subscribers_language(
    by_phone, smartisp, django_capture_on_commit_callbacks
):
    by_phone.language = "en"
    by_phone.save()
    smartisp.post(WA_MESSAGES, status=400, json=WA_UNDELIVERABLE)
    smartisp.post(TW_MESSAGES, status=201, json=tw_created(E164))
    context = {
        "approved": False,
        "reference": "BP-778812",
        "reason": "the amount on the receipt is not the invoice's",
        "report_url": "http://testserver/billing/transfers/7/",
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert subscriber_notify(by_phone, TRANSFER_OUTCOME, context) == "whatsapp"
    assert run_tasks() == ["notice_send"]

    assert notice_texts(smartisp, TW_MESSAGES) == [
        "Mi ISP: your transfer BP-778812 was not approved: the amount on the receipt is not "
        "the invoice's. Details: http://testserver/billing/transfers/7/"
    ]


def test_phone_that_cannot_be_reached_falls_back_to_the_email_on_file(
    by_phone, smartisp, settings, django_capture_on_commit_callbacks
):
    use_whatsapp(settings, twilio=False)
    settings.WHATSAPP_NOTICE_TEMPLATE = WA_NOTICE_TEMPLATE
    by_phone.email = "luis@example.com"
    by_phone.save()
    smartisp.post(WA_MESSAGES, status=400, json=WA_UNDELIVERABLE)
    context = {"approved": True, "reference": "BP-1", "reason": "", "report_url": "http://x/"}

    with django_capture_on_commit_callbacks(execute=True):
        subscriber_notify(by_phone, TRANSFER_OUTCOME, context)
    run_tasks()

    (message,) = mail.outbox
    assert message.to == ["luis@example.com"]
    assert message.subject == "Mi ISP: su transferencia fue aprobada"
    assert "(referencia BP-1)" in message.body


def test_provider_down_retries_later_and_loses_nothing(
    by_phone, smartisp, settings, django_capture_on_commit_callbacks
):
    from unittest import mock

    use_whatsapp(settings, twilio=False)
    settings.WHATSAPP_NOTICE_TEMPLATE = WA_NOTICE_TEMPLATE
    smartisp.post(WA_MESSAGES, status=503, body="down")
    context = {"approved": True, "reference": "BP-1", "reason": "", "report_url": "http://x/"}

    with django_capture_on_commit_callbacks(execute=True):
        subscriber_notify(by_phone, TRANSFER_OUTCOME, context)
    assert run_tasks() == ["notice_send"]  # answered 503: queued again for later

    smartisp.replace("POST", WA_MESSAGES, json=wa_accepted(E164))
    later = timezone.now() + timedelta(minutes=6)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert run_tasks() == ["notice_send"]
    assert (
        notice_texts(smartisp)
        == [
            "Mi ISP: su transferencia BP-1 fue aprobada y registrada en sus facturas. "
            "Detalles: http://x/"
        ]
        * 2
    )  # the refused call and the one that went through


def test_notice_leaves_only_if_the_callers_transaction_commits(by_phone, smartisp, db):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    context = {"approved": True, "reference": "BP-1", "reason": "", "report_url": "http://x/"}
    with pytest.raises(RuntimeError), transaction.atomic():
        subscriber_notify(by_phone, TRANSFER_OUTCOME, context)
        raise RuntimeError("the decision was not saved")

    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize(
    ("channel", "phone", "email", "backend", "expected"),
    [
        ("whatsapp", E164, "a@example.com", "whatsapp", "whatsapp"),
        ("sms", E164, "", "twilio", "sms"),
        ("", E164, "a@example.com", "whatsapp", "email"),  # accounts made before channels
        ("email", E164, "a@example.com", "whatsapp", "email"),
        ("", E164, "", "whatsapp", "whatsapp"),
        ("whatsapp", E164, "a@example.com", "", "email"),  # phone channel switched off
        ("whatsapp", "", "", "whatsapp", ""),
    ],
)
def test_channel_follows_the_account(
    subscriber, settings, channel, phone, email, backend, expected
):
    settings.MESSAGING_BACKEND = backend
    subscriber.channel, subscriber.phone, subscriber.email = channel, phone, email
    assert subscriber_channel(subscriber) == expected
