"""`make bench` (`python -m portal.bench`): the portal under gunicorn with production settings,
against a sandbox SmartISP that takes a fixed time per call, driven by concurrent clients.

Phases, in one run: the bare baseline view; each page cold (the subscribers' cached SmartISP data
dropped first) and warm (cached), with the baseline measured in slices between the warm runs;
then the month start (sign in, dashboard, pay everything, settled: portal/bench/month_start.py);
then the webhook's acknowledgement while SmartISP hangs. Writes docs/benchmarks.json and
docs/benchmarks.md. Everything listens on loopback; every count and wait is bounded.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import requests

from portal.bench import cpu, load, month_start, report, seed, signin, webhooks
from portal.bench.stack import (
    BASE_DIR,
    REDIS_URL,
    SANDBOX_KEY,
    Database,
    Deployment,
    postgres_reachable,
    redis_reachable,
)
from portal.smartisp.client import SmartISPClient

logger = logging.getLogger("bench")

PAGES = ("dashboard", "invoices", "invoice", "tickets")


def visit(base: str, page: str, sub: seed.Subscriber) -> load.Visit:
    """A page view, and the text that proves the page is this subscriber's and complete."""
    if page == "dashboard":
        return load.Visit(f"{base}/", sub.session, f"/billing/invoices/{sub.unpaid[0]}/")
    if page == "invoices":
        return load.Visit(f"{base}/billing/invoices/", sub.session, sub.unpaid[0])
    if page == "invoice":
        return load.Visit(f"{base}/billing/invoices/{sub.unpaid[0]}/", sub.session, sub.unpaid[0])
    if page == "tickets":
        return load.Visit(f"{base}/support/tickets/", sub.session, "Consulta 1")
    return load.Visit(f"{base}/_bench/baseline", sub.session, "ok")


