"""The benchmark's results: the targets checked, docs/benchmarks.json and docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import runpy
from datetime import UTC, datetime
from pathlib import Path

import django
import gunicorn

from portal.bench import signin
from portal.bench.load import ms, percentile
from portal.bench.stack import BASE_DIR, Database, Deployment

PAGE_NAMES = {
    "dashboard": "Dashboard `/`",
    "invoices": "Invoice list `/billing/invoices/`",
    "invoice": "Invoice `/billing/invoices/<n>/`",
    "tickets": "Ticket list `/support/tickets/`",
}
COLD_FACTOR = 1.5
WARM_SHARE = 0.5
WARM_CALLS = 0.2
WEBHOOK_P95_MS = 50
NONE = "-"


def merge_slices(slices: list[dict]) -> dict:
    """The baseline's slices (run between the pages) as one measurement."""
    latencies = [x for s in slices for x in s["latencies"]]
    seconds = sum(s["seconds"] for s in slices)
    count = sum(s["requests"] for s in slices)
    return {
        "requests": count,
        "failures": sum(s["failures"] for s in slices),
        "seconds": round(seconds, 3),
        "requests_per_second": round(count / seconds, 1) if seconds else None,
        "slices_requests_per_second": [s["requests_per_second"] for s in slices],
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "concurrency": slices[0]["concurrency"] if slices else None,
        "bytes_raw": slices[0]["bytes_raw"] if slices else None,
        "bytes_gzip": slices[0]["bytes_gzip"] if slices else None,
        "smartisp_calls_per_view": 0.0,
        "latencies": latencies,
    }


def gunicorn_settings(env: dict[str, str]) -> dict:
    """gunicorn.conf.py's values under the deployment's environment."""
    keys = ("WEB_CONCURRENCY", "GUNICORN_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    try:
        for key in keys:
            if key in env:
                os.environ[key] = env[key]
            else:
                os.environ.pop(key, None)
        conf = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {k: conf[k] for k in ("workers", "threads", "worker_class")}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _redis_version(url: str) -> str:
    if not url:
        return ""
    import redis

    return str(redis.Redis.from_url(url).info("server").get("redis_version", ""))


def machine(args, deployment: Deployment, database: Database, seconds: float) -> dict:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "gunicorn_settings": gunicorn_settings(deployment.env),
        "database": database.server_version(),
        "cache": (
            f"Redis {_redis_version(deployment.cache_url)} (Django's RedisCache, client reused)"
            if deployment.cache_url
            else "local memory (one per gunicorn process: Redis was not reachable)"
        ),
        "sessions": "cached_db",
        "smartisp_latency_ms": args.latency_ms,
        "cold_concurrency": args.cold_concurrency,
        "warm_concurrency": args.warm_concurrency,
        "warm_seconds_per_run": args.seconds,
        "subscribers_per_cold_page": args.subscribers,
        "run_seconds": round(seconds, 1),
    }


def targets(results: dict) -> list[dict]:
    """Each target of the issue, checked page by page from this run's figures."""
    one_call = results["smartisp_call"]["measured_p50_ms"]
    limit = round(COLD_FACTOR * one_call, 1)
    pages = results["pages"]
    cold = [{"page": p, "value": v["cold"]["p50_ms"], "limit": limit} for p, v in pages.items()]
    warm = [
        {
            "page": p,
            "value": v["warm"]["requests_per_second"],
            "baseline": v["warm"]["baseline_requests_per_second"],
            "limit": round(WARM_SHARE * v["warm"]["baseline_requests_per_second"], 1),
        }
        for p, v in pages.items()
    ]
    calls = [
        {"page": p, "value": v["warm"]["smartisp_calls_per_view"], "limit": WARM_CALLS}
        for p, v in pages.items()
    ]
    for item in cold:
        item["met"] = item["value"] is not None and item["value"] <= item["limit"]
    for item in warm:
        item["met"] = item["value"] is not None and item["value"] >= item["limit"]
    for item in calls:
        item["met"] = item["value"] is not None and item["value"] <= item["limit"]
    hook = results["webhook"]
    failures_free = all(v[k]["failures"] == 0 for v in pages.values() for k in ("cold", "warm"))
    return [
        {
            "target": f"cold page p50 ≤ {COLD_FACTOR}x one SmartISP call ({one_call} ms)",
            "met": all(i["met"] for i in cold),
            "pages": cold,
        },
        {
            "target": f"warm pages ≥ {WARM_SHARE:.0%} of the bare view's requests per second",
            "met": all(i["met"] for i in warm),
            "pages": warm,
        },
        {
            "target": f"≤ {WARM_CALLS} SmartISP calls per warm page view",
            "met": all(i["met"] for i in calls),
            "pages": calls,
        },
        {
            "target": f"webhook acknowledgement p95 < {WEBHOOK_P95_MS} ms while SmartISP hangs",
            "met": hook["p95_ms"] is not None
            and hook["p95_ms"] < WEBHOOK_P95_MS
            and hook["failures"] == 0,
            "value": hook["p95_ms"],
            "limit": WEBHOOK_P95_MS,
        },
        {
            "target": "every page view answered 200 with the subscriber's own data",
            "met": failures_free,
        },
        *month_start_targets(results),
    ]


