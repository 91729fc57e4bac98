"""A payment covers one or more invoices: each payment's invoice moves to its own PaymentInvoice
row (its share = the whole amount, its outcome from the payment's history), every settlement
attempt points at that row, and payments gain source, way_to_pay and paid_on.

The old columns are dropped in 0003, in a transaction of its own: PostgreSQL refuses to alter a
table with deferred foreign-key checks still pending from the rows written here.
"""

from django.db import migrations, models
import django.db.models.deletion

# billing.models.ACTIVE_STATUSES as of this migration (copied: migrations never import models).
ACTIVE = ("created", "pending", "captured", "settled")


def item_outcome(payment, attempts) -> tuple[str, str]:
    """What the old ledger says became of the payment's one invoice in SmartISP."""
    pays = [a for a in attempts if a.kind == "pay"]
    refunds = [a for a in attempts if a.kind == "refund"]
    if payment.status == "refunded" and (
        any(a.outcome == "ok" for a in refunds) or payment.settled_at is not None
    ):
        return "refunded", "removed from SmartISP"
    if payment.status == "settled" or (payment.status == "refunded" and payment.settled_at):
        if any(a.outcome == "ok" for a in pays):
            return "recorded", payment.settle_note or "recorded in SmartISP"
        return "confirmed", payment.settle_note or "confirmed by invoice status"
    if payment.status == "needs_review" and any(a.outcome == "ok" for a in pays):
        # Recorded, then moved to review (a refund arrived while pagar_factura was out).
        return "recorded", "recorded in SmartISP before the review"
    return "pending", ""


def forwards(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    PaymentInvoice = apps.get_model("billing", "PaymentInvoice")
    SettlementAttempt = apps.get_model("billing", "SettlementAttempt")
    for payment in Payment.objects.order_by("pk").iterator():
        attempts = list(SettlementAttempt.objects.filter(payment_id=payment.pk))
        outcome, note = item_outcome(payment, attempts)
        item = PaymentInvoice.objects.create(
            payment_id=payment.pk,
            position=0,
            client_id=payment.client_id,
            invoice_id=payment.invoice_id,
            num_bill=payment.num_bill,
            amount=payment.amount,
            holds=payment.status in ACTIVE,
            outcome=outcome,
            note=note[:300],
            recorded_at=payment.settled_at if outcome in ("recorded", "confirmed", "refunded") else None,
            refunded_at=payment.refunded_at if outcome == "refunded" else None,
        )
        SettlementAttempt.objects.filter(payment_id=payment.pk).update(item_id=item.pk)


def backwards(apps, schema_editor):
    # Several invoices cannot be squeezed back into one payment row: only an empty ledger (a
    # test database) goes back.
    if apps.get_model("billing", "Payment").objects.exists():
        raise RuntimeError("billing 0002 cannot be undone while the ledger holds payments")


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="source",
            field=models.CharField(
                choices=[("checkout", "online checkout"), ("transfer", "bank transfer or deposit")],
                default="checkout",
                max_length=10,
                verbose_name="source",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="way_to_pay",
            field=models.CharField(blank=True, max_length=40, verbose_name="way to pay"),
        ),
        migrations.AddField(
            model_name="payment",
            name="paid_on",
            field=models.DateField(blank=True, null=True, verbose_name="paid on"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="status",
            field=models.CharField(
                choices=[
                    ("created", "created"),
                    ("pending", "waiting for the gateway"),
                    ("captured", "received, being recorded"),
                    ("settled", "paid"),
                    ("failed", "failed"),
                    ("cancelled", "cancelled"),
                    ("needs_review", "needs review"),
                    ("refunding", "being returned"),
                    ("refunded", "refunded"),
                ],
                db_index=True,
                default="created",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.CreateModel(
            name="PaymentInvoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(verbose_name="order (oldest first)")),
                ("client_id", models.PositiveBigIntegerField(verbose_name="SmartISP client id")),
                ("invoice_id", models.BigIntegerField(verbose_name="SmartISP invoice id")),
                ("num_bill", models.CharField(db_index=True, max_length=40, verbose_name="invoice number")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=12, verbose_name="share")),
                ("holds", models.BooleanField(default=True, verbose_name="holds the invoice")),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("pending", "not recorded yet"),
                            ("recorded", "recorded (pagar_factura)"),
                            ("confirmed", "recorded, confirmed by the invoice's status"),
                            ("refused", "refused by SmartISP"),
                            ("paid_elsewhere", "already paid another way"),
                            ("total_changed", "its total changed"),
                            ("not_matched", "not found in SmartISP"),
                            ("refunded", "removed again (DeleteIvoicePay)"),
                        ],
                        default="pending",
                        max_length=20,
                        verbose_name="outcome",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
                ("recorded_at", models.DateTimeField(blank=True, null=True, verbose_name="recorded")),
                ("refunded_at", models.DateTimeField(blank=True, null=True, verbose_name="removed")),
                (
                    "payment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="items",
                        to="billing.payment",
                        verbose_name="payment",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoice paid",
                "verbose_name_plural": "invoices paid",
                "ordering": ["payment", "position"],
            },
        ),
        migrations.AddField(
            model_name="settlementattempt",
            name="item",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attempts",
                to="billing.paymentinvoice",
                verbose_name="invoice",
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