class Run:
    """The deployment under test and the measurements taken from it."""

    def __init__(self, args: argparse.Namespace, deployment: Deployment) -> None:
        self.args = args
        self.d = deployment
        self.base = deployment.portal_url(0)
        self.results: dict = {"pages": {p: {} for p in PAGES}, "baseline": {}, "cpu": {}}
        self.subscribers: list[seed.Subscriber] = []
        self.spare: list[seed.Subscriber] = []
        self.cold_groups: list[list[seed.Subscriber]] = []
        self.month_subscribers: list[seed.Subscriber] = []
        self.groups = {
            "portal (gunicorn)": [deployment.processes["portal-0"].pid],
            "sandbox SmartISP and gateway": [
                deployment.processes["smartisp"].pid,
                deployment.processes["gateway"].pid,
            ],
            "task worker": [deployment.processes["worker-0"].pid],
        }

    # -- the sandbox's controls ---------------------------------------------------------------

    def faults(self, **faults) -> None:
        url = f"{self.d.smartisp_url}/_sandbox/faults"
        requests.post(url, json=faults, timeout=10).raise_for_status()

    def calls_reset(self) -> None:
        requests.post(f"{self.d.smartisp_url}/_sandbox/calls/reset", timeout=10).raise_for_status()

    def calls(self) -> int:
        answer = requests.get(f"{self.d.smartisp_url}/_sandbox/calls?limit=0", timeout=10)
        return int(answer.json()["count"])

    # -- measuring ----------------------------------------------------------------------------

    def measured(self, key: str, phase_run, requests_of=lambda phase: phase.count):
        """Run a phase with the SmartISP call count and the CPU of every process around it."""
        self.calls_reset()
        before = cpu.snapshot(self.groups, self.d.database.name)
        phase = phase_run()
        used = cpu.spent(before, cpu.snapshot(self.groups, self.d.database.name))
        count = requests_of(phase)
        calls = self.calls()
        self.results["cpu"][key] = {
            name: round(seconds * 1000 / count, 2) if count else None
            for name, seconds in used.items()
        }
        summary = phase.summary()
        summary["latencies"] = list(phase.latencies)
        summary["smartisp_calls"] = calls
        summary["smartisp_calls_per_view"] = round(calls / count, 3) if count else None
        return summary

    def one_call_latency(self) -> dict:
        """What one SmartISP call takes as seen from this machine, one at a time."""
        client = SmartISPClient(base_url=self.d.smartisp_api_url, api_key=SANDBOX_KEY)
        sub = self.subscribers[0]
        times = []
        for _ in range(30):
            started = time.perf_counter()
            client.invoices_unpaid(sub.client_id)
            times.append(time.perf_counter() - started)
        return {
            "configured_ms": self.args.latency_ms,
            "measured_p50_ms": load.ms(load.percentile(times, 50)),
            "measured_p95_ms": load.ms(load.percentile(times, 95)),
            "endpoint": "InvoiceClientStatus3 (unpaid invoices)",
        }

    def cold(self) -> None:
        args = self.args
        groups = self.cold_groups
        # The processes themselves are warmed first (imports, templates, connections): cold
        # means the subscriber's SmartISP data is not cached, not a process that just started.
        warm_up = [visit(self.base, p, s) for s in self.spare for p in (*PAGES, "bare")] * 2
        load.run_each("process warm-up", warm_up, args.cold_concurrency)
        for index, page in enumerate(PAGES):
            subs = groups[index % len(groups)]
            self.d.cache_clear("smartisp:*")
            visits = [visit(self.base, page, s) for s in subs]
            self.results["pages"][page]["cold"] = self.measured(
                f"{page} cold", lambda v=visits, p=page: load.run_each(p, v, args.cold_concurrency)
            )
            logger.info("cold %s: %s", page, _brief(self.results["pages"][page]["cold"]))
        visits = [visit(self.base, "bare", s) for s in groups[0]]
        self.results["baseline"]["cold"] = self.measured(
            "baseline cold", lambda: load.run_each("bare", visits, args.cold_concurrency)
        )

    def warm(self) -> None:
        args = self.args
        everyone = [s for group in self.cold_groups for s in group]
        warm_up = [visit(self.base, p, s) for s in everyone for p in PAGES]
        load.run_each("cache warm-up", warm_up, args.warm_concurrency)
        slices = []
        for page in PAGES:
            bare = [visit(self.base, "bare", s) for s in everyone]
            slice_ = self.measured(
                f"baseline before {page}",
                lambda v=bare: load.run_for(
                    "bare", v, args.warm_concurrency, seconds=args.seconds, max_requests=10**6
                ),
            )
            slices.append(slice_)
            visits = [visit(self.base, page, s) for s in everyone]
            warm = self.measured(
                f"{page} warm",
                lambda v=visits, p=page: load.run_for(
                    p, v, args.warm_concurrency, seconds=args.seconds, max_requests=10**6
                ),
            )
            warm["baseline_requests_per_second"] = slice_["requests_per_second"]
            self.results["pages"][page]["warm"] = warm
            logger.info(
                "warm %s: %s (bare view %s rps)",
                page,
                _brief(warm),
                slice_["requests_per_second"],
            )
        self.results["baseline"]["warm"] = report.merge_slices(slices)

    def assets(self) -> None:
        """What a first visit to the dashboard loads besides the HTML: stylesheet, scripts,
        icons, as transferred (whitenoise serves them precompressed)."""
        sub = self.subscribers[0]
        page = requests.get(f"{self.base}/", cookies={"sessionid": sub.session}, timeout=30)
        paths = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)))
        total = 0
        for path in paths:
            answer = requests.get(
                self.base + path, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30
            )
            total += len(answer.raw.read(decode_content=False))
        html = self.results["pages"]["dashboard"]["warm"]["bytes_gzip"] or 0
        self.results["assets"] = {
            "files": len(paths),
            "paths": paths,
            "bytes_compressed": total,
            "first_view_total_bytes": total + html,
        }

    def month_start(self) -> None:
        """Issue 14's phase: each subscriber signs in, opens the dashboard, pays everything owed
        in one checkout and waits until the worker has recorded it (see month_start.py)."""
        subs = self.month_subscribers
        self.calls_reset()
        before = cpu.snapshot(self.groups, self.d.database.name)
        journeys = month_start.journeys_run(
            self.base, self.d.gateway_url, subs, concurrency=self.args.cold_concurrency
        )
        used = cpu.spent(before, cpu.snapshot(self.groups, self.d.database.name))
        count, calls = journeys.count, self.calls()
        self.results["month_start"] = journeys.summary() | {
            "invoices_per_subscriber": len(subs[0].unpaid) if subs else 0,
            "smartisp_latency_ms": self.args.latency_ms,
            "smartisp_calls_per_journey": round(calls / count, 2) if count else None,
            "cpu_ms_per_journey": {
                name: round(seconds * 1000 / count, 1) if count else None
                for name, seconds in used.items()
            },
        }
        logger.info("month start: %s", self.results["month_start"])

    def webhooks(self) -> None:
        args = self.args
        bodies = webhooks.events_prepare(
            self.d, self.cold_groups[0], per_subscriber=2, threads=args.cold_concurrency
        )
        self.faults(latency_ms=args.latency_ms, mode="timeout", timeout_seconds=120)
        try:
            acks = webhooks.acks_measure(self.base, bodies, concurrency=args.cold_concurrency)
        finally:
            self.faults(latency_ms=args.latency_ms)
        self.results["webhook"] = acks.summary() | {"smartisp": "hanging (timeout mode)"}
        logger.info("webhook acks: %s", self.results["webhook"])


