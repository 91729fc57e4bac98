"""Stand-in for the WhatsApp Cloud API, for the demo and the browser tests.

It answers the one call the portal makes as Meta's Graph API does (see messaging/backends/
whatsapp.py for the documents the shapes come from):

    POST /{version}/{phone_number_id}/messages     Authorization: Bearer <token>
        200 {"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
             "messages": [{"id": "wamid.…"}]}
        401 Graph error 190 (bad token), 400 error 100 (unknown phone number id, bad JSON),
        400 error 131026 "Message Undeliverable" for a number switched to refuse

and keeps what it was sent, for people and tests:

    GET  /__control/messages[?to=+593…]     {"messages": [{id, to, type, template, language,
                                            code, text, created}, …]}, oldest first
    POST /__control/refuse                  JSON {"phone": "+593…", "refuse": true|false}:
                                            answer that number with 131026 (as for a phone
                                            without WhatsApp), or stop doing so
    POST /__control/reset                   forget the messages and refusals
    GET  /__control/health                  {"ok": true}

Every code it receives is logged ("code 123456 for the phone ending in 67"): `make demo` shows
them in its output. Standard library only; state lives in memory:

    python -m portal.sandbox.messaging_server --port 8003 [--token sandbox-whatsapp-token]
        [--phone-number-id 100000000000001] [--refuse +593987654321]
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from portal.sandbox.http import SandboxHandler

# Named, not __name__: run with -m it would log as "__main__".
logger = logging.getLogger("portal.sandbox.messaging_server")

DEFAULT_TOKEN = "sandbox-whatsapp-token"
DEFAULT_PHONE_NUMBER_ID = "100000000000001"


def _digits(phone: object) -> str:
    return "".join(ch for ch in str(phone or "") if ch.isdigit())


def graph_error(code: int, message: str, details: str, kind: str = "OAuthException") -> dict:
    """A Graph API error object, as Cloud API answers its errors."""
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": kind,
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": secrets.token_urlsafe(12),
        }
    }


class MessagingState:
    """What was sent and which numbers refuse, behind one lock."""

    def __init__(self, refused: list[str] | None = None) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.refused: set[str] = {_digits(p) for p in refused or []}

    def record(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append(message)

    def listing(self, to: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if not to or _digits(m["to"]) == _digits(to)]

    def refuses(self, phone: str) -> bool:
        with self.lock:
            return _digits(phone) in self.refused

    def refuse(self, phone: str, refuse: bool) -> None:
        with self.lock:
            (self.refused.add if refuse else self.refused.discard)(_digits(phone))

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.refused.clear()


class MessagingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, token: str, phone_number_id: str, state):
        super().__init__(address, MessagingHandler)
        self.token = token
        self.phone_number_id = phone_number_id
        self.state: MessagingState = state


def _summary(body: dict) -> dict[str, Any]:
    """The parts of a sent message a person (or a test) looks for: the code, the text."""
    kind = body.get("type")
    template = body.get("template") if kind == "template" else None
    code = text = None
    if isinstance(template, dict):
        for component in template.get("components") or []:
            if isinstance(component, dict) and component.get("type") == "body":
                params = component.get("parameters") or [{}]
                text = params[0].get("text") if isinstance(params[0], dict) else None
        # An authentication template's body parameter is the code (and so is button 0's).
        buttons = [c for c in template.get("components") or [] if c.get("type") == "button"]
        code = text if buttons else None
    elif kind == "text" and isinstance(body.get("text"), dict):
        text = body["text"].get("body")
    return {
        "type": kind,
        "template": template.get("name") if isinstance(template, dict) else None,
        "language": (template.get("language") or {}).get("code")
        if isinstance(template, dict)
        else None,
        "code": code,
        "text": text,
    }


class MessagingHandler(SandboxHandler):
    server: MessagingServer
    server_version = "SandboxWhatsApp/1.0"
    default_headers = {"Cache-Control": "no-store"}

    def _dispatch(self, method: str) -> None:
        raw = self._read_body()
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        try:
            self._route(method, parts, query, raw)
        except Exception:
            logger.exception("WhatsApp stand-in failed on %s %s", method, self.path)
            self._json(500, graph_error(1, "An unknown error occurred", "stand-in failure"))

    def _route(self, method: str, parts: list[str], query: dict, raw: bytes) -> None:
        match (method, parts):
            case ("POST", [_version, phone_number_id, "messages"]):
                self._send_message(phone_number_id, raw)
            case ("GET", ["__control", "messages"]):
                to = (query.get("to") or [None])[0]
                self._json(200, {"messages": self.server.state.listing(to)})
            case ("POST", ["__control", "refuse"]):
                body = json.loads(raw or b"{}")
                self.server.state.refuse(str(body.get("phone", "")), bool(body.get("refuse", True)))
                self._json(200, {"refused": sorted(self.server.state.refused)})
            case ("POST", ["__control", "reset"]):
                self.server.state.reset()
                self._json(200, {"ok": True})
            case ("GET", ["__control", "health"]):
                self._json(200, {"ok": True})
            case _:
                self._json(404, graph_error(100, "Unsupported request", "unknown path"))

    def _send_message(self, phone_number_id: str, raw: bytes) -> None:
        if self.headers.get("Authorization", "") != f"Bearer {self.server.token}":
            self._json(
                401, graph_error(190, "Invalid OAuth access token", "Cannot parse access token")
            )
            return
        if phone_number_id != self.server.phone_number_id:
            details = f"Object with ID '{phone_number_id}' does not exist"
            self._json(400, graph_error(100, "Invalid parameter", details, "GraphMethodException"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._json(400, graph_error(100, "Invalid parameter", "The request is not JSON"))
            return
        to = body.get("to") if isinstance(body, dict) else None
        if body.get("messaging_product") != "whatsapp" or not _digits(to):
            details = "messaging_product must be whatsapp and to a phone number"
            self._json(400, graph_error(100, "Invalid parameter", details))
            return
        if self.server.state.refuses(to):
            details = "Message failed to send because the recipient is not a WhatsApp user."
            self._json(400, graph_error(131026, "Message Undeliverable.", details))
            return
        message_id = "wamid." + secrets.token_urlsafe(24)
        summary = _summary(body)
        self.server.state.record(
            {"id": message_id, "to": to, **summary, "created": int(time.time())}
        )
        tail = _digits(to)[-2:]
        if summary["code"]:
            logger.warning("WhatsApp: code %s for the phone ending in %s", summary["code"], tail)
        else:
            logger.warning("WhatsApp: to the phone ending in %s: %s", tail, summary["text"])
        self._json(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": _digits(to)}],
                "messages": [{"id": message_id}],
            },
        )


def make_server(
    host: str,
    port: int,
    *,
    token: str = DEFAULT_TOKEN,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    refused: list[str] | None = None,
) -> MessagingServer:
    state = MessagingState(refused)
    return MessagingServer((host, port), token=token, phone_number_id=phone_number_id, state=state)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in for the WhatsApp Cloud API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8003)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--phone-number-id", default=DEFAULT_PHONE_NUMBER_ID)
    parser.add_argument("--refuse", action="append", default=[], help="a number to refuse")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = make_server(
        args.host,
        args.port,
        token=args.token,
        phone_number_id=args.phone_number_id,
        refused=args.refuse,
    )
    logger.info("WhatsApp stand-in listening on http://%s:%s", args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("Stopping")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