def month_start_targets(results: dict) -> list[dict]:
    """Issue 14: every month-start journey ends with every invoice recorded, none failing."""
    month = results.get("month_start")
    if month is None:
        return []
    return [
        {
            "target": "month start: every journey pays everything and sees it settled",
            "met": month["failures"] == 0 and month["journeys"] > 0,
        }
    ]


def month_start_markdown(r: dict) -> list[str]:
    """The month-start section of docs/benchmarks.md (issue 14)."""
    m = r.get("month_start")
    if m is None:
        return []
    lines = [
        "",
        "## Month start: sign in, dashboard, pay everything, settled",
        "",
        f"{m['journeys']} synthetic subscribers, each owing {m['invoices_per_subscriber']} "
        f"invoices, {m['concurrency']} at a time: sign in through the form, open the dashboard, "
        "press the total's own Pay button (one checkout for everything owed), pay with the test "
        "card at the sandbox gateway (which sends its webhook before redirecting), then poll the "
        "payment page until the task worker has recorded every invoice in SmartISP "
        f"({m['smartisp_latency_ms']} ms a call), then open the dashboard again, nothing owed. "
        f"{_n(m['journeys_per_second'])} journeys per second; a journey p50 "
        f"{_n(m['journey_p50_ms'])} ms, p95 {_n(m['journey_p95_ms'])} ms; "
        f"{m['invoices_paid']} invoices paid; {_n(m['smartisp_calls_per_journey'])} SmartISP "
        f"calls per journey; **{m['failures']} failures**.",
        "",
        "| step | p50 | p95 |",
        "|---|---|---|",
    ]
    for step, v in m["steps"].items():
        lines.append(f"| {step} | {_n(v['p50_ms'])} ms | {_n(v['p95_ms'])} ms |")
    lines += ["", "CPU per journey, by process:", "", "| process | ms of CPU per journey |"]
    lines.append("|---|---|")
    for name, value in m["cpu_ms_per_journey"].items():
        lines.append(f"| {name} | {_n(value)} |")
    if m["failure_examples"]:
        lines += ["", "Failures: " + "; ".join(m["failure_examples"])]
    return lines


def _strip(value):
    """The results without the raw latency lists (kept only while computing)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("latencies", "rps")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def write(results: dict, out: Path) -> None:
    results["targets"] = targets(results)
    clean = _strip(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(clean, indent=2, ensure_ascii=False) + "\n")
    (out / "benchmarks.md").write_text(markdown(clean))


def _yes(met: bool) -> str:
    return "**met**" if met else "**not met**"


def _n(value, suffix: str = "") -> str:
    if value is None:
        return NONE
    return f"{value:g}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


def _cpu_shares(cpu: dict) -> list[str]:
    """What the CPU table says about the warm ratio: with the CPUs busy in both runs, a page's
    share of the bare view's requests per second is about the inverse ratio of CPU per request."""
    lines = []
    for page in PAGE_NAMES:
        used, bare = cpu.get(f"{page} warm"), cpu.get(f"baseline before {page}")
        if not used or not bare or None in used.values() or None in bare.values():
            continue
        ours, theirs = sum(used.values()), sum(bare.values())
        portal = used["portal (gunicorn)"]
        lines.append(
            f"- {page}: {ours:.1f} ms of CPU per view in all ({portal:.1f} ms in gunicorn), "
            f"against {theirs:.1f} ms for a bare view ({bare['portal (gunicorn)']:.1f} ms in "
            f"gunicorn): {theirs / ours:.0%} of its throughput at best."
        )
    if lines:
        lines.insert(0, "Warm, per request, all processes together:")
        lines.insert(1, "")
    return lines


