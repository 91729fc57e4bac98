"""A production-shaped deployment on one machine, on free ports: the sandbox SmartISP and gateway,
any number of portal instances (gunicorn, DEBUG off) and task workers, one database, one cache.

`make bench` measures it; tests/scale/ checks that its instances and workers share state safely.
Every process runs in its own session with its output in the state directory, so a failure can
be read afterwards and everything is stopped by process group.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from portal.sandbox.demo import free_port, wait_for_port

BASE_DIR = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Database 1: test runs with CACHE_URL=redis://…/0 empty database 0 between tests.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
SANDBOX_KEY = "sandbox-key"
SANDBOX_SECRET = "sandbox-secret"

logger = logging.getLogger(__name__)


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except Exception:
        return False
    return True


def redis_reachable(url: str = REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


@dataclass
class Database:
    """The deployment's own database: a fresh PostgreSQL database, or an SQLite file."""

    url: str
    engine: str  # "postgresql" or "sqlite"
    name: str
    admin_url: str = ""

    @classmethod
    def postgres(cls, admin_url: str = POSTGRES_URL, prefix: str = "portal_bench") -> Database:
        """CREATE DATABASE <prefix>_<random> on the server `admin_url` points at."""
        import psycopg

        name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(admin_url)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
        return cls(url=url, engine="postgresql", name=name, admin_url=admin_url)

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        return cls(url=f"sqlite:///{path}", engine="sqlite", name=str(path))

    def server_version(self) -> str:
        if self.engine == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as conn:
            return "PostgreSQL " + str(conn.execute("SHOW server_version").fetchone()[0])

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one query on a connection of its own (how a test looks at the ledger)."""
        if self.engine == "sqlite":
            with sqlite3.connect(self.name, timeout=20) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def drop(self) -> None:
        if self.engine == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Deployment:
    """Sandbox SmartISP and gateway, `instances` gunicorn portals, task workers; free ports."""

    state_dir: Path
    database: Database
    cache_url: str = ""  # "" means Django's local-memory cache, one per process
    instances: int = 1
    gunicorn_workers: int | None = None  # None: gunicorn.conf.py's default
    gunicorn_threads: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    cache_prefix: str = field(default_factory=lambda: f"portal-{secrets.token_hex(4)}")
    smartisp_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    portal_ports: list[int] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        while len(self.portal_ports) < self.instances:
            port = free_port()
            if port not in (self.smartisp_port, self.gateway_port, *self.portal_ports):
                self.portal_ports.append(port)
        self.secret_key = secrets.token_urlsafe(50)

    # -- addresses ----------------------------------------------------------------------------

    def portal_url(self, instance: int = 0) -> str:
        return f"http://127.0.0.1:{self.portal_ports[instance]}"

    @property
    def smartisp_url(self) -> str:
        return f"http://127.0.0.1:{self.smartisp_port}"

    @property
    def smartisp_api_url(self) -> str:
        return f"{self.smartisp_url}/api/SmartIPS-v1/"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def env(self) -> dict[str, str]:
        """Production settings (DEBUG off, a generated SECRET_KEY), over plain HTTP on loopback."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PORTAL_TESTING", "CACHE_URL", "DATABASE_URL", "DEBUG")
        }
        env.update(
            {
                "DEBUG": "false",
                "HTTPS_ONLY": "false",
                "SECRET_KEY": self.secret_key,
                # The developer's .env is not read: the run is the same on every machine.
                "PORTAL_ENV_FILE": "",
                "PORTAL_URL": self.portal_url(0),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": self.database.url,
                "CACHE_KEY_PREFIX": self.cache_prefix,
                "SMARTISP_URL": self.smartisp_api_url,
                "SMARTISP_API_KEY": SANDBOX_KEY,
                "SANDBOX_SMARTISP_KEY": SANDBOX_KEY,
                "SANDBOX_GATEWAY_URL": self.gateway_url,
                "SANDBOX_GATEWAY_SECRET": SANDBOX_SECRET,
                "PAYMENT_GATEWAY": "sandbox",
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(self.state_dir / "emails"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.cache_url:
            env["CACHE_URL"] = self.cache_url
        if self.gunicorn_workers:
            env["WEB_CONCURRENCY"] = str(self.gunicorn_workers)
        if self.gunicorn_threads:
            env["GUNICORN_THREADS"] = str(self.gunicorn_threads)
        env.update(self.extra_env)
        return env

    # -- processes ----------------------------------------------------------------------------

    def manage(self, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
        """Run a management command to completion; its standard output. Raises on failure."""
        result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, str(BASE_DIR / "manage.py"), *args],
            env=self.env,
            cwd=BASE_DIR,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {args[0]} failed ({result.returncode}):\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def prepare(self) -> None:
        """Static files for the manifest storage of production settings, then migrations."""
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("migrate", "--noinput", "-v", "0")

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.state_dir / f"{name}.log", "ab")  # noqa: SIM115 (the child owns it)
        try:
            self.processes[name] = subprocess.Popen(  # noqa: S603 (commands built here)
                command,
                env=env or self.env,
                cwd=BASE_DIR,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def start_sandbox(self, *, smartisp_env: dict[str, str] | None = None) -> None:
        python = sys.executable
        self.start(
            "smartisp",
            [python, "-m", "portal.sandbox.smartisp_server", "--port", str(self.smartisp_port),
             "--db", str(self.state_dir / "smartisp.sqlite3"), "--seed", "--log-level", "WARNING"],
            env={**self.env, **(smartisp_env or {})},
        )  # fmt: skip
        self.start(
            "gateway",
            [python, "-m", "portal.sandbox.gateway_server", "--port", str(self.gateway_port),
             "--db", str(self.state_dir / "gateway.sqlite3"), "--secret", SANDBOX_SECRET,
             "--public-url", self.gateway_url, "--log-level", "WARNING"],
        )  # fmt: skip
        self._wait_http("smartisp", f"{self.smartisp_url}/_sandbox/health")
        self._wait_http("gateway", f"{self.gateway_url}/_sandbox/health")

    def start_portals(self) -> None:
        """Every instance: `gunicorn portal.wsgi` with gunicorn.conf.py, on its own port."""
        for index, port in enumerate(self.portal_ports):
            self.start(
                f"portal-{index}",
                [sys.executable, "-m", "gunicorn", "portal.wsgi", "--config",
                 str(BASE_DIR / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
            )  # fmt: skip
        for index in range(len(self.portal_ports)):
            self._wait_http(f"portal-{index}", f"{self.portal_url(index)}/accounts/login/")

    def start_worker(self, name: str, *args: str, command: list[str] | None = None) -> None:
        """A task worker (`manage.py db_worker`, which also runs the reconciler)."""
        base = command or [sys.executable, str(BASE_DIR / "manage.py"), "db_worker"]
        self.start(name, [*base, *args])

    def _wait_http(self, name: str, url: str, seconds: float = 60) -> None:
        port = urlsplit(url).port or 80
        deadline = time.monotonic() + seconds
        if not wait_for_port(port, seconds):
            self._failed(name, f"did not open port {port}")
        while time.monotonic() < deadline:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                self._failed(name, f"exited with {process.returncode}")
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self._failed(name, f"did not answer {url} within {seconds:.0f} s")

    def _failed(self, name: str, what: str) -> None:
        raise RuntimeError(f"{name} {what}; its log ends:\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.state_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal one process (and its children, e.g. gunicorn's workers) by its group."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)
        process.wait(timeout=10)

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    # -- the shared cache ---------------------------------------------------------------------

    def cache_clear(self, pattern: str = "*") -> int:
        """Delete this deployment's keys matching `pattern` from Redis; how many were deleted."""
        if not self.cache_url:
            return 0
        import redis

        client = redis.Redis.from_url(self.cache_url)
        deleted = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{self.cache_prefix}:*:{pattern}", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch.clear()
        if batch:
            deleted += client.delete(*batch)
        return deleted
