"""Told: the subscriber when their report is rejected (on the worker, after the decision commits),
staff (ADMINS) once a day about reports waiting more than a day."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.billing.payment_helpers import queued, run_tasks
from tests.transfers.helpers import report_make
from transfers.notices import digest_send
from transfers.services import transfer_decide
from transfers.worker import digest_enqueue


def test_a_rejection_is_emailed_on_the_worker_with_the_reason(
    subscriber, staff, django_capture_on_commit_callbacks
):
    report = report_make(subscriber, reference="556677")

    with django_capture_on_commit_callbacks(execute=True):
        transfer_decide(report.pk, "reject", "The deposit is of another amount.", staff)
    assert mail.outbox == []  # not inside the request
    assert queued() == ["transfer_notify"]
    run_tasks()

    [notice] = mail.outbox
    assert notice.to == [subscriber.email]
    assert "556677" in notice.subject + notice.body
    assert "The deposit is of another amount." in notice.body
    assert f"http://testserver/billing/transfers/{report.pk}/" in notice.body


def test_the_rejection_is_in_the_subscribers_language(
    subscriber, staff, django_capture_on_commit_callbacks
):
    subscriber.language = "es"
    subscriber.save()
    report = report_make(subscriber)

    with django_capture_on_commit_callbacks(execute=True):
        transfer_decide(report.pk, "reject", "Monto distinto.", staff)
    run_tasks()

    assert "No pudimos registrar su transferencia" in mail.outbox[0].body


def test_a_mail_server_down_does_not_undo_the_decision(
    subscriber, staff, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.transfers.test_notices.BrokenBackend"
    report = report_make(subscriber)

    with django_capture_on_commit_callbacks(execute=True):
        transfer_decide(report.pk, "reject", "no", staff)
    run_tasks()

    report.refresh_from_db()
    assert report.status == "rejected"


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_staff_get_a_daily_digest_of_reports_waiting_over_a_day(subscriber):
    now = timezone.now()
    old = report_make(subscriber, reference="111", created_at=now - timedelta(days=2))
    report_make(subscriber, reference="222", created_at=now - timedelta(hours=3))

    assert digest_send(now) == 1
    assert digest_send(now + timedelta(hours=2)) == 0  # once a day

    [digest] = mail.outbox
    assert digest.to == ["ops@example.com"]
    assert f"http://testserver/staff/transfers/{old.pk}/" in digest.body
    assert "222" not in digest.body


def test_the_digest_names_another_bank_in_words(subscriber):
    now = timezone.now()
    report_make(subscriber, bank="other", account="", created_at=now - timedelta(days=2))

    assert digest_send(now) == 1

    [digest] = mail.outbox
    assert "Another bank or a deposit point 0012345" in digest.body
    assert " other " not in digest.body


@pytest.mark.parametrize("waiting", [False, True])
def test_no_digest_when_nothing_waits_long(subscriber, waiting):
    if waiting:
        report_make(subscriber, created_at=timezone.now() - timedelta(hours=1))

    assert digest_send() == 0
    assert mail.outbox == []


def test_the_worker_queues_the_digest_and_runs_it(subscriber):
    report_make(subscriber, created_at=timezone.now() - timedelta(days=3))

    assert digest_enqueue() is True
    assert digest_enqueue() is False  # one waiting is enough
    run_tasks()

    assert len(mail.outbox) == 1


def test_a_rejection_reaches_a_whatsapp_subscriber_on_whatsapp_in_their_language(
    subscriber, staff, settings, smartisp, django_capture_on_commit_callbacks
):
    from tests.messaging.shapes import WA_MESSAGES, WA_NOTICE_TEMPLATE, use_whatsapp, wa_accepted

    use_whatsapp(settings)
    settings.WHATSAPP_NOTICE_TEMPLATE = WA_NOTICE_TEMPLATE
    subscriber.email, subscriber.phone, subscriber.channel = "", "+593991234567", "whatsapp"
    subscriber.language = "es"
    subscriber.save()
    smartisp.post(WA_MESSAGES, json=wa_accepted("+593991234567"))
    report = report_make(subscriber, reference="445566")

    with django_capture_on_commit_callbacks(execute=True):
        transfer_decide(report.pk, "reject", "Monto distinto.", staff)
    assert queued() == ["notice_send"]  # messaging's send, not our own email task
    run_tasks()

    [sent] = [c for c in smartisp.calls if c.request.url == WA_MESSAGES]
    text = json.loads(sent.request.body)["template"]["components"][0]["parameters"][0]["text"]
    assert "445566" in text and "Monto distinto." in text
    assert f"http://testserver/billing/transfers/{report.pk}/" in text
    assert mail.outbox == []


def test_an_approval_sends_no_notice_of_its_own(subscriber, staff, monkeypatch):
    # The subscriber hears of it by the receipt, once SmartISP has recorded the payment.
    monkeypatch.setattr("transfers.handoff.transfer_payment_open", lambda report, by: None)
    report = report_make(subscriber, reference="445567")

    transfer_decide(report.pk, "approve", "", staff)

    assert queued() == []
