"""Sandbox payment gateway for the demo and the tests, shaped like real hosted-checkout gateways.

It implements the protocol of DESIGN.md section 7 ("The sandbox gateway"):

    POST /checkout/sessions                 JSON {reference, amount, currency, description,
                                            success_url, cancel_url, webhook_url}
                                            -> 201 {id: "cs_...", url: "<public>/checkout/<id>"}
    GET  /checkout/sessions/<id>            {id, reference, status, transaction, amount, currency}
                                            status: open | succeeded | failed | refunded | expired
    POST /checkout/sessions/<id>/expire     open -> expired (no webhook); otherwise 409
    POST /checkout/sessions/<id>/refund     succeeded -> refunded, sends payment.refunded
    POST /checkout/sessions/<id>/resend     re-sends the session's last webhook (same event id)
    GET  /checkout/<id>                     the hosted checkout page (card field, Pay, Cancel)
    POST /checkout/<id>                     field `card`: 4242 4242 4242 4242 succeeds,
                                            4000 0000 0000 0002 is declined; webhook, then 303
    GET  /checkout/<id>/cancel              303 to cancel_url; the session stays open

Webhooks are POSTed as JSON to the session's webhook_url, signed with the `Sandbox-Signature`
header (see `portal.sandbox.signing`). Control endpoints for tests:

    GET  /_sandbox/health                   {"ok": true}
    GET  /_sandbox/config                   {"drop_webhooks": bool, "webhook_timeout": seconds}
    POST /_sandbox/config                   change either (drop_webhooks simulates lost webhooks)
    GET  /_sandbox/webhooks[?session=cs_…]  recorded deliveries: url, status code, error, body

Standard library only; runs as its own process:

    python -m portal.sandbox.gateway_server --port 8002 --db sandbox-gateway.sqlite3 \
        --secret "$SANDBOX_GATEWAY_SECRET" [--public-url http://127.0.0.1:8002]
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from portal.sandbox.http import SandboxHandler
from portal.sandbox.signing import HEADER, sign

logger = logging.getLogger(__name__)

DEFAULT_SECRET = "sandbox-secret"
DEFAULT_WEBHOOK_TIMEOUT = 5.0
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CENT = Decimal("0.01")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, reference TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,
    description TEXT, success_url TEXT NOT NULL, cancel_url TEXT NOT NULL, webhook_url TEXT,
    status TEXT NOT NULL, transaction_id TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_session ON events (session_id);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, session_id TEXT NOT NULL, type TEXT NOT NULL,
    url TEXT, status_code INTEGER, error TEXT, duration_ms INTEGER, created INTEGER NOT NULL
);
"""


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Webhooks are not redirected: a 3xx is recorded as the receiver's answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


# No proxies from the environment, no redirects followed.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


