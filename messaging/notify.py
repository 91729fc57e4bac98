"""Notices to a subscriber, on the channel they use: email, WhatsApp or SMS, in their language.

    subscriber_notify(user, kind, context) -> the channel queued ("email", "whatsapp", "sms",
                                               "console"), or "" when the account has none

Each kind has a short text for the phone and a subject and body for email, rendered here (in the
caller's transaction, with the caller's objects) and sent on the task worker after commit.

Kinds and their context:

- RECEIPT ("payment_receipt"): a recorded payment. Context as billing/payment_emails.py builds it:
  `payment` (billing.models.Payment), `payment_url`.
- TRANSFER_OUTCOME ("transfer_outcome"): staff decided on a reported bank transfer (issue 15).
  Context: `approved` (bool), `reference` (the bank reference the subscriber typed), `reason`
  (why it was rejected; "" when approved), `report_url` (absolute URL of
  /billing/transfers/<id>/). The staff view calls, inside the transaction that records the
  decision:

      from messaging.notify import TRANSFER_OUTCOME, subscriber_notify
      subscriber_notify(report.user, TRANSFER_OUTCOME, {"approved": True, "reference": ...,
                        "reason": "", "report_url": settings.PORTAL_URL + report_path})

  and the notice leaves only if that transaction commits.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Channel, User
from messaging.service import phone_channel_enabled

logger = logging.getLogger(__name__)

RECEIPT = "payment_receipt"
TRANSFER_OUTCOME = "transfer_outcome"
PHONE_CHANNELS = {Channel.WHATSAPP, Channel.SMS, Channel.CONSOLE}


@dataclass(frozen=True)
class NoticeKind:
    email_subject: str
    email_body: str
    phone: str


KINDS = {
    RECEIPT: NoticeKind(
        "billing/email/receipt_subject.txt",
        "billing/email/receipt.txt",
        "messaging/notices/payment_receipt.txt",
    ),
    TRANSFER_OUTCOME: NoticeKind(
        "messaging/notices/transfer_outcome_subject.txt",
        "messaging/notices/transfer_outcome_email.txt",
        "messaging/notices/transfer_outcome.txt",
    ),
}


def subscriber_channel(user: User) -> str:
    """Where this subscriber's notices go: the phone channel they signed in by, else email, else
    a phone the portal knows; "" when it has no way to reach them."""
    phone_ok = bool(user.phone) and phone_channel_enabled()
    if user.channel in PHONE_CHANNELS and phone_ok:
        return user.channel
    if user.email:
        return Channel.EMAIL
    if phone_ok:
        return user.channel if user.channel in PHONE_CHANNELS else Channel.WHATSAPP
    return ""


def subscriber_notify(user: User, kind: str, context: dict) -> str:
    """Render the notice of `kind` in the subscriber's language and queue its send (at commit)."""
    notice = KINDS[kind]
    channel = subscriber_channel(user)
    if not channel:
        logger.info("%s for account %s not sent: no email and no phone", kind, user.pk)
        return ""
    full = {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_SUPPORT_CONTACT": settings.PORTAL_SUPPORT_CONTACT,
        "user_name": user.get_full_name(),
        **context,
    }
    subject = body = text = ""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if user.email:  # the email also stands by in case the phone cannot be reached
            subject = " ".join(render_to_string(notice.email_subject, full).split())
            body = render_to_string(notice.email_body, full)
        if channel != Channel.EMAIL:
            text = " ".join(render_to_string(notice.phone, full).split())

    from messaging import tasks

    pk = user.pk
    transaction.on_commit(lambda: tasks.notice_send.enqueue(pk, kind, channel, text, subject, body))
    return channel