def markdown(r: dict) -> str:
    run, call, pages, base = r["run"], r["smartisp_call"], r["pages"], r["baseline"]
    gs = run["gunicorn_settings"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m portal.bench`); the same figures are in",
        "`docs/benchmarks.json`. Run it again to refresh both.",
        "",
        f"Run of {run['date']} on {run['nproc']} CPUs ({run['cpu']}, {run['memory_gb']} GB), "
        f"Python {run['python']}, Django {run['django']}, gunicorn {run['gunicorn']} "
        f"({gs['workers']} processes x {gs['threads']} threads, {gs['worker_class']}), "
        f"{run['database']}, cache {run['cache']}, sessions {run['sessions']}. "
        f"Sandbox SmartISP latency {run['smartisp_latency_ms']} ms per call; one call measured "
        f"from the portal's machine: p50 {call['measured_p50_ms']} ms, p95 "
        f"{call['measured_p95_ms']} ms. Load average (1 min) at the start "
        f"{run.get('load_average_at_start', '?')}, at the end {run['load_average_at_end'][0]}.",
        "",
        "## Targets",
        "",
        "| target | ours | limit | |",
        "|---|---|---|---|",
    ]
    for t in r["targets"]:
        if "pages" in t:
            for i, item in enumerate(t["pages"]):
                label = t["target"] if i == 0 else ""
                limit = _n(item["limit"])
                if "baseline" in item:
                    limit += f" (bare view {_n(item['baseline'])} rps)"
                lines.append(
                    f"| {label} | {item['page']}: {_n(item['value'])} | {limit} | "
                    f"{_yes(item['met'])} |"
                )
        else:
            ours = _n(t.get("value"), " ms") if "value" in t else NONE
            limit = _n(t.get("limit"), " ms") if "limit" in t else NONE
            lines.append(f"| {t['target']} | {ours} | {limit} | {_yes(t['met'])} |")
    lines += [
        "",
        "## Pages and the bare view",
        "",
        f"Cold: the subscriber's cached SmartISP data dropped just before, every subscriber once, "
        f"{run['cold_concurrency']} clients at a time. Warm: {run['warm_concurrency']} clients "
        f"in a closed loop for {run['warm_seconds_per_run']:g} s per page, after a 1 s warm-up "
        "not counted. The bare view (`/_bench/baseline`, plain text through the same "
        "middleware, routed only when `BENCH_BASELINE=true`) is served by the same gunicorn; "
        "its warm figures come from slices run just before each page, and each page's ratio "
        "uses the slice before it.",
        "",
        "| page | cold p50 | cold p95 | SmartISP calls per view, cold | warm p50 | warm p95 | "
        "warm req/s | bare view req/s | share | SmartISP calls per view, warm | HTML, gzip |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page, v in pages.items():
        c, w = v["cold"], v["warm"]
        share = (
            f"{w['requests_per_second'] / w['baseline_requests_per_second']:.0%}"
            if w["requests_per_second"] and w["baseline_requests_per_second"]
            else NONE
        )
        lines.append(
            f"| {PAGE_NAMES[page]} | {_n(c['p50_ms'])} ms | {_n(c['p95_ms'])} ms | "
            f"{_n(c['smartisp_calls_per_view'])} | {_n(w['p50_ms'])} ms | {_n(w['p95_ms'])} ms | "
            f"{_n(w['requests_per_second'])} | {_n(w['baseline_requests_per_second'])} | {share} | "
            f"{_n(w['smartisp_calls_per_view'])} | {_n(w['bytes_gzip'])} B |"
        )
    bc, bw = base["cold"], base["warm"]
    lines.append(
        f"| **bare view (baseline)** | {_n(bc['p50_ms'])} ms | {_n(bc['p95_ms'])} ms | 0 | "
        f"{_n(bw['p50_ms'])} ms | {_n(bw['p95_ms'])} ms | {_n(bw['requests_per_second'])} | "
        f"{_n(bw['requests_per_second'])} | 100% | 0 | {_n(bw['bytes_gzip'])} B |"
    )
    encodings = sorted({e for v in pages.values() for e in v["warm"]["server_encodings"]})
    lines += [
        "",
        "Sizes are of the HTML alone"
        + (
            ", gzipped at level 6 by the benchmark: the portal itself does not compress pages "
            "(the reverse proxy does, see docs/deployment.md)."
            if encodings == ["identity"]
            else f", as the server sent them ({', '.join(encodings)})."
        ),
    ]
    if "assets" in r:
        a = r["assets"]
        lines.append(
            f"A first visit to the dashboard also loads {a['files']} static files, "
            f"{a['bytes_compressed']} B compressed (whitenoise serves them precompressed and "
            f"cacheable for a year): {a['first_view_total_bytes']} B in all, against the design's "
            "60 KB."
        )
    h = r["webhook"]
    lines += [
        "",
        "## Webhook while SmartISP hangs",
        "",
        f"{h['webhooks']} real checkouts, paid at the sandbox gateway, their signed "
        f"`payment.succeeded` events posted once each, {h['concurrency']} at a time, while the "
        "sandbox SmartISP holds every call (fault mode `timeout`) and the task worker works "
        "through the events they queue (its settlements hang on SmartISP): acknowledgement "
        f"p50 {_n(h['p50_ms'])} ms, p95 {_n(h['p95_ms'])} ms, "
        f"max {_n(h['max_ms'])} ms, {h['failures']} failures.",
        *month_start_markdown(r),
        "",
        "## Where the CPU goes",
        "",
        "Milliseconds of CPU per request, by process, from /proc (redis-server is shared with "
        "anything else using it on this machine; PostgreSQL counts only the backends of the "
        "benchmark's own database that were still open at the end of a run).",
        "",
    ]
    names = list(next(iter(r["cpu"].values())).keys())
    lines.append("| phase | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for phase, used in r["cpu"].items():
        lines.append(f"| {phase} | " + " | ".join(_n(used[n]) for n in names) + " |")
    lines += ["", *_cpu_shares(r["cpu"])]
    if "signin" in r:
        lines += signin.markdown(r["signin"])
    lines += [
        "",
        "## How it is measured",
        "",
        "- Everything runs on this one machine, on loopback: the sandbox SmartISP and gateway, "
        "gunicorn with production settings (`DEBUG=false`, a generated `SECRET_KEY`, "
        "`collectstatic` first, plain HTTP), the task worker, PostgreSQL, Redis and the clients. "
        "The clients (Python threads, one `requests.Session` each) use CPU the portal would "
        "otherwise have; their share is in the table above.",
        "- gunicorn's worker recycling is off for the run (`GUNICORN_MAX_REQUESTS=0`; production "
        "restarts a process after about 20000 requests): a run sends about 100000 requests in a "
        "few minutes, and a restart landing inside one 8-second phase would measure the restart, "
        "not the page. A restart costs one process start (about 0.3 s of CPU to import the "
        "portal, then its first renders), some 0.02 ms per request over 20000 requests.",
        "- Synthetic subscribers are created in the sandbox through its API (one service, six "
        "paid and two unpaid invoices, one ticket each) and get portal accounts. One signs in "
        "through the sign-in form; the others get the session `django.contrib.auth.login` "
        "would store, made directly (a million PBKDF2 rounds per sign-in would take minutes).",
        "- A warm view is a subscriber looking at a page again: the page kept for their session "
        "(`portal/pagecache.py`) is checked against their SmartISP cache generation (which "
        "every save of one of their payments renews) and their account (read from the cache), "
        "and served with new CSRF tokens and CSP nonce, without rendering. A kept page leaves "
        "the cache "
        "with the first SmartISP answer it shows (a minute after it was fetched) and is made "
        "again from fresh answers; such renders fall inside the warm runs and are counted.",
        "- A page view counts when it answers 200 with the subscriber's own data on it; "
        "latency is from sending the request to having read the whole body.",
        "- SmartISP calls per view are the sandbox's own count of the API calls it received "
        "during the run, divided by the page views.",
        "- Percentiles are nearest-rank. Throughput on a shared machine varies from run to run; "
        "the load average above says how busy the machine was.",
        "",
    ]
    return "\n".join(lines)
