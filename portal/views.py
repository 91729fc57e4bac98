"""Project-wide views: health check and error pages."""

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.smartisp import SmartISPError, get_client

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"db": "ok", "smartisp": "ok"} when both answer; 503 naming the part that is down."""
    status = {"db": "ok", "smartisp": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("health check: database down")
        status["db"] = "down"
    try:
        get_client().tickets_meta()
    except SmartISPError as exc:
        logger.warning("health check: SmartISP down: %s", exc)
        status["smartisp"] = "down"
    healthy = all(v == "ok" for v in status.values())
    return JsonResponse(status, status=200 if healthy else 503)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@require_GET
def bench_baseline(request: HttpRequest) -> HttpResponse:
    """The benchmark's baseline: a bare view through the same middleware, no database or SmartISP.

    Routed only when settings.BENCH_BASELINE is true (see portal/urls.py and portal/bench/)."""
    return HttpResponse(b"ok", content_type="text/plain")
