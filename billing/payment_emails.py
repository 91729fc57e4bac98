"""Emails about payments: the subscriber's receipt, and the operators' needs-review alert."""

import logging

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from billing.models import Payment
from messaging.notify import RECEIPT, subscriber_channel, subscriber_notify

logger = logging.getLogger(__name__)


def _context(payment: Payment) -> dict[str, object]:
    return {
        "payment": payment,
        "items": payment.invoices(),
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_SUPPORT_CONTACT": settings.PORTAL_SUPPORT_CONTACT,
        "payment_url": settings.PORTAL_URL + reverse("billing:payment", args=[payment.reference]),
        "admin_url": settings.PORTAL_URL
        + reverse("admin:billing_payment_change", args=[payment.pk]),
    }


def receipt_send(payment: Payment) -> bool:
    """Email the receipt of a settled payment, in the subscriber's language. A failure to send
    is logged, never raised: the payment is recorded whatever the mail server does."""
    user = payment.user
    # Subscribers who signed in by WhatsApp or SMS get it there (messaging/notify.py, issue 16).
    if subscriber_channel(user) not in ("", "email"):
        return bool(subscriber_notify(user, RECEIPT, _context(payment)))
    if not user.email:
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = _context(payment)
        subject = render_to_string("billing/email/receipt_subject.txt", context).strip()
        body = render_to_string("billing/email/receipt.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        logger.exception("payment %s: the receipt could not be sent", payment.reference)
        return False
    return True


def review_alert_send(payment: Payment, reason: str) -> bool:
    """Tell the operators (ADMINS) that a payment needs a person."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {**_context(payment), "reason": reason}
        subject = render_to_string("billing/email/needs_review_subject.txt", context).strip()
        body = render_to_string("billing/email/needs_review.txt", context)
    try:
        mail_admins(subject, body)
    except Exception:
        logger.exception("payment %s: the needs-review alert could not be sent", payment.reference)
        return False
    return True
