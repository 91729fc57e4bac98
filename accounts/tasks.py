"""Emails to subscribers, sent by the task worker (`manage.py db_worker`), never in a request:
a slow or failing mail relay must neither hold a page nor show, by its timing, who is a subscriber.
"""

try:  # Django 6 ships the Tasks API; django-tasks is its backport for 5.2.
    from django.tasks import task
except ImportError:
    from django_tasks import task

from accounts import emails
from accounts.models import User


@task()
def link_email_send(user_pk: int, kind: str, language: str) -> bool:
    """Email an account its one-time activation or reset link (accounts/emails.py)."""
    user = User.objects.filter(pk=user_pk, is_active=True, is_staff=False).first()
    if user is None or not user.email:
        return False
    return emails.link_email_send(user, kind, language=language)
