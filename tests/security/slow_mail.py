"""A mail backend that takes as long as the slow relay the red team used (250 ms per message)."""

import time

from django.core.mail.backends.locmem import EmailBackend

DELAY_SECONDS = 0.25


class SlowEmailBackend(EmailBackend):
    def send_messages(self, messages):
        time.sleep(DELAY_SECONDS)
        return super().send_messages(messages)
