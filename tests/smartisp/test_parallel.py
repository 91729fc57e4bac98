"""`gather` runs a page's SmartISP calls at the same time and reports their first failure."""

import threading
import time

import pytest
from django.utils import translation

from portal.smartisp import NotFound, Unavailable, cache, get_client, parallel
from portal.smartisp.parallel import gather, smartisp_allowed
from tests.conftest import api, example


def slow(body: str):
    def answer(request):
        time.sleep(0.3)
        return 200, {"Content-Type": "application/json"}, body

    return answer


def test_two_slow_calls_take_the_time_of_one(smartisp):
    smartisp.add_callback("GET", api("tickets/meta"), callback=slow(example("tickets-meta")))
    smartisp.add_callback("GET", api("plans"), callback=slow(example("plans")))
    isp = get_client()

    started = time.monotonic()
    found = gather(meta=isp.tickets_meta, plans=isp.plans_list)
    elapsed = time.monotonic() - started

    assert elapsed < 0.5
    assert found["meta"].priorities[-1] == "urgent"
    assert len(found["plans"]) == 5


def test_first_error_is_raised_after_all_calls_finish(smartisp):
    smartisp.get(api("tickets/9"), status=404, json={"message": "No existe"})
    smartisp.get(api("plans"), status=500, json={})
    smartisp.add_callback("GET", api("tickets/meta"), callback=slow(example("tickets-meta")))
    isp = get_client()

    with pytest.raises(NotFound, match="No existe"):
        gather(
            ticket=lambda: isp.ticket_get(9),
            plans=isp.plans_list,
            meta=isp.tickets_meta,
        )

    assert len(smartisp.calls) == 3


def test_error_of_the_first_named_call_wins_whatever_finishes_first(smartisp):
    def late_failure():
        time.sleep(0.1)
        raise Unavailable("late")

    def early_failure():
        raise NotFound("early")

    with pytest.raises(Unavailable, match="late"):
        gather(first=late_failure, second=early_failure)


def test_calls_to_smartisp_run_in_other_threads_with_the_requests_language(smartisp):
    seen = []

    def answer(request):
        seen.append((threading.current_thread().name, translation.get_language()))
        return 200, {"Content-Type": "application/json"}, example("tickets-meta")

    smartisp.add_callback("GET", api("tickets/meta"), callback=answer)
    isp = get_client()

    with translation.override("en"):
        gather(a=isp.tickets_meta, b=isp.tickets_meta)

    assert len(seen) == 2
    assert all(thread.startswith("smartisp") for thread, _ in seen)
    assert {language for _, language in seen} == {"en"}


def test_calls_answered_from_the_cache_need_no_thread(smartisp):
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))
    smartisp.get(api("plans"), body=example("plans"))
    cache.ticket_meta()
    cache.plans()
    threads = set()

    def cached(read):
        def call():
            threads.add(threading.current_thread().name)
            return read()

        return call

    found = gather(meta=cached(cache.ticket_meta), plans=cached(cache.plans))

    assert threads == {threading.current_thread().name}
    assert found["meta"].priorities[-1] == "urgent"
    assert len(smartisp.calls) == 2


def test_a_cached_call_and_a_slow_one_together_take_the_slow_ones_time(smartisp):
    smartisp.get(api("plans"), body=example("plans"))
    cache.plans()
    smartisp.add_callback("GET", api("tickets/meta"), callback=slow(example("tickets-meta")))
    smartisp.add_callback("GET", api("tickets/9"), callback=slow(example("ticket")))
    isp = get_client()

    started = time.monotonic()
    found = gather(plans=cache.plans, meta=isp.tickets_meta, ticket=lambda: isp.ticket_get(9))
    elapsed = time.monotonic() - started

    assert elapsed < 0.5
    assert len(found["plans"]) == 5
    assert found["meta"].priorities[0] == "low"


def test_single_call_and_no_call():
    assert gather(only=lambda: 7) == {"only": 7}
    assert gather() == {}


def test_pool_threads_keep_their_cache_client_from_call_to_call(monkeypatch):
    """Each pool thread makes its cache client (and Redis connection) once, not once per call:
    a client per call cost 3 to 5 ms before each SmartISP call went out (make bench)."""
    from django.core.cache import caches

    made = []
    create = type(caches).create_connection

    def counted(self, alias):
        made.append(alias)
        return create(self, alias)

    monkeypatch.setattr(type(caches), "create_connection", counted)

    def needs_smartisp():
        smartisp_allowed()  # goes to a pool thread
        return caches["default"].get("anything")

    for _ in range(50):
        gather(a=needs_smartisp, b=needs_smartisp)
    assert len(made) <= parallel._pool._max_workers
