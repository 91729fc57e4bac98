"""`manage.py payments_reconcile`: one reconciler run by hand (the worker runs one each minute)."""

from django.core.management.base import BaseCommand

from billing.reconcile import payments_reconcile


class Command(BaseCommand):
    help = "Re-query checkouts left pending and re-queue overdue settlements and refunds, once."

    def handle(self, *args, **options) -> None:
        counts = payments_reconcile()
        if not counts:
            self.stdout.write("Nothing to reconcile.")
        for what, count in sorted(counts.items()):
            self.stdout.write(f"{what}: {count}")
