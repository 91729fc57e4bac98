"""Migrations 0002-0003: payments the single-invoice ledger made keep their invoice, their history
and their exactly-once guarantees once each payment covers PaymentInvoice rows.

The rows are made by the old schema itself (django's MigrationExecutor at 0001), then the ledger is
migrated forward and read with today's models.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from billing.models import ItemOutcome, Payment, PaymentInvoice, PaymentStatus
from billing.settlement import payment_settle
from tests.billing.payment_helpers import calls_to, invoice_body
from tests.conftest import api

pytestmark = pytest.mark.django_db(transaction=True)

OLD = [("billing", "0001_initial"), ("accounts", "0001_initial")]
NEW = [("billing", "0003_payment_invoices_only")]
AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def migrate(targets):
    """Migrate to `targets`; NEW means every app's latest migration, as `manage.py migrate` does
    (the accounts app moved back to its 0001 with the ledger, and today's models need it all)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if targets is NEW:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_ledger():
    """Three payments as the single-invoice ledger left them: one settled by pagar_factura, one
    settled because the invoice read paid after an unknown attempt, one captured mid-retry."""
    apps = migrate(OLD)
    User = apps.get_model("accounts", "User")
    Payment = apps.get_model("billing", "Payment")
    Attempt = apps.get_model("billing", "SettlementAttempt")
    Transition = apps.get_model("billing", "PaymentTransition")
    user = User.objects.create(dni="0102030405", smartisp_id=1, email="s@example.com")

    def payment(reference, status, invoice_id, num_bill, amount, **fields):
        row = Payment.objects.create(
            reference=reference,
            user=user,
            client_id=1,
            invoice_id=invoice_id,
            num_bill=num_bill,
            amount=Decimal(amount),
            currency="USD",
            gateway="sandbox",
            session_id=f"cs_{reference}",
            transaction_id=f"txn_{reference}",
            captured_amount=Decimal(amount),
            captured_currency="USD",
            captured_at=AT,
            status=status,
            created_at=AT,
            **fields,
        )
        Transition.objects.create(payment=row, from_status="", to_status="created", at=AT)
        Transition.objects.create(payment=row, from_status="pending", to_status=status, at=AT)
        return row

    recorded = payment("recorded", "settled", 4585, "4624", "21.51", settled_at=AT)
    Attempt.objects.create(payment=recorded, kind="pay", called=True, outcome="ok", started_at=AT)
    confirmed = payment(
        "confirmed", "settled", 0, "4600", "18.70", settled_at=AT,
        settle_note="confirmed by invoice status",
    )  # fmt: skip
    Attempt.objects.create(
        payment=confirmed, kind="pay", called=True, outcome="unknown", started_at=AT
    )
    waiting = payment("waiting", "captured", 4590, "4630", "30.00", next_attempt_at=AT)
    Attempt.objects.create(
        payment=waiting, kind="pay", called=True, outcome="unknown", started_at=AT
    )
    yield
    migrate(NEW)  # leave the test database as the other tests expect it


def test_each_old_payment_covers_its_one_invoice_with_its_outcome_and_history(old_ledger):
    migrate(NEW)

    rows = {p.reference: p for p in Payment.objects.prefetch_related("items")}
    assert {r: (p.status, p.amount) for r, p in rows.items()} == {
        "recorded": (PaymentStatus.SETTLED, Decimal("21.51")),
        "confirmed": (PaymentStatus.SETTLED, Decimal("18.70")),
        "waiting": (PaymentStatus.CAPTURED, Decimal("30.00")),
    }
    items = {r: [(i.invoice_id, i.num_bill, i.amount, i.outcome) for i in p.invoices()]
             for r, p in rows.items()}  # fmt: skip
    assert items == {
        "recorded": [(4585, "4624", Decimal("21.51"), ItemOutcome.RECORDED)],
        "confirmed": [(0, "4600", Decimal("18.70"), ItemOutcome.CONFIRMED)],
        "waiting": [(4590, "4630", Decimal("30.00"), ItemOutcome.PENDING)],
    }
    for payment in rows.values():
        assert payment.transitions.count() == 2
        assert payment.source == "checkout"
        item = payment.items.get()
        assert list(payment.settlement_attempts.values_list("item", flat=True)) == [item.pk]


def test_an_old_active_payment_still_blocks_a_second_one_for_its_invoice(old_ledger):
    migrate(NEW)

    waiting = Payment.objects.get(reference="waiting")
    second = Payment.objects.create(
        user=waiting.user, client_id=1, amount=Decimal("30.00"), gateway="sandbox"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentInvoice.objects.create(
            payment=second, position=0, client_id=1, invoice_id=4590, num_bill="4630",
            amount=Decimal("30.00"),
        )  # fmt: skip


def test_an_old_payment_mid_retry_is_confirmed_not_paid_twice(old_ledger, smartisp):
    migrate(NEW)
    # Its unknown pagar_factura had been applied: the invoice reads paid now.
    smartisp.upsert(
        responses.GET, api("getInvoiceCliente/4630"), json=invoice_body("4630", 4590, paid=True)
    )

    assert payment_settle(Payment.objects.get(reference="waiting").pk) == "settled"
    assert calls_to(smartisp, "pagar_factura") == []
    assert Payment.objects.get(reference="waiting").items.get().outcome == ItemOutcome.CONFIRMED
