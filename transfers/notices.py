"""Telling people about transfer reports: the subscriber when theirs is decided, staff (ADMINS)
once a day about reports waiting more than a day. Run on the task worker, never in a request:
mail servers (and phone channels) are slow or down until they answer.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from transfers.models import DigestSent, TransferReport, TransferStatus
from transfers.services import reports_overdue

logger = logging.getLogger(__name__)

DIGEST_AFTER = timedelta(days=1)


def decision_notify(report_pk: int) -> str:
    """Tell the subscriber their report was rejected, and why. (An approved report's notice is
    the receipt settlement sends once SmartISP has recorded it: billing.payment_emails.)"""
    report = TransferReport.objects.select_related("user").get(pk=report_pk)
    if report.status != TransferStatus.REJECTED:
        return "not rejected"
    user = report.user
    sent = []
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "report": report,
            "PORTAL_NAME": settings.PORTAL_NAME,
            "PORTAL_SUPPORT_CONTACT": settings.PORTAL_SUPPORT_CONTACT,
            "report_url": settings.PORTAL_URL + reverse("transfers:detail", args=[report.pk]),
        }
        subject = render_to_string("transfers/email/rejected_subject.txt", context).strip()
        body = render_to_string("transfers/email/rejected.txt", context)
    if user.email:
        try:
            send_mail(subject, body, None, [user.email])
            sent.append("email")
        except Exception:
            # Logged and dropped: the decision stands whatever the mail server does.
            logger.exception("transfer report %s: the notice could not be emailed", report.pk)
    return "+".join(sent) or "no channel"


def digest_send(now=None) -> int:
    """Once a day: email ADMINS the reports waiting more than a day. Returns how many were listed
    (0 when none waits, when there are no ADMINS, or when today's digest already went out)."""
    now = now or timezone.now()
    waiting = reports_overdue(now - DIGEST_AFTER)
    if not waiting or not settings.ADMINS:
        return 0
    try:
        with transaction.atomic():
            DigestSent.objects.create(
                day=timezone.localdate(now), sent_at=now, waiting=len(waiting)
            )
    except IntegrityError:
        return 0  # another worker sent today's
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "reports": waiting,
            "PORTAL_NAME": settings.PORTAL_NAME,
            "queue_url": settings.PORTAL_URL + reverse("staff_transfers:queue"),
            "base_url": settings.PORTAL_URL,
        }
        subject = render_to_string("transfers/email/digest_subject.txt", context).strip()
        body = render_to_string("transfers/email/digest.txt", context)
    try:
        mail_admins(subject, body)
    except Exception:
        logger.exception("the transfers digest could not be sent")
    return len(waiting)
