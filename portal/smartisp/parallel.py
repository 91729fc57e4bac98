"""Runs the SmartISP calls a page needs at the same time, so a page costs one call's latency."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="smartisp")


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    """Run each callable in the pool; return their results by name, or raise the first error."""
    if len(calls) == 1:
        ((name, call),) = calls.items()
        return {name: call()}
    futures = {name: _pool.submit(call) for name, call in calls.items()}
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
