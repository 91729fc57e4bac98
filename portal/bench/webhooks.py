"""The webhook phase: real checkouts paid at the sandbox gateway, their signed events posted to the
portal while SmartISP hangs, each acknowledgement timed.

The gateway is told to drop its own deliveries, so every event reaches the portal exactly once,
from the benchmark, on the clock.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from portal.bench.load import ms, percentile
from portal.bench.seed import Subscriber, csrf_token
from portal.bench.stack import SANDBOX_SECRET, Deployment
from portal.sandbox.signing import HEADER, sign

CARD_SUCCEEDS = "4242 4242 4242 4242"


@dataclass
class Acks:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    concurrency: int = 1

    def summary(self) -> dict:
        return {
            "webhooks": len(self.latencies),
            "failures": len(self.failures),
            "failure_examples": self.failures[:5],
            "concurrency": self.concurrency,
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p95_ms": ms(percentile(self.latencies, 95)),
            "max_ms": ms(max(self.latencies)) if self.latencies else None,
        }


def checkout_start(base_url: str, subscriber: Subscriber, num_bill: str) -> str:
    """Press Pay on an invoice page, as a browser would; the gateway's checkout session id."""
    client = requests.Session()
    client.cookies.set("sessionid", subscriber.session)
    page_url = f"{base_url}/billing/invoices/{num_bill}/"
    token = csrf_token(client, page_url)
    answer = client.post(
        f"{page_url}pay/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": page_url},
        allow_redirects=False,
        timeout=30,
    )
    location = answer.headers.get("Location", "")
    if answer.status_code not in (302, 303) or "/checkout/" not in location:
        raise RuntimeError(f"paying invoice {num_bill} gave HTTP {answer.status_code} {location}")
    return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]


def checkout_pay(gateway_url: str, session_id: str) -> None:
    """Pay the checkout with the test card that succeeds (the gateway records the event)."""
    answer = requests.post(
        f"{gateway_url}/checkout/{session_id}",
        data={"card": CARD_SUCCEEDS},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"the gateway refused to pay {session_id}: HTTP {answer.status_code}")


def events_prepare(
    deployment: Deployment, subscribers: list[Subscriber], *, per_subscriber: int, threads: int
) -> list[bytes]:
    """Real payments: a checkout per unpaid invoice, paid at the gateway, its webhook withheld.
    The bodies of the `payment.succeeded` events, as the gateway would have sent them."""
    gateway = deployment.gateway_url
    requests.post(f"{gateway}/_sandbox/config", json={"drop_webhooks": True}, timeout=10)
    work = [(s, n) for s in subscribers for n in s.unpaid[:per_subscriber]]
    base = deployment.portal_url(0)

    def one(item: tuple[Subscriber, str]) -> str:
        session_id = checkout_start(base, *item)
        checkout_pay(gateway, session_id)
        return session_id

    with ThreadPoolExecutor(max_workers=threads) as pool:
        sessions = set(pool.map(one, work))
    deliveries = requests.get(f"{gateway}/_sandbox/webhooks", timeout=30).json()["webhooks"]
    bodies = {
        d["event_id"]: d["body"]
        for d in deliveries
        if d["session"] in sessions and d["type"] == "payment.succeeded"
    }
    return [json.dumps(b, separators=(",", ":")).encode() for b in bodies.values()]


def acks_measure(base_url: str, bodies: list[bytes], *, concurrency: int) -> Acks:
    """POST each signed event once; time each answer."""
    acks = Acks(concurrency=concurrency)
    url = f"{base_url}/billing/webhooks/sandbox/"

    def one(body: bytes) -> None:
        client = getattr(clients, "session", None)
        if client is None:
            client = clients.session = requests.Session()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(SANDBOX_SECRET, body, int(time.time())),
        }
        started = time.perf_counter()
        try:
            answer = client.post(url, data=body, headers=headers, timeout=30)
        except requests.RequestException as exc:
            acks.failures.append(f"no answer: {type(exc).__name__}")
            return
        seconds = time.perf_counter() - started
        if answer.status_code == 200:
            acks.latencies.append(seconds)
        else:
            acks.failures.append(f"HTTP {answer.status_code}")

    clients = threading.local()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, bodies))
    return acks
