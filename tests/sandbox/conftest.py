"""Fixtures: the sandbox servers and a webhook receiver, each in a thread on a free port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from portal.sandbox import gateway_server, smartisp_server

API_KEY = "test-key"
GATEWAY_SECRET = "test-secret"
TIMEOUT = 5


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return thread


def stop(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def http_session(**headers: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never send 127.0.0.1 through a proxy from the environment
    session.headers.update(headers)
    return session


@dataclass
class SmartISP:
    server: smartisp_server.SmartISPServer
    root: str  # http://127.0.0.1:<port>
    api: str  # http://127.0.0.1:<port>/api/SmartIPS-v1/
    http: requests.Session  # sends the right key

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.http.get(self.api + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.http.post(self.api + path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.http.patch(self.api + path, **kwargs)

    def faults(self, **settings: Any) -> dict:
        response = self.http.post(self.root + "/_sandbox/faults", json=settings, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def control(self, path: str, **kwargs: Any) -> dict:
        response = self.http.get(self.root + path, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def sandbox_smartisp(tmp_path) -> Iterator[SmartISP]:
    server = smartisp_server.make_server(
        "127.0.0.1",
        0,
        tmp_path / "smartisp.sqlite3",
        API_KEY,
        True,
        faults=smartisp_server.Faults(),
    )
    thread = serve_in_thread(server)
    root = f"http://127.0.0.1:{server.server_address[1]}"
    http = http_session(**{"X-Authorization": API_KEY, "Accept": "application/json"})
    try:
        yield SmartISP(server, root, root + smartisp_server.API_PREFIX, http)
    finally:
        http.close()
        stop(server, thread)


@dataclass
class Gateway:
    server: gateway_server.GatewayServer
    root: str
    http: requests.Session

    def create(self, **overrides: Any) -> dict:
        payload = {
            "reference": "pay_ref_123",
            "amount": "21.51",
            "currency": "USD",
            "description": "Factura 1171 - Plan Hogar 50M",
            "success_url": "http://portal.test/billing/return/sandbox/?ok=1",
            "cancel_url": "http://portal.test/billing/return/sandbox/?cancel=1",
            "webhook_url": None,
        }
        payload.update(overrides)
        response = self.http.post(self.root + "/checkout/sessions", json=payload, timeout=TIMEOUT)
        assert response.status_code == 201, response.text
        return response.json()

    def status(self, session_id: str) -> dict:
        response = self.http.get(self.root + f"/checkout/sessions/{session_id}", timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()

    def pay(self, session_id: str, card: str) -> requests.Response:
        return self.http.post(
            self.root + f"/checkout/{session_id}",
            data={"card": card},
            allow_redirects=False,
            timeout=TIMEOUT + 2,
        )


@pytest.fixture
def sandbox_gateway(tmp_path) -> Iterator[Gateway]:
    server = gateway_server.make_server(
        "127.0.0.1", 0, tmp_path / "gateway.sqlite3", GATEWAY_SECRET, None
    )
    thread = serve_in_thread(server)
    http = http_session()
    try:
        yield Gateway(server, server.public_url, http)
    finally:
        http.close()
        stop(server, thread)


@dataclass
class Receiver:
    """A tiny webhook receiver: records every POST; answers `status` after `delay` seconds."""

    url: str = ""
    status: int = 200
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if state.delay:
                time.sleep(state.delay)
            state.received.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "raw": raw,
                    "json": json.loads(raw),
                }
            )
            state.arrived.set()
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = serve_in_thread(server)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/billing/webhooks/sandbox/"
    try:
        yield state
    finally:
        stop(server, thread)
