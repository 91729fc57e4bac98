"""Helpers of the phone-code tests: SmartISP's get-user with a phone, the task worker on demand,
and the code as the WhatsApp stand-in of the tests received it."""

import json

from tests.billing.payment_helpers import run_tasks  # noqa: F401  (the phone tests' worker)
from tests.conftest import api, example_json
from tests.messaging.shapes import WA_MESSAGES

PHONE = "0991234567"  # as SmartISP holds it; +593991234567 in E.164


def mock_subscriber(smartisp, dni: str, client_id: int = 1, *, phone=PHONE, email="") -> None:
    """get-user as the reference shows it, for a client with this phone and email."""
    body = example_json("get-user")
    body["user"].update(id=client_id, phone=phone, email=email, name="Luis Chávez")
    smartisp.get(api(f"get-user/{dni}"), body=json.dumps(body))


def whatsapp_codes(mock) -> list[tuple[str, str]]:
    """(to, code) of every code template the WhatsApp Cloud API received."""
    sent = []
    for call in mock.calls:
        if call.request.url == WA_MESSAGES:
            body = json.loads(call.request.body)
            if body.get("type") == "template":
                body_parameter = body["template"]["components"][0]["parameters"][0]
                sent.append((body["to"], body_parameter["text"]))
    return sent
