"""Told: the subscriber when their report is rejected (on the worker, after the decision commits),
staff (ADMINS) once a day about reports waiting more than a day."""

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


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_with_the_phone_channel_the_decision_goes_through_subscriber_notify(
    subscriber, staff, monkeypatch, decision
):
    """The contract messaging.notify documents (issue 16): kind "transfer_outcome" with approved,
    reference, reason and report_url."""
    import sys
    import types

    calls = []
    fake = types.ModuleType("messaging.notify")
    fake.TRANSFER_OUTCOME = "transfer_outcome"
    fake.subscriber_notify = lambda user, kind, context: calls.append((user, kind, context))
    monkeypatch.setitem(sys.modules, "messaging", types.ModuleType("messaging"))
    monkeypatch.setitem(sys.modules, "messaging.notify", fake)
    monkeypatch.setattr("transfers.handoff.transfer_payment_open", lambda report, by: None)
    report = report_make(subscriber, reference="445566")

    transfer_decide(report.pk, decision, "no money" if decision == "reject" else "", staff)

    [(user, kind, context)] = calls
    assert (user, kind) == (subscriber, "transfer_outcome")
    assert context == {
        "approved": decision == "approve",
        "reference": "445566",
        "reason": "no money" if decision == "reject" else "",
        "report_url": f"http://testserver/billing/transfers/{report.pk}/",
    }
    assert queued() == []  # not emailed a second time by our own task
