"""App configuration for billing."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from billing.ledger import payment_saved
        from billing.models import Payment

        post_save.connect(payment_saved, sender=Payment, dispatch_uid="billing.payment.saved")
