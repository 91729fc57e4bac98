"""The sandbox gateway adapter: the protocol of DESIGN.md section 7, served by
portal/sandbox/gateway_server.py in the demo and mocked with `responses` in tests."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.conf import settings

from billing.gateways.base import (
    Checkout,
    CheckoutRef,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    Gateway,
    GatewayBadResponse,
    GatewayRejected,
    GatewayUnavailable,
    Notification,
    NotificationMalformed,
    SignatureInvalid,
)
from portal.sandbox import signing

logger = logging.getLogger(__name__)

TIMEOUT = (3, 10)
SIGNATURE_TOLERANCE = 300
EVENT_STATES = {
    "payment.succeeded": CheckoutState.SUCCEEDED,
    "payment.failed": CheckoutState.FAILED,
    "payment.refunded": CheckoutState.REFUNDED,
}
_session = requests.Session()
_session.headers.update({"Accept": "application/json"})


CENT = Decimal("0.01")
CURRENCY = re.compile(r"[A-Za-z]{3}")
MAX_AMOUNT = Decimal("9999999999.99")  # what the ledger's Decimal(12, 2) holds


def _decimal(value: Any) -> Decimal | None:
    """An amount in currency units with at most two decimals, or None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


class SandboxGateway(Gateway):
    name = "sandbox"
    label = "Sandbox"

    def __init__(self) -> None:
        self.base_url = settings.SANDBOX_GATEWAY_URL.rstrip("/")
        self._secret = settings.SANDBOX_GATEWAY_SECRET

    # -- HTTP --------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = _session.request(method, self.base_url + path, json=body, timeout=TIMEOUT)
        except requests.Timeout:
            raise GatewayUnavailable(f"the sandbox gateway timed out ({method})") from None
        except requests.RequestException:
            raise GatewayUnavailable("the sandbox gateway cannot be reached") from None
        if response.status_code >= 500:
            raise GatewayUnavailable(f"the sandbox gateway answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise GatewayRejected(f"the sandbox gateway answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise GatewayBadResponse("the sandbox gateway answered without JSON") from None

    # -- the interface -----------------------------------------------------------------------

    def checkout_start(self, request: CheckoutRequest) -> Checkout:
        body = self._request(
            "POST",
            "/checkout/sessions",
            {
                "reference": request.reference,
                "amount": str(request.amount),
                "currency": request.currency,
                "description": request.description,
                "success_url": request.success_url,
                "cancel_url": request.cancel_url,
                "webhook_url": request.webhook_url,
            },
        )
        if not isinstance(body, dict) or not body.get("id") or not body.get("url"):
            raise GatewayBadResponse("the sandbox gateway's checkout has no id or url")
        return Checkout(session_id=str(body["id"]), url=str(body["url"]))

    def checkout_status(self, checkout: CheckoutRef) -> CheckoutStatus:
        body = self._request("GET", f"/checkout/sessions/{checkout.session_id}")
        if not isinstance(body, dict):
            raise GatewayBadResponse("the sandbox gateway's session is not an object")
        try:
            state = CheckoutState(str(body.get("status")))
        except ValueError:
            raise GatewayBadResponse(f"unknown checkout status {body.get('status')!r}") from None
        return CheckoutStatus(
            state=state,
            session_id=str(body.get("id") or checkout.session_id),
            reference=str(body.get("reference") or ""),
            transaction_id=str(body.get("transaction") or ""),
            amount=_decimal(body.get("amount")),
            currency=str(body.get("currency") or "").upper(),
        )

    def checkout_expire(self, checkout: CheckoutRef) -> None:
        # DESIGN.md section 7: an open session answers `expired`; a paid one answers 409.
        self._request("POST", f"/checkout/sessions/{checkout.session_id}/expire")

    def payment_refund(self, checkout: CheckoutRef) -> None:
        # DESIGN.md section 7: answers the session `refunded`, then sends payment.refunded.
        self._request("POST", f"/checkout/sessions/{checkout.session_id}/refund")

    def notification_parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> Notification:
        header = headers.get(signing.HEADER, "")
        if not signing.verify(
            self._secret, header, body, tolerance=SIGNATURE_TOLERANCE, now=now.timestamp()
        ):
            raise SignatureInvalid("missing, wrong or stale Sandbox-Signature")
        try:
            event = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise NotificationMalformed("the webhook body is not JSON") from None
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise NotificationMalformed("the webhook body has no data object")
        event_id, event_type, data = event.get("id"), event.get("type"), event["data"]
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 200:
            raise NotificationMalformed("the webhook has no usable id")
        if not isinstance(event_type, str) or not event_type:
            raise NotificationMalformed("the webhook has no type")
        created = event.get("created")
        amount = data.get("amount")
        if amount is not None and _decimal(amount) is None:
            raise NotificationMalformed("the webhook's amount is not an amount")
        currency = data.get("currency")
        if currency is not None and not (
            isinstance(currency, str) and CURRENCY.fullmatch(currency)
        ):
            raise NotificationMalformed("the webhook's currency is not a currency code")
        for key in ("session", "reference", "transaction"):
            if not isinstance(data.get(key) or "", str) or len(data.get(key) or "") > 200:
                raise NotificationMalformed(f"the webhook's {key} is not a short string")
        return Notification(
            event_id=event_id,
            type=event_type,
            reference=str(data.get("reference") or ""),
            session_id=str(data.get("session") or ""),
            transaction_id=str(data.get("transaction") or ""),
            amount=_decimal(amount),
            currency=str(data.get("currency") or "").upper(),
            created=(
                datetime.fromtimestamp(created, tz=UTC)
                if isinstance(created, int) and not isinstance(created, bool)
                else None
            ),
            state=EVENT_STATES.get(event_type),
        )
