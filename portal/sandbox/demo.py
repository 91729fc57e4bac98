"""`make demo`: migrations, then the sandbox SmartISP, the sandbox gateway, the portal and the task
worker together, with ready sign-ins printed. One Ctrl-C stops all of them.

The demo runs as production does (DEBUG off, static files collected and served by whitenoise, the
real 404 and 500 pages); only the mail stays on the console and SmartISP and the gateway are the
sandbox's. Its state (.demo/) starts afresh at every run unless `--keep` (`make demo KEEP=1`).

`Stack` is also what the browser suite, the screenshots and `make audit` start (on free ports,
each with its own state directory)."""

import argparse
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_STATE = BASE_DIR / ".demo"
DEMO_PASSWORD = "demo-portal-2026"
DEMO_BANK_ACCOUNTS = (
    "Banco Pichincha|Ahorros|2201234567|Mi ISP S.A.;"
    "Banco Guayaquil|Corriente|0012345678|Mi ISP S.A."
)
# The sandbox's subscriber with a phone and no email (portal/sandbox/smartisp_server.py, "(e)").
DEMO_PHONE_DNI = "0401234567"
# A staff member of the provider, to review reported transfers at /staff/transfers/.
DEMO_STAFF_DNI = "1799999999"
DEMO_STAFF_NAME = "Ana Revisora"


@dataclass(frozen=True)
class DemoSubscriber:
    """A sandbox subscriber (portal/sandbox/smartisp_server.py SEED_CLIENTS) worth trying."""

    dni: str
    name: str
    shows: str
    account: bool = True  # made with the demo password; False: the subscriber signs up themselves


# The first is the one the browser suite, the screenshots and the audit sign in as.
DEMO_SUBSCRIBERS = (
    DemoSubscriber(
        "0102030405",
        "Juan Pérez",
        "owes several months (3 unpaid invoices, one the Wi-Fi installation), 5 tickets",
    ),
    DemoSubscriber(
        "0603456789", "Carlos Quishpe", "suspended: 4 unpaid months, the cut-off date passed"
    ),
    DemoSubscriber(
        "0401234567",
        "Luis Chávez",
        "no email on file: no account yet, he gets in by a WhatsApp code",
        account=False,
    ),
    DemoSubscriber("0912345678", "María Torres", "all paid: two years of paid invoices"),
)
DEMO_DNI = DEMO_SUBSCRIBERS[0].dni

logger = logging.getLogger("demo")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not port_free(port):
            return True
        time.sleep(0.1)
    return False


@dataclass(frozen=True)
class Part:
    """One process of the stack; a `port` is waited for before the portal starts."""

    name: str
    command: list[str]
    port: int | None = None


