"""The invoice columns of Payment are gone (PaymentInvoice holds them since 0002); the rule "at most
one active payment per invoice" moves with them, and every attempt now names its invoice."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0002_payment_invoices"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="payment",
            name="payment_one_active_per_invoice",
        ),
        migrations.RemoveField(model_name="payment", name="invoice_id"),
        migrations.RemoveField(model_name="payment", name="num_bill"),
        migrations.AlterField(
            model_name="settlementattempt",
            name="item",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attempts",
                to="billing.paymentinvoice",
                verbose_name="invoice",
            ),
        ),
        migrations.AddIndex(
            model_name="paymentinvoice",
            index=models.Index(fields=["client_id", "invoice_id"], name="item_client_invoice"),
        ),
        migrations.AddConstraint(
            model_name="paymentinvoice",
            constraint=models.UniqueConstraint(fields=("payment", "position"), name="item_unique_position"),
        ),
        migrations.AddConstraint(
            model_name="paymentinvoice",
            constraint=models.UniqueConstraint(fields=("payment", "invoice_id"), name="item_unique_invoice"),
        ),
        migrations.AddConstraint(
            model_name="paymentinvoice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("holds", True)),
                fields=("client_id", "invoice_id"),
                name="item_one_active_per_invoice",
            ),
        ),
    ]
