"""Stand-in SmartISP server for the demo, the end-to-end tests and the benchmark.

It serves every endpoint of the SmartISP API v1 reference under `/api/SmartIPS-v1/`, with the
reference's response shapes, quirks included (misspelt keys, a DNI sent as a JSON number, invoice
status as an integer in one place and as Spanish text in another, `"success": false` with HTTP 200,
an invoice whose id is 0, odd date text). State lives in its own SQLite file.

It is standard library only and runs as its own process:

    python -m portal.sandbox.smartisp_server --port 8001 --db sandbox-smartisp.sqlite3 --seed

Fault injection, for tests of the portal's manners when SmartISP misbehaves, comes from the
environment at start (SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE, SANDBOX_FAULT=timeout|maintenance,
SANDBOX_PAY_MODE=apply_then_timeout, SANDBOX_TIMEOUT_SECONDS, SANDBOX_SHAPES=name,name) and from
the control endpoints, which need no key:

    GET  /_sandbox/health            {"ok": true}
    GET  /_sandbox/faults            the current fault configuration
    POST /_sandbox/faults            replace it: {latency_ms, error_rate, mode, pay_mode,
                                     timeout_seconds, shapes}; {} resets to no faults
    GET  /_sandbox/calls?path=...    recorded API calls (count, list, count per path); `path` is
                                     the full path or the part after /api/SmartIPS-v1/, a trailing
                                     `*` matches a prefix; `method=` filters too; the list
                                     holds the latest `limit` (default 1000)
    POST /_sandbox/calls/reset       forget recorded calls
    GET  /_sandbox/payments          every pagar_factura / DeleteIvoicePay call received, with body

`shapes` switches on answers the reference never shows but real installs may give
(smartisp-field-notes.md); SHAPES below lists them, e.g. {"shapes": ["empty_invoices_null",
"no_clients_search"]}.

Times: tickets' ISO times ("...Z") are UTC; answers' odd " May 30, 2026 13:30:50" text is naive
time in SANDBOX_TIME_ZONE (default UTC: the reference's example shows a ticket and its answer
at the same moment that way).

Tests start it in a thread with `make_server(...)` on port 0.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import hashlib
import hmac
import json
import logging
import math
import os
import random
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.sandbox.http import SandboxHandler

logger = logging.getLogger(__name__)

API_PREFIX = "/api/SmartIPS-v1/"
DEFAULT_API_KEY = "sandbox-key"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_TIME_ZONE = "UTC"
MAX_RECORDED_CALLS = 10_000

TICKET_STATUSES = ("new", "work_in_progress", "resolved", "waiting_on_customer", "waiting_on_agent")
TICKET_TYPES = ("question", "incident", "problem", "feature_request", "lead")
TICKET_PRIORITIES = ("low", "medium", "high", "urgent")

INVOICE_PAID = 1
INVOICE_UNPAID = 3
INVOICE_STATUS_TEXT = {INVOICE_PAID: "Pagada", INVOICE_UNPAID: "No pagado"}

AGENTS = {4: "Soporte Técnico", 7: "María José Andrade"}
DEFAULT_AGENT_ID = 4

CENT = Decimal("0.01")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>SmartISP - Mantenimiento</title></head>
<body><h1>Estamos en mantenimiento</h1>
<p>El sistema volverá a estar disponible en unos minutos.</p></body></html>
"""

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Server Error</title></head>
<body><h1>500 | Server Error</h1></body></html>
"""

LARAVEL_PAGES = {
    404: "Not Found",
    419: "Page Expired",
    429: "Too Many Requests",
    503: "Service Unavailable",
}

# Answer shapes the reference never shows (smartisp-field-notes.md), switched on by name.
SHAPES = {
    "empty_invoices_null": 'an empty invoice list answers {"invoices": null}',
    "empty_invoices_absent": "an empty invoice list answers {}",
    "empty_invoices_success_false": 'an empty invoice list answers {"success": false, ...}',
    "empty_invoices_404_json": "an empty invoice list answers a JSON 404",
    "empty_invoices_404_html": "an empty invoice list answers Laravel's HTML 404 page",
    "unauthenticated_200": 'every API call answers HTTP 200 {"message": "Unauthenticated."}',
    "html_500": "every API call answers Laravel's HTML 500 page",
    "html_503": "every API call answers Laravel's HTML 503 maintenance page",
    "laravel_419": "every API call answers Laravel's 419 Page Expired",
    "laravel_429": "every API call answers 429 Too Many Requests with Retry-After",
    "no_clients_search": "GET clients answers a JSON 404, as an install without it would",
    "no_tickets_meta": "GET tickets/meta answers a JSON 404",
    "zoneless_times": "tickets' times come without a zone (UTC wall time, no Z)",
    "client_password": "client records carry `password` and `custom_token_nuvai`",
}
EVERY_CALL_SHAPES = ("unauthenticated_200", "html_500", "html_503", "laravel_419", "laravel_429")
RETRY_AFTER_SECONDS = 30


def laravel_page(status: int) -> str:
    title = LARAVEL_PAGES.get(status, "Server Error")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{status} | {title}</h1></body></html>\n"
    )


# --------------------------------------------------------------------------- faults


@dataclass
class Faults:
    """What the server does wrong on purpose. Applies to API calls, never to /_sandbox/."""

    latency_ms: int = 0
    error_rate: float = 0.0
    mode: str | None = None  # None, "timeout" or "maintenance"
    pay_mode: str | None = None  # None or "apply_then_timeout"
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    shapes: tuple[str, ...] = ()

    MODES = (None, "timeout", "maintenance")
    PAY_MODES = (None, "apply_then_timeout")

    def validate(self) -> Faults:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be 0 or more")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if self.mode not in self.MODES:
            raise ValueError("mode must be timeout, maintenance or empty")
        if self.pay_mode not in self.PAY_MODES:
            raise ValueError("pay_mode must be apply_then_timeout or empty")
        if self.timeout_seconds < 0:
            raise ValueError("timeout_seconds must be 0 or more")
        unknown = set(self.shapes) - set(SHAPES)
        if unknown:
            raise ValueError(f"unknown shapes: {', '.join(sorted(unknown))}")
        return self

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Faults:
        """Build from a JSON object; missing keys take their defaults (so {} means no faults)."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        keys = {"latency_ms", "error_rate", "mode", "pay_mode", "timeout_seconds", "shapes"}
        unknown = set(data) - keys
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        try:
            return cls(
                latency_ms=int(data.get("latency_ms") or 0),
                error_rate=float(data.get("error_rate") or 0.0),
                mode=data.get("mode") or None,
                pay_mode=data.get("pay_mode") or None,
                timeout_seconds=float(
                    DEFAULT_TIMEOUT_SECONDS
                    if data.get("timeout_seconds") is None
                    else data["timeout_seconds"]
                ),
                shapes=_shape_names(data.get("shapes")),
            ).validate()
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from exc

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Faults:
        env = os.environ if environ is None else environ
        return cls.from_mapping(
            {
                "latency_ms": env.get("SANDBOX_LATENCY_MS", "").strip() or 0,
                "error_rate": env.get("SANDBOX_ERROR_RATE", "").strip() or 0,
                "mode": env.get("SANDBOX_FAULT", "").strip() or None,
                "pay_mode": env.get("SANDBOX_PAY_MODE", "").strip() or None,
                "timeout_seconds": env.get("SANDBOX_TIMEOUT_SECONDS", "").strip() or None,
                "shapes": env.get("SANDBOX_SHAPES", ""),
            }
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["shapes"] = list(self.shapes)
        return data

    def every_call_shape(self) -> str | None:
        return next((s for s in EVERY_CALL_SHAPES if s in self.shapes), None)


def _shape_names(value: Any) -> tuple[str, ...]:
    """A list of names, or one comma-separated string of them (SANDBOX_SHAPES)."""
    if not value:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        raise ValueError("shapes must be a list of names")
    return tuple(str(v).strip() for v in value if str(v).strip())


def shaped(name: str, status: int, payload: dict, shapes: tuple[str, ...]) -> tuple[int, Any]:
    """The answer as an install with these `shapes` switched on would give it."""
    if name in ("unpaid", "paid") and status == 200 and not payload.get("invoices"):
        if "empty_invoices_null" in shapes:
            return 200, {"invoices": None}
        if "empty_invoices_absent" in shapes:
            return 200, {}
        if "empty_invoices_success_false" in shapes:
            return 200, {"success": False, "message": "El cliente no tiene facturas"}
        if "empty_invoices_404_json" in shapes:
            return 404, {"message": "No query results for model [App\\Models\\Factura]."}
        if "empty_invoices_404_html" in shapes:
            return 404, laravel_page(404)
    if "zoneless_times" in shapes and name in ("tickets", "ticket"):
        tickets = payload.get("data")
        for ticket in tickets if isinstance(tickets, list) else [tickets]:
            if isinstance(ticket, dict):
                for key in ("created_at", "updated_at"):
                    if isinstance(ticket.get(key), str):
                        ticket[key] = ticket[key].removesuffix(".000000Z").replace("T", " ")
    if "client_password" in shapes:
        for record in _client_records(name, payload):
            record["password"] = fake_secret(f"client-{record.get('id')}")
            record["custom_token_nuvai"] = fake_secret(f"nuvai-{record.get('id')}")[:24]
    return status, payload


def _client_records(name: str, payload: dict) -> list[dict]:
    if name == "get_user" and isinstance(payload.get("user"), dict):
        return [payload["user"]]
    if name == "get_invoice_cliente" and isinstance(payload.get("Client"), dict):
        return [payload["Client"]]
    if name == "clients" and isinstance(payload.get("data"), list):
        return [c for c in payload["data"] if isinstance(c, dict)]
    if name in ("unpaid", "paid") and isinstance(payload.get("invoices"), list):
        return [i["client"] for i in payload["invoices"] if isinstance(i.get("client"), dict)]
    return []


# --------------------------------------------------------------------------- small helpers


def money(value: Decimal) -> str:
    result = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return str(result + 0)  # "+ 0" turns -0.00 into 0.00


def with_iva(cost: Decimal, rate: Decimal) -> Decimal:
    return (cost * (1 + rate / 100)).quantize(CENT, rounding=ROUND_HALF_UP)


def last_day(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(first: date, months: int) -> date:
    years, month0 = divmod(first.month - 1 + months, 12)
    return date(first.year + years, month0 + 1, 1)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def dbtime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def iso_z(stored: str | None) -> str | None:
    """'2026-05-30 13:30:50' -> '2026-05-30T13:30:50.000000Z' (Laravel's JSON dates)."""
    if not stored:
        return None
    return stored.replace(" ", "T") + ".000000Z"


def local_zone() -> tzinfo:
    """SmartISP's own time zone, for the naive times it prints (SANDBOX_TIME_ZONE)."""
    name = os.environ.get("SANDBOX_TIME_ZONE") or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Unknown time zone %r; answer times are printed in UTC", name)
        return UTC


def odd_answer_time(stored: str, zone: tzinfo | None = None) -> str:
    """UTC '2026-05-30 18:30:50' -> ' May 30, 2026 13:30:50' in SmartISP's time zone.

    The leading space and the naive local time are as the reference shows them; the ISO times
    of tickets (with Z) are UTC, like Laravel's.
    """
    moment = datetime.strptime(stored, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    moment = moment.astimezone(zone or local_zone())
    return f" {MONTH_ABBR[moment.month - 1]} {moment.day:02d}, {moment.year} {moment:%H:%M:%S}"


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_date(value: Any, formats: tuple[str, ...]) -> date | None:
    text = as_text(value)
    if text is None:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def folded(text: Any) -> str:
    """Lower-case, accents stripped: 'Pérez' and 'perez' compare equal."""
    normal = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(ch for ch in normal if not unicodedata.combining(ch)).casefold()


class BadBody(ValueError):
    """The request body could not be read as JSON or as a form."""


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """A JSON object or a form-encoded body (`key[]=` and repeated keys become lists)."""
    if not raw.strip():
        return {}
    ctype = content_type.split(";")[0].strip().lower()
    is_form = ctype == "application/x-www-form-urlencoded"
    if ctype.endswith("json") or (not is_form and raw.lstrip()[:1] in (b"{", b"[")):
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadBody("El cuerpo no es JSON válido") from exc
        if not isinstance(data, dict):
            raise BadBody("Se esperaba un objeto JSON")
        return data
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        if key.endswith("[]"):
            result.setdefault(key[:-2], []).append(value)
        elif key in result:
            existing = result[key]
            result[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[key] = value
    return result


def paginate(items: list[Any], query: dict[str, list[str]]) -> tuple[list[Any], dict[str, Any]]:
    """Laravel-style pagination: per_page default 25, at most 100."""
    per_page = as_int((query.get("per_page") or [None])[0]) or 25
    if per_page < 1:
        per_page = 25
    per_page = min(per_page, 100)
    page = as_int((query.get("page") or [None])[0]) or 1
    page = max(page, 1)
    total = len(items)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    return chunk, {
        "total": total,
        "per_page": per_page,
        "current_page": page,
        "last_page": max(1, math.ceil(total / per_page)),
        "from": start + 1 if chunk else None,
        "to": start + len(chunk) if chunk else None,
    }


def first(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    if not values:
        return None
    return values[0].strip() or None


def validation_error(errors: dict[str, list[str]], key: str = "message") -> tuple[int, dict]:
    return 422, {
        "success": False,
        key: "Los datos proporcionados no son válidos.",
        "errors": errors,
    }


# --------------------------------------------------------------------------- storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, download INTEGER, upload INTEGER,
    cost TEXT NOT NULL, iva TEXT NOT NULL, priority INTEGER DEFAULT 5
);
CREATE TABLE IF NOT EXISTS routers (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, model TEXT, ip TEXT, location TEXT,
    coordinates TEXT, status TEXT, login TEXT, password TEXT, port INTEGER,
    created_at TEXT, updated_at TEXT
);
CREATE TABLE IF NOT EXISTS clients (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT, address TEXT,
    dni TEXT NOT NULL UNIQUE, subscriber_no TEXT, partner_id INTEGER, billing_due_date INTEGER,
    password TEXT, created_at TEXT, updated_at TEXT
);
CREATE TABLE IF NOT EXISTS services (
    id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL, plan_id INTEGER, router_id INTEGER,
    ip TEXT, mac TEXT, date_in TEXT, status TEXT, online TEXT, user_hot TEXT, pass_hot TEXT,
    billing_type TEXT, send_invoice INTEGER DEFAULT 0, service_type TEXT,
    created_at TEXT, updated_at TEXT
);
CREATE TABLE IF NOT EXISTS invoices (
    id INTEGER PRIMARY KEY, num_bill TEXT NOT NULL UNIQUE, client_id INTEGER NOT NULL,
    service_id INTEGER, period TEXT, release_date TEXT, expiration_date TEXT, start_date TEXT,
    cortado_date TEXT, iva TEXT, cost TEXT, total_pay TEXT, status INTEGER NOT NULL,
    paid_on TEXT, note TEXT, memo TEXT, billing_type TEXT, created_at TEXT, updated_at TEXT,
    id_pago TEXT, way_to_pay TEXT, commentary TEXT, pay_by_wallet INTEGER, amount_paid TEXT,
    payment_id INTEGER, items TEXT
);
CREATE INDEX IF NOT EXISTS invoices_client ON invoices (client_id);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY, subject TEXT NOT NULL, section TEXT, status TEXT NOT NULL,
    type TEXT NOT NULL, priority TEXT NOT NULL, client_id INTEGER NOT NULL, user_id INTEGER,
    ticket_cun_number TEXT, read_admin INTEGER DEFAULT 0, read_client INTEGER DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, message TEXT NOT NULL, user TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_ticket ON answers (ticket_id);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, invoice_id TEXT, body TEXT,
    success INTEGER NOT NULL, message TEXT, created_at TEXT NOT NULL
);
"""


def connect(db_path: str | os.PathLike[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db_path), check_same_thread=False, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    return conn


# --------------------------------------------------------------------------- storage helpers


def insert(conn: sqlite3.Connection, table: str, **values: Any) -> int:
    """INSERT one row from keyword arguments; returns its id."""
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    cursor = conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
    return int(cursor.lastrowid or 0)


def update(conn: sqlite3.Connection, table: str, row_id: int, **values: Any) -> None:
    """UPDATE one row by id from keyword arguments."""
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = :_id", {**values, "_id": row_id})


# --------------------------------------------------------------------------- demo data


@dataclass(frozen=True)
class SeedClient:
    id: int
    name: str
    dni: str
    email: str | None
    phone: str
    address: str
    subscriber_no: str
    partner_id: int
    # (id, plan, router, ip, status, online, months billed, latest months unpaid, type)
    services: list[tuple[int, int, int, str, str, str, int, int, str]]


@dataclass(frozen=True)
class SeedTicket:
    client_id: int
    subject: str
    section: str
    status: str
    type: str
    priority: str
    agent: int
    days_ago: int
    talk: list[tuple[str, str]]  # (side, message); support answers are by the ticket's agent


SUPPORT = "support"
CLIENT = "client"

# fmt: off
SEED_PLANS = [  # (id, name, speed in kbit/s, monthly cost before IVA)
    (1, "Plan Hogar 50M", 51200, "18.70"),
    (2, "Plan Plus 60M", 61440, "21.74"),
    (3, "Plan GOLD 80M", 81920, "26.09"),
    (4, "Plan Premium 100M", 102400, "30.44"),
    (5, "Plan VIP 120M", 122880, "34.35"),
]

SEED_ROUTERS = [  # (id, name, model, ip, location, coordinates, api port)
    (1, "CC2116_LAGO", "CCR2116-12G-4S+", "10.8.0.2", "Lago Agrio", "0.0978,-76.8899", 8738),
    (2, "JANDIACU", "CCR1009-7G-1C-1S+", "10.8.0.3", "Nodo Jandiacu", "", 8740),
    (3, "DURENO", "CCR1009-7G-1C-1S+", "10.8.0.4", "DURENO", "0.0514,-76.6792", 8742),
]

SEED_CLIENTS = [
    # (a) the main demo account: several unpaid invoices (plus the id-0 one), email on file
    SeedClient(
        id=101, name="Juan Pérez González", dni="0102030405", email="juan@example.com",
        phone="0991234567", address="Av. 10 de Agosto N24-18, Quito", subscriber_no="1001",
        partner_id=1, services=[(201, 1, 1, "172.16.24.10", "ac", "on", 24, 2, "home")],
    ),
    # (b) everything paid
    SeedClient(
        id=102, name="María Fernanda Torres Vega", dni="0912345678",
        email="maria.torres@example.com", phone="0987654321",
        address="Cdla. Kennedy Norte, Mz. 5 V. 12, Guayaquil", subscriber_no="1002",
        partner_id=1, services=[(202, 3, 1, "172.16.24.11", "ac", "on", 24, 0, "home")],
    ),
    # (c) suspended, unpaid invoices past their cortado_date
    SeedClient(
        id=103, name="Carlos Andrés Quishpe Tipán", dni="0603456789",
        email="carlos.quishpe@example.com", phone="0998877665",
        address="Barrio La Dolorosa, Riobamba", subscriber_no="1003",
        partner_id=1, services=[(203, 2, 2, "172.16.25.20", "de", "off", 24, 4, "home")],
    ),
    # (d) two services on different plans
    SeedClient(
        id=104, name="Ana Lucía Mendoza Ríos", dni="0501234567",
        email="ana.mendoza@example.com", phone="0976543210",
        address="Calle Sucre 4-55, Latacunga", subscriber_no="1004", partner_id=2,
        services=[
            (204, 4, 1, "172.16.24.30", "ac", "on", 24, 1, "home"),
            (205, 1, 3, "172.16.26.31", "ac", "on", 10, 1, "business"),
        ],
    ),
    # (e) no email on file
    SeedClient(
        id=105, name="Luis Alberto Chávez Mora", dni="0401234567", email=None,
        phone="0965432109", address="Vía a Dureno km 3", subscriber_no="1005",
        partner_id=1, services=[(206, 1, 3, "172.16.26.40", "ac", "on", 24, 1, "home")],
    ),
    # (f) another one with unpaid invoices
    SeedClient(
        id=106, name="Rosa Elena Guamán Caiza", dni="0201234567",
        email="rosa.guaman@example.com", phone="0954321098",
        address="Sector Jandiacu, Lote 8", subscriber_no="1006",
        partner_id=2, services=[(207, 5, 2, "172.16.25.50", "ac", "on", 24, 3, "home")],
    ),
    # another fully paid one, on partner 2
    SeedClient(
        id=107, name="Pedro José Sánchez Andrade", dni="0923456781",
        email="pedro.sanchez@example.com", phone="0943210987",
        address="Av. Quito y Colombia, Lago Agrio", subscriber_no="1007",
        partner_id=2, services=[(208, 2, 1, "172.16.24.60", "ac", "on", 24, 0, "home")],
    ),
]

SEED_TICKETS = [
    SeedTicket(
        client_id=101, subject="Internet lento por las noches", section="tecnico",
        status="waiting_on_customer", type="incident", priority="medium", agent=4, days_ago=6,
        talk=[
            (CLIENT, "Desde hace una semana la conexión es muy lenta de 20:00 a 23:00."),
            (SUPPORT, "Hola Juan, ¿puede hacer una prueba de velocidad conectado por cable "
                      "y enviarnos el resultado?"),
        ],
    ),
    SeedTicket(
        client_id=101, subject="Cambio de plan a Plus 60M", section="ventas",
        status="resolved", type="question", priority="low", agent=7, days_ago=40,
        talk=[
            (CLIENT, "Quisiera saber cuánto cuesta pasar al Plan Plus 60M."),
            (SUPPORT, "El Plan Plus 60M cuesta $21.74 más IVA al mes. ¿Desea el cambio?"),
            (CLIENT, "Por ahora no, gracias por la información."),
        ],
    ),
    SeedTicket(
        client_id=101, subject="Sin conexión desde esta mañana", section="tecnico",
        status="new", type="incident", priority="high", agent=4, days_ago=0,
        talk=[(CLIENT, "El router tiene la luz LOS en rojo y no hay internet desde las 7:00.")],
    ),
    SeedTicket(
        client_id=101, subject="Factura cobrada dos veces", section="facturacion",
        status="waiting_on_agent", type="problem", priority="medium", agent=7, days_ago=3,
        talk=[
            (CLIENT, "Pagué la factura del mes pasado en la oficina y me aparece impaga."),
            (SUPPORT, "Por favor envíenos una foto del comprobante de pago."),
            (CLIENT, "Ya les envié la foto del comprobante por WhatsApp."),
        ],
    ),
    SeedTicket(
        client_id=101, subject="El router se reinicia solo", section="tecnico",
        status="work_in_progress", type="problem", priority="high", agent=4, days_ago=10,
        talk=[
            (CLIENT, "El equipo se reinicia varias veces al día."),
            (SUPPORT, "Hemos asignado un técnico para cambiar el equipo esta semana."),
        ],
    ),
    SeedTicket(
        client_id=103, subject="Reconexión del servicio", section="facturacion",
        status="waiting_on_agent", type="question", priority="urgent", agent=4, days_ago=2,
        talk=[(CLIENT, "Quiero pagar lo pendiente para que me reconecten el servicio hoy.")],
    ),
    SeedTicket(
        client_id=104, subject="Instalación en segundo domicilio", section="ventas",
        status="resolved", type="lead", priority="low", agent=7, days_ago=300,
        talk=[
            (CLIENT, "Necesito internet en mi local comercial, en otra dirección."),
            (SUPPORT, "Con gusto. Agendamos la instalación para el próximo lunes."),
            (SUPPORT, "La instalación quedó completa. ¡Gracias por confiar en nosotros!"),
        ],
    ),
    SeedTicket(
        client_id=102, subject="Solicitud de factura electrónica", section="facturacion",
        status="work_in_progress", type="feature_request", priority="low", agent=7,
        days_ago=15,
        talk=[
            (CLIENT, "¿Pueden enviarme las facturas electrónicas a mi correo?"),
            (SUPPORT, "Estamos activando la facturación electrónica para su cuenta."),
        ],
    ),
    SeedTicket(
        client_id=106, subject="Corte intermitente", section="tecnico",
        status="new", type="incident", priority="medium", agent=4, days_ago=1,
        talk=[(CLIENT, "La conexión se corta unos segundos cada media hora.")],
    ),
]
# fmt: on

ZERO_ID_INVOICE_NOTE = "Instalación y router Wi-Fi"
FIRST_TICKET_ID = 501
FIRST_CUN = 2290


def fake_secret(label: str) -> str:
    """A stable base64 blob that looks like SmartISP's encrypted passwords."""
    return base64.b64encode(hashlib.sha512(label.encode()).digest()).decode()


def seed_demo_data(
    conn: sqlite3.Connection, today: date | None = None, now: datetime | None = None
) -> bool:
    """Fill an empty database with demo data. Returns False (and changes nothing) otherwise.

    Two years of monthly invoices ending in the current month (computed from `today`), the
    older ones paid; tickets in every status, timed relative to `now` (UTC).
    """
    if conn.execute("SELECT COUNT(*) FROM plans").fetchone()[0]:
        return False
    today = today or date.today()
    now = now or utcnow()
    this_month = today.replace(day=1)
    oldest = add_months(this_month, -23)
    iva_rate = Decimal(15)
    with conn:
        for pid, name, speed, cost in SEED_PLANS:
            insert(
                conn,
                "plans",
                id=pid,
                name=name,
                download=speed,
                upload=speed,
                cost=cost,
                iva="15.00",
                priority=5,
            )
        stamp = f"{oldest.isoformat()} 09:00:00"
        for rid, name, model, ip, location, coords, port in SEED_ROUTERS:
            insert(
                conn,
                "routers",
                id=rid,
                name=name,
                model=model,
                ip=ip,
                location=location,
                coordinates=coords,
                status="on",
                login=f"api{rid}",
                password=fake_secret(f"router-{rid}")[:56],
                port=port,
                created_at=stamp,
                updated_at=stamp,
            )
        plan_cost = {pid: Decimal(cost) for pid, _, _, cost in SEED_PLANS}
        billed = []  # (client id, service id, plan id, months billed, latest months unpaid)
        for client in SEED_CLIENTS:
            services = client.services
            since = add_months(this_month, -max(s[6] for s in services))
            insert(
                conn,
                "clients",
                id=client.id,
                name=client.name,
                email=client.email,
                phone=client.phone,
                address=client.address,
                dni=client.dni,
                subscriber_no=client.subscriber_no,
                partner_id=client.partner_id,
                billing_due_date=1,
                created_at=f"{since.isoformat()} 10:15:00",
                updated_at=None,
            )
            for sid, plan, router, ip, status, online, months, unpaid, stype in services:
                start = add_months(this_month, -(months - 1)).isoformat()
                insert(
                    conn,
                    "services",
                    id=sid,
                    client_id=client.id,
                    plan_id=plan,
                    router_id=router,
                    ip=ip,
                    mac="00:00:00:00:00:00",
                    date_in=start,
                    status=status,
                    online=online,
                    user_hot=client.dni,
                    pass_hot=fake_secret(f"service-{sid}"),
                    billing_type="recurring",
                    send_invoice=0,
                    service_type=stype,
                    created_at=start,
                    updated_at=today.isoformat(),
                )
                billed.append((client.id, sid, plan, months, unpaid))

        # The quirk: an invoice whose id is 0 (a real id), unpaid, on the main demo account.
        release = today - timedelta(days=45)
        due = release + timedelta(days=30)
        insert(
            conn,
            "invoices",
            id=0,
            num_bill="1000",
            client_id=101,
            service_id=None,
            period=due.isoformat(),
            release_date=release.isoformat(),
            expiration_date=due.isoformat(),
            start_date=release.isoformat(),
            cortado_date=(release + timedelta(days=45)).isoformat(),
            iva="15.00",
            cost="40.00",
            total_pay=money(with_iva(Decimal("40.00"), iva_rate)),
            status=INVOICE_UNPAID,
            note=ZERO_ID_INVOICE_NOTE,
            memo=ZERO_ID_INVOICE_NOTE,
            billing_type="none",
            created_at=release.isoformat(),
            updated_at=release.isoformat(),
        )

        # Monthly billing runs, oldest first, so ids interleave across clients as in real life.
        next_id = 1
        for month_index in range(24):
            month = add_months(oldest, month_index)
            months_back = 23 - month_index  # 0 for the current month
            for cid, sid, plan, months, unpaid in billed:
                if months_back >= months:
                    continue
                paid = months_back >= unpaid
                paid_on = min(month + timedelta(days=3 + (cid + month.month) % 12), today)
                cost = plan_cost[plan]
                insert(
                    conn,
                    "invoices",
                    id=next_id,
                    num_bill=str(1000 + next_id),
                    client_id=cid,
                    service_id=sid,
                    period=last_day(month).isoformat(),
                    release_date=month.isoformat(),
                    expiration_date=last_day(month).isoformat(),
                    start_date=month.isoformat(),
                    cortado_date=(month + timedelta(days=15)).isoformat(),
                    iva="15.00",
                    cost=money(cost),
                    total_pay=money(with_iva(cost, iva_rate)),
                    status=INVOICE_PAID if paid else INVOICE_UNPAID,
                    paid_on=paid_on.isoformat() if paid else None,
                    billing_type="recurring",
                    created_at=month.isoformat(),
                    updated_at=(paid_on if paid else month).isoformat(),
                    id_pago=f"OF-{1000 + next_id}" if paid else None,
                    way_to_pay=("Efectivo" if next_id % 3 else "Transferencia") if paid else None,
                    commentary="Pago en oficina" if paid else None,
                )
                next_id += 1

        client_names = {c.id: c.name for c in SEED_CLIENTS}
        for index, ticket in enumerate(SEED_TICKETS):
            ticket_id = FIRST_TICKET_ID + index
            created = now - timedelta(days=ticket.days_ago, hours=2 + index)
            moment, last_side = created, CLIENT
            for position, (side, message) in enumerate(ticket.talk):
                moment = min(created + timedelta(hours=3 * position, minutes=7 * position), now)
                author = client_names[ticket.client_id] if side == CLIENT else AGENTS[ticket.agent]
                insert(
                    conn,
                    "answers",
                    ticket_id=ticket_id,
                    message=message,
                    user=author,
                    created_at=dbtime(moment),
                )
                last_side = side
            insert(
                conn,
                "tickets",
                id=ticket_id,
                subject=ticket.subject,
                section=ticket.section,
                status=ticket.status,
                type=ticket.type,
                priority=ticket.priority,
                client_id=ticket.client_id,
                user_id=ticket.agent,
                ticket_cun_number=str(FIRST_CUN + index),
                read_admin=0 if last_side == CLIENT else 1,
                read_client=1 if last_side == CLIENT else 0,
                created_at=dbtime(created),
                updated_at=dbtime(moment),
            )
    logger.info("Seeded the sandbox SmartISP database with demo data")
    return True


# --------------------------------------------------------------------------- the API


class SmartISPApi:
    """The endpoints' logic over the SQLite state. Each method returns (HTTP status, payload).

    Callers hold `lock` around every call: one connection, one request at a time inside.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.lock = threading.RLock()

    # ---- rows to reference-shaped dicts

    def _plan_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        clients = self.conn.execute(
            "SELECT COUNT(DISTINCT client_id) FROM services WHERE plan_id = ?", (row["id"],)
        ).fetchone()[0]
        return {
            "id": row["id"],
            "name": row["name"],
            "download": row["download"],
            "upload": row["upload"],
            "num_clients": clients,
            "cost": row["cost"],
            "iva": row["iva"],
            "burst_limit": 0,
            "burst_threshold": 0,
            "burst_time": 0,
            "priority": row["priority"],
            "limitat": 100,
            "aggregation": 1,
            "title": None,
            "no_rules": 0,
            "address_list_name": None,
        }

    def _router_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        clients = self.conn.execute(
            "SELECT COUNT(DISTINCT client_id) FROM services WHERE router_id = ?", (row["id"],)
        ).fetchone()[0]
        return {
            "id": row["id"],
            "name": row["name"],
            "model": row["model"],
            "ip": row["ip"],
            "location": row["location"],
            "coordinates": row["coordinates"],
            "clients": clients,
            "status": row["status"],
            "connection": 0,
            "login": row["login"],
            "password": row["password"],
            "port": row["port"],
            "lan": "",
            "created_at": iso_z(row["created_at"]),
            "updated_at": iso_z(row["updated_at"]),
            "map_marker_icon": None,
        }

    def _balance(self, client_id: int) -> str:
        rows = self.conn.execute(
            "SELECT total_pay FROM invoices WHERE client_id = ? AND status = ?",
            (client_id, INVOICE_UNPAID),
        ).fetchall()
        owed = sum((Decimal(r["total_pay"]) for r in rows), Decimal(0))
        return money(-owed)

    def _client_dict(self, row: sqlite3.Row, *, legal_fields: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": row["id"],
            "name": row["name"],
            "email": row["email"],
            "phone": row["phone"],
            "address": row["address"],
            "coordinates": None,
            "photo": "",
            "dni": row["dni"],
            "dv": None,
            "custom_token_nuvai": None,
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "balance": self._balance(row["id"]),
            "odb_id": None,
            "onu_id": None,
            "port": None,
            "onusn": None,
            "zona_id": None,
        }
        if legal_fields:
            data.update(
                type_document_identification_id=3,
                type_organization_id=1,
                municipality_id=1,
                type_liability_id=117,
                type_regime_id=2,
            )
        data.update(
            merchant_registration=None,
            adjustable_amount="0.00",
            id_punto_emision=None,
            wallet_balance=0,
            map_marker_icon=None,
            odb_geo_json=None,
            odb_geo_json_styles=None,
            subscriber_no=row["subscriber_no"],
            electronic_invoice="No",
        )
        return data

    @staticmethod
    def _service_dict(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": row["id"],
            "client_id": row["client_id"],
            "ip": row["ip"],
            "mac": row["mac"],
            "date_in": row["date_in"],
            "plan_id": row["plan_id"],
            "router_id": row["router_id"],
            "status": row["status"],
            "user_hot": row["user_hot"],
            "pass_hot": row["pass_hot"],
            "typeauth": None,
            "onmikrotik": 1,
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "billing_type": row["billing_type"],
            "online": row["online"],
            "tree_priority": 0,
            "manually_cortado": 0,
            "smartolt_sn": None,
            "geo_json": None,
            "geo_json_styles": None,
            "send_invoice": row["send_invoice"],
            "ipv6": "",
            "ipv6_delegated": "",
        }

    @staticmethod
    def _invoice_dict(
        row: sqlite3.Row, *, status_text: bool, client_id: Any = None
    ) -> dict[str, Any]:
        status = row["status"]
        return {
            "id": row["id"],
            "num_bill": row["num_bill"],
            "period": row["period"],
            "release_date": row["release_date"],
            "expiration_date": row["expiration_date"],
            "iva": row["iva"],
            "cost": row["cost"],
            "total_pay": row["total_pay"],
            "actual_total_pay": None,
            "status": INVOICE_STATUS_TEXT[status] if status_text else status,
            "client_id": row["client_id"] if client_id is None else client_id,
            "service_id": row["service_id"],
            "open": 0,
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "note": row["note"],
            "memo": row["memo"],
            "xero_id": None,
            "paid_on": row["paid_on"],
            "start_date": row["start_date"],
            "use_transactions": "0",
            "billing_type": row["billing_type"],
            "recurring_invoice": "no",
            "cortado_date": row["cortado_date"],
            "csv_generated": 0,
            "payment_id": row["payment_id"],
        }

    def _ticket_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        client = self.conn.execute(
            "SELECT id, name, dni FROM clients WHERE id = ?", (row["client_id"],)
        ).fetchone()
        user_id = row["user_id"]
        return {
            "id": row["id"],
            "subject": row["subject"],
            "section": row["section"],
            "status": row["status"],
            "type": row["type"],
            "priority": row["priority"],
            "client_id": row["client_id"],
            "user_id": user_id,
            "ticket_cun_number": row["ticket_cun_number"],
            "read_admin": row["read_admin"],
            "read_client": row["read_client"],
            "created_at": iso_z(row["created_at"]),
            "updated_at": iso_z(row["updated_at"]),
            "client": (
                {"id": client["id"], "name": client["name"], "dni": client["dni"]}
                if client
                else None
            ),
            "user": (
                {"id": user_id, "name": AGENTS.get(user_id, f"Agente {user_id}")}
                if user_id is not None
                else None
            ),
        }

    def _client_by_dni(self, dni: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM clients WHERE dni = ?", (dni,)).fetchone()

    def _client_by_id(self, client_id: int | None) -> sqlite3.Row | None:
        if client_id is None:
            return None
        return self.conn.execute("SELECT * FROM clients WHERE id = ?", (client_id,)).fetchone()

    def _invoice(self, invoice_id: int | None) -> sqlite3.Row | None:
        if invoice_id is None:
            return None
        return self.conn.execute("SELECT * FROM invoices WHERE id = ?", (invoice_id,)).fetchone()

    # ---- catalogue

    def plans(self) -> tuple[int, dict]:
        rows = self.conn.execute("SELECT * FROM plans ORDER BY id").fetchall()
        return 200, {"plans": [self._plan_dict(r) for r in rows]}

    def routers(self) -> tuple[int, dict]:
        rows = self.conn.execute("SELECT * FROM routers ORDER BY id").fetchall()
        return 200, {"routers": [self._router_dict(r) for r in rows]}

    # ---- clients and services

    def create_client(self, body: dict[str, Any]) -> tuple[int, dict]:
        fields = {k: as_text(body.get(k)) for k in ("name", "phone", "email", "dni", "pass")}
        errors: dict[str, list[str]] = {}
        for key, value in fields.items():
            if value is None:
                errors[key] = [f"El campo {key} es obligatorio."]
        due = as_int(body.get("billing_due_date"))
        if due is None or not 1 <= due <= 30:
            errors["billing_due_date"] = ["El campo billing_due_date debe estar entre 1 y 30."]
        if fields["dni"] and self._client_by_dni(fields["dni"]):
            errors["dni"] = ["El DNI ya ha sido registrado."]
        if errors:
            return validation_error(errors)
        last = self.conn.execute("SELECT MAX(CAST(subscriber_no AS INTEGER)) FROM clients")
        subscriber_no = f"{(last.fetchone()[0] or 0) + 1:04d}"
        with self.conn:
            client_id = insert(
                self.conn,
                "clients",
                name=fields["name"],
                email=fields["email"],
                phone=fields["phone"],
                dni=fields["dni"],
                subscriber_no=subscriber_no,
                partner_id=1,
                billing_due_date=due,
                password=hashlib.sha256((fields["pass"] or "").encode()).hexdigest(),
                created_at=dbtime(utcnow()),
            )
        dni = fields["dni"] or ""
        return 200, {
            "status": True,
            "client": {
                "name": fields["name"],
                "phone": fields["phone"],
                "email": fields["email"],
                "id_punto_emision": None,
                # The quirk: the DNI comes back as a JSON number, its leading zeros lost.
                "dni": int(dni) if dni.isdigit() else dni,
                "id": client_id,
                "subscriber_no": subscriber_no,
            },
            "message": "Client successfully added",
        }

    def create_service(self, dni: str, body: dict[str, Any]) -> tuple[int, dict]:
        client = self._client_by_dni(dni)
        if client is None:
            return 404, {"status": False, "success": False, "message": "Usuario no encontrado"}
        errors: dict[str, list[str]] = {}
        router_id = as_int(body.get("router"))
        plan_id = as_int(body.get("plan"))
        if (
            router_id is None
            or not self.conn.execute("SELECT 1 FROM routers WHERE id = ?", (router_id,)).fetchone()
        ):
            errors["router"] = ["El router seleccionado no es válido."]
        if (
            plan_id is None
            or not self.conn.execute("SELECT 1 FROM plans WHERE id = ?", (plan_id,)).fetchone()
        ):
            errors["plan"] = ["El plan seleccionado no es válido."]
        date_in = parse_date(body.get("date_in"), ("%d-%m-%Y", "%Y-%m-%d"))
        if date_in is None:
            errors["date_in"] = ["El campo date_in debe ser una fecha como 18-10-2024."]
        texts = {k: as_text(body.get(k)) for k in ("ip", "user_hot", "pass_hot", "mac")}
        for key, value in texts.items():
            if value is None:
                errors[key] = [f"El campo {key} es obligatorio."]
        if errors:
            return validation_error(errors)
        assert date_in is not None
        today = date.today().isoformat()
        pass_hot = base64.b64encode((texts["pass_hot"] or "").encode()).decode()
        with self.conn:
            service_id = insert(
                self.conn,
                "services",
                client_id=client["id"],
                plan_id=plan_id,
                router_id=router_id,
                ip=texts["ip"],
                mac=texts["mac"],
                date_in=date_in.isoformat(),
                status="ac",
                online="ver",
                user_hot=texts["user_hot"],
                pass_hot=pass_hot,
                billing_type=as_text(body.get("billing_type")) or "recurring",
                send_invoice=1 if as_bool(body.get("send_invoice", False)) else 0,
                service_type="home",
                created_at=today,
                updated_at=today,
            )
        row = self.conn.execute("SELECT * FROM services WHERE id = ?", (service_id,)).fetchone()
        service = self._service_dict(row)
        service["client"] = self._client_dict(client, legal_fields=True)
        return 200, {
            "status": True,
            "message": "Service successfully created.",
            "service": service,
        }

    def get_user(self, dni: str) -> tuple[int, dict]:
        client = self._client_by_dni(dni)
        if client is None:
            # The quirk: an unknown DNI answers HTTP 200 with success false.
            return 200, {"success": False, "message": "Usuario no encontrado"}
        rows = self.conn.execute(
            "SELECT * FROM invoices WHERE client_id = ? ORDER BY id", (client["id"],)
        ).fetchall()
        return 200, {
            "user": self._client_dict(client, legal_fields=True),
            "invoices": {
                "invoices_smartISP": [self._invoice_dict(r, status_text=False) for r in rows],
                "invoices_sunat": [],
            },
        }

    def clients(self, query: dict[str, list[str]]) -> tuple[int, dict]:
        rows = self.conn.execute("SELECT * FROM clients ORDER BY id").fetchall()
        service_rows = self.conn.execute(
            "SELECT s.*, p.name AS plan_name, r.name AS router_name FROM services s"
            " LEFT JOIN plans p ON p.id = s.plan_id LEFT JOIN routers r ON r.id = s.router_id"
            " ORDER BY s.id"
        ).fetchall()
        by_client: dict[int, list[sqlite3.Row]] = {}
        for srow in service_rows:
            by_client.setdefault(srow["client_id"], []).append(srow)

        search = first(query, "search")
        status = first(query, "status")
        plan = as_int(first(query, "plan"))
        router = as_int(first(query, "router"))
        partner = as_int(first(query, "partner_id"))
        matches = []
        for row in rows:
            services = by_client.get(row["id"], [])
            if search:
                needle = folded(search)
                haystack = (
                    row["name"],
                    row["dni"],
                    row["email"],
                    row["phone"],
                    row["subscriber_no"],
                )
                if not any(needle in folded(value) for value in haystack if value):
                    continue
            if status and not any(s["status"] == status for s in services):
                continue
            if plan is not None and not any(s["plan_id"] == plan for s in services):
                continue
            if router is not None and not any(s["router_id"] == router for s in services):
                continue
            if partner is not None and row["partner_id"] != partner:
                continue
            matches.append((row, services))

        chunk, pagination = paginate(matches, query)
        data = []
        for row, services in chunk:
            data.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "dni": row["dni"],
                    "email": row["email"],
                    "phone": row["phone"],
                    "address": row["address"],
                    "balance": self._balance(row["id"]),
                    "wallet_balance": 0,
                    "subscriber_no": row["subscriber_no"],
                    "created_at": row["created_at"],
                    "service": [
                        {
                            "id": s["id"],
                            "client_id": s["client_id"],
                            "plan_id": s["plan_id"],
                            "router_id": s["router_id"],
                            "status": s["status"],
                            "online": s["online"],
                            "ip": s["ip"],
                            "service_type": s["service_type"],
                            "plan": {"id": s["plan_id"], "name": s["plan_name"]},
                            "router": {"id": s["router_id"], "name": s["router_name"]},
                        }
                        for s in services
                    ],
                }
            )
        return 200, {"success": True, "data": data, "pagination": pagination}

    # ---- invoices

    def get_invoice_cliente(self, num_bill: str) -> tuple[int, dict]:
        row = self.conn.execute("SELECT * FROM invoices WHERE num_bill = ?", (num_bill,)).fetchone()
        if row is None:
            return 404, {"success": False, "message": "Factura no encontrada"}
        client = self._client_by_id(row["client_id"])
        assert client is not None
        return 200, {
            "estatus": INVOICE_STATUS_TEXT[row["status"]],
            # The quirk: BillCustomer.client_id carries the client's name.
            "BillCustomer": self._invoice_dict(row, status_text=True, client_id=client["name"]),
            "Client": self._client_dict(client, legal_fields=False),
        }

    def invoices_by_status(self, user_id: str, status: int) -> tuple[int, dict]:
        count_key = (
            "numero_de_factura_pagadas"
            if status == INVOICE_PAID
            else "numero_de_factura_no_pagadas"
        )
        client = self._client_by_id(as_int(user_id))
        if client is None:
            return 200, {"invoices": [], count_key: 0}
        client_data = self._client_dict(client, legal_fields=False)
        rows = self.conn.execute(
            "SELECT * FROM invoices WHERE client_id = ? AND status = ? ORDER BY id",
            (client["id"], status),
        ).fetchall()
        services: dict[int, dict[str, Any] | None] = {}
        invoices = []
        for row in rows:
            item = self._invoice_dict(row, status_text=True)
            item["client"] = client_data
            service_id = row["service_id"]
            if service_id is not None and service_id not in services:
                srow = self.conn.execute(
                    "SELECT * FROM services WHERE id = ?", (service_id,)
                ).fetchone()
                service = None
                if srow is not None:
                    service = self._service_dict(srow)
                    prow = self.conn.execute(
                        "SELECT * FROM plans WHERE id = ?", (srow["plan_id"],)
                    ).fetchone()
                    service["plan"] = self._plan_dict(prow) if prow else None
                services[service_id] = service
            item["service"] = services.get(service_id) if service_id is not None else None
            invoices.append(item)
        return 200, {"invoices": invoices, count_key: len(invoices)}

    def create_invoice(self, user_id: str, body: dict[str, Any]) -> tuple[int, dict]:
        client = self._client_by_id(as_int(user_id))
        if client is None:
            return 404, {"success": False, "mesnage": "Cliente no encontrado"}
        descriptions = [as_text(d) for d in as_list(body.get("description"))]
        prices = [as_decimal(p) for p in as_list(body.get("price"))]
        quantities = [as_decimal(q) for q in as_list(body.get("quantity"))]
        ivas = [as_decimal(i) for i in as_list(body.get("iva"))]
        totals = [as_decimal(t) for t in as_list(body.get("total"))]
        errors: dict[str, list[str]] = {}
        if not descriptions or None in descriptions:
            errors["description"] = ["El campo description es obligatorio."]
        if len(prices) != len(descriptions) or None in prices:
            errors["price"] = ["Se requiere un precio numérico por cada concepto."]
        if quantities and (len(quantities) != len(descriptions) or None in quantities):
            errors["quantity"] = ["Se requiere una cantidad numérica por cada concepto."]
        if ivas and (len(ivas) != len(descriptions) or None in ivas):
            errors["iva"] = ["Se requiere un IVA numérico por cada concepto."]
        if totals and (len(totals) != len(descriptions) or None in totals):
            errors["total"] = ["Se requiere un total numérico por cada concepto."]
        date_formats = ("%m/%d/%Y", "%Y-%m-%d")
        invoice_date = parse_date(body.get("invoice_date"), date_formats)
        pay_date = parse_date(body.get("invoice_pay_date"), date_formats)
        if invoice_date is None:
            errors["invoice_date"] = ["El campo invoice_date debe ser una fecha MM/DD/YYYY."]
        if pay_date is None:
            errors["invoice_pay_date"] = [
                "El campo invoice_pay_date debe ser una fecha MM/DD/YYYY."
            ]
        if errors:
            status, payload = validation_error(errors, key="mesnage")
            return status, payload
        assert invoice_date is not None and pay_date is not None
        quantities = quantities or [Decimal(1)] * len(prices)
        ivas = ivas or [Decimal(0)] * len(prices)
        cost = sum((p * q for p, q in zip(prices, quantities, strict=True)), Decimal(0))
        if totals:
            total = sum(totals, Decimal(0))
        else:
            total = sum(
                (with_iva(p * q, i) for p, q, i in zip(prices, quantities, ivas, strict=True)),
                Decimal(0),
            )
        period_from = [
            parse_date(d, ("%Y-%m-%d", "%m/%d/%Y")) for d in as_list(body.get("period_from"))
        ]
        period_to = [
            parse_date(d, ("%Y-%m-%d", "%m/%d/%Y")) for d in as_list(body.get("period_to"))
        ]
        start = min((d for d in period_from if d), default=invoice_date)
        period = max((d for d in period_to if d), default=pay_date)
        memo = as_text(body.get("invoice_memo"))
        items = [
            {"description": d, "price": str(p), "quantity": str(q), "iva": str(i)}
            for d, p, q, i in zip(descriptions, prices, quantities, ivas, strict=True)
        ]
        last = self.conn.execute("SELECT MAX(CAST(num_bill AS INTEGER)) FROM invoices").fetchone()
        num_bill = (last[0] or 1000) + 1
        today = date.today().isoformat()
        with self.conn:
            invoice_id = insert(
                self.conn,
                "invoices",
                num_bill=str(num_bill),
                client_id=client["id"],
                service_id=None,
                period=period.isoformat(),
                release_date=invoice_date.isoformat(),
                expiration_date=pay_date.isoformat(),
                start_date=start.isoformat(),
                cortado_date=(invoice_date + timedelta(days=15)).isoformat(),
                iva=money(ivas[0]),
                cost=money(cost),
                total_pay=money(total),
                status=INVOICE_UNPAID,
                note=memo,
                memo=memo,
                billing_type=as_text(body.get("invoice_billing_type")) or "none",
                created_at=today,
                updated_at=today,
                items=json.dumps(items, ensure_ascii=False),
            )
        return 200, {
            "success": True,
            "mesnage": "Factura creada exitosamente",
            "num_bill": num_bill,
            "id_invoice": invoice_id,
        }

    def _record_payment(
        self, endpoint: str, invoice_id: Any, body: dict[str, Any], success: bool, message: str
    ) -> int:
        return insert(
            self.conn,
            "payments",
            endpoint=endpoint,
            invoice_id=None if invoice_id is None else str(invoice_id),
            body=json.dumps(body, ensure_ascii=False, default=str),
            success=1 if success else 0,
            message=message,
            created_at=dbtime(utcnow()),
        )

    def pagar_factura(self, body: dict[str, Any]) -> tuple[int, dict]:
        invoice_id = as_int(body.get("invoice_id"))
        invoice = self._invoice(invoice_id)
        with self.conn:
            if invoice is None:
                message = "Factura no encontrada"
                self._record_payment("pagar_factura", body.get("invoice_id"), body, False, message)
                return 200, {"success": False, "mesnage": message}
            if invoice["status"] == INVOICE_PAID:
                message = "La factura ya esta pagada"
                self._record_payment("pagar_factura", invoice_id, body, False, message)
                return 200, {"success": False, "mesnage": message}
            paid_on = parse_date(body.get("date"), ("%m/%d/%Y",))
            amount = as_decimal(body.get("amount"))
            errors: dict[str, list[str]] = {}
            if paid_on is None:
                errors["date"] = ["El campo date debe ser una fecha MM/DD/YYYY."]
            if amount is None or amount <= 0:
                errors["amount"] = ["El campo amount debe ser un número mayor que 0."]
            if errors:
                self._record_payment("pagar_factura", invoice_id, body, False, "validation")
                return validation_error(errors, key="mesnage")
            assert paid_on is not None and amount is not None
            payment_id = self._record_payment("pagar_factura", invoice_id, body, True, "ok")
            update(
                self.conn,
                "invoices",
                invoice["id"],
                status=INVOICE_PAID,
                paid_on=paid_on.isoformat(),
                id_pago=as_text(body.get("id_pago")),
                way_to_pay=as_text(body.get("way_to_pay")),
                commentary=as_text(body.get("commentary")),
                pay_by_wallet=1 if as_bool(body.get("payByWallet", False)) else 0,
                amount_paid=money(amount),
                payment_id=payment_id,
                updated_at=date.today().isoformat(),
            )
        return 200, {"success": True, "mesnage": "factura pagada"}

    def delete_invoice_pay(self, invoice_id_text: str, body: dict[str, Any]) -> tuple[int, dict]:
        invoice_id = as_int(invoice_id_text)
        invoice = self._invoice(invoice_id)
        with self.conn:
            if invoice is None:
                message = "Factura no encontrada"
                self._record_payment("DeleteIvoicePay", invoice_id_text, body, False, message)
                return 200, {"success": False, "mensage": message}
            if invoice["status"] != INVOICE_PAID:
                message = "La factura no esta pagada"
                self._record_payment("DeleteIvoicePay", invoice_id, body, False, message)
                return 200, {"success": False, "mensage": message}
            self._record_payment("DeleteIvoicePay", invoice_id, body, True, "ok")
            update(
                self.conn,
                "invoices",
                invoice["id"],
                status=INVOICE_UNPAID,
                paid_on=None,
                id_pago=None,
                way_to_pay=None,
                commentary=None,
                pay_by_wallet=None,
                amount_paid=None,
                payment_id=None,
                updated_at=date.today().isoformat(),
            )
        return 200, {"success": True, "mensage": f"Se a liminado la factura con ID {invoice_id}"}

    # ---- tickets

    def tickets(self, query: dict[str, list[str]]) -> tuple[int, dict]:
        rows = self.conn.execute(
            "SELECT t.*, (SELECT COUNT(*) FROM answers a WHERE a.ticket_id = t.id)"
            " AS answers_count FROM tickets t ORDER BY t.created_at DESC, t.id DESC"
        ).fetchall()
        search = first(query, "search")
        filters = {key: first(query, key) for key in ("status", "type", "priority")}
        client_id = first(query, "client_id")
        date_from = first(query, "date_from")
        date_to = first(query, "date_to")
        matches = []
        for row in rows:
            if search:
                needle = folded(search)
                if needle not in folded(row["subject"]) and needle not in folded(row["section"]):
                    continue
            if any(value and row[key] != value for key, value in filters.items()):
                continue
            if client_id is not None and row["client_id"] != as_int(client_id):
                continue
            created_day = row["created_at"][:10]
            if date_from and created_day < date_from:
                continue
            if date_to and created_day > date_to:
                continue
            matches.append(row)
        chunk, pagination = paginate(matches, query)
        data = []
        for row in chunk:
            item = self._ticket_dict(row)
            client, user = item.pop("client"), item.pop("user")
            item.update(answers_count=row["answers_count"], client=client, user=user)
            data.append(item)
        return 200, {"success": True, "data": data, "pagination": pagination}

    @staticmethod
    def tickets_meta() -> tuple[int, dict]:
        return 200, {
            "success": True,
            "data": {
                "status": list(TICKET_STATUSES),
                "type": list(TICKET_TYPES),
                "priority": list(TICKET_PRIORITIES),
            },
        }

    def _ticket_row(self, ticket_id: str) -> sqlite3.Row | None:
        number = as_int(ticket_id)
        if number is None:
            return None
        return self.conn.execute("SELECT * FROM tickets WHERE id = ?", (number,)).fetchone()

    @staticmethod
    def _ticket_not_found() -> tuple[int, dict]:
        return 404, {"success": False, "message": "Ticket no encontrado"}

    def ticket(self, ticket_id: str) -> tuple[int, dict]:
        row = self._ticket_row(ticket_id)
        if row is None:
            return self._ticket_not_found()
        data = self._ticket_dict(row)
        answers = self.conn.execute(
            "SELECT * FROM answers WHERE ticket_id = ? ORDER BY created_at, id", (row["id"],)
        ).fetchall()
        zone = local_zone()
        data["answers"] = [
            {
                "id": a["id"],
                "message": a["message"],
                "user": a["user"],
                "created_at": odd_answer_time(a["created_at"], zone),
            }
            for a in answers
        ]
        return 200, {"success": True, "data": data}

    def create_ticket(self, body: dict[str, Any]) -> tuple[int, dict]:
        errors: dict[str, list[str]] = {}
        raw_client = body.get("client_id")
        client_id = as_int(raw_client)
        client = self._client_by_id(client_id)
        if as_text(raw_client) is None:
            errors["client_id"] = ["El campo client_id es obligatorio."]
        elif client is None:
            errors["client_id"] = ["El client_id seleccionado no es válido."]
        subject = as_text(body.get("subject"))
        if subject is None:
            errors["subject"] = ["El campo subject es obligatorio."]
        elif len(subject) > 200:
            errors["subject"] = ["El campo subject no debe ser mayor que 200 caracteres."]
        message = as_text(body.get("message"))
        if message is None:
            errors["message"] = ["El campo message es obligatorio."]
        choices = {
            "type": (TICKET_TYPES, "question"),
            "priority": (TICKET_PRIORITIES, "low"),
            "status": (TICKET_STATUSES, "new"),
        }
        values: dict[str, str] = {}
        for key, (allowed, default) in choices.items():
            value = as_text(body.get(key))
            if value is None:
                values[key] = default
            elif value not in allowed:
                errors[key] = [f"El {key} seleccionado no es válido."]
            else:
                values[key] = value
        if errors:
            return validation_error(errors)
        assert client is not None and subject is not None and message is not None
        now = dbtime(utcnow())
        last_cun = self.conn.execute(
            "SELECT MAX(CAST(ticket_cun_number AS INTEGER)) FROM tickets"
        ).fetchone()[0]
        cun = str((last_cun or 2289) + 1)
        author = as_text(body.get("author")) or client["name"]
        with self.conn:
            ticket_id = insert(
                self.conn,
                "tickets",
                subject=subject,
                section=as_text(body.get("section")),
                status=values["status"],
                type=values["type"],
                priority=values["priority"],
                client_id=client["id"],
                user_id=DEFAULT_AGENT_ID,
                ticket_cun_number=cun,
                read_admin=0,
                read_client=1,
                created_at=now,
                updated_at=now,
            )
            insert(
                self.conn,
                "answers",
                ticket_id=ticket_id,
                message=message,
                user=author,
                created_at=now,
            )
        return 201, {
            "success": True,
            "message": "Ticket creado",
            "data": {
                "id": ticket_id,
                "ticket_cun_number": cun,
                "status": values["status"],
                "client_id": client["id"],
            },
        }

    def reply_ticket(self, ticket_id: str, body: dict[str, Any]) -> tuple[int, dict]:
        row = self._ticket_row(ticket_id)
        if row is None:
            return self._ticket_not_found()
        errors: dict[str, list[str]] = {}
        message = as_text(body.get("message"))
        if message is None:
            errors["message"] = ["El campo message es obligatorio."]
        side = as_text(body.get("from")) or SUPPORT
        if side not in (SUPPORT, CLIENT):
            errors["from"] = ["El campo from debe ser support o client."]
        if errors:
            return validation_error(errors)
        author = as_text(body.get("author"))
        if author is None:
            if side == CLIENT:
                client = self._client_by_id(row["client_id"])
                author = client["name"] if client else "Cliente"
            else:
                author = AGENTS.get(row["user_id"], AGENTS[DEFAULT_AGENT_ID])
        now = dbtime(utcnow())
        if side == CLIENT:
            status, read_admin, read_client = "waiting_on_agent", 0, 1
        else:
            status, read_admin, read_client = "waiting_on_customer", 1, 0
        with self.conn:
            insert(
                self.conn,
                "answers",
                ticket_id=row["id"],
                message=message,
                user=author,
                created_at=now,
            )
            update(
                self.conn,
                "tickets",
                row["id"],
                status=status,
                read_admin=read_admin,
                read_client=read_client,
                updated_at=now,
            )
        return 200, {"success": True, "message": "Respuesta agregada"}

    def update_ticket(self, ticket_id: str, body: dict[str, Any]) -> tuple[int, dict]:
        row = self._ticket_row(ticket_id)
        if row is None:
            return self._ticket_not_found()
        allowed = {"status": TICKET_STATUSES, "priority": TICKET_PRIORITIES, "type": TICKET_TYPES}
        changes: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        for key, choices in allowed.items():
            value = as_text(body.get(key))
            if value is None:
                continue
            if value in choices:
                changes[key] = value
            else:
                errors[key] = [f"El {key} seleccionado no es válido."]
        if errors:
            return validation_error(errors)
        if not changes:
            return 422, {
                "success": False,
                "message": "Debe enviar al menos uno de: status, priority, type.",
                "errors": {"status": ["Se requiere al menos un campo válido."]},
            }
        with self.conn:
            update(self.conn, "tickets", row["id"], **changes, updated_at=dbtime(utcnow()))
        updated = self.conn.execute("SELECT * FROM tickets WHERE id = ?", (row["id"],)).fetchone()
        return 200, {
            "success": True,
            "message": "Ticket actualizado",
            "data": {
                "id": updated["id"],
                "status": updated["status"],
                "priority": updated["priority"],
                "type": updated["type"],
            },
        }

    # ---- for the control endpoints

    def payments(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM payments ORDER BY id").fetchall()
        result = []
        for row in rows:
            try:
                body = json.loads(row["body"]) if row["body"] else {}
            except ValueError:
                body = row["body"]
            result.append(
                {
                    "id": row["id"],
                    "endpoint": row["endpoint"],
                    "invoice_id": row["invoice_id"],
                    "body": body,
                    "success": bool(row["success"]),
                    "message": row["message"],
                    "created_at": row["created_at"],
                }
            )
        return result


# (method, pattern of the path after the API prefix, handler name in call_api)
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("GET", r"plans", "plans"),
        ("GET", r"routers", "routers"),
        ("POST", r"create-client", "create_client"),
        ("POST", r"create-service/(?P<dni>[^/]+)", "create_service"),
        ("GET", r"get-user/(?P<dni>[^/]+)", "get_user"),
        ("GET", r"getInvoiceCliente/(?P<num_bill>[^/]+)", "get_invoice_cliente"),
        ("GET", r"InvoiceClientStatus3/(?P<user_id>[^/]+)", "unpaid"),
        ("GET", r"InvoiceClientStatus1/(?P<user_id>[^/]+)", "paid"),
        ("POST", r"CreateInvoice/(?P<user_id>[^/]+)", "create_invoice"),
        ("POST", r"pagar_factura", "pagar_factura"),
        ("POST", r"DeleteIvoicePay/(?P<invoice_id>[^/]+)", "delete_invoice_pay"),
        ("GET", r"clients", "clients"),
        ("GET", r"tickets", "tickets"),
        ("POST", r"tickets", "create_ticket"),
        ("GET", r"tickets/meta", "tickets_meta"),
        ("GET", r"tickets/(?P<ticket_id>[^/]+)", "ticket"),
        ("PATCH", r"tickets/(?P<ticket_id>[^/]+)", "update_ticket"),
        ("POST", r"tickets/(?P<ticket_id>[^/]+)/reply", "reply_ticket"),
    ]
]


def call_api(
    api: SmartISPApi,
    name: str,
    params: dict[str, str],
    query: dict[str, list[str]],
    body: dict[str, Any],
) -> tuple[int, dict]:
    handlers = {
        "plans": lambda: api.plans(),
        "routers": lambda: api.routers(),
        "create_client": lambda: api.create_client(body),
        "create_service": lambda: api.create_service(params["dni"], body),
        "get_user": lambda: api.get_user(params["dni"]),
        "get_invoice_cliente": lambda: api.get_invoice_cliente(params["num_bill"]),
        "unpaid": lambda: api.invoices_by_status(params["user_id"], INVOICE_UNPAID),
        "paid": lambda: api.invoices_by_status(params["user_id"], INVOICE_PAID),
        "create_invoice": lambda: api.create_invoice(params["user_id"], body),
        "pagar_factura": lambda: api.pagar_factura(body),
        "delete_invoice_pay": lambda: api.delete_invoice_pay(params["invoice_id"], body),
        "clients": lambda: api.clients(query),
        "tickets": lambda: api.tickets(query),
        "create_ticket": lambda: api.create_ticket(body),
        "tickets_meta": lambda: api.tickets_meta(),
        "ticket": lambda: api.ticket(params["ticket_id"]),
        "update_ticket": lambda: api.update_ticket(params["ticket_id"], body),
        "reply_ticket": lambda: api.reply_ticket(params["ticket_id"], body),
    }
    with api.lock:
        return handlers[name]()


# --------------------------------------------------------------------------- HTTP


class SmartISPServer(ThreadingHTTPServer):
    """The threaded HTTP server with the sandbox's state, key, faults and call log."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        api: SmartISPApi,
        api_key: str,
        faults: Faults,
    ) -> None:
        super().__init__(address, SmartISPHandler)
        self.api = api
        self.api_key = api_key
        self._faults = faults
        self._faults_lock = threading.Lock()
        self._calls: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED_CALLS)
        self._call_counts: Counter[tuple[str, str]] = Counter()
        self._calls_lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def faults(self) -> Faults:
        with self._faults_lock:
            return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        with self._faults_lock:
            self._faults = value

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"

    def sleep(self, seconds: float) -> bool:
        """Sleep without blocking other requests; False when the server stopped meanwhile."""
        if seconds <= 0:
            return not self.stopping.is_set()
        return not self.stopping.wait(seconds)

    def record_call(self, method: str, path: str, query: str, body: Any) -> None:
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "body": body,
            "at": time.time(),
        }
        with self._calls_lock:
            self._calls.append(entry)
            self._call_counts[(method, path)] += 1

    def reset_calls(self) -> None:
        with self._calls_lock:
            self._calls.clear()
            self._call_counts.clear()

    def calls(self, pattern: str | None, method: str | None, limit: int = 1000) -> dict[str, Any]:
        """Matching calls: their count, count per path, and the most recent `limit` of them."""

        def matches(path: str, verb: str) -> bool:
            if method and verb != method.upper():
                return False
            if not pattern:
                return True
            relative = path.removeprefix(API_PREFIX)
            if pattern.endswith("*"):
                prefix = pattern[:-1]
                return path.startswith(prefix) or relative.startswith(prefix.lstrip("/"))
            return pattern in (path, relative, "/" + relative)

        with self._calls_lock:
            counts = {k: v for k, v in self._call_counts.items() if matches(k[1], k[0])}
            listed = [c for c in self._calls if matches(c["path"], c["method"])]
        by_path: Counter[str] = Counter()
        for (_, path), count in counts.items():
            by_path[path] += count
        return {
            "count": sum(counts.values()),
            "by_path": dict(by_path),
            "calls": listed[-limit:] if limit > 0 else [],
        }

    def server_close(self) -> None:
        self.stopping.set()
        super().server_close()
        with self.api.lock:
            self.api.conn.close()


