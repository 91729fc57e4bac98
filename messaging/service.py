"""The messaging interface: `send_code` and `send_notice`, to an E.164 phone, in a language.

MESSAGING_BACKEND picks the first channel: `whatsapp` (then Twilio SMS when WhatsApp cannot
reach the number or does not answer, if Twilio is configured), `twilio`, `console`, or empty
(no messages by phone: `phone_channel_enabled()` is False and callers offer email only).

A provider that refuses the portal's own request (a bad token, a template that does not exist, a
locked account) gets no fallback: it would refuse every subscriber alike, and quietly sending
everything by paid SMS would hide it. The send fails, and the operators are told (ADMINS).

Callers run on the task worker: a send can take seconds, or time out.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins
from django.utils import translation
from django.utils.translation import gettext as _

from messaging.backends.base import Backend, Sent
from messaging.errors import MessagingError, NotConfigured, Undeliverable

logger = logging.getLogger(__name__)

# One email to the operators per provider and error code in this time, however many sends fail.
SETUP_ALERT_SECONDS = 3600


def phone_channel_enabled() -> bool:
    return settings.MESSAGING_BACKEND in {"whatsapp", "twilio", "console"}


def backends() -> list[Backend]:
    """The channels to try, in order."""
    from messaging.backends.console import ConsoleBackend
    from messaging.backends.twilio import TwilioBackend, twilio_configured
    from messaging.backends.whatsapp import WhatsAppBackend

    name = settings.MESSAGING_BACKEND
    if name == "whatsapp":
        return [WhatsAppBackend(), *([TwilioBackend()] if twilio_configured() else [])]
    if name == "twilio":
        return [TwilioBackend()]
    if name == "console":
        return [ConsoleBackend()]
    raise NotConfigured(f"MESSAGING_BACKEND is {name!r}", provider="messaging")


def send_code(phone: str, code: str, language: str) -> Sent:
    """Send a one-time code. Raises the last channel's MessagingError when none took it."""
    return _send("send_code", phone, code, language)


def send_notice(phone: str, text: str, language: str) -> Sent:
    """Send a notice. Raises the last channel's MessagingError when none took it."""
    return _send("send_notice", phone, text, language)


def _send(method: str, phone: str, content: str, language: str) -> Sent:
    chain = backends()
    for index, backend in enumerate(chain):
        try:
            sent = getattr(backend, method)(phone, content, language)
        except MessagingError as exc:
            if _setup_fault(exc):
                _setup_fault_alert(exc)
                raise
            if index + 1 == len(chain):
                raise
            # This channel cannot reach the number, or is down: the next one may still reach
            # the subscriber within the code's 10 minutes.
            following = chain[index + 1].channel
            logger.warning("%s failed, trying %s: %s", backend.channel, following, exc)
            continue
        logger.info("%s sent by %s (%s)", method, sent.channel, sent.message_id)
        return sent
    raise NotConfigured("no channel", provider="messaging")  # pragma: no cover (chain never empty)


def _setup_fault(exc: MessagingError) -> bool:
    """Permanent, and not about this recipient: the portal's request itself was refused."""
    return exc.permanent and not isinstance(exc, Undeliverable)


def _setup_fault_alert(exc: MessagingError) -> None:
    """Log the refusal for the operators and email them (ADMINS), once an hour per error.

    The error holds the provider's own words and code, never the token the portal sent."""
    logger.error("%s refused the portal's request, no message is sent: %s", exc.provider, exc)
    if not cache.add(f"messaging:setup-fault:{exc.provider}:{exc.code}", 1, SETUP_ALERT_SECONDS):
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(provider)s refuses the portal's messages") % {"provider": exc.provider}
        body = _(
            "Codes and notices by phone are not being sent: %(provider)s refused the portal's "
            "request (%(error)s). No other channel is tried instead. Check the %(provider)s "
            "settings (token, sender, templates) and the account in its console."
        ) % {"provider": exc.provider, "error": exc}
    try:
        mail_admins(subject, body)
    except Exception:
        logger.exception("the operators could not be emailed about %s", exc.provider)
