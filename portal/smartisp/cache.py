"""Short caches of SmartISP answers (DESIGN.md section 6).

A subscriber's own data lives at most SMARTISP_CACHE_SECONDS and is dropped at once by `forget`
when a payment or ticket of theirs changes. Catalogues (ticket meta, plans) live an hour. Errors
propagate and are never cached.
"""

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from portal.smartisp import records as r
from portal.smartisp.client import get_client

T = TypeVar("T")
CATALOGUE_SECONDS = 3600


GENERATION_SECONDS = 24 * 3600


def _generation_key(client_id: int) -> str:
    return f"smartisp:gen:{client_id}"


def _generation_new(client_id: int) -> str:
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
    generation_key, key = _generation_key(client_id), f"smartisp:{client_id}:{name}"
    found = cache.get_many([generation_key, key])
    generation = found.get(generation_key)
    entry = found.get(key)
    if generation is not None and isinstance(entry, tuple) and entry[0] == generation:
        return entry[1]
    if generation is None:
        generation = _generation_new(client_id)
    value = fetch()
    cache.set(key, (generation, value), timeout=settings.SMARTISP_CACHE_SECONDS)
    return value


def forget(client_id: int) -> None:
    """Drop everything cached for this subscriber (their payment or ticket changed)."""
    cache.set(_generation_key(client_id), uuid.uuid4().hex, timeout=GENERATION_SECONDS)


def remember_catalogue(name: str, fetch: Callable[[], T]) -> T:
    key = f"smartisp:catalogue:{name}"
    found = cache.get(key, _MISSING)
    if found is not _MISSING:
        return found
    value = fetch()
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
