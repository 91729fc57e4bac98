"""Short caches of SmartISP answers (DESIGN.md section 6).

A subscriber's own data lives at most SMARTISP_CACHE_SECONDS and is dropped at once by `forget`
when a payment or ticket of theirs changes. Catalogues (ticket meta, plans) live an hour. Errors
propagate and are never cached.
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from portal.smartisp import records as r
from portal.smartisp.client import get_client
from portal.smartisp.errors import SmartISPError
from portal.smartisp.parallel import carry, missed

T = TypeVar("T")
CATALOGUE_SECONDS = 3600


GENERATION_SECONDS = 24 * 3600


@dataclass
class Usage:
    """What a piece of work (a page) read from these caches: when the first of the subscriber's
    answers it used leaves the cache, and whether SmartISP failed it anywhere (a fallback was
    shown instead)."""

    expires_at: float | None = None
    failed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def used(self, expires_at: float) -> None:
        with self._lock:  # gather's pool threads report here too
            if self.expires_at is None or expires_at < self.expires_at:
                self.expires_at = expires_at


_usage: ContextVar[Usage | None] = ContextVar("smartisp_usage", default=None)
carry(_usage)  # parallel.gather's pool threads report to the page that asked


@contextmanager
def usage_tracked() -> Iterator[Usage]:
    """Record what the code inside reads (threads started by parallel.gather included)."""
    usage = Usage()
    token = _usage.set(usage)
    try:
        yield usage
    finally:
        _usage.reset(token)


def _fetched(fetch: Callable[[], T]) -> T:
    try:
        return fetch()
    except SmartISPError:
        usage = _usage.get()
        if usage is not None:
            usage.failed = True
        raise


def _generation_key(client_id: int) -> str:
    return f"smartisp:gen:{client_id}"


def generation_and(client_id: int, key: str) -> tuple[str | None, Any]:
    """The subscriber's current generation and the cache entry `key`, in one round trip."""
    generation_key = _generation_key(client_id)
    found = cache.get_many([generation_key, key])
    return found.get(generation_key), found.get(key)


def generation_new(client_id: int) -> str:
    """A lost or expired generation is replaced by a new random one, never a fixed start value:
    that would revive entries `forget` dropped."""
    key = _generation_key(client_id)
    generation = uuid.uuid4().hex
    if cache.add(key, generation, timeout=GENERATION_SECONDS):
        return generation
    return str(cache.get(key, generation))  # another request made one first: use theirs


def remember(client_id: int, name: str, fetch: Callable[[], T]) -> T:
    """`fetch()` cached per subscriber under `name`, until `forget(client_id)` or expiry.

    An entry is stored with the subscriber's generation at the time and served only while that
    is still the generation: one round trip to the cache (both keys at once) when warm.
    """
    key = f"smartisp:{client_id}:{name}"
    usage = _usage.get()
    noted = missed()
    if noted is not None and key in noted:
        generation = noted.pop(key)  # gather's inline try found it missing a moment ago
    else:
        generation, entry = generation_and(client_id, key)
        if generation is not None and isinstance(entry, tuple) and len(entry) == 3:
            entry_generation, value, expires_at = entry
            # The entry's own expiry as well as the cache's: the two agree but for clock skew.
            if entry_generation == generation and expires_at > time.time():
                if usage is not None:
                    usage.used(expires_at)
                return value
        if generation is None:
            generation = generation_new(client_id)
        if noted is not None:
            noted[key] = generation
    value = _fetched(fetch)
    expires_at = time.time() + settings.SMARTISP_CACHE_SECONDS
    cache.set(key, (generation, value, expires_at), timeout=settings.SMARTISP_CACHE_SECONDS)
    if usage is not None:
        usage.used(expires_at)
    return value


def forget(client_id: int) -> None:
    """Drop everything cached for this subscriber (their payment or ticket changed)."""
    cache.set(_generation_key(client_id), uuid.uuid4().hex, timeout=GENERATION_SECONDS)


def remember_catalogue(name: str, fetch: Callable[[], T]) -> T:
    key = f"smartisp:catalogue:{name}"
    found = cache.get(key, _MISSING)
    if found is not _MISSING:
        return found
    value = _fetched(fetch)
    cache.set(key, value, timeout=CATALOGUE_SECONDS)
    return value


_MISSING: Any = object()


# The subscriber's data, as pages ask for it.


def user_record(client_id: int, dni: str) -> r.UserRecord:
    return remember(client_id, "user", lambda: get_client().user_get(dni))


def services(client_id: int, dni: str) -> tuple[r.Service, ...]:
    """The subscriber's services, from the client list searched by DNI (the only endpoint that
    has their online state). The search also matches names and phones: keep our id only."""

    def fetch() -> tuple[r.Service, ...]:
        page = get_client().clients_list(search=r.normalize_dni(dni), per_page=100)
        for entry in page.items:
            if entry.client.id == client_id:
                return entry.services
        return ()

    return remember(client_id, "services", fetch)


def unpaid_invoices(client_id: int) -> list[r.Invoice]:
    return remember(client_id, "unpaid", lambda: get_client().invoices_unpaid(client_id))


def paid_invoices(client_id: int) -> list[r.Invoice]:
    return remember(client_id, "paid", lambda: get_client().invoices_paid(client_id))


def tickets(client_id: int, *, status: str = "", page: int = 1) -> r.Page[r.Ticket]:
    return remember(
        client_id,
        f"tickets:{status}:{page}",
        lambda: get_client().tickets_list(client_id=client_id, status=status or None, page=page),
    )


def ticket_meta() -> r.TicketMeta:
    return remember_catalogue("ticket-meta", lambda: get_client().tickets_meta())


def plans() -> list[r.Plan]:
    return remember_catalogue("plans", lambda: get_client().plans_list())
