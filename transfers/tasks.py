"""Background work of transfers, run by `manage.py db_worker`: notices and the staff digest."""

try:  # Django 6 ships the Tasks API; django-tasks is its backport for 5.2.
    from django.tasks import task
except ImportError:
    from django_tasks import task

from transfers import notices


@task()
def transfer_notify(report_pk: int) -> str:
    """Tell the subscriber their report was rejected, and why."""
    return notices.decision_notify(report_pk)


@task()
def transfers_digest() -> int:
    """Email ADMINS the reports waiting more than a day (once a day)."""
    return notices.digest_send()