@dataclass
class Stack:
    """The whole product on one machine: sandbox SmartISP and gateway, portal, task worker."""

    state_dir: Path
    port: int = 8000
    smartisp_port: int = 8001
    gateway_port: int = 8002
    messaging_port: int = 0  # the WhatsApp Cloud API stand-in (issue 16); 0: any free port
    extra_env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    # DEBUG off by default: the stack behaves as production does (error pages, whitenoise).
    debug: bool = False
    processes: list[subprocess.Popen] = field(default_factory=list)
    # One key per stack: every process of it signs and reads the same sessions.
    secret_key: str = field(default_factory=lambda: "demo-" + secrets.token_urlsafe(32))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def smartisp_url(self) -> str:
        return f"http://127.0.0.1:{self.smartisp_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def __post_init__(self) -> None:
        if not self.messaging_port:
            self.messaging_port = free_port()

    @property
    def messaging_url(self) -> str:
        return f"http://127.0.0.1:{self.messaging_port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        defaults = {
            "DEBUG": "true" if self.debug else "false",
            "SECRET_KEY": self.secret_key,
            "HTTPS_ONLY": "false",
            "PORTAL_URL": self.url,
            "DATABASE_URL": f"sqlite:///{self.state_dir / 'portal.sqlite3'}",
            "STATIC_ROOT": str(self.state_dir / "static"),
            # Outside DEBUG the default is SMTP: the demo prints its mail instead.
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "SMARTISP_URL": f"{self.smartisp_url}/api/SmartIPS-v1/",
            "SMARTISP_API_KEY": "sandbox-key",
            "SANDBOX_SMARTISP_KEY": "sandbox-key",
            "SANDBOX_GATEWAY_URL": self.gateway_url,
            "SANDBOX_GATEWAY_SECRET": "sandbox-secret",
            "PORTAL_SUPPORT_CONTACT": "WhatsApp +593 99 000 0000",
            # Bank transfers: the provider's accounts, and receipts kept in the demo's own folder.
            "PORTAL_BANK_ACCOUNTS": DEMO_BANK_ACCOUNTS,
            "MEDIA_ROOT": str(self.state_dir / "media"),
            # Codes by WhatsApp go to the stand-in, which prints each one (issue 16).
            "MESSAGING_BACKEND": "whatsapp",
            "WHATSAPP_API_URL": f"{self.messaging_url}/v25.0",
            "WHATSAPP_TOKEN": "sandbox-whatsapp-token",
            "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
            "WHATSAPP_CODE_TEMPLATE": "codigo_acceso",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("PORTAL_TESTING", None)
        for key, value in defaults.items():
            env.setdefault(key, value)
        env.update(self.extra_env)
        return env

    def _manage(self, *args: str) -> list[str]:
        return [sys.executable, str(BASE_DIR / "manage.py"), *args]

    def sandbox_parts(self) -> list[Part]:
        """The stand-ins for the outside world; the portal starts once all of them listen."""
        env = self.env
        return [
            Part(
                "sandbox smartisp",
                [sys.executable, "-m", "portal.sandbox.smartisp_server",
                 "--port", str(self.smartisp_port),
                 "--db", str(self.state_dir / "smartisp.sqlite3"), "--seed"],
                self.smartisp_port,
            ),
            Part(
                "sandbox gateway",
                [sys.executable, "-m", "portal.sandbox.gateway_server",
                 "--port", str(self.gateway_port),
                 "--db", str(self.state_dir / "gateway.sqlite3"),
                 "--secret", env["SANDBOX_GATEWAY_SECRET"], "--public-url", self.gateway_url],
                self.gateway_port,
            ),
            # The WhatsApp Cloud API stand-in: its log line of each code is what the demo shows.
            Part(
                "sandbox whatsapp",
                [sys.executable, "-m", "portal.sandbox.messaging_server",
                 "--port", str(self.messaging_port), "--token", env["WHATSAPP_TOKEN"],
                 "--phone-number-id", env["WHATSAPP_PHONE_NUMBER_ID"]],
                self.messaging_port,
            ),
        ]  # fmt: skip

    def portal_parts(self) -> list[Part]:
        return [
            Part("task worker", self._manage("db_worker")),
            Part(
                "portal",
                self._manage("runserver", f"127.0.0.1:{self.port}", "--noreload"),
                self.port,
            ),
        ]

    def _start(self, part: Part) -> None:
        logger.info("starting %s", part.name)
        output = subprocess.DEVNULL if self.quiet else None
        log = (
            open(self.state_dir / f"{part.name.replace(' ', '-')}.log", "ab")  # noqa: SIM115
            if self.quiet
            else None
        )
        self.processes.append(
            subprocess.Popen(
                part.command,
                env=self.env,
                cwd=BASE_DIR,
                start_new_session=True,
                stdout=log or output,
                stderr=log or output,
            )
        )

    def _run(self, *args: str) -> None:
        """A one-off manage.py command, quiet unless it fails."""
        result = subprocess.run(
            self._manage(*args), env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode:
            sys.stderr.write(result.stdout + result.stderr)
            raise RuntimeError(f"manage.py {args[0]} failed")

    def start(self) -> None:
        """Start everything; if a part fails, stop what already runs (no orphans on the ports)."""
        try:
            self._start_all()
        except BaseException:
            self.stop()
            raise

    def _start_all(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.debug:
            self._run("collectstatic", "--noinput", "-v", "0")
        self._run("migrate", "--noinput", "-v", "0")
        sandbox = self.sandbox_parts()
        for part in sandbox:
            self._start(part)
        if not all(wait_for_port(p.port) for p in sandbox if p.port):
            raise RuntimeError("the sandbox did not start")
        dnis = [arg for s in DEMO_SUBSCRIBERS if s.account for arg in ("--dni", s.dni)]
        self._run("accounts_demo_user", *dnis, "--password", DEMO_PASSWORD)
        self._run("shell", "-c", STAFF_ENSURE)
        portal = self.portal_parts()
        for part in portal:
            self._start(part)
        if not all(wait_for_port(p.port, 30) for p in portal if p.port):
            raise RuntimeError("the portal did not start")

    def running(self) -> bool:
        return all(p.poll() is None for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()


def staff_ensure(dni: str, password: str, name: str) -> str:
    """`manage.py shell -c` code that makes a staff account (staff only, not an admin) unless the
    DNI has one already (then it is kept as it is)."""
    return (
        "from accounts.models import User\n"
        f"User.objects.filter(dni={dni!r}).exists() or User.objects.create_user("
        f"{dni!r}, {password!r}, name={name!r}, is_staff=True)"
    )


# The demo's staff account, made at every start (kept when the state is).
STAFF_ENSURE = staff_ensure(DEMO_STAFF_DNI, DEMO_PASSWORD, DEMO_STAFF_NAME)


def banner(stack: Stack, *, kept: bool) -> str:
    """What the terminal shows once everything runs: where, who to sign in as, what each shows."""
    rows = "\n".join(f"    {s.dni}  {s.name:<15} {s.shows}" for s in DEMO_SUBSCRIBERS)
    state = (
        "kept from the last run (`make demo-reset` starts afresh)"
        if kept
        else "fresh: reset at every start (`make demo KEEP=1` keeps it)"
    )
    return (
        f"\n  Portal:   {stack.url}/   (DEBUG off: the real error pages)\n"
        f"  Sign in with the cédula of a sandbox subscriber, password {DEMO_PASSWORD}:\n"
        f"{rows}\n"
        f"  Staff:    cédula {DEMO_STAFF_DNI}, same password: reported transfers at "
        f"{stack.url}/staff/transfers/\n"
        f"  Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.\n"
        f"  Sandbox:  SmartISP {stack.smartisp_url}/  gateway {stack.gateway_url}/\n"
        f"  State:    {stack.state_dir.name}/ {state}\n"
        f"  No email? DNI {DEMO_PHONE_DNI} signs in by a WhatsApp code at {stack.url}"
        f'/accounts/code/; the code is printed here ("WhatsApp: code …").\n'
        f"  Emails (activation links, receipts) are printed here. Ctrl-C stops everything.\n\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--smartisp-port", type=int, default=8001)
    parser.add_argument("--gateway-port", type=int, default=8002)
    parser.add_argument("--messaging-port", type=int, default=8003)
    parser.add_argument("--keep", action="store_true", help="keep .demo/ from the last run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="demo: %(message)s")

    for port in (args.port, args.smartisp_port, args.gateway_port, args.messaging_port):
        if not port_free(port):
            logger.error(
                "port %s is already in use; stop what runs there or pass "
                "PORT=…, SMARTISP_PORT=…, GATEWAY_PORT=… or MESSAGING_PORT=…",
                port,
            )
            return 1
    kept = args.keep and DEMO_STATE.exists()
    if not args.keep:
        shutil.rmtree(DEMO_STATE, ignore_errors=True)
    if os.environ.get("DATABASE_URL"):
        logger.warning("DATABASE_URL is set: the portal uses it, and the demo never resets it")

    # Ctrl-C (or a plain `kill`) stops everything, even when started where SIGINT was ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = Stack(
        state_dir=DEMO_STATE,
        port=args.port,
        smartisp_port=args.smartisp_port,
        gateway_port=args.gateway_port,
        messaging_port=args.messaging_port,
    )
    try:
        stack.start()
        sys.stdout.write(banner(stack, kept=kept))
        sys.stdout.flush()
        while stack.running():
            time.sleep(0.5)
        logger.error("a process stopped; stopping the others")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C (or make passing its own signal on) must not leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
