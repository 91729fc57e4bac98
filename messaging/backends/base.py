"""What every backend shares: the answer of a send, the HTTP session and its timeouts."""

from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings

# One pooled session per process, as for SmartISP (portal/smartisp/client.py).
_session = requests.Session()


@dataclass(frozen=True)
class Sent:
    """A message the provider accepted (accepted is not delivered: providers say so later)."""

    channel: str  # "whatsapp", "sms" or "console"
    message_id: str


class Backend(Protocol):
    channel: str

    def send_code(self, phone: str, code: str, language: str) -> Sent: ...

    def send_notice(self, phone: str, text: str, language: str) -> Sent: ...


def http_session() -> requests.Session:
    return _session


def timeouts() -> tuple[float, float]:
    """(connect, read) in seconds: every call to a provider has both."""
    return (settings.MESSAGING_CONNECT_TIMEOUT, settings.MESSAGING_TIMEOUT)
