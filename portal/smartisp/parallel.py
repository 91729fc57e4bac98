"""Runs the SmartISP calls a page needs at the same time, so a page costs one call's latency."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections
from django.utils import translation

_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="smartisp")


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
    if len(calls) <= 1:
        return {name: call() for name, call in calls.items()}
    language = translation.get_language()
    futures = {name: _pool.submit(_in_worker, call, language) for name, call in calls.items()}
    results: dict[str, Any] = {}
    error: BaseException | None = None
    for name, future in futures.items():
        try:
            results[name] = future.result()
        except Exception as exc:
            error = error or exc
    if error is not None:
        raise error
    return results
