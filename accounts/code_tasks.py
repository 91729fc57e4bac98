"""The task worker's half of sign-in by phone code (see accounts/codes.py)."""

try:  # Django 6 ships the Tasks API; django-tasks is its backport for 5.2.
    from django.tasks import task
except ImportError:
    from django_tasks import task

from accounts import codes


@task()
def code_send(dni: str, language: str) -> str:
    """Look the DNI up in SmartISP and send a code to its phone (or the email link)."""
    return codes.code_send(dni, language)