class GatewayStore:
    """Sessions, events and webhook deliveries in SQLite; one connection behind a lock."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.conn = sqlite3.connect(str(db_path), check_same_thread=False, timeout=10)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def session(self, session_id: str) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(
                "SELECT * FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()

    def create_session(self, data: dict[str, Any]) -> str:
        session_id = new_id("cs")
        now = int(time.time())
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT INTO sessions (id, reference, amount, currency, description, success_url,"
                " cancel_url, webhook_url, status, transaction_id, created, updated)"
                " VALUES (:id, :reference, :amount, :currency, :description, :success_url,"
                " :cancel_url, :webhook_url, 'open', NULL, :now, :now)",
                {**data, "id": session_id, "now": now},
            )
        return session_id

    def transition(
        self, session_id: str, from_status: str, to_status: str, event_type: str, new_txn: bool
    ) -> tuple[sqlite3.Row, sqlite3.Row] | None:
        """Move a session from one status to another and store the event it causes, atomically.

        Returns (session, event) or None when the session was not in `from_status` (so two
        concurrent submits produce one outcome).
        """
        now = int(time.time())
        with self.lock, self.conn:
            row = self.conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None or row["status"] != from_status:
                return None
            transaction = new_id("txn") if new_txn else row["transaction_id"]
            self.conn.execute(
                "UPDATE sessions SET status = ?, transaction_id = ?, updated = ? WHERE id = ?",
                (to_status, transaction, now, session_id),
            )
            event_id = new_id("evt")
            body = {
                "id": event_id,
                "type": event_type,
                "created": now,
                "data": {
                    "session": session_id,
                    "reference": row["reference"],
                    "transaction": transaction,
                    "amount": row["amount"],
                    "currency": row["currency"],
                },
            }
            self.conn.execute(
                "INSERT INTO events (id, session_id, type, body, created) VALUES (?, ?, ?, ?, ?)",
                (event_id, session_id, event_type, json.dumps(body, separators=(",", ":")), now),
            )
            session = self.conn.execute(
                "SELECT * FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            event = self.conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return session, event

    def expire(self, session_id: str) -> sqlite3.Row | None:
        """Close an open session unpaid (the merchant gave it up). None if it was not open."""
        now = int(time.time())
        with self.lock, self.conn:
            moved = self.conn.execute(
                "UPDATE sessions SET status = 'expired', updated = ?"
                " WHERE id = ? AND status = 'open'",
                (now, session_id),
            ).rowcount
            if not moved:
                return None
            return self.conn.execute(
                "SELECT * FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()

    def last_event(self, session_id: str) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(
                "SELECT * FROM events WHERE session_id = ? ORDER BY created DESC, rowid DESC",
                (session_id,),
            ).fetchone()

    def record_delivery(
        self,
        event: sqlite3.Row,
        url: str | None,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
    ) -> None:
        with self.lock, self.conn:
            self.conn.execute(
                "INSERT INTO webhooks (event_id, session_id, type, url, status_code, error,"
                " duration_ms, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event["id"],
                    event["session_id"],
                    event["type"],
                    url,
                    status_code,
                    error,
                    duration_ms,
                    int(time.time()),
                ),
            )

    def deliveries(self, session_id: str | None) -> list[dict[str, Any]]:
        sql = (
            "SELECT w.*, e.body AS body FROM webhooks w JOIN events e ON e.id = w.event_id"
            + (" WHERE w.session_id = ?" if session_id else "")
            + " ORDER BY w.id"
        )
        with self.lock:
            rows = self.conn.execute(sql, (session_id,) if session_id else ()).fetchall()
        return [
            {
                "id": r["id"],
                "event_id": r["event_id"],
                "session": r["session_id"],
                "type": r["type"],
                "url": r["url"],
                "status_code": r["status_code"],
                "error": r["error"],
                "duration_ms": r["duration_ms"],
                "created": r["created"],
                "body": json.loads(r["body"]),
            }
            for r in rows
        ]


def session_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "status": row["status"],
        "transaction": row["transaction_id"],
        "amount": row["amount"],
        "currency": row["currency"],
    }


def validate_session_request(data: Any) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The stored fields of a new session, or the errors per field."""
    if not isinstance(data, dict):
        return None, {"body": "expected a JSON object"}
    errors: dict[str, str] = {}
    reference = data.get("reference")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
        errors["reference"] = "required, a string of at most 200 characters"
    amount: Decimal | None = None
    raw_amount = data.get("amount")
    if isinstance(raw_amount, (int, float, str)) and not isinstance(raw_amount, bool):
        try:
            amount = Decimal(str(raw_amount).strip())
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = "required, a positive amount with at most 2 decimals"
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        errors["currency"] = "a 3-letter currency code"
    description = data.get("description") or ""
    if not isinstance(description, str):
        errors["description"] = "a string"
    for key in ("success_url", "cancel_url"):
        if not is_http_url(data.get(key)):
            errors[key] = "required, an http(s) URL"
    webhook_url = data.get("webhook_url")
    if webhook_url is not None and not is_http_url(webhook_url):
        errors["webhook_url"] = "an http(s) URL"
    if errors:
        return None, errors
    assert amount is not None
    return {
        "reference": reference.strip(),
        "amount": str(amount.quantize(CENT, rounding=ROUND_HALF_UP)),
        "currency": currency.upper(),
        "description": description.strip(),
        "success_url": data["success_url"],
        "cancel_url": data["cancel_url"],
        "webhook_url": webhook_url,
    }, {}