def _brief(summary: dict) -> str:
    summary["rps"] = summary.get("requests_per_second")
    return (
        f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, {summary['rps']} rps, "
        f"{summary['smartisp_calls_per_view']} calls/view, {summary['failures']} failures"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50, help="per SmartISP call")
    parser.add_argument("--subscribers", type=int, default=40, help="per cold page group")
    cpus = os.cpu_count() or 1
    parser.add_argument(
        "--cold-concurrency", type=int, default=cpus, help="clients at once, cold (one per CPU)"
    )
    parser.add_argument(
        "--warm-concurrency", type=int, default=4 * cpus, help="clients at once, warm (4 per CPU)"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="per warm run")
    parser.add_argument(
        "--month-start", type=int, default=20, help="subscribers paying everything (0: skip)"
    )
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=None, help="gunicorn threads each")
    parser.add_argument("--out", type=Path, default=BASE_DIR / "docs")
    parser.add_argument("--keep", action="store_true", help="keep the state directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s")
    logging.getLogger("portal.smartisp").setLevel(logging.WARNING)

    load_average = os.getloadavg()[0]
    if load_average > 0.5 * cpus:
        logger.warning(
            "the machine is busy (load average %.1f on %s CPUs): the figures will be noisy",
            load_average,
            cpus,
        )
    # A plain `kill` still stops the deployment and drops the database (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    state = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    if postgres_reachable():
        database = Database.postgres(prefix="portal_bench")
    else:
        logger.warning("PostgreSQL is not reachable: the portal runs on SQLite")
        database = Database.sqlite(state / "portal.sqlite3")
    cache_url = REDIS_URL if redis_reachable() else ""
    if not cache_url:
        logger.warning("Redis is not reachable: each gunicorn process has its own memory cache")
    deployment = Deployment(
        state_dir=state,
        database=database,
        cache_url=cache_url,
        gunicorn_workers=args.workers,
        gunicorn_threads=args.threads,
        # Worker recycling (GUNICORN_MAX_REQUESTS, 20000 per process in production) would restart
        # both processes part-way through some phase of a run this size: off for the run.
        extra_env={"BENCH_BASELINE": "true", "GUNICORN_MAX_REQUESTS": "0"},
    )
    started = time.monotonic()
    try:
        logger.info("database: %s; cache: %s", database.engine, cache_url or "local memory")
        deployment.prepare()
        deployment.start_sandbox()
        deployment.start_portals()
        deployment.start_worker("worker-0")
        run = Run(args, deployment)
        # Without a shared cache it cannot be emptied from outside: fresh subscribers instead.
        groups = 1 if cache_url else len(PAGES)
        count = args.subscribers * groups + 4
        logger.info("making %s synthetic subscribers", count)
        subs = seed.subscribers_create(deployment.smartisp_api_url, count)
        subs = seed.accounts_create(deployment, subs)
        seed.signin(run.base, subs[0].dni)  # the real sign-in form works in this deployment
        if args.month_start:
            # Their own subscribers, owing three invoices each, signing in themselves.
            month = seed.subscribers_create(
                deployment.smartisp_api_url, args.month_start, first=count + 1, unpaid=3
            )
            run.month_subscribers = seed.accounts_create(deployment, month, sessions=False)
        run.subscribers = subs
        run.spare = subs[:4]
        rest = subs[4:]
        run.cold_groups = [rest[i::groups] for i in range(groups)]
        run.faults(latency_ms=args.latency_ms)
        run.results["smartisp_call"] = run.one_call_latency()
        run.cold()
        run.warm()
        run.assets()
        if run.month_subscribers:
            run.month_start()
        run.webhooks()
        # Issue 18: PBKDF2 before, Argon2id now, with the deployment's settings.
        run.results["signin"] = signin.signin_cpu(deployment.env)
        logger.info("sign-in CPU: %s", run.results["signin"])
        run.results["run"] = report.machine(args, deployment, database, time.monotonic() - started)
        run.results["run"]["load_average_at_start"] = round(load_average, 2)
        report.write(run.results, args.out)
        logger.info("wrote %s and %s", args.out / "benchmarks.json", args.out / "benchmarks.md")
        for target in run.results["targets"]:
            logger.info("%s: %s", target["target"], "met" if target["met"] else "NOT MET")
        return 0
    finally:
        deployment.stop()
        deployment.cache_clear()
        database.drop()
        if args.keep:
            logger.info("state kept in %s", state)
        else:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
