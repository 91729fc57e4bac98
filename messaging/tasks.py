"""Notices on the task worker: the phone first when that is the subscriber's channel, email when
it is theirs or when the phone cannot be reached. Nothing about a notice is raised to the caller."""

import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.utils import timezone

try:  # Django 6 ships the Tasks API; django-tasks is its backport for 5.2.
    from django.tasks import task
except ImportError:
    from django_tasks import task

from accounts.models import Channel, User
from messaging import service
from messaging.errors import MessagingError

logger = logging.getLogger(__name__)

# A provider that is down gets two more chances, 5 and then 10 minutes later.
NOTICE_ATTEMPTS = 3
RETRY_MINUTES = 5


@task()
def notice_send(
    user_pk: int, kind: str, channel: str, text: str, subject: str, body: str, attempt: int = 1
) -> str:
    user = User.objects.filter(pk=user_pk).first()
    if user is None:
        return "no account"
    if channel != Channel.EMAIL and user.phone:
        try:
            sent = service.send_notice(user.phone, text, user.language)
        except MessagingError as exc:
            if not exc.permanent and attempt < NOTICE_ATTEMPTS:
                when = timezone.now() + timedelta(minutes=RETRY_MINUTES * attempt)
                notice_send.using(run_after=when).enqueue(
                    user_pk, kind, channel, text, subject, body, attempt + 1
                )
                logger.warning("%s for account %s: retry later (%s)", kind, user_pk, exc)
                return "retry"
            logger.warning("%s for account %s not sent by phone: %s", kind, user_pk, exc)
        else:
            return sent.channel
    if not (user.email and subject):
        logger.error("%s for account %s could not be sent on any channel", kind, user_pk)
        return "not sent"
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        logger.exception("%s for account %s: the email could not be sent", kind, user_pk)
        return "not sent"
    return Channel.EMAIL
