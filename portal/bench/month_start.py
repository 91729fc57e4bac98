"""The month-start phase: subscribers who each owe several invoices sign in, open the dashboard,
pay everything owed in one checkout (the total's own Pay button, then the test card at the
sandbox gateway), and wait until the task worker has recorded every invoice in SmartISP, then see
the dashboard with nothing owed. SmartISP answers each call in the configured latency (50 ms).

Each step is timed on its own; a journey counts when every step answered as a subscriber would
expect (the failure says which step did not). The run reports journeys per second, the p95 of
each step and, from the caller, the CPU per journey by process.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from portal.bench.load import ms, percentile
from portal.bench.seed import PASSWORD, Subscriber

CARD_SUCCEEDS = "4242 4242 4242 4242"
SETTLE_WITHIN = 120.0  # seconds from the card to every invoice recorded, or the journey fails
POLL_EVERY = 0.2
STEPS = ("sign-in", "dashboard", "pay (checkout opened)", "card at the gateway", "settled", "home")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class StepFailed(Exception):
    def __init__(self, step: str, what: str) -> None:
        super().__init__(f"{step}: {what}")
        self.step = step


@dataclass
class Journeys:
    concurrency: int
    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    totals: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    invoices_paid: int = 0
    elapsed: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def count(self) -> int:
        return len(self.totals)

    def summary(self) -> dict:
        return {
            "journeys": self.count,
            "failures": len(self.failures),
            "failure_examples": self.failures[:5],
            "concurrency": self.concurrency,
            "invoices_paid": self.invoices_paid,
            "seconds": round(self.elapsed, 3),
            "journeys_per_second": round(self.count / self.elapsed, 2) if self.elapsed else None,
            "journey_p50_ms": ms(percentile(self.totals, 50)),
            "journey_p95_ms": ms(percentile(self.totals, 95)),
            "steps": {
                step: {
                    "p50_ms": ms(percentile(times, 50)),
                    "p95_ms": ms(percentile(times, 95)),
                }
                for step, times in self.steps.items()
            },
        }


def _timed(record: dict[str, float], step: str, call):
    started = time.perf_counter()
    result = call()
    record[step] = time.perf_counter() - started
    return result


def journey(base_url: str, gateway_url: str, subscriber: Subscriber) -> dict[str, float]:
    """One subscriber's month start, step by step; the seconds each step took."""
    client = requests.Session()
    client.headers["Accept-Language"] = "es"
    took: dict[str, float] = {}

    def sign_in():
        login = f"{base_url}/accounts/login/"
        token = TOKEN.search(client.get(login, timeout=30).text)
        if token is None:
            raise StepFailed("sign-in", "no CSRF token")
        answer = client.post(
            login,
            data={
                "csrfmiddlewaretoken": token.group(1),
                "dni": subscriber.dni,
                "password": PASSWORD,
            },
            headers={"Referer": login},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            raise StepFailed("sign-in", f"HTTP {answer.status_code}")

    def dashboard() -> str:
        page = client.get(f"{base_url}/", timeout=30)
        if page.status_code != 200 or 'action="/billing/pay/"' not in page.text:
            raise StepFailed("dashboard", f"HTTP {page.status_code} without the Pay-all button")
        # The dashboard names the invoice due first (the oldest); the total covers the rest.
        if f"/billing/invoices/{subscriber.unpaid[0]}/" not in page.text:
            raise StepFailed("dashboard", f"invoice {subscriber.unpaid[0]} not shown")
        token = TOKEN.search(page.text)
        if token is None:
            raise StepFailed("dashboard", "no CSRF token")
        return token.group(1)

    def pay(token: str) -> str:
        answer = client.post(
            f"{base_url}/billing/pay/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{base_url}/"},
            allow_redirects=False,
            timeout=30,
        )
        location = answer.headers.get("Location", "")
        if answer.status_code != 303 or "/checkout/" not in location:
            raise StepFailed("pay (checkout opened)", f"HTTP {answer.status_code} {location}")
        return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]

    def card(session_id: str) -> str:
        # The gateway sends its webhook to the portal before it redirects the browser back.
        answer = requests.post(
            f"{gateway_url}/checkout/{session_id}",
            data={"card": CARD_SUCCEEDS},
            allow_redirects=False,
            timeout=30,
        )
        location = answer.headers.get("Location", "")
        if answer.status_code != 303 or "/billing/payments/" not in location:
            raise StepFailed("card at the gateway", f"HTTP {answer.status_code}")
        return location

    def settled(payment_url: str) -> None:
        deadline = time.monotonic() + SETTLE_WITHIN
        while time.monotonic() < deadline:
            page = client.get(payment_url, timeout=30)
            if 'data-status="settled"' in page.text:
                return
            if 'data-status="needs_review"' in page.text or page.status_code != 200:
                raise StepFailed("settled", f"HTTP {page.status_code}, not settled")
            time.sleep(POLL_EVERY)
        raise StepFailed("settled", f"not settled within {SETTLE_WITHIN:.0f} s")

    def home() -> None:
        page = client.get(f"{base_url}/", timeout=30)
        if page.status_code != 200 or 'action="/billing/pay/"' in page.text:
            raise StepFailed("home", "the dashboard still asks to pay")

    _timed(took, "sign-in", sign_in)
    token = _timed(took, "dashboard", dashboard)
    session_id = _timed(took, "pay (checkout opened)", lambda: pay(token))
    location = _timed(took, "card at the gateway", lambda: card(session_id))
    _timed(took, "settled", lambda: settled(location))
    _timed(took, "home", home)
    return took


def journeys_run(
    base_url: str, gateway_url: str, subscribers: list[Subscriber], *, concurrency: int
) -> Journeys:
    """Every subscriber's journey once, `concurrency` at a time."""
    result = Journeys(concurrency=concurrency)

    def one(subscriber: Subscriber) -> None:
        started = time.perf_counter()
        try:
            took = journey(base_url, gateway_url, subscriber)
        except StepFailed as exc:
            with result._lock:
                result.failures.append(f"{subscriber.dni} {exc}")
            return
        except requests.RequestException as exc:
            with result._lock:
                result.failures.append(f"{subscriber.dni} no answer: {type(exc).__name__}")
            return
        total = time.perf_counter() - started
        with result._lock:
            for step, seconds in took.items():
                result.steps[step].append(seconds)
            result.totals.append(total)
            result.invoices_paid += len(subscriber.unpaid)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, subscribers))
    result.elapsed = time.perf_counter() - started
    return result