class SmartISPHandler(SandboxHandler):
    """Routes one request: control endpoints, faults, the key check, then the API."""

    server: SmartISPServer
    server_version = "SmartISP-sandbox/1.0"

    # ---- dispatch

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query, keep_blank_values=True)
        raw = self._read_body()
        try:
            if path.startswith("/_sandbox/"):
                self._control(method, path, query, raw)
                return
            self._api(method, path, url.query, query, raw)
        except Exception:
            logger.exception("Sandbox SmartISP failed on %s %s", method, self.path)
            self._json(500, {"success": False, "message": "Server Error"})

    def _api(
        self, method: str, path: str, query_text: str, query: dict[str, list[str]], raw: bytes
    ) -> None:
        content_type = self.headers.get("Content-Type", "")
        body: dict[str, Any] | None
        body_error: str | None = None
        try:
            body = parse_body(raw, content_type)
        except BadBody as exc:
            body, body_error = None, str(exc)
        self.server.record_call(
            method, path, query_text, body if body is not None else raw.decode("utf-8", "replace")
        )

        faults = self.server.faults
        if faults.latency_ms and not self.server.sleep(faults.latency_ms / 1000):
            self.close_connection = True
            return
        if faults.error_rate and random.random() < faults.error_rate:
            self._html(500, ERROR_PAGE)
            return
        if faults.mode == "timeout":
            if not self.server.sleep(faults.timeout_seconds):
                self.close_connection = True
                return
        elif faults.mode == "maintenance":
            self._html(200, MAINTENANCE_PAGE)
            return
        every_call = faults.every_call_shape()
        if every_call == "unauthenticated_200":
            self._json(200, {"message": "Unauthenticated."})
            return
        if every_call:
            status = {"html_500": 500, "html_503": 503, "laravel_419": 419}.get(every_call, 429)
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status in (429, 503) else None
            self._html(status, laravel_page(status) if status != 503 else MAINTENANCE_PAGE, headers)
            return

        if not path.startswith(API_PREFIX):
            self._json(404, {"success": False, "message": "Not Found"})
            return
        key = self.headers.get("X-Authorization", "")
        if not hmac.compare_digest(key.encode("utf-8"), self.server.api_key.encode("utf-8")):
            self._json(401, {"success": False, "message": "Unauthorized"})
            return

        relative = path[len(API_PREFIX) :].rstrip("/")
        allowed: list[str] = []
        for verb, pattern, name in ROUTES:
            match = pattern.fullmatch(relative)
            if not match:
                continue
            if verb != method:
                allowed.append(verb)
                continue
            if body is None:
                self._json(400, {"success": False, "message": body_error})
                return
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            if method == "GET" and (
                (name == "clients" and "no_clients_search" in faults.shapes)
                or (name == "tickets_meta" and "no_tickets_meta" in faults.shapes)
            ):
                self._json(404, {"message": f"The route {relative} could not be found."})
                return
            status, payload = call_api(self.server.api, name, params, query, body)
            status, payload = shaped(name, status, payload, faults.shapes)
            if isinstance(payload, str):
                self._html(status, payload)
                return
            if (
                name == "pagar_factura"
                and faults.pay_mode == "apply_then_timeout"
                and not self.server.sleep(faults.timeout_seconds)
            ):
                self.close_connection = True
                return
            self._json(status, payload)
            return
        if allowed:
            self._json(
                405,
                {"success": False, "message": "Method Not Allowed"},
                {"Allow": ", ".join(sorted(set(allowed)))},
            )
        else:
            self._json(404, {"success": False, "message": "Not Found"})

    def _control(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_sandbox/health"):
            self._json(200, {"ok": True})
        elif route == ("GET", "/_sandbox/faults"):
            self._json(200, self.server.faults.as_json())
        elif route == ("POST", "/_sandbox/faults"):
            try:
                data = json.loads(raw.decode("utf-8") or "{}") if raw.strip() else {}
                self.server.faults = Faults.from_mapping(data)
            except (UnicodeDecodeError, ValueError) as exc:
                self._json(400, {"error": str(exc)})
                return
            logger.info("Sandbox SmartISP faults now %s", self.server.faults.as_json())
            self._json(200, self.server.faults.as_json())
        elif route == ("GET", "/_sandbox/calls"):
            limit = as_int(first(query, "limit"))
            self._json(
                200,
                self.server.calls(
                    first(query, "path"), first(query, "method"), 1000 if limit is None else limit
                ),
            )
        elif route == ("POST", "/_sandbox/calls/reset"):
            self.server.reset_calls()
            self._json(200, {"count": 0})
        elif route == ("GET", "/_sandbox/payments"):
            with self.server.api.lock:
                payments = self.server.api.payments()
            self._json(200, {"count": len(payments), "payments": payments})
        else:
            self._json(404, {"error": "unknown control endpoint"})


def make_server(
    host: str,
    port: int,
    db_path: str | os.PathLike[str],
    api_key: str | None = None,
    seed: bool = False,
    faults: Faults | None = None,
) -> SmartISPServer:
    """A ready (not yet serving) sandbox SmartISP server; call `serve_forever()` on it.

    `api_key` defaults to SANDBOX_SMARTISP_KEY or "sandbox-key"; `faults` to the SANDBOX_*
    environment. Port 0 picks a free port: read it from `server.server_address[1]`.
    """
    if api_key is None:
        api_key = os.environ.get("SANDBOX_SMARTISP_KEY") or DEFAULT_API_KEY
    conn = connect(db_path)
    if seed:
        seed_demo_data(conn)
    server = SmartISPServer((host, port), SmartISPApi(conn), api_key, faults or Faults.from_env())
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in SmartISP API server (sandbox).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--db", default="sandbox-smartisp.sqlite3", help="SQLite file for state")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("SANDBOX_SMARTISP_KEY") or DEFAULT_API_KEY,
        help="expected X-Authorization value (env SANDBOX_SMARTISP_KEY)",
    )
    parser.add_argument("--seed", action="store_true", help="load demo data into an empty db")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        faults = Faults.from_env()
    except ValueError as exc:
        parser.error(f"bad SANDBOX_* fault setting: {exc}")
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    server = make_server(args.host, args.port, args.db, args.api_key, args.seed, faults)
    logger.info("Sandbox SmartISP listening on %s (faults %s)", server.base_url, faults.as_json())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("Stopping")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
