"""A signed-in page kept for a moment, so looking at it again costs no rendering (DESIGN.md 6).

A kept page belongs to one session: its cache key is made from the session's key, and the entry
also names the account, so it is never shown to another session or subscriber. It is shown again
only while everything it was made from is unchanged:

- the subscriber's SmartISP cache generation (`cache.forget` after a payment or ticket change
  starts a new one), and every SmartISP answer it shows still cached (the page leaves the cache
  with the first of them, so it is never older than SMARTISP_CACHE_SECONDS either);
- the view's own stamps (for billing pages: the subscriber's payments in the ledger), the account's
  name and DNI, the language, the local date, and the path with its query;
- nothing else to say: a page made while SmartISP failed part of it (a fallback is shown), or with
  messages to show, is not kept, and a request with messages waiting is always rendered.

Per-response secrets are never kept: the CSRF tokens and the CSP nonce are cut out before the page
is stored and new ones put in each time it is served.
"""

import hashlib
import re
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from portal.smartisp import cache as smartisp_cache

Stamp = Callable[[HttpRequest], Hashable]

_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_HOLE = "\x00csrf\x00"
_NONCE_HOLE = "\x00nonce\x00"
# Headers of the view's own response worth keeping (the middleware adds the rest each time).
_KEPT_HEADERS = ("Content-Type", "Vary")


@dataclass(frozen=True)
class KeptPage:
    generation: str
    fingerprint: tuple
    expires_at: float
    body: str
    headers: tuple[tuple[str, str], ...]

    # Stored as a plain tuple: an entry written by another release still reads back.
    def stored(self) -> tuple:
        return (self.generation, self.fingerprint, self.expires_at, self.body, self.headers)

    @classmethod
    def from_stored(cls, value: object) -> "KeptPage | None":
        if isinstance(value, tuple) and len(value) == 5:
            return cls(*value)
        return None


def kept_page(*stamps: Stamp) -> Callable:
    """Decorate a signed-in GET view (inside login_required) whose page depends only on the
    subscriber's SmartISP data, the account, and `stamps` (each a cheap value of the request that
    changes whenever something else the page shows changes)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            client_id = getattr(request.user, "smartisp_id", None)
            if (
                request.method != "GET"
                or client_id is None
                or not request.session.session_key
                or request.session.get("_messages")
            ):
                return view(request, *args, **kwargs)
            key = _key(request)
            fingerprint = _fingerprint(request, stamps)
            generation, stored = smartisp_cache.generation_and(client_id, key)
            kept = KeptPage.from_stored(stored)
            if (
                generation is not None
                and kept is not None
                and kept.generation == generation
                and kept.fingerprint == fingerprint
                and kept.expires_at > time.time()
            ):
                return _served(request, kept)
            if generation is None:
                generation = smartisp_cache.generation_new(client_id)
            with smartisp_cache.usage_tracked() as usage:
                response = view(request, *args, **kwargs)
            if not usage.failed:
                _keep(request, response, key, generation, fingerprint, usage.expires_at)
            return response

        return wrapper

    return decorate


def _key(request: HttpRequest) -> str:
    session = hashlib.sha256(request.session.session_key.encode()).hexdigest()[:32]
    htmx = getattr(request, "htmx", None)
    partial = "h" if htmx and not htmx.history_restore_request else "p"
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:24]
    return f"page:{session}:{partial}:{path}"


def _fingerprint(request: HttpRequest, stamps: tuple[Stamp, ...]) -> tuple:
    user = request.user
    return (
        user.pk,
        user.get_short_name(),
        getattr(user, "dni", ""),
        translation.get_language(),
        timezone.localdate().isoformat(),
        *(stamp(request) for stamp in stamps),
    )


def _keep(
    request: HttpRequest,
    response: HttpResponse,
    key: str,
    generation: str,
    fingerprint: tuple,
    data_expires_at: float | None,
) -> None:
    if (
        response.status_code != 200
        or response.streaming
        or not response.get("Content-Type", "").startswith("text/html")
        or response.cookies
        or _has_messages(request)
    ):
        return
    # The page leaves with the first SmartISP answer it shows: seen again after that, it is made
    # again from a fresh answer.
    now = time.time()
    expires_at = min(now + settings.SMARTISP_CACHE_SECONDS, data_expires_at or float("inf"))
    remaining = expires_at - now
    if remaining < 1:
        return
    body = response.content.decode(response.charset)
    body = _CSRF_INPUT.sub(rf"\g<1>{_CSRF_HOLE}\g<2>", body)
    nonce = getattr(request, "_csp_nonce", None)
    if nonce:
        body = body.replace(f'nonce="{nonce}"', f'nonce="{_NONCE_HOLE}"')
    headers = tuple((name, response[name]) for name in _KEPT_HEADERS if response.has_header(name))
    kept = KeptPage(generation, fingerprint, expires_at, body, headers)
    cache.set(key, kept.stored(), timeout=int(remaining))


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and len(storage))


def _served(request: HttpRequest, kept: KeptPage) -> HttpResponse:
    body = kept.body
    if _CSRF_HOLE in body:
        body = body.replace(_CSRF_HOLE, get_token(request))
    if _NONCE_HOLE in body:
        body = body.replace(_NONCE_HOLE, str(request.csp_nonce))
    response = HttpResponse(body)
    for name, value in kept.headers:
        response[name] = value
    return response
