"""The Stripe adapter: Checkout Sessions, signed webhooks, and the session as the source of truth.

Follows https://docs.stripe.com/api/checkout/sessions (create with client_reference_id,
retrieve; https://docs.stripe.com/api/checkout/sessions/expire), https://docs.stripe.com/api/refunds
/create (a Refund of the session's PaymentIntent), https://docs.stripe.com/webhooks#verify-events
(the Stripe-Signature header, checked by the SDK with a 300 s tolerance) and https://docs.stripe.com/api/charges/object
(`refunded`, `amount_refunded`). The secret key goes to a StripeClient made per adapter, never to
the SDK's global state. docs/gateways.md says how to configure it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
import stripe
from django.conf import settings
from django.utils import timezone

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

logger = logging.getLogger(__name__)

TIMEOUT = (3, 10)
SIGNATURE_TOLERANCE = 300
SIGNATURE_HEADER = "Stripe-Signature"
# Stripe lets a session live 30 minutes to 24 hours; the reconciler gives a checkout up after an
# hour, so nobody can pay a checkout the portal no longer waits for.
SESSION_LIFETIME = timedelta(hours=1)
SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
REFUND_EVENTS = {"charge.refunded", "refund.created"}
MAX_ID = 200

_session = requests.Session()


def to_cents(amount: Decimal) -> int:
    """Stripe's unit_amount for USD: integer cents."""
    value = Decimal(amount) * 100
    if not value.is_finite() or value != value.to_integral_value() or value <= 0:
        raise GatewayRejected(f"Stripe cannot charge {amount}")
    return int(value)


def _amount(cents: Any) -> Decimal | None:
    if isinstance(cents, bool) or not isinstance(cents, int):
        return None
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _id(value: Any) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and len(value) <= MAX_ID else ""


def _short(value: Any) -> str:
    return value if isinstance(value, str) and len(value) <= MAX_ID else ""


