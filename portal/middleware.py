"""Turns SmartISP failures raised by any view into a page (or htmx fragment) that says so."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from portal.smartisp.errors import BadResponse, SmartISPError, Unauthorized, Unavailable

logger = logging.getLogger(__name__)


class SmartISPErrorMiddleware:
    """Unavailable, Unauthorized and BadResponse become HTTP 503 with a retry, never a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Unavailable | Unauthorized | BadResponse):
            return None
        # Unauthorized and odd answers are the operator's problem; the subscriber sees "try later".
        level = logging.WARNING if isinstance(exception, Unavailable) else logging.ERROR
        logger.log(level, "SmartISP failure on %s: %s", request.path, exception)
        return unavailable_response(request, exception)


def unavailable_response(
    request: HttpRequest, exception: SmartISPError | None = None
) -> HttpResponse:
    htmx = getattr(request, "htmx", False)
    template = "smartisp_unavailable_fragment.html" if htmx else "smartisp_unavailable.html"
    html = render_to_string(template, {"retry_url": request.get_full_path()}, request=request)
    response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    if htmx:
        # htmx does not swap error responses by default; this one is meant to be shown.
        response["HX-Reswap"] = "innerHTML"
    return response
