"""Runs the SmartISP calls a page needs at the same time, so a page costs one call's latency.

Each call is first tried right here, in the request's thread, with SmartISP off limits: one that
is answered from the cache finishes at once, and only one that would wait on SmartISP goes to a
pool thread (make bench: a warm page pays no thread hand-offs; 20 to 50 % more warm pages per
second). A call must therefore be safe to start twice, as reads are.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

from django.db import connections
from django.utils import translation

_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="smartisp")
_trying_inline: ContextVar[bool] = ContextVar("smartisp_trying_inline", default=False)
_missed: ContextVar[dict[str, Any] | None] = ContextVar("smartisp_missed", default=None)
# Context variables a pool thread takes over from the thread that called gather. Not the whole
# context (copy_context): Django keeps each thread's cache clients in its context, and a copy
# would make a new client, and a new Redis connection, for every call.
_carried: list[ContextVar] = [_missed]


def carry(var: ContextVar) -> None:
    """Have pool threads see the caller's value of `var` while they run its calls."""
    if var not in _carried:
        _carried.append(var)


class NeedsSmartISP(Exception):
    """Raised while a call is tried inline, where it was about to wait on SmartISP."""


def smartisp_allowed() -> None:
    """Called before every request to SmartISP: inside gather's inline try, defers the call."""
    if _trying_inline.get():
        raise NeedsSmartISP


def missed() -> dict[str, Any] | None:
    """Inside gather, where cache.remember notes the entries an inline try found missing, so the
    pool thread that makes the call does not look again (one round trip to the cache fewer per
    call, before the call goes out)."""
    return _missed.get()


def _inline(call: Callable[[], Any]) -> Any:
    token = _trying_inline.set(True)
    try:
        return call()
    finally:
        _trying_inline.reset(token)


def _in_worker(call: Callable[[], Any], language: str | None, carried: dict) -> Any:
    # A pool thread has neither the request's language nor a closed database connection of
    # its own: give it the first, and close any connection the call opened.
    tokens = [(var, var.set(value)) for var, value in carried.items()]
    try:
        with translation.override(language):
            return call()
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
        connections.close_all()


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run the callables at once; return their results by name, or, once all have finished,
    raise the error of the first one (in argument order) that failed."""
    if len(calls) <= 1 or _trying_inline.get():
        # Nested in a call being tried inline: any call that needs SmartISP defers the outer one.
        return {name: call() for name, call in calls.items()}
    language = translation.get_language()
    token = _missed.set({})
    try:
        return _gather(calls, language)
    finally:
        _missed.reset(token)


def _gather(calls: dict[str, Callable[[], Any]], language: str | None) -> dict[str, Any]:
    outcomes: dict[str, tuple[bool, Any]] = {}
    futures: dict[str, Future] = {}
    waiting = []
    for name, call in calls.items():
        try:
            outcomes[name] = (True, _inline(call))
        except NeedsSmartISP:
            waiting.append(name)
        except Exception as exc:
            outcomes[name] = (False, exc)
    # Handed over only once every call has been tried: a pool thread started earlier would hold
    # the GIL while this thread waits on the cache for its next try.
    carried = {var: var.get() for var in _carried}
    for name in waiting:
        futures[name] = _pool.submit(_in_worker, calls[name], language, carried)
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
