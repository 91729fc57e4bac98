"""Typed errors of the SmartISP client: each says what went wrong and whether retrying can help."""


class SmartISPError(Exception):
    """Base class. `retryable` is true when the same call may succeed later."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SmartISPError):
    """404, or `success: false` from a lookup such as get-user."""


class Unauthorized(SmartISPError):
    """SmartISP refused the API key (401 or 403)."""


class Unavailable(SmartISPError):
    """Timeout, connection refused, 5xx or an HTML maintenance page: SmartISP cannot answer now.

    For a write, the outcome is unknown: SmartISP may have applied it before failing.
    """

    retryable = True


class Rejected(SmartISPError):
    """422, or `success: false` from a write: SmartISP understood and said no."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class BadResponse(SmartISPError):
    """JSON that is not the shape the reference shows."""
