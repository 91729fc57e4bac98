"""The messaging interface: `send_code` and `send_notice`, to an E.164 phone, in a language.

MESSAGING_BACKEND picks the first channel: `whatsapp` (then Twilio SMS when WhatsApp cannot
reach the number or does not answer, if Twilio is configured), `twilio`, `console`, or empty
(no messages by phone: `phone_channel_enabled()` is False and callers offer email only).

Callers run on the task worker: a send can take seconds, or time out.
"""

import logging

from django.conf import settings

from messaging.backends.base import Backend, Sent
from messaging.errors import MessagingError, NotConfigured

logger = logging.getLogger(__name__)


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
            if index + 1 == len(chain):
                raise
            # Whatever stopped this channel (number refused, provider down, a bad token), the
            # next one may still reach the subscriber within the code's 10 minutes.
            following = chain[index + 1].channel
            logger.warning("%s failed, trying %s: %s", backend.channel, following, exc)
            continue
        logger.info("%s sent by %s (%s)", method, sent.channel, sent.message_id)
        return sent
    raise NotConfigured("no channel", provider="messaging")  # pragma: no cover (chain never empty)
