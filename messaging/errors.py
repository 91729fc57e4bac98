"""What can go wrong sending a message, and whether trying again can help.

`permanent` errors will fail the same way again (bad token, a template that does not exist, a
number the channel refuses); the others (timeouts, 5xx, rate limits) may pass on a retry.
`Undeliverable` is the one that says "this channel cannot reach this number": the next channel
(WhatsApp, then SMS) gets its turn.
"""


class MessagingError(Exception):
    permanent = False

    def __init__(self, message: str, *, provider: str, code: str | int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.code = code

    def __str__(self) -> str:
        code = f" ({self.code})" if self.code is not None else ""
        return f"{self.provider}{code}: {self.message}"


class ProviderUnavailable(MessagingError):
    """Timeout, connection refused, 5xx, throttling: may work in a while."""


class ProviderRejected(MessagingError):
    """The provider refused the request itself (credentials, template, parameters)."""

    permanent = True


class Undeliverable(MessagingError):
    """The provider cannot deliver to this number on this channel (not on WhatsApp, a landline)."""

    permanent = True


class NotConfigured(MessagingError):
    """MESSAGING_BACKEND names a provider whose settings are missing, or none at all."""

    permanent = True