# --------------------------------------------------------------------------- the hosted page

PAGE_CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1rem;
line-height:1.5;color:#111827;background:#f3f4f6}
main{max-width:28rem;margin:0 auto;padding:1rem}
.box{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
.badge{display:inline-block;margin:0;font-size:.875rem;background:#fef3c7;color:#78350f;
padding:.125rem .625rem;border-radius:6px}
.nowrap{white-space:nowrap}
h1{font-size:1.25rem;margin:.75rem 0 .25rem;overflow-wrap:anywhere}
.amount{font-size:2rem;font-weight:700;margin:0 0 1rem}
.amount span{font-size:1rem;font-weight:400;color:#4b5563}
label{display:block;font-weight:600;margin-bottom:.25rem}
input{width:100%;min-height:48px;font-size:1.125rem;padding:.5rem .75rem;color:#111827;
background:#fff;border:2px solid #6b7280;border-radius:8px;letter-spacing:.05em}
input[aria-invalid=true]{border-color:#b91c1c}
.hint{font-size:.875rem;color:#374151;margin:.375rem 0 1rem}
.error{color:#7f1d1d;background:#fee2e2;border-left:4px solid #b91c1c;border-radius:6px;
padding:.5rem .75rem;margin:0 0 1rem}
.status{background:#e0f2fe;color:#0c4a6e;border-radius:6px;padding:.75rem;margin:0 0 1rem}
button,.button{display:flex;align-items:center;justify-content:center;width:100%;
min-height:48px;font:inherit;font-size:1.125rem;font-weight:700;color:#fff;background:#1d4ed8;
border:0;border-radius:8px;cursor:pointer;text-decoration:none}
button:hover,.button:hover{background:#1e40af}
.cancel{display:flex;align-items:center;justify-content:center;min-height:44px;
margin-top:.75rem;color:#1d4ed8;text-decoration:underline}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}
"""

STATUS_TEXT = {
    "succeeded": "Este pago ya fue aprobado.",
    "failed": "Este pago fue rechazado.",
    "refunded": "Este pago fue reembolsado.",
    "expired": "Este enlace de pago caducó: el comercio lo reemplazó por otro. No se cobró nada.",
}


def render_page(
    row: sqlite3.Row, *, base_path: str = "", card: str = "", error: str | None = None
) -> str:
    """The hosted checkout page for a session (Spanish, phone-first, no external assets).

    `base_path` is the path part of the public URL, for the Cancel link.
    """
    esc = html.escape
    amount = f"${row['amount']}"
    description = row["description"] or "Pago"
    if row["status"] == "open":
        described_by = "card-hint" + (" card-error" if error else "")
        error_html = (
            f'<p id="card-error" class="error" role="alert">{esc(error)}</p>' if error else ""
        )
        invalid = ' aria-invalid="true"' if error else ""
        cancel_href = f"{base_path}/checkout/{row['id']}/cancel"
        body = f"""
<form method="post" novalidate>
{error_html}
<label for="card">Número de tarjeta</label>
<input id="card" name="card" type="text" inputmode="numeric" autocomplete="cc-number"
 required maxlength="23" value="{esc(card)}" aria-describedby="{described_by}"{invalid}>
<p id="card-hint" class="hint">Tarjetas de prueba:
<span class="nowrap">4242 4242 4242 4242</span> (aprobada),
<span class="nowrap">4000 0000 0000 0002</span> (rechazada).</p>
<button type="submit">Pagar {esc(amount)}</button>
</form>
<a class="cancel" href="{esc(cancel_href)}">Cancelar y volver al comercio</a>"""
    else:
        back = row["cancel_url"] if row["status"] == "failed" else row["success_url"]
        body = f"""
<p class="status" role="status">{esc(STATUS_TEXT.get(row["status"], row["status"]))}</p>
<a class="button" href="{esc(back)}">Volver al comercio</a>"""
    return f"""<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pagar {esc(amount)} · Pasarela de pruebas</title>
<style>{PAGE_CSS}</style>
</head>
<body>
<main>
<div class="box">
<p class="badge">Pasarela de pruebas: no se cobra dinero real</p>
<h1>{esc(description)}</h1>
<p class="amount">{esc(amount)} <span>{esc(row["currency"])}</span></p>
{body}
</div>
</main>
</body>
</html>
"""


def not_found_page() -> str:
    return """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pago no encontrado</title></head>
<body><main><h1>Pago no encontrado</h1>
<p>Este enlace de pago no existe o ha caducado.</p></main></body></html>
"""


# --------------------------------------------------------------------------- HTTP


class GatewayServer(ThreadingHTTPServer):
    """The threaded HTTP server with the gateway's store, secret and test switches."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], store: GatewayStore, secret: str, public_url: str | None
    ) -> None:
        super().__init__(address, GatewayHandler)
        self.store = store
        self.secret = secret
        host, port = self.server_address[:2]
        self.public_url = (public_url or f"http://{host}:{port}").rstrip("/")
        self.base_path = urlsplit(self.public_url).path.rstrip("/")
        self.drop_webhooks = False
        self.webhook_timeout = DEFAULT_WEBHOOK_TIMEOUT

    def config(self) -> dict[str, Any]:
        return {"drop_webhooks": self.drop_webhooks, "webhook_timeout": self.webhook_timeout}

    def deliver(self, event: sqlite3.Row, url: str | None, *, force: bool = False) -> dict:
        """POST one signed event to `url` and record the outcome. Never raises."""
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        if not url:
            error = "no webhook_url"
        elif self.drop_webhooks and not force:
            error = "dropped (drop_webhooks)"
        else:
            body = event["body"].encode("utf-8")
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "sandbox-gateway/1.0",
                    HEADER: sign(self.secret, body, int(time.time())),
                },
            )
            try:
                with _OPENER.open(request, timeout=self.webhook_timeout) as response:
                    status_code = response.status
                    response.read()
            except urllib.error.HTTPError as exc:
                status_code = exc.code
                exc.close()
            except (urllib.error.URLError, OSError, ValueError) as exc:
                error = str(getattr(exc, "reason", exc)) or exc.__class__.__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        if error or status_code is None or not 200 <= status_code < 300:
            logger.warning(
                "Webhook %s %s to %s failed: %s",
                event["type"],
                event["id"],
                url,
                error or f"HTTP {status_code}",
            )
        else:
            logger.info("Webhook %s %s delivered: HTTP %s", event["type"], event["id"], status_code)
        try:
            self.store.record_delivery(event, url, status_code, error, duration_ms)
        except sqlite3.Error:
            logger.exception("Could not record the delivery of %s", event["id"])
        return {
            "event": event["id"],
            "type": event["type"],
            "status_code": status_code,
            "error": error,
        }

    def deliver_bounded(self, event: sqlite3.Row, url: str | None) -> None:
        """Deliver in a thread; wait for it at most about the webhook timeout."""
        worker = threading.Thread(target=self.deliver, args=(event, url), daemon=True)
        worker.start()
        worker.join(self.webhook_timeout + 0.5)

    def server_close(self) -> None:
        super().server_close()
        self.store.close()


class GatewayHandler(SandboxHandler):
    """Routes the session API, the hosted page and the control endpoints."""

    server: GatewayServer
    server_version = "SandboxGateway/1.0"
    default_headers = {"Cache-Control": "no-store"}

    # ---- responses

    def _redirect(self, location: str) -> None:
        self._send(303, b"", "text/plain", {"Location": location})

    # ---- dispatch

    def _dispatch(self, method: str) -> None:
        raw = self._read_body()
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        try:
            self._route(method, parts, query, raw)
        except Exception:
            logger.exception("Sandbox gateway failed on %s %s", method, self.path)
            self._json(500, {"error": "internal error"})

    def _route(
        self, method: str, parts: list[str], query: dict[str, list[str]], raw: bytes
    ) -> None:
        match (method, parts):
            case ("POST", ["checkout", "sessions"]):
                self._create_session(raw)
            case ("GET", ["checkout", "sessions", session_id]):
                self._get_session(session_id)
            case ("POST", ["checkout", "sessions", session_id, "expire"]):
                self._expire(session_id)
            case ("POST", ["checkout", "sessions", session_id, "refund"]):
                self._refund(session_id)
            case ("POST", ["checkout", "sessions", session_id, "resend"]):
                self._resend(session_id)
            case ("GET", ["checkout", session_id]):
                self._page(session_id)
            case ("POST", ["checkout", session_id]):
                self._pay(session_id, raw)
            case ("GET", ["checkout", session_id, "cancel"]):
                self._cancel(session_id)
            case ("GET", ["_sandbox", "health"]):
                self._json(200, {"ok": True})
            case ("GET", ["_sandbox", "config"]):
                self._json(200, self.server.config())
            case ("POST", ["_sandbox", "config"]):
                self._set_config(raw)
            case ("GET", ["_sandbox", "webhooks"]):
                session = (query.get("session") or [None])[0]
                deliveries = self.server.store.deliveries(session)
                self._json(200, {"count": len(deliveries), "webhooks": deliveries})
            case _:
                self._json(404, {"error": "not found"})

    # ---- the session API

    def _create_session(self, raw: bytes) -> None:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._json(400, {"error": "malformed JSON"})
            return
        fields, errors = validate_session_request(data)
        if fields is None:
            self._json(400, {"error": "invalid request", "fields": errors})
            return
        session_id = self.server.store.create_session(fields)
        logger.info(
            "Checkout %s created for %s %s (%s)",
            session_id,
            fields["amount"],
            fields["currency"],
            fields["reference"],
        )
        self._send(
            201,
            json.dumps(
                {"id": session_id, "url": f"{self.server.public_url}/checkout/{session_id}"}
            ).encode("utf-8"),
            "application/json",
        )

    def _get_session(self, session_id: str) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._json(404, {"error": "no such session"})
            return
        self._json(200, session_json(row))

    def _expire(self, session_id: str) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._json(404, {"error": "no such session"})
            return
        session = self.server.store.expire(session_id)
        if session is None:
            self._json(409, {"error": f"only an open session can be expired ({row['status']})"})
            return
        logger.info("Checkout %s expired", session_id)
        self._json(200, session_json(session))

    def _refund(self, session_id: str) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._json(404, {"error": "no such session"})
            return
        moved = self.server.store.transition(
            session_id, "succeeded", "refunded", "payment.refunded", new_txn=False
        )
        if moved is None:
            self._json(
                409, {"error": f"only a succeeded session can be refunded ({row['status']})"}
            )
            return
        session, event = moved
        self.server.deliver_bounded(event, session["webhook_url"])
        self._json(200, session_json(session))

    def _resend(self, session_id: str) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._json(404, {"error": "no such session"})
            return
        event = self.server.store.last_event(session_id)
        if event is None:
            self._json(409, {"error": "this session has sent no webhook yet"})
            return
        self._json(200, self.server.deliver(event, row["webhook_url"], force=True))

    # ---- the hosted page

    def _page(self, session_id: str) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._html(404, not_found_page())
            return
        self._html(200, render_page(row, base_path=self.server.base_path))

    def _pay(self, session_id: str, raw: bytes) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._html(404, not_found_page())
            return
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        typed = form.get("card", "")
        card = re.sub(r"[\s-]", "", typed)
        if row["status"] != "open":
            self._html(409, render_page(row, base_path=self.server.base_path))
            return
        if card == CARD_SUCCEEDS:
            outcome = ("succeeded", "payment.succeeded", row["success_url"])
        elif card == CARD_DECLINED:
            outcome = ("failed", "payment.failed", row["cancel_url"])
        else:
            error = (
                "Escriba el número de la tarjeta."
                if not card
                else "Esta tarjeta no sirve en la pasarela de pruebas. "
                "Use 4242 4242 4242 4242 o 4000 0000 0000 0002."
            )
            self._html(
                422, render_page(row, base_path=self.server.base_path, card=typed[:23], error=error)
            )
            return
        status, event_type, location = outcome
        moved = self.server.store.transition(session_id, "open", status, event_type, new_txn=True)
        if moved is None:  # a concurrent submit got there first
            current = self.server.store.session(session_id)
            assert current is not None
            self._html(409, render_page(current, base_path=self.server.base_path))
            return
        session, event = moved
        logger.info("Checkout %s %s (%s)", session_id, status, session["transaction_id"])
        self.server.deliver_bounded(event, session["webhook_url"])
        self._redirect(location.replace("{CHECKOUT_SESSION_ID}", session_id))

    def _cancel(self, session_id: str) -> None:
        row = self.server.store.session(session_id)
        if row is None:
            self._html(404, not_found_page())
            return
        self._redirect(row["cancel_url"].replace("{CHECKOUT_SESSION_ID}", session_id))

    # ---- control

    def _set_config(self, raw: bytes) -> None:
        try:
            data = json.loads(raw.decode("utf-8") or "{}") if raw.strip() else {}
        except (UnicodeDecodeError, ValueError):
            self._json(400, {"error": "malformed JSON"})
            return
        if not isinstance(data, dict) or set(data) - {"drop_webhooks", "webhook_timeout"}:
            self._json(400, {"error": "expected {drop_webhooks, webhook_timeout}"})
            return
        if "drop_webhooks" in data:
            if not isinstance(data["drop_webhooks"], bool):
                self._json(400, {"error": "drop_webhooks must be true or false"})
                return
            self.server.drop_webhooks = data["drop_webhooks"]
        if "webhook_timeout" in data:
            value = data["webhook_timeout"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                self._json(400, {"error": "webhook_timeout must be a positive number"})
                return
            self.server.webhook_timeout = float(value)
        logger.info("Sandbox gateway config now %s", self.server.config())
        self._json(200, self.server.config())


def make_server(
    host: str,
    port: int,
    db_path: str | os.PathLike[str],
    secret: str | None = None,
    public_url: str | None = None,
) -> GatewayServer:
    """A ready (not yet serving) sandbox gateway; call `serve_forever()` on it.

    `secret` defaults to SANDBOX_GATEWAY_SECRET or "sandbox-secret"; `public_url`, the base of
    the hosted page's URL, to http://<host>:<bound port>. Port 0 picks a free port.
    """
    if secret is None:
        secret = os.environ.get("SANDBOX_GATEWAY_SECRET") or DEFAULT_SECRET
    return GatewayServer((host, port), GatewayStore(db_path), secret, public_url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Sandbox payment gateway.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--db", default="sandbox-gateway.sqlite3", help="SQLite file for state")
    parser.add_argument(
        "--secret",
        default=os.environ.get("SANDBOX_GATEWAY_SECRET") or DEFAULT_SECRET,
        help="webhook HMAC secret (env SANDBOX_GATEWAY_SECRET)",
    )
    parser.add_argument(
        "--public-url", default=None, help="base URL of the hosted page (default: host and port)"
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    server = make_server(args.host, args.port, args.db, args.secret, args.public_url)
    logger.info("Sandbox gateway listening on %s", server.public_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("Stopping")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
