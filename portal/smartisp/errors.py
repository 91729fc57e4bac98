"""Typed errors of the SmartISP client: each says what went wrong and whether retrying can help."""

# What every refused key says, in the logs, on /healthz, in smartisp_check and in operators' mail:
# a wrong key must never read as "subscriber gone".
KEY_REFUSED = "SmartISP refused the API key"


class SmartISPError(Exception):
    """Base class. `retryable` is true when the same call may succeed later; `status` is the HTTP
    status SmartISP answered with (None when it did not answer)."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(SmartISPError):
    """404 (JSON or HTML), or `success: false` / an empty record from a lookup such as get-user.

    `status` tells a missing endpoint or record (404) from a 200 that said no."""


class Unauthorized(SmartISPError):
    """SmartISP refused the API key: 401 or 403, a 200 saying "Unauthenticated.", or a redirect to
    its HTML sign-in page."""

    def __init__(self, message: str = KEY_REFUSED, *, status: int | None = None) -> None:
        super().__init__(message, status=status)


class Unavailable(SmartISPError):
    """Timeout, connection refused, 5xx, Laravel's 419 or 429, or an HTML page: SmartISP cannot
    answer now. `retry_after` is SmartISP's Retry-After in seconds, when it sent one.

    For a write, the outcome is unknown: SmartISP may have applied it before failing.
    """

    retryable = True

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class Rejected(SmartISPError):
    """422, or `success: false` from a write: SmartISP understood and said no."""

    def __init__(
        self,
        message: str,
        errors: dict[str, list[str]] | None = None,
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.errors = errors or {}


class BadResponse(SmartISPError):
    """JSON that is not the shape the reference shows."""
