"""`make demo`: migrations, then the sandbox SmartISP, the sandbox gateway, the portal and the task
worker together, with a ready sign-in printed. One Ctrl-C stops all of them.

`Stack` is also what the browser suite starts (on free ports, with its own state directory)."""

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_DNI = "0102030405"
DEMO_PASSWORD = "demo-portal-2026"
DEMO_BANK_ACCOUNTS = (
    "Banco Pichincha|Ahorros|2201234567|Mi ISP S.A.;"
    "Banco Guayaquil|Corriente|0012345678|Mi ISP S.A."
)
# The sandbox's subscriber with a phone and no email (portal/sandbox/smartisp_server.py, "(e)").
DEMO_PHONE_DNI = "0401234567"

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
    processes: list[subprocess.Popen] = field(default_factory=list)

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
            "DEBUG": "true",
            "HTTPS_ONLY": "false",
            "PORTAL_URL": self.url,
            "DATABASE_URL": f"sqlite:///{self.state_dir / 'portal.sqlite3'}",
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

    def _start(self, name: str, command: list[str]) -> None:
        logger.info("starting %s", name)
        output = subprocess.DEVNULL if self.quiet else None
        log = open(self.state_dir / f"{name.replace(' ', '-')}.log", "ab") if self.quiet else None  # noqa: SIM115
        self.processes.append(
            subprocess.Popen(
                command,
                env=self.env,
                cwd=BASE_DIR,
                start_new_session=True,
                stdout=log or output,
                stderr=log or output,
            )
        )

    def start(self) -> None:
        """Start everything; if a part fails, stop what already runs (no orphans on the ports)."""
        try:
            self._start_all()
        except BaseException:
            self.stop()
            raise

    def _start_all(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = self.env
        subprocess.run(self._manage("migrate", "--noinput", "-v", "0"), env=env, check=True)
        self._start(
            "sandbox smartisp",
            [sys.executable, "-m", "portal.sandbox.smartisp_server",
             "--port", str(self.smartisp_port),
             "--db", str(self.state_dir / "smartisp.sqlite3"), "--seed"],
        )  # fmt: skip
        self._start(
            "sandbox gateway",
            [sys.executable, "-m", "portal.sandbox.gateway_server",
             "--port", str(self.gateway_port),
             "--db", str(self.state_dir / "gateway.sqlite3"),
             "--secret", env["SANDBOX_GATEWAY_SECRET"], "--public-url", self.gateway_url],
        )  # fmt: skip
        # The WhatsApp Cloud API stand-in: its log line of each code is what the demo shows.
        self._start(
            "sandbox whatsapp",
            [sys.executable, "-m", "portal.sandbox.messaging_server",
             "--port", str(self.messaging_port), "--token", env["WHATSAPP_TOKEN"],
             "--phone-number-id", env["WHATSAPP_PHONE_NUMBER_ID"]],
        )  # fmt: skip
        if not wait_for_port(self.messaging_port):
            self.stop()
            raise RuntimeError("the WhatsApp stand-in did not start")
        if not (wait_for_port(self.smartisp_port) and wait_for_port(self.gateway_port)):
            self.stop()
            raise RuntimeError("the sandbox did not start")
        subprocess.run(
            self._manage("accounts_demo_user", "--dni", DEMO_DNI, "--password", DEMO_PASSWORD),
            env=env,
            check=True,
            stdout=subprocess.DEVNULL if self.quiet else None,
        )
        self._start("task worker", self._manage("db_worker"))
        self._start("portal", self._manage("runserver", f"127.0.0.1:{self.port}", "--noreload"))
        if not wait_for_port(self.port, 30):
            self.stop()
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--smartisp-port", type=int, default=8001)
    parser.add_argument("--gateway-port", type=int, default=8002)
    parser.add_argument("--messaging-port", type=int, default=8003)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="demo: %(message)s")

    for port in (args.port, args.smartisp_port, args.gateway_port, args.messaging_port):
        if not port_free(port):
            logger.error("port %s is already in use; stop what runs there or pass PORT=…", port)
            return 1

    # Ctrl-C (or a plain `kill`) stops everything, even when started where SIGINT was ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = Stack(
        state_dir=BASE_DIR / ".demo",
        port=args.port,
        smartisp_port=args.smartisp_port,
        gateway_port=args.gateway_port,
        messaging_port=args.messaging_port,
        extra_env={"DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3")},
    )
    try:
        stack.start()
        sys.stdout.write(
            f"\n  Portal:   {stack.url}/\n"
            f"  Sign in:  DNI {DEMO_DNI}  password {DEMO_PASSWORD}\n"
            f"  Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.\n"
            f"  Emails (activation links, receipts) are printed here. Ctrl-C stops everything.\n"
            f"  No email? DNI {DEMO_PHONE_DNI} signs in by a WhatsApp code at {stack.url}"
            f'/accounts/code/; the code is printed here ("WhatsApp: code …").\n\n'
        )
        sys.stdout.flush()
        while stack.running():
            time.sleep(0.5)
        logger.error("a process stopped; stopping the others")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
