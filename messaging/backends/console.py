"""The demo's backend: messages go to the log, nothing leaves the machine."""

import logging
import secrets

from messaging.backends.base import Sent
from messaging.phones import phone_tail

logger = logging.getLogger("messaging.console")


class ConsoleBackend:
    channel = "console"

    def send_code(self, phone: str, code: str, language: str) -> Sent:
        # Demo only (MESSAGING_BACKEND=console): the code is printed so someone can type it.
        logger.warning("code for the phone ending in %s: %s", phone_tail(phone), code)
        return Sent(self.channel, f"console-{secrets.token_hex(6)}")

    def send_notice(self, phone: str, text: str, language: str) -> Sent:
        logger.warning("notice for the phone ending in %s: %s", phone_tail(phone), text)
        return Sent(self.channel, f"console-{secrets.token_hex(6)}")
