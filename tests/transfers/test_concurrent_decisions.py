"""Two staff members deciding on one report at the same moment: one decision, one payment, one
pagar_factura per invoice. A row lock does it, not timing, so this runs on PostgreSQL."""

import os
import threading

import pytest
from django.db import connection
from django.test import Client

from billing.models import Payment, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import calls_to, pay_ok, run_tasks
from tests.transfers.helpers import invoice_answers, report_make
from transfers.models import TransferReport

clock = payment_helpers.clock  # the fixture
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="!!! SKIPPED: concurrent decisions need PostgreSQL's row locks; set "
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> (CI does) !!!",
)


def at_once(staff_members, report, decisions):
    """Each staff member posts their decision from their own connection, all at once."""
    start = threading.Barrier(len(staff_members))
    answers: list[tuple[int, str]] = []

    def decide(member, data):
        try:
            browser = Client()
            browser.force_login(member)
            start.wait()
            response = browser.post(f"/staff/transfers/{report.pk}/", data)
            shown = browser.get(response["Location"]).content.decode()
            answers.append((response.status_code, shown))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(m, d))
        for m, d in zip(staff_members, decisions, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def two_staff(db):
    from accounts.models import User

    return [
        User.objects.create_user(
            f"099000000{n}", "staff-pass-123", name=f"Staff {n}", is_staff=True
        )
        for n in (1, 2)
    ]


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_record_each_invoice_once(
    subscriber, two_staff, smartisp, clock
):
    report = report_make(subscriber)
    invoice_answers(smartisp)
    pay_ok(smartisp)

    answers = at_once(two_staff, report, [{"decision": "approve"}] * 2)
    run_tasks()

    report.refresh_from_db()
    assert [status for status, _ in answers] == [303, 303]
    said = sorted("already decided" in shown for _, shown in answers)
    assert said == [False, True]  # the second click was told, not refused by accident
    assert report.status == "approved"
    assert Payment.objects.count() == 1
    assert report.payment.status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 2  # invoices 3112 and 4624, once each


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_approve_and_reject_at_once_leave_one_decision(subscriber, two_staff, smartisp, clock):
    report = report_make(subscriber)
    invoice_answers(smartisp)
    pay_ok(smartisp)

    at_once(two_staff, report, [{"decision": "approve"}, {"decision": "reject", "reason": "no"}])
    run_tasks()

    report = TransferReport.objects.get()
    if report.status == "approved":
        assert report.reason == "" and Payment.objects.count() == 1
        assert len(calls_to(smartisp, "pagar_factura")) == 2
    else:
        assert report.status == "rejected" and report.payment is None
        assert Payment.objects.count() == 0 and calls_to(smartisp, "pagar_factura") == []
