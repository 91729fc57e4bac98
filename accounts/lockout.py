"""Failed sign-in limits (DESIGN.md section 5).

django-axes locks one DNI from one IP after AXES_FAILURE_LIMIT failures. Axes knows one limit
only, so the higher IP-wide limit (AXES_IP_FAILURE_LIMIT) is counted here, in the cache, for the
same cool-off. Nothing ever locks a DNI alone: anyone could lock a subscriber out.

The sign-in view checks `locked_until` before it authenticates, so a refused attempt records
nothing and the time it shows stays true; `lockout_response` answers for other sign-in forms
(the admin's).
"""

import hashlib
import logging
import math
from datetime import datetime, timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.client_address import client_address
from portal.smartisp.records import normalize_dni

logger = logging.getLogger(__name__)

# A request the sign-in view answers itself carries this flag (see `lockout_response`).
VIEW_FLAG = "portal_signin_view"
# Set by IPLockoutBackend when it refused a request: the failure is not counted again.
IP_LOCKED_FLAG = "portal_ip_locked"


def axes_username(request: HttpRequest | None, credentials: dict | None = None) -> str:
    """The DNI axes counts failures for: normalised, so "0102 030405" is "0102030405".

    The portal's form sends `dni`; the admin's login form sends `username`.
    """
    raw = None
    if credentials:
        raw = credentials.get("dni") or credentials.get("username")
    if raw is None and request is not None:
        data = getattr(request, "POST", None) or {}
        raw = data.get("dni") or data.get("username")
    # Never empty: axes would build its pair key from the IP alone and lock by IP at 5.
    return normalize_dni(raw)[:255] or "-"


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address a proxy in TRUSTED_PROXIES vouches for, else the
    socket's (portal/client_address.py)."""
    return client_address(request)


def _cool_off(request: HttpRequest | None) -> timedelta:
    return get_cool_off(request) or timedelta(minutes=30)


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"accounts:signin:{kind}:{digest}"


def ip_locked_until(request: HttpRequest) -> datetime | None:
    """When this request's IP may try again, if it is over the IP-wide limit."""
    ip = get_client_ip_address(request)
    if not ip:
        return None
    until = cache.get(_key("ip-lock", ip))
    if until and until > timezone.now():
        return until
    return None


def pair_locked_until(request: HttpRequest, dni: str) -> datetime | None:
    """When this DNI may try again from this IP, if axes holds the pair locked."""
    credentials = {"dni": dni}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    now = timezone.now()
    ip = get_client_ip_address(request) or ""
    last = cache.get(_key("pair", axes_username(None, credentials), ip))
    # Axes keeps no time in its cache handler; ours may be gone (a lock made elsewhere): then
    # a full cool-off from now is the honest upper bound.
    until = last + _cool_off(request) if last else now + _cool_off(request)
    return max(until, now)


def locked_until(request: HttpRequest, dni: str) -> datetime | None:
    """When sign-in with this DNI from this request's IP is possible again; None when it is now."""
    times = [t for t in (ip_locked_until(request), pair_locked_until(request, dni)) if t]
    return max(times) if times else None


def failure_record(request: HttpRequest | None, credentials: dict | None) -> None:
    """Count one failed sign-in: the pair's last failure, and the IP-wide tally."""
    if request is None or getattr(request, IP_LOCKED_FLAG, False):
        return
    ip = get_client_ip_address(request)
    if not ip:
        return
    now = timezone.now()
    cool_off = _cool_off(request)
    seconds = int(cool_off.total_seconds())
    cache.set(_key("pair", axes_username(request, credentials), ip), now, seconds)

    count_key = _key("ip-count", ip)
    # A fixed window from the first failure: `add` starts it, `incr` never extends it.
    if cache.add(count_key, 1, seconds):
        count = 1
    else:
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between add and incr
            cache.add(count_key, 1, seconds)
            count = 1
    if count >= settings.AXES_IP_FAILURE_LIMIT:
        cache.set(_key("ip-lock", ip), now + cool_off, seconds)
        cache.delete(count_key)
        logger.warning("sign-in from %s locked after %s failures in the window", ip, count)


def locked_response(request: HttpRequest, until: datetime) -> HttpResponse:
    """HTTP 429 with when to try again (in the portal's time zone, as templates show it)."""
    seconds = max(0, math.ceil((until - timezone.now()).total_seconds()))
    response = render(
        request,
        "accounts/locked.html",
        {"until": until, "minutes": max(1, math.ceil(seconds / 60))},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE. The sign-in view already answered (with the failure that reached
    the limit, or its own 429): keep its answer. Other forms (the admin's) get the 429 page."""
    if getattr(request, VIEW_FLAG, False) and original_response is not None:
        return original_response
    until = locked_until(request, axes_username(request, credentials))
    return locked_response(request, until or timezone.now() + _cool_off(request))


def attempts_left(request: HttpRequest, dni: str) -> int | None:
    """How many more failures this DNI may have from this IP before the pair locks (the sign-in
    page warns before the last one); None when that cannot be told."""
    try:
        failures = AxesProxyHandler.get_failures(request, {"dni": dni})
    except Exception:  # a warning is a courtesy: never let it break signing in
        logger.warning("could not count the sign-in failures for the lockout warning")
        return None
    return max(0, settings.AXES_FAILURE_LIMIT - failures)
