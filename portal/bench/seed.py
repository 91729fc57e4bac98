"""Synthetic subscribers: made in the sandbox SmartISP through its API (with the portal's own
client), given portal accounts, and signed in.

Each has one service, a few paid invoices, `unpaid` unpaid ones and a support ticket, so every
page the benchmark drives shows real data.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import requests

from portal.bench.stack import SANDBOX_KEY, Deployment
from portal.smartisp.client import SmartISPClient

PASSWORD = "bench-subscriber-2026"
IVA = Decimal(15)
PLAN_PRICES = {1: Decimal("18.70"), 2: Decimal("21.74"), 3: Decimal("26.09")}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Subscriber:
    dni: str
    client_id: int
    name: str
    unpaid: tuple[str, ...]  # invoice numbers (num_bill)
    paid: tuple[str, ...]
    session: str = ""  # the portal's session cookie once signed in


def _months_ago(first: date, months: int) -> date:
    years, month0 = divmod(first.month - 1 - months, 12)
    return date(first.year + years, month0 + 1, 1)


def subscriber_create(
    client: SmartISPClient, index: int, *, unpaid: int, paid: int, tickets: int
) -> Subscriber:
    """One subscriber in SmartISP, the way an operator would make it there."""
    dni = f"09{index:08d}"
    name = f"Suscriptor Sintético {index}"
    created = client.client_create(
        name=name,
        phone=f"099{index:07d}",
        email=f"bench{index}@example.com",
        dni=dni,
        billing_due_date=1,
        password=f"router-{index}",
    )
    plan = 1 + index % len(PLAN_PRICES)
    this_month = date.today().replace(day=1)
    client.service_create(
        dni,
        router=1,
        plan=plan,
        date_in=_months_ago(this_month, paid + unpaid),
        ip=f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
        user_hot=dni,
        pass_hot=f"pppoe-{index}",
        mac="00:00:00:00:00:00",
    )
    price = PLAN_PRICES[plan]
    total = (price + (price * IVA / 100).quantize(CENT, rounding=ROUND_HALF_UP)).quantize(CENT)
    numbers: list[tuple[str, int]] = []
    for months in range(paid + unpaid, 0, -1):
        start = _months_ago(this_month, months - 1)
        invoice = client.invoice_create(
            created.id,
            items=[
                {
                    "description": f"Internet plan {plan}",
                    "price": price,
                    "iva": IVA,
                    "period_from": start,
                    "period_to": start + timedelta(days=27),
                }
            ],
            invoice_date=start,
            pay_date=start + timedelta(days=14),
            memo="Servicio de internet",
        )
        numbers.append((invoice.num_bill, invoice.id))
    for num_bill, invoice_id in numbers[:paid]:
        client.invoice_pay(
            invoice_id=invoice_id,
            amount=total,
            id_pago=f"OF-{num_bill}",
            way_to_pay="Efectivo",
            paid_on=date.today(),
            commentary="Pago en oficina",
        )
    for number in range(tickets):
        client.ticket_create(
            client_id=created.id,
            subject=f"Consulta {number + 1} sobre el servicio",
            message="¿Pueden revisar la velocidad de mi conexión por las noches?",
            type="question",
            priority="low",
            author=name,
        )
    return Subscriber(
        dni=dni,
        client_id=created.id,
        name=name,
        unpaid=tuple(n for n, _ in numbers[paid:]),
        paid=tuple(n for n, _ in numbers[:paid]),
    )


def subscribers_create(
    api_url: str,
    count: int,
    *,
    first: int = 1,
    unpaid: int = 2,
    paid: int = 6,
    tickets: int = 1,
    threads: int = 8,
) -> list[Subscriber]:
    client = SmartISPClient(base_url=api_url, api_key=SANDBOX_KEY, timeout=30)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [
            pool.submit(subscriber_create, client, index, unpaid=unpaid, paid=paid, tickets=tickets)
            for index in range(first, first + count)
        ]
        return [f.result() for f in futures]


# Run by `manage.py shell`: one account per subscriber (the password hashed once: a million
# PBKDF2 rounds per account would take minutes), then a session for each, exactly as
# django.contrib.auth.login() stores it. Prints {dni: session key}.
_ACCOUNTS_SCRIPT = """
import json, sys
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from accounts.models import User
data = json.load(sys.stdin)
encoded = make_password(data["password"])
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
sessions = {}
for item in data["subscribers"]:
    user, _ = User.objects.update_or_create(
        dni=item["dni"],
        defaults={"smartisp_id": item["client_id"], "name": item["name"], "is_active": True,
                  "email": item["email"], "password": encoded},
    )
    if data["sessions"]:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions[user.dni] = store.session_key
print("SESSIONS " + json.dumps(sessions))
"""


def accounts_create(
    deployment: Deployment, subscribers: list[Subscriber], *, sessions: bool = True
) -> list[Subscriber]:
    """Portal accounts (password PASSWORD) for `subscribers`; signed in when `sessions`."""
    payload = {
        "password": PASSWORD,
        "sessions": sessions,
        "subscribers": [
            {
                "dni": s.dni,
                "client_id": s.client_id,
                "name": s.name,
                "email": f"bench{s.dni[2:]}@example.com",
            }
            for s in subscribers
        ],
    }
    output = deployment.manage("shell", "-c", _ACCOUNTS_SCRIPT, stdin=json.dumps(payload))
    line = next(x for x in output.splitlines() if x.startswith("SESSIONS "))
    keys = json.loads(line.removeprefix("SESSIONS "))
    return [replace(s, session=keys.get(s.dni, "")) for s in subscribers]


def signin(base_url: str, dni: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in through the portal's sign-in form."""
    session = requests.Session()
    login_url = f"{base_url}/accounts/login/"
    page = session.get(login_url, timeout=30)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = session.post(
        login_url,
        data={"csrfmiddlewaretoken": token.group(1), "dni": dni, "password": password},
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"signing in as {dni} failed (HTTP {answer.status_code})")
    return session


def csrf_token(session: requests.Session, page_url: str) -> str:
    """The CSRF token of a form on `page_url` (the session then holds the csrftoken cookie)."""
    page = session.get(page_url, timeout=30)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError(f"{page_url} has no form with a CSRF token")
    return token.group(1)
