"""Background work of payments, run by `manage.py db_worker` (django-tasks, database queue).

Each task is a thin wrapper: the rules live in billing/webhooks.py, billing/settlement.py,
billing/ledger.py and billing/reconcile.py, where tests can call them directly.
"""

try:  # Django 6 ships the Tasks API; django-tasks is its backport for 5.2.
    from django.tasks import task
except ImportError:
    from django_tasks import task

from billing import ledger, reconcile, settlement, webhooks


@task()
def event_process(event_pk: int) -> str:
    """Act on a stored gateway event: ask the gateway about its checkout, update the ledger."""
    return webhooks.gateway_event_process(event_pk)


@task()
def payment_settle(payment_pk: int) -> str:
    """Record a captured payment in SmartISP (pagar_factura), exactly once."""
    return settlement.payment_settle(payment_pk)


@task()
def payment_refund(payment_pk: int) -> str:
    """Remove a refunded payment from SmartISP (DeleteIvoicePay), exactly once."""
    return settlement.payment_refund(payment_pk)


@task()
def payment_gateway_refund(payment_pk: int) -> str:
    """Give a superseded checkout's late capture back through the gateway."""
    return ledger.payment_gateway_refund(payment_pk)


@task()
def payments_reconcile() -> dict[str, int]:
    """Catch what webhooks and crashed workers left behind."""
    return reconcile.payments_reconcile()
