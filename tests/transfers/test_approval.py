"""An approved transfer is recorded in SmartISP by the shared settlement, once: pagar_factura per
invoice with way_to_pay "Transferencia bancaria", id_pago the bank reference and date the day
paid, each invoice's status and total read first, retried while SmartISP is down."""

from datetime import date
from decimal import Decimal

import pytest
import responses
from django.core import mail

from billing.models import Payment, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    calls_to,
    pay_ok,
    payment_make,
    run_tasks,
)
from tests.conftest import api, json_body
from tests.transfers.helpers import invoice_answers, report_data, report_make
from transfers.models import TransferReport
from transfers.services import transfer_decide

clock = payment_helpers.clock  # the fixture
PAID_ON = date(2026, 3, 6)


def approve(staff_client, report):
    return staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": "approve"})


def test_an_approval_is_recorded_once_per_invoice_with_the_transfers_details(
    staff_client, subscriber, smartisp, clock
):
    report = report_make(subscriber, reference="BP-0012345", paid_on=PAID_ON)
    invoice_answers(smartisp)
    pay_ok(smartisp)

    response = approve(staff_client, report)
    run_tasks()

    report.refresh_from_db()
    assert response.status_code == 303
    assert report.status == "approved"
    payment = report.payment
    assert payment.source == "transfer"
    assert payment.status == PaymentStatus.SETTLED
    assert payment.num_bills == ["3112", "4624"]  # oldest first
    sent = [json_body(c) for c in calls_to(smartisp, "pagar_factura")]
    assert [(s["invoice_id"], Decimal(str(s["amount"]))) for s in sent] == [
        (0, Decimal("330.00")),
        (4585, Decimal("21.51")),
    ]
    assert {s["way_to_pay"] for s in sent} == {"Transferencia bancaria"}
    assert {str(s["id_pago"]) for s in sent} == {"BP-0012345"}
    assert {s["date"] for s in sent} == {"03/06/2026"}
    # Each invoice's status (and total) was read before its pagar_factura.
    reads = [
        c.request.url.rsplit("/", 1)[-1]
        for c in smartisp.calls
        if "getInvoiceCliente" in c.request.url
    ]
    assert reads == ["3112", "4624"]


def test_the_subscriber_is_emailed_once_it_is_recorded(staff_client, subscriber, smartisp, clock):
    report = report_make(subscriber, paid_on=PAID_ON)
    invoice_answers(smartisp)
    pay_ok(smartisp)

    approve(staff_client, report)
    assert mail.outbox == []  # nothing before SmartISP has it
    run_tasks()

    [receipt] = [m for m in mail.outbox if m.to == [subscriber.email]]
    assert "3112" in receipt.body and "4624" in receipt.body
    assert "recorded" in receipt.body


def test_the_status_page_says_recorded_once_settled(
    staff_client, client, subscriber, smartisp, clock
):
    report = report_make(subscriber, paid_on=PAID_ON)
    invoice_answers(smartisp)
    pay_ok(smartisp)
    approve(staff_client, report)
    run_tasks()
    client.force_login(subscriber)

    page = client.get(f"/billing/transfers/{report.pk}/").content.decode()

    assert "your invoices are paid" in page


def test_smartisp_down_is_retried_until_it_answers(staff_client, subscriber, smartisp, clock):
    report = report_make(subscriber, paid_on=PAID_ON)
    for num_bill in ("3112", "4624"):
        smartisp.upsert(responses.GET, api(f"getInvoiceCliente/{num_bill}"), status=503, body="")

    approve(staff_client, report)
    run_tasks()
    payment = TransferReport.objects.get().payment
    assert payment.status == PaymentStatus.CAPTURED
    assert calls_to(smartisp, "pagar_factura") == []

    invoice_answers(smartisp)
    pay_ok(smartisp)
    clock.advance(seconds=31)
    run_tasks()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert len(calls_to(smartisp, "pagar_factura")) == 2


def test_a_total_changed_since_the_report_is_never_recorded_as_paid(
    staff_client, subscriber, smartisp, clock
):
    report = report_make(subscriber, paid_on=PAID_ON)
    invoice_answers(smartisp, totals={"3112": "335.00"})  # a late fee since
    pay_ok(smartisp)

    approve(staff_client, report)
    run_tasks()

    payment = TransferReport.objects.get().payment
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert [json_body(c)["invoice_id"] for c in calls_to(smartisp, "pagar_factura")] == [4585]


def test_an_invoice_paid_by_card_meanwhile_is_not_approved(
    staff_client, subscriber, staff, smartisp
):
    report = report_make(subscriber)
    payment_make(subscriber, PaymentStatus.CAPTURED)  # 4624, paid online while the report waited

    response = approve(staff_client, report)

    report.refresh_from_db()
    assert report.status == "review" and report.payment is None
    assert Payment.objects.filter(source="transfer").count() == 0
    assert (
        "one of its invoices is already paid"
        in staff_client.get(response["Location"]).content.decode()
    )


def test_a_bank_reference_approved_before_is_refused_at_approval(
    subscriber, staff, smartisp, clock
):
    first = report_make(subscriber, reference="0012345", invoices=[])
    TransferReport.objects.filter(pk=first.pk).update(status="approved")
    second = report_make(subscriber, reference="0012-345")

    decided = transfer_decide(second.pk, "approve", "", staff)

    assert decided.outcome == "duplicate"
    assert TransferReport.objects.get(pk=second.pk).status == "review"
    assert Payment.objects.count() == 0


ONLY_4624 = [{"num_bill": "4624", "invoice_id": 4585, "total": "21.51"}]
ONLY_3112 = [{"num_bill": "3112", "invoice_id": 0, "total": "330.00"}]


