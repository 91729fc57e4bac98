"""The benchmark's clients: threads, each with its own requests.Session, on loopback only.

A request is one page view: the time from sending it to having read the whole body. Sizes are
measured afterwards, off the clock: the body gzipped at level 6 when the server did not compress.
"""

from __future__ import annotations

import gzip
import math
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import cycle

import requests

GZIP_LEVEL = 6
SIZE_SAMPLES = 20  # bodies kept per phase for sizes (page bodies differ little between views)


@dataclass(frozen=True)
class Visit:
    """One page view to make: who (the session cookie), where, and what the page must contain."""

    url: str
    session: str
    marker: str = ""


@dataclass
class Phase:
    """What one phase measured: every request's latency, its status, and a sample of bodies."""

    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    encodings: set[str] = field(default_factory=set)
    elapsed: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, visit: Visit, response: requests.Response | None, seconds: float) -> None:
        with self._lock:
            if response is None:
                self.failures.append(f"{visit.url}: no answer")
                return
            body = response.content
            if response.status_code != 200:
                self.failures.append(f"{visit.url}: HTTP {response.status_code}")
            elif visit.marker and visit.marker.encode() not in body:
                self.failures.append(f"{visit.url}: answered without {visit.marker!r}")
            else:
                self.latencies.append(seconds)
            if len(self.bodies) < SIZE_SAMPLES:
                self.bodies.append(body)
            self.encodings.add(response.headers.get("Content-Encoding", "") or "identity")

    @property
    def count(self) -> int:
        return len(self.latencies)

    def summary(self) -> dict:
        raw = [len(b) for b in self.bodies]
        compressed = [len(gzip.compress(b, compresslevel=GZIP_LEVEL)) for b in self.bodies]
        return {
            "requests": self.count,
            "failures": len(self.failures),
            "failure_examples": self.failures[:5],
            "concurrency": self.concurrency,
            "seconds": round(self.elapsed, 3),
            "requests_per_second": round(self.count / self.elapsed, 1) if self.elapsed else None,
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p95_ms": ms(percentile(self.latencies, 95)),
            "mean_ms": ms(sum(self.latencies) / len(self.latencies)) if self.latencies else None,
            "max_ms": ms(max(self.latencies)) if self.latencies else None,
            "bytes_raw": round(sum(raw) / len(raw)) if raw else None,
            "bytes_gzip": round(sum(compressed) / len(compressed)) if compressed else None,
            "server_encodings": sorted(self.encodings),
        }


def percentile(values: Iterable[float], pct: float) -> float | None:
    """The nearest-rank percentile (no interpolation: a value that was really measured)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _client() -> requests.Session:
    session = requests.Session()
    # One connection per client thread is all it needs; keep-alive as a browser would.
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
    session.mount("http://", adapter)
    return session


def _visit(client: requests.Session, visit: Visit, phase: Phase) -> None:
    client.cookies.clear()
    started = time.perf_counter()
    try:
        response = client.get(
            visit.url, cookies={"sessionid": visit.session}, allow_redirects=False, timeout=30
        )
        _ = response.content
    except requests.RequestException:
        response = None
    phase.record(visit, response, time.perf_counter() - started)


def run_each(name: str, visits: list[Visit], concurrency: int) -> Phase:
    """Every visit exactly once, `concurrency` at a time (the cold phase: each one a first view)."""
    phase = Phase(name, concurrency)
    local = threading.local()

    def one(visit: Visit) -> None:
        if not hasattr(local, "client"):
            local.client = _client()
        _visit(local.client, visit, phase)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, visits))
    phase.elapsed = time.perf_counter() - started
    return phase


def run_for(
    name: str,
    visits: list[Visit],
    concurrency: int,
    *,
    seconds: float,
    max_requests: int,
    warmup: float = 1.0,
) -> Phase:
    """A closed loop: `concurrency` clients, each sending its next request as soon as the last one
    is answered, for `seconds` (or `max_requests`), after `warmup` seconds not counted."""
    phase = Phase(name, concurrency)
    scratch = Phase(name + " warm-up", concurrency)
    clock: dict[str, float] = {}
    sent = 0
    lock = threading.Lock()

    def begin() -> None:
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + seconds

    ready = threading.Barrier(concurrency + 1)
    go = threading.Barrier(concurrency + 1, action=begin)

    def client_loop(offset: int) -> None:
        nonlocal sent
        client = _client()
        queue = cycle(visits[offset::concurrency] or visits)
        ready.wait()
        warm_until = time.perf_counter() + warmup
        while time.perf_counter() < warm_until:
            _visit(client, next(queue), scratch)
        go.wait()
        while time.perf_counter() < clock["deadline"]:
            with lock:
                if sent >= max_requests:
                    return
                sent += 1
            _visit(client, next(queue), phase)

    threads = [
        threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    go.wait(timeout=warmup + 60)
    for thread in threads:
        thread.join(seconds + 60)
    phase.elapsed = time.perf_counter() - clock["start"]
    phase.failures.extend(scratch.failures)
    return phase
