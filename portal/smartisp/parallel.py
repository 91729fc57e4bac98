"""Runs the SmartISP calls a page needs at the same time, so a page costs one call's latency.

Each call is first tried right here, in the request's thread, with SmartISP off limits: one that
is answered from the cache finishes at once, and only one that would wait on SmartISP goes to a
pool thread (make bench: a warm page pays no thread hand-offs; 20 to 50 % more warm pages per
second). A call must therefore be safe to start twice, as reads are.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from typing import Any

from django.db import connections
from django.utils import translation

_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="smartisp")
_trying_inline: ContextVar[bool] = ContextVar("smartisp_trying_inline", default=False)


class NeedsSmartISP(Exception):
    """Raised while a call is tried inline, where it was about to wait on SmartISP."""


def smartisp_allowed() -> None:
    """Called before every request to SmartISP: inside gather's inline try, defers the call."""
    if _trying_inline.get():
        raise NeedsSmartISP


def _inline(call: Callable[[], Any]) -> Any:
    token = _trying_inline.set(True)
    try:
        return call()
    finally:
        _trying_inline.reset(token)


def _in_worker(call: Callable[[], Any], language: str | None) -> Any:
    # A pool thread has neither the request's language nor a closed database connection of
    # its own: give it the first, and close any connection the call opened.
    try:
        with translation.override(language):
            return call()
    finally:
        connections.close_all()


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run the callables at once; return their results by name, or, once all have finished,
    raise the error of the first one (in argument order) that failed."""
    if len(calls) <= 1 or _trying_inline.get():
        # Nested in a call being tried inline: any call that needs SmartISP defers the outer one.
        return {name: call() for name, call in calls.items()}
    language = translation.get_language()
    outcomes: dict[str, tuple[bool, Any]] = {}
    futures: dict[str, Future] = {}
    for name, call in calls.items():
        try:
            outcomes[name] = (True, _inline(call))
        except NeedsSmartISP:
            # The pool thread runs in a copy of this context: what cache.usage_tracked records
            # there is seen here.
            futures[name] = _pool.submit(copy_context().run, _in_worker, call, language)
        except Exception as exc:
            outcomes[name] = (False, exc)
    for name, future in futures.items():
        try:
            outcomes[name] = (True, future.result())
        except Exception as exc:
            outcomes[name] = (False, exc)
    results: dict[str, Any] = {}
    for name in calls:
        succeeded, value = outcomes[name]
        if not succeeded:
            raise value
        results[name] = value
    return results
