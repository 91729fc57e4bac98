"""Turns SmartISP failures raised by any view into a page (or htmx fragment) that says so."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from portal.smartisp.errors import (
    BadResponse,
    NotFound,
    Rejected,
    SmartISPError,
    Unauthorized,
    Unavailable,
)

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 30


class SmartISPErrorMiddleware:
    """No SmartISP failure is ever a traceback.

    NotFound (an invoice, ticket or record SmartISP does not have) is the portal's 404 page: the
    same page as for anything else that is not in the subscriber's account. Unavailable,
    Unauthorized, BadResponse and Rejected (SmartISP said no to a read) are HTTP 503 with a retry.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SmartISPError):
            return None
        if isinstance(exception, NotFound):
            logger.info("SmartISP has no record for %s: %s", request.path, type(exception).__name__)
            return not_found_response(request)
        if isinstance(exception, Unauthorized):
            # The operator's problem, said in the words /healthz and smartisp_check use.
            logger.error("SmartISP failure on %s: %s", request.path, exception.message)
        elif isinstance(exception, Unavailable):
            logger.warning("SmartISP failure on %s: %s", request.path, exception)
        else:
            assert isinstance(exception, BadResponse | Rejected)
            logger.error(
                "SmartISP failure on %s: %s (HTTP %s)",
                request.path,
                type(exception).__name__,
                exception.status,
            )
        return unavailable_response(request, exception)


def not_found_response(request: HttpRequest) -> HttpResponse:
    html = render_to_string("404.html", request=request)
    return HttpResponse(html, status=404)


def unavailable_response(
    request: HttpRequest, exception: SmartISPError | None = None
) -> HttpResponse:
    htmx = getattr(request, "htmx", False)
    template = "smartisp_unavailable_fragment.html" if htmx else "smartisp_unavailable.html"
    html = render_to_string(template, {"retry_url": request.get_full_path()}, request=request)
    response = HttpResponse(html, status=503)
    retry_after = getattr(exception, "retry_after", None)
    response["Retry-After"] = str(retry_after if retry_after else DEFAULT_RETRY_SECONDS)
    if htmx:
        # htmx does not swap error responses by default; this one is meant to be shown.
        response["HX-Reswap"] = "innerHTML"
    return response
