"""Stripe's objects as its API reference shows them, and webhooks signed the way Stripe signs them
(https://docs.stripe.com/webhooks#verify-manually: t=<unix>,v1=HMAC-SHA256("<t>.<body>", whsec)),
for the Stripe tests. Objects: https://docs.stripe.com/api/checkout/sessions/object,
https://docs.stripe.com/api/payment_intents/object, https://docs.stripe.com/api/charges/object,
https://docs.stripe.com/api/events/object."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from unittest import mock

import pytest
import responses

from tests.billing.payment_helpers import Clock

API = "https://api.stripe.com"
SECRET_KEY = "sk_test_51PortalTestKey0000000000000000"
WEBHOOK_SECRET = "whsec_test_portal_5c1d9e0b7a"
SESSION = "cs_test_a1Znb7gdtlLEPzSi8qMIJzvsSPpIBMKFWovXx0h0O43WS411PpICgCqKjw"
CHECKOUT_URL = f"https://checkout.stripe.com/c/pay/{SESSION}#fidkdWxOYHwnPyd1blpxYHZxWjA0"
INTENT = "pi_3PYCL5CzbZon1zn91Lr4wXyQ"
CHARGE = "ch_3PYCL5CzbZon1zn91gZ2xK0n"
PAID_AT = 1773154805


@pytest.fixture
def stripe_settings(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def clock(settings):
    """django.utils.timezone.now frozen at the real now: the SDK measures a signature's age with
    the machine's clock, the portal with its own; both must agree in these tests."""
    settings.SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600
    start = Clock(datetime.now(UTC).replace(microsecond=0))
    with mock.patch("django.utils.timezone.now", start):
        yield start


@pytest.fixture
def no_retry_delay(monkeypatch):
    """The SDK's retry without its half-second back-off."""
    monkeypatch.setattr("stripe._http_client.HTTPClient._sleep_time_seconds", lambda self, n: 0)


def charge(*, refunded: int = 0, amount: int = 2151) -> dict:
    return {
        "id": CHARGE,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": True,
        "created": PAID_AT,
        "currency": "usd",
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": INTENT,
        "refunded": refunded >= amount,
        "status": "succeeded",
    }


def intent(*, status: str = "succeeded", latest_charge=None) -> dict:
    return {
        "id": INTENT,
        "object": "payment_intent",
        "amount": 2151,
        "amount_received": 2151 if status == "succeeded" else 0,
        "currency": "usd",
        "latest_charge": latest_charge,
        "metadata": {},
        "status": status,
    }


def session(
    reference: str,
    *,
    status: str = "complete",
    payment_status: str = "paid",
    amount_total: int = 2151,
    currency: str = "usd",
    payment_intent=INTENT,
    client_reference_id: str | None = "same",
) -> dict:
    return {
        "id": SESSION,
        "object": "checkout.session",
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "cancel_url": f"http://testserver/billing/payments/{reference}/?cancelled=1",
        "client_reference_id": reference if client_reference_id == "same" else client_reference_id,
        "created": PAID_AT - 60,
        "currency": currency,
        "expires_at": PAID_AT + 3540,
        "livemode": False,
        "metadata": {"reference": reference},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "status": status,
        "success_url": f"http://testserver/billing/payments/{reference}/",
        "url": CHECKOUT_URL if status == "open" else None,
    }


def paid_session(reference: str, **changes) -> dict:
    """The retrieved session, its payment intent and charge expanded."""
    refunded = changes.pop("refunded", 0)
    return session(
        reference,
        payment_intent=intent(latest_charge=charge(refunded=refunded)),
        **changes,
    )


def event(event_type: str, obj: dict, *, event_id: str = "evt_1PYCL6CzbZon1zn9VivIehz7") -> bytes:
    from django.utils import timezone

    body = {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(timezone.now().timestamp()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(body, indent=2).encode()


def signature(body: bytes, *, t: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    from django.utils import timezone

    t = int(timezone.now().timestamp()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def post_webhook(client, body: bytes, header: str | None = "sign"):
    headers = {}
    if header == "sign":
        headers["HTTP_STRIPE_SIGNATURE"] = signature(body)
    elif header is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = header
    return client.post(
        "/billing/webhooks/stripe/", data=body, content_type="application/json", **headers
    )


def retrieve_answers(mock_, body: dict) -> None:
    mock_.upsert(responses.GET, f"{API}/v1/checkout/sessions/{SESSION}", json=body)


def stripe_calls(mock_) -> list:
    return [c for c in mock_.calls if c.request.url.startswith(API)]
