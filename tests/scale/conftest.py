"""The scale-out test's deployment: two gunicorn instances and two task workers on one PostgreSQL
database and one Redis, with the sandbox SmartISP and gateway (portal.bench.stack).

It needs the machine's PostgreSQL (DATABASE_URL=postgres://…) and Redis (CACHE_URL=redis://…), as
CI's second run provides; without them the tests are skipped, and said so at the end of the run.
The deployment gets a database of its own (portal_scale_<random>), dropped afterwards; it never
touches pytest-django's test database.
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.bench.stack import Database, Deployment, postgres_reachable, redis_reachable

LEASE_SECONDS = 4
WORKERS = ("worker-1", "worker-2")

_skipped: list[str] = []


def scale_skip_reason() -> str:
    database_url = os.environ.get("DATABASE_URL", "")
    cache_url = os.environ.get("CACHE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL is not PostgreSQL (CI's second run sets postgres://…)"
    if not cache_url.startswith(("redis://", "rediss://")):
        return "CACHE_URL is not Redis (CI's second run sets redis://…)"
    if not postgres_reachable(database_url):
        return f"PostgreSQL at DATABASE_URL does not answer ({database_url})"
    if not redis_reachable(cache_url):
        return f"Redis at CACHE_URL does not answer ({cache_url})"
    return ""


class Cluster:
    """The running deployment, as the tests see it."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.db = deployment.database

    def url(self, instance: int) -> str:
        return self.d.portal_url(instance)

    def worker_start(self, name: str) -> None:
        self.d.start_worker(
            name,
            "--worker-id", name, "--interval", "0.2", "--reconcile-interval", "1",
            command=[sys.executable, str(Path(__file__).with_name("lease_worker.py"))],
        )  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    reason = scale_skip_reason()
    if reason:
        _skipped.append(reason)
        pytest.skip(f"SCALE-OUT TEST NOT RUN: {reason}")
    database = Database.postgres(os.environ["DATABASE_URL"], prefix="portal_scale")
    deployment = Deployment(
        state_dir=tmp_path_factory.mktemp("scale"),
        database=database,
        cache_url=os.environ["CACHE_URL"],
        instances=2,
        gunicorn_workers=1,
        gunicorn_threads=8,
        extra_env={
            # Long enough that a worker killed mid-call is killed before its own timeout.
            "SMARTISP_TIMEOUT": "30",
            "SCALE_LEASE_SECONDS": str(LEASE_SECONDS),
            "SCALE_OVERDUE_GRACE_SECONDS": "1",
        },
    )
    cluster = Cluster(deployment)
    try:
        deployment.prepare()
        deployment.start_sandbox()
        deployment.start_portals()
        for name in WORKERS:
            cluster.worker_start(name)
        yield cluster
    finally:
        deployment.stop()
        deployment.cache_clear()
        database.drop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test shows the end of every process's log (gunicorn, workers, sandbox)."""
    outcome = yield
    report = outcome.get_result()
    cluster = getattr(item, "funcargs", {}).get("cluster")
    if report.when == "call" and report.failed and isinstance(cluster, Cluster):
        for name in cluster.d.processes:
            report.sections.append((f"log of {name}", cluster.d.log_tail(name, 4000)))


def pytest_terminal_summary(terminalreporter) -> None:
    if _skipped:
        terminalreporter.write_sep("!", "scale-out test SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            f"tests/scale/ did not run: {_skipped[0]}. Run it with "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres "
            "CACHE_URL=redis://127.0.0.1:6379/0",
            red=True,
        )