def test_the_same_reference_at_two_banks_is_two_payments_both_recorded(
    subscriber, staff, smartisp, clock
):
    one = report_make(subscriber, reference="7788", invoices=ONLY_4624, amount=Decimal("21.51"))
    two = report_make(
        subscriber,
        reference="7788",
        bank="Banco Guayaquil",
        invoices=ONLY_3112,
        amount=Decimal("330.00"),
    )
    invoice_answers(smartisp)
    pay_ok(smartisp)

    assert transfer_decide(one.pk, "approve", "", staff).outcome == "approved"
    assert transfer_decide(two.pk, "approve", "", staff).outcome == "approved"
    run_tasks()

    assert [p.status for p in Payment.objects.all()] == [PaymentStatus.SETTLED] * 2
    sent = [json_body(c) for c in calls_to(smartisp, "pagar_factura")]
    # SmartISP gets the bank reference as typed, for each bank's transfer.
    assert sorted((s["invoice_id"], str(s["id_pago"])) for s in sent) == [
        (0, "7788"),
        (4585, "7788"),
    ]


def test_the_same_bank_and_reference_written_otherwise_is_refused_at_approval_and_at_report(
    client, subscriber, staff, unpaid, clock
):
    from transfers import handoff

    first = report_make(
        subscriber, reference="bp-0012 345", invoices=ONLY_4624, amount=Decimal("21.51")
    )
    # Reported before the first was approved, so the report form let it through then.
    second = report_make(
        subscriber,
        reference="BP0012345",
        bank="banco  PICHINCHA",
        invoices=ONLY_3112,
        amount=Decimal("330.00"),
    )
    assert transfer_decide(first.pk, "approve", "", staff).outcome == "approved"

    assert transfer_decide(second.pk, "approve", "", staff).outcome == "duplicate"
    # The ledger's own unique transaction id refuses it by the same rule.
    with pytest.raises(handoff.ReferenceTaken):
        handoff.transfer_payment_open(second, by=staff)
    assert Payment.objects.count() == 1
    assert TransferReport.objects.get(pk=second.pk).status == "review"

    client.force_login(subscriber)
    response = client.post(
        "/billing/transfers/new/",
        report_data(invoices=["3112"], amount="330.00", reference="Bp 0012-345"),
    )
    assert response.status_code == 400
    assert "This bank reference was already recorded as a payment." in response.content.decode()
    assert TransferReport.objects.count() == 2


def test_a_bank_name_with_an_invisible_or_lookalike_character_is_the_same_bank(
    subscriber, staff, unpaid, clock
):
    # PORTAL_BANK_ACCOUNTS edited between the two reports: a zero-width space pasted in, a
    # fullwidth letter. The bank-and-reference rule still sees one bank.
    first = report_make(subscriber, invoices=ONLY_4624, amount=Decimal("21.51"))
    second = report_make(
        subscriber,
        bank="Banco\u200b Ｐichincha",
        invoices=ONLY_3112,
        amount=Decimal("330.00"),
    )
    assert transfer_decide(first.pk, "approve", "", staff).outcome == "approved"

    assert transfer_decide(second.pk, "approve", "", staff).outcome == "duplicate"
    assert Payment.objects.count() == 1


def test_a_transfer_approved_before_the_bank_was_in_its_transaction_id_settles_as_before(
    subscriber, smartisp, clock
):
    """Rows of the old form (transaction id: the reference alone) need no migration."""
    from billing.settlement import payment_settle

    old = payment_make(
        subscriber,
        PaymentStatus.CAPTURED,
        gateway="transfer",
        source="transfer",
        session_id=None,
        transaction_id="BP-0012345",
        way_to_pay="Transferencia bancaria",
    )
    invoice_answers(smartisp)
    pay_ok(smartisp)

    assert payment_settle(old.pk) == "settled"
    assert [json_body(c)["id_pago"] for c in calls_to(smartisp, "pagar_factura")] == ["BP-0012345"]


def test_approving_twice_opens_one_payment(staff_client, subscriber, smartisp, clock):
    report = report_make(subscriber, paid_on=PAID_ON)
    invoice_answers(smartisp)
    pay_ok(smartisp)

    approve(staff_client, report)
    again = approve(staff_client, report)
    run_tasks()

    assert Payment.objects.count() == 1
    assert len(calls_to(smartisp, "pagar_factura")) == 2
    assert "already decided" in staff_client.get(again["Location"]).content.decode()


def test_the_receipt_page_of_a_recorded_transfer_shows_it(
    staff_client, client, subscriber, smartisp, clock
):
    report = report_make(subscriber, reference="BP-4455", paid_on=PAID_ON)
    invoice_answers(smartisp)
    pay_ok(smartisp)
    approve(staff_client, report)
    run_tasks()
    client.force_login(subscriber)
    reference = TransferReport.objects.get().payment.reference

    response = client.get(f"/billing/payments/{reference}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-status="settled"' in page
    assert "3112" in page and "4624" in page


def test_a_card_payment_after_an_approval_opens_no_checkout(
    staff_client, client, subscriber, smartisp, clock
):
    from tests.billing.payment_helpers import gateway_calls, invoice_lists

    report = report_make(subscriber, paid_on=PAID_ON)
    approve(staff_client, report)  # the worker has not recorded it yet
    invoice_lists(smartisp)  # SmartISP still shows 4624 unpaid
    client.force_login(subscriber)

    response = client.post("/billing/invoices/4624/pay/")

    assert response.status_code in (302, 303)
    assert response["Location"] == "/billing/invoices/4624/"
    assert gateway_calls(smartisp) == []
    assert Payment.objects.count() == 1
