"""Project-wide views: health check and error pages."""

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.smartisp import NotFound, SmartISPError, Unauthorized, get_client
from portal.smartisp.errors import KEY_REFUSED

logger = logging.getLogger(__name__)


# What /healthz asks SmartISP, in order: the first that answers is enough. Some installs lack
# tickets/meta (a JSON 404); the plan catalogue and a one-line client page prove the same thing.
HEALTH_PROBES = (
    ("tickets/meta", lambda isp: isp.tickets_meta()),
    ("plans", lambda isp: isp.plans_list()),
    ("clients", lambda isp: isp.clients_list(per_page=1)),
)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"db": "ok", "smartisp": "ok"} when both answer; 503 naming the part that is down, and
    for SmartISP why ("smartisp_error"): a refused key says so, never "subscriber gone"."""
    status = {"db": "ok", "smartisp": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("health check: database down")
        status["db"] = "down"
    problem = _smartisp_problem()
    if problem:
        status["smartisp"] = "down"
        status["smartisp_error"] = problem
    healthy = status["db"] == "ok" and status["smartisp"] == "ok"
    return JsonResponse(status, status=200 if healthy else 503)


def _smartisp_problem() -> str:
    """Empty when SmartISP answers one of HEALTH_PROBES; else what is wrong, for operators."""
    isp = get_client()
    missing = []
    for endpoint, probe in HEALTH_PROBES:
        try:
            probe(isp)
            return ""
        except NotFound:
            missing.append(endpoint)  # this install lacks it: ask the next
        except Unauthorized:
            logger.error("health check: %s", KEY_REFUSED)
            return KEY_REFUSED
        except SmartISPError as exc:
            logger.warning("health check: SmartISP down: %s", exc)
            return (
                "SmartISP did not answer"
                if exc.status is None
                else (f"SmartISP answered HTTP {exc.status}")
            )
    logger.warning("health check: SmartISP has none of %s", ", ".join(missing))
    return "SmartISP answers, but has none of the endpoints the portal checks"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@require_GET
def bench_baseline(request: HttpRequest) -> HttpResponse:
    """The benchmark's baseline: a bare view through the same middleware, no database or SmartISP.

    Routed only when settings.BENCH_BASELINE is true (see portal/urls.py and portal/bench/)."""
    return HttpResponse(b"ok", content_type="text/plain")