@contextmanager
def _calling(what: str) -> Iterator[None]:
    """Stripe's errors as the gateway interface's: never with the key, never with card data."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError):
        raise GatewayUnavailable(f"Stripe cannot be reached ({what})") from None
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None)
        code = getattr(exc, "code", None) or type(exc).__name__
        if status is None or status >= 500:
            raise GatewayUnavailable(f"Stripe failed {what}: HTTP {status} {code}") from None
        raise GatewayRejected(f"Stripe refused {what}: HTTP {status} {code}") from None


class StripeGateway(Gateway):
    name = "stripe"
    label = "Stripe"  # SmartISP's own name for this way to pay (DESIGN.md section 7)

    def __init__(self) -> None:
        self._secret_key = settings.STRIPE_SECRET_KEY
        self._webhook_secret = settings.STRIPE_WEBHOOK_SECRET

    def _client(self):
        # One SDK retry is safe: POSTs carry an idempotency key, and Stripe replays its answer.
        return stripe.StripeClient(
            self._secret_key,
            http_client=stripe.RequestsClient(timeout=TIMEOUT, session=_session),
            max_network_retries=1,
        )

    # -- the interface -----------------------------------------------------------------------

    def checkout_start(self, request: CheckoutRequest) -> Checkout:
        if not self._secret_key:
            raise GatewayRejected("STRIPE_SECRET_KEY is not set")
        params = {
            "mode": "payment",
            "client_reference_id": request.reference,
            "line_items": [
                {
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_cents(request.amount),
                        "product_data": {"name": request.description},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": {"reference": request.reference},
            "payment_intent_data": {"metadata": {"reference": request.reference}},
            "expires_at": int((timezone.now() + SESSION_LIFETIME).timestamp()),
        }
        with _calling("creating a checkout"):
            session = self._client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.reference},
            )
        data = session.to_dict()
        session_id, url = _short(data.get("id")), data.get("url")
        if not session_id or not isinstance(url, str) or not url.startswith("https://"):
            raise GatewayBadResponse("Stripe's checkout session has no id or url")
        return Checkout(session_id=session_id, url=url)

    def checkout_status(self, checkout: CheckoutRef) -> CheckoutStatus:
        """The session as Stripe has it now, with its payment and that payment's charge: paid and
        complete is succeeded; a fully refunded charge is refunded."""
        with _calling("reading a checkout"):
            session = self._client().v1.checkout.sessions.retrieve(
                checkout.session_id,
                params={"expand": ["payment_intent.latest_charge"]},
            )
        data = session.to_dict()
        if data.get("object") != "checkout.session" or not _short(data.get("id")):
            raise GatewayBadResponse("Stripe's answer is not a checkout session")
        intent = data.get("payment_intent")
        intent = intent if isinstance(intent, dict) else {}
        charge = intent.get("latest_charge")
        charge = charge if isinstance(charge, dict) else {}
        state = self._state(data, intent, charge, checkout)
        currency = data.get("currency")
        return CheckoutStatus(
            state=state,
            session_id=data["id"],
            # A session without our reference is never taken for ours (the ledger then asks a
            # person to look).
            reference=_short(data.get("client_reference_id")) or "(missing)",
            transaction_id=_id(data.get("payment_intent")),
            amount=_amount(data.get("amount_total")),
            currency=currency.upper() if isinstance(currency, str) else "",
            captured_at=_moment(charge.get("created")),
        )

    def checkout_expire(self, checkout: CheckoutRef) -> None:
        # stripe-python: StripeClient.v1.checkout.sessions.expire(session); an error when the
        # session is no longer open (then the status query says what it is).
        with _calling("expiring a checkout"):
            self._client().v1.checkout.sessions.expire(checkout.session_id)

    def payment_refund(self, checkout: CheckoutRef) -> None:
        # stripe-python: StripeClient.v1.refunds.create(params={"payment_intent": ...}); the whole
        # amount when none is given. The idempotency key makes a repeated ask one refund.
        if not checkout.transaction_id.startswith("pi_"):
            raise GatewayRejected("no PaymentIntent to refund")
        with _calling("refunding a payment"):
            self._client().v1.refunds.create(
                params={"payment_intent": checkout.transaction_id},
                options={"idempotency_key": f"refund-{checkout.reference}"},
            )

    def _state(
        self,
        session: dict[str, Any],
        intent: dict[str, Any],
        charge: dict[str, Any],
        checkout: CheckoutRef,
    ) -> CheckoutState:
        status, paid = session.get("status"), session.get("payment_status") == "paid"
        if status == "complete" and paid:
            refunded = charge.get("amount_refunded")
            if charge.get("refunded") is True:
                return CheckoutState.REFUNDED
            if isinstance(refunded, int) and refunded > 0:
                # The ledger knows whole refunds only: DeleteIvoicePay would undo the whole
                # payment. A partial refund stays with the operator who made it.
                logger.warning(
                    "stripe %s: partially refunded (%s cents); left as paid",
                    checkout.reference,
                    refunded,
                )
            return CheckoutState.SUCCEEDED
        if status == "complete" and intent.get("status") in ("canceled", "requires_payment_method"):
            # A delayed payment method (a bank debit) that failed after the session completed.
            return CheckoutState.FAILED
        if status in ("open", "complete", "expired"):
            # Expired took no money: it stays "open" here and the reconciler gives it up as
            # abandoned, like a checkout the subscriber walked away from.
            return CheckoutState.OPEN
        raise GatewayBadResponse(f"unknown checkout session status {str(status)[:40]!r}")

    def notification_parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> Notification:
        header = headers.get(SIGNATURE_HEADER) or ""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureInvalid("the webhook body is not what Stripe signs") from None
        try:
            stripe.Webhook.construct_event(
                text, header, self._webhook_secret, tolerance=SIGNATURE_TOLERANCE
            )
        except stripe.SignatureVerificationError:
            raise SignatureInvalid("missing, wrong or stale Stripe-Signature") from None
        except (ValueError, TypeError, AttributeError, KeyError):
            # Raised only after the signature held: signed, but not a JSON event.
            raise NotificationMalformed("the webhook body is not a JSON event") from None
        # The SDK checks the age against the machine's clock; this also refuses a timestamp from
        # the future, measured against the portal's own `now`.
        signed_at = _signed_at(header)
        if signed_at is None or abs(now.timestamp() - signed_at) > SIGNATURE_TOLERANCE:
            raise SignatureInvalid("the Stripe-Signature timestamp is too far from now")
        event = json.loads(text)
        if not isinstance(event, dict):
            raise NotificationMalformed("the webhook body is not an event")
        event_id, event_type = _short(event.get("id")), _short(event.get("type"))
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not event_id or not event_type or not isinstance(obj, dict):
            raise NotificationMalformed("the webhook is not an event with an object")
        created = _moment(event.get("created"))
        if event_type in SESSION_EVENTS:
            return self._session_notification(event_id, event_type, created, obj)
        if event_type in REFUND_EVENTS:
            return self._refund_notification(event_id, event_type, created, obj)
        # Any other event is kept, unlinked, for an operator (docs/gateways.md lists the events
        # to enable).
        return Notification(event_id=event_id, type=event_type, created=created)

    # -- events ------------------------------------------------------------------------------

    def _session_notification(
        self, event_id: str, event_type: str, created: datetime | None, session: dict[str, Any]
    ) -> Notification:
        if session.get("object") != "checkout.session":
            raise NotificationMalformed("a checkout.session event without a session")
        metadata = session.get("metadata")
        reference = _short(session.get("client_reference_id")) or (
            _short(metadata.get("reference")) if isinstance(metadata, dict) else ""
        )
        currency = session.get("currency")
        paid = session.get("payment_status") == "paid"
        state = {
            "checkout.session.completed": CheckoutState.SUCCEEDED if paid else None,
            "checkout.session.async_payment_succeeded": CheckoutState.SUCCEEDED,
            "checkout.session.async_payment_failed": CheckoutState.FAILED,
        }.get(event_type)
        return Notification(
            event_id=event_id,
            type=event_type,
            reference=reference,
            session_id=_short(session.get("id")),
            transaction_id=_id(session.get("payment_intent")),
            amount=_amount(session.get("amount_total")),
            currency=currency.upper() if isinstance(currency, str) and len(currency) == 3 else "",
            created=created,
            state=state,
        )

    def _refund_notification(
        self, event_id: str, event_type: str, created: datetime | None, obj: dict[str, Any]
    ) -> Notification:
        """A refund names only the payment (PaymentIntent). The ledger finds the payment by it
        (the transaction id it recorded at capture), so parsing asks Stripe nothing; whether it
        was refunded in full is for the status query."""
        intent_id = _id(obj.get("payment_intent"))
        if not intent_id:
            # A charge that no PaymentIntent made: not the portal's.
            return Notification(event_id=event_id, type=event_type, created=created)
        return Notification(
            event_id=event_id,
            type=event_type,
            transaction_id=intent_id,
            created=created,
            state=CheckoutState.REFUNDED,
        )


def _signed_at(header: str) -> int | None:
    """The `t=` of a Stripe-Signature header (already verified by the SDK)."""
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None
