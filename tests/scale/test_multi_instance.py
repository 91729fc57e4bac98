"""Several portal instances and task workers on one PostgreSQL and one Redis (DESIGN.md section 7:
exactly once must hold "at the same moment on several portal processes").

Two gunicorn instances and two `db_worker`s run against the sandbox SmartISP and gateway; the
tests look at what SmartISP received (the sandbox's record of pagar_factura calls) and at the
ledger in the deployment's own database.
"""

import json
import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
import requests

from portal.bench import seed
from portal.bench.stack import SANDBOX_SECRET
from portal.bench.webhooks import checkout_pay, checkout_start
from portal.sandbox.signing import HEADER, sign
from tests.scale.conftest import LEASE_SECONDS, WORKERS

T = TypeVar("T")

pytestmark = pytest.mark.postgres


def eventually(probe: Callable[[], T], *, seconds: float, what: str) -> T:
    """`probe()` once it is truthy; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds:.0f} s still waiting for {what} (last: {value!r})")
        time.sleep(0.2)


def subscriber(cluster, number: int, *, unpaid: int) -> seed.Subscriber:
    """A new subscriber in the sandbox SmartISP, with a portal account and a session."""
    made = seed.subscribers_create(
        cluster.d.smartisp_api_url, 1, first=number, unpaid=unpaid, paid=1, tickets=0
    )
    return seed.accounts_create(cluster.d, made)[0]


def faults(cluster, **settings) -> None:
    url = f"{cluster.d.smartisp_url}/_sandbox/faults"
    requests.post(url, json=settings, timeout=10).raise_for_status()


def gateway_config(cluster, **settings) -> None:
    url = f"{cluster.d.gateway_url}/_sandbox/config"
    requests.post(url, json=settings, timeout=10).raise_for_status()


def withheld_success(cluster, session_id: str) -> tuple[dict, bytes]:
    """The gateway's `payment.succeeded` event of a checkout (its delivery held back), and the
    exact body to post."""
    deliveries = requests.get(
        f"{cluster.d.gateway_url}/_sandbox/webhooks", params={"session": session_id}, timeout=10
    ).json()["webhooks"]
    event = next(d["body"] for d in deliveries if d["type"] == "payment.succeeded")
    return event, json.dumps(event, separators=(",", ":")).encode()


def signed_headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        HEADER: sign(SANDBOX_SECRET, body, int(time.time())),
    }


def pagar_factura_calls(cluster, invoice_ids) -> list[dict]:
    """Every pagar_factura SmartISP received for these invoices, applied or not."""
    answer = requests.get(f"{cluster.d.smartisp_url}/_sandbox/payments", timeout=10).json()
    wanted = {str(i) for i in invoice_ids}
    return [
        p
        for p in answer["payments"]
        if p["endpoint"] == "pagar_factura" and p["invoice_id"] in wanted
    ]


def payment_by_session(cluster, session_id: str) -> dict | None:
    # A single-invoice checkout: its one PaymentInvoice row names the invoice.
    rows = cluster.db.query(
        "SELECT p.id, p.status, i.invoice_id, p.settle_note FROM billing_payment p"
        " JOIN billing_paymentinvoice i ON i.payment_id = p.id WHERE p.session_id = %s",
        (session_id,),
    )
    if not rows:
        return None
    pk, status, invoice_id, note = rows[0]
    return {"id": pk, "status": status, "invoice_id": invoice_id, "settle_note": note}


def pay_attempts(cluster, payment_id: int) -> int:
    rows = cluster.db.query(
        "SELECT count(*) FROM billing_settlementattempt WHERE payment_id = %s AND kind = 'pay'"
        " AND called",
        (payment_id,),
    )
    return rows[0][0]


def test_session_made_on_one_instance_works_on_the_other(cluster):
    sub = subscriber(cluster, 9001, unpaid=1)
    browser = seed.signin(cluster.url(0), sub.dni)

    page = browser.get(f"{cluster.url(1)}/", allow_redirects=False, timeout=30)

    assert page.status_code == 200
    assert f"/billing/invoices/{sub.unpaid[0]}/" in page.text

    # Signing out on the second instance ends the session on the first as well.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed_out = browser.post(
        f"{cluster.url(1)}/accounts/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{cluster.url(1)}/"},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_out.status_code == 302
    again = browser.get(f"{cluster.url(0)}/", allow_redirects=False, timeout=30)
    assert again.status_code == 302
    assert "/accounts/login/" in again.headers["Location"]


def test_fifty_duplicate_webhooks_over_both_instances_give_one_pagar_factura(cluster):
    sub = subscriber(cluster, 9002, unpaid=1)
    gateway_config(cluster, drop_webhooks=True)  # the 50 copies below are the only deliveries
    try:
        session_id = checkout_start(cluster.url(0), sub, sub.unpaid[0])
        checkout_pay(cluster.d.gateway_url, session_id)
    finally:
        gateway_config(cluster, drop_webhooks=False)
    event, body = withheld_success(cluster, session_id)

    start = threading.Barrier(50)
    statuses: list[int] = []

    def deliver(copy: int) -> None:
        headers = signed_headers(body)
        start.wait(timeout=30)
        answer = requests.post(
            f"{cluster.url(copy % 2)}/billing/webhooks/sandbox/",
            data=body,
            headers=headers,
            timeout=30,
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [200] * 50
    payment = eventually(
        lambda: (p := payment_by_session(cluster, session_id)) and p["status"] == "settled" and p,
        seconds=60,
        what="the payment to be settled",
    )
    time.sleep(2)  # anything a duplicate could still set off has had time to happen
    assert len(pagar_factura_calls(cluster, [payment["invoice_id"]])) == 1
    assert pay_attempts(cluster, payment["id"]) == 1
    stored = cluster.db.query(
        "SELECT count(*) FROM billing_gatewayevent WHERE event_id = %s", (event["id"],)
    )
    assert stored[0][0] == 1


def test_two_workers_never_settle_one_payment_twice(cluster):
    sub = subscriber(cluster, 9003, unpaid=12)
    sessions = [checkout_start(cluster.url(i % 2), sub, n) for i, n in enumerate(sub.unpaid)]
    # Slow SmartISP calls keep settlements in flight while the copies below are picked up.
    faults(cluster, latency_ms=300)
    try:
        for session_id in sessions:
            checkout_pay(cluster.d.gateway_url, session_id)  # webhook delivered to instance 0
        payments = eventually(
            lambda: (
                (found := [payment_by_session(cluster, s) for s in sessions])
                and all(p and p["status"] in ("captured", "settled") for p in found)
                and found
            ),
            seconds=60,
            what="every payment to be captured",
        )
        # Three more settlement tasks per payment, queued side by side: both workers take
        # copies for the same payment at the same moment.
        pks = [p["id"] for p in payments]
        cluster.d.manage(
            "shell",
            "-c",
            "import json, sys\n"
            "from billing import tasks\n"
            "for pk in json.load(sys.stdin):\n"
            "    for _ in range(3):\n"
            "        tasks.payment_settle.enqueue(pk)\n",
            stdin=json.dumps(pks),
        )
        settled = eventually(
            lambda: (
                (found := [payment_by_session(cluster, s) for s in sessions])
                and all(p["status"] == "settled" for p in found)
                and found
            ),
            seconds=90,
            what="every payment to be settled",
        )
    finally:
        faults(cluster)
    time.sleep(2)

    calls = pagar_factura_calls(cluster, [p["invoice_id"] for p in settled])
    assert sorted(int(c["invoice_id"]) for c in calls) == sorted(p["invoice_id"] for p in settled)
    assert all(pay_attempts(cluster, p["id"]) == 1 for p in settled)
    ran = cluster.db.query(
        "SELECT DISTINCT worker_ids->>-1 FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE %s AND status = 'SUCCESSFUL'",
        ("%payment_settle",),
    )
    assert {r[0] for r in ran} == set(WORKERS), "both workers settled payments"


def test_worker_killed_mid_settlement_leaves_the_payment_to_the_other(cluster):
    sub = subscriber(cluster, 9004, unpaid=1)
    # SmartISP applies the payment, then holds the answer: the kill lands mid-call.
    faults(cluster, pay_mode="apply_then_timeout", timeout_seconds=60)
    try:
        session_id = checkout_start(cluster.url(1), sub, sub.unpaid[0])
        checkout_pay(cluster.d.gateway_url, session_id)
        payment = eventually(
            lambda: payment_by_session(cluster, session_id), seconds=30, what="the payment"
        )
        eventually(
            lambda: pagar_factura_calls(cluster, [payment["invoice_id"]]),
            seconds=60,
            what="pagar_factura to reach SmartISP",
        )
        holder = eventually(
            lambda: cluster.db.query(
                "SELECT worker_ids->>-1 FROM django_tasks_database_dbtaskresult WHERE status ="
                " 'RUNNING' AND task_path LIKE %s AND args_kwargs->'args'->>0 = %s",
                ("%payment_settle", str(payment["id"])),
            ),
            seconds=10,
            what="the worker running the settlement",
        )[0][0]
        cluster.d.kill(holder)
    finally:
        faults(cluster)
    survivor = next(w for w in WORKERS if w != holder)
    killed_at = time.monotonic()

    done = eventually(
        lambda: (p := payment_by_session(cluster, session_id)) and p["status"] == "settled" and p,
        seconds=LEASE_SECONDS + 60,
        what="the other worker to finish the payment",
    )
    took = time.monotonic() - killed_at
    cluster.worker_start(holder)  # back to two workers

    assert cluster.d.alive(survivor)
    assert done["settle_note"] == "confirmed by invoice status"
    assert len(pagar_factura_calls(cluster, [payment["invoice_id"]])) == 1
    assert pay_attempts(cluster, payment["id"]) == 1
    assert took < LEASE_SECONDS + 30


def test_a_page_kept_on_one_instance_shows_what_a_worker_did_since(cluster):
    """Kept pages (portal/pagecache.py) live in the shared Redis: the task worker's settlement,
    in another process, must reach a page either instance keeps."""
    sub = subscriber(cluster, 9005, unpaid=1)
    num_bill = sub.unpaid[0]
    browser = requests.Session()
    browser.cookies.set("sessionid", sub.session)

    def invoice_page(instance: int) -> str:
        answer = browser.get(f"{cluster.url(instance)}/billing/invoices/{num_bill}/", timeout=30)
        assert answer.status_code == 200
        return answer.text

    pay_form = f'action="/billing/invoices/{num_bill}/pay/"'
    assert pay_form in invoice_page(0) and pay_form in invoice_page(1)

    gateway_config(cluster, drop_webhooks=True)  # held back until the page below is kept
    try:
        session_id = checkout_start(cluster.url(0), sub, num_bill)
        checkout_pay(cluster.d.gateway_url, session_id)
    finally:
        gateway_config(cluster, drop_webhooks=False)
    under_way = invoice_page(1)
    assert "payment-state-notice" in under_way and pay_form not in under_way
    assert "notice-success" not in invoice_page(1)  # kept, and still true

    _, body = withheld_success(cluster, session_id)
    answer = requests.post(
        f"{cluster.url(0)}/billing/webhooks/sandbox/",
        data=body,
        headers=signed_headers(body),
        timeout=30,
    )
    assert answer.status_code == 200
    eventually(
        lambda: (p := payment_by_session(cluster, session_id)) and p["status"] == "settled",
        seconds=60,
        what="the payment to be settled",
    )
    paid = invoice_page(1)
    assert "notice-success" in paid and pay_form not in paid
