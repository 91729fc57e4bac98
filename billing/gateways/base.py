"""The payment gateway interface (DESIGN.md section 7): small on purpose, one adapter per gateway.

An adapter does four things: start a checkout and give the URL to send the browser to; verify and
parse a notification (webhook); fetch a checkout's status, which is the only source of truth; and
name itself for SmartISP's `way_to_pay`. Where the gateway can, it also expires an open checkout
and refunds a captured one (a subscriber who started again, then paid the old checkout too).
Everything about the ledger, settlement and retries lives in billing/, not in adapters. Adapters
raise only the errors below.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

# -- errors ------------------------------------------------------------------------------------


class GatewayError(Exception):
    """Base class. `retryable` is true when the same call may succeed later."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GatewayUnavailable(GatewayError):
    """Timeout, connection refused, 5xx: the gateway cannot answer now."""

    retryable = True


class GatewayRejected(GatewayError):
    """The gateway understood the request and said no (4xx)."""


class GatewayBadResponse(GatewayError):
    """An answer that is not the shape the gateway documents."""

    retryable = True


class NotificationInvalid(GatewayError):
    """A notification the portal must refuse with HTTP 400 and never store."""


class SignatureInvalid(NotificationInvalid):
    """Missing or wrong signature, or a timestamp too far from now."""


class NotificationMalformed(NotificationInvalid):
    """Signed, but not JSON of the documented shape."""


class UnknownGateway(LookupError):
    """No adapter of that name is installed."""


# -- values ------------------------------------------------------------------------------------


class CheckoutState(enum.StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    EXPIRED = "expired"  # closed unpaid at the portal's request (checkout_expire)


@dataclass(frozen=True)
class CheckoutRequest:
    """What the portal asks a gateway for: one payment of `amount` for `reference`.

    `taxed_base` and `tax` are the invoice's IVA split (payment_start always fills them: a base of
    0 and a tax of 0 for an invoice without IVA); gateways that report taxes (PayPhone) send them,
    the others ignore them. None means the caller did not say.
    """

    reference: str
    amount: Decimal
    currency: str
    description: str
    success_url: str
    cancel_url: str
    webhook_url: str
    taxed_base: Decimal | None = None
    tax: Decimal | None = None


@dataclass(frozen=True)
class Checkout:
    """A started checkout: its id at the gateway and where to send the browser."""

    session_id: str
    url: str
    data: Mapping[str, Any] = field(default_factory=dict)  # kept in Payment.gateway_data


@dataclass(frozen=True)
class CheckoutRef:
    """How the portal points at one of its checkouts when it asks the gateway about it.

    `transaction_id` is the gateway's transaction id as the ledger knows it (from the event being
    processed, the captured payment, or the latest notification), "" when it knows none. It is a
    hint to look with, never proof: the status query decides.
    """

    reference: str
    session_id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    transaction_id: str = ""


@dataclass(frozen=True)
class CheckoutStatus:
    """The gateway's own answer about a checkout: the only thing that can mark money captured."""

    state: CheckoutState
    session_id: str
    reference: str = ""
    transaction_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    captured_at: datetime | None = None


@dataclass(frozen=True)
class Notification:
    """A verified webhook. It only tells the portal which checkout to look at, and when."""

    event_id: str
    type: str
    reference: str = ""
    session_id: str = ""
    transaction_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    created: datetime | None = None
    state: CheckoutState | None = None  # what the event claims; the status query decides


@dataclass(frozen=True)
class ReturnInfo:
    """What a gateway put on the browser's way back (PayPhone: `id`, `clientTransactionId`)."""

    reference: str
    data: Mapping[str, Any] = field(default_factory=dict)


# -- the interface -----------------------------------------------------------------------------


class Gateway(ABC):
    """One payment gateway. Instances are cheap; they read their settings when created."""

    name: ClassVar[str]
    label: ClassVar[str]  # SmartISP's way_to_pay unless PAYMENT_WAY_TO_PAY says otherwise

    @property
    def way_to_pay(self) -> str:
        return settings.PAYMENT_WAY_TO_PAY or self.label

    @abstractmethod
    def checkout_start(self, request: CheckoutRequest) -> Checkout:
        """Create a checkout. GatewayUnavailable when it cannot tell whether one was created."""

    @abstractmethod
    def notification_parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> Notification:
        """Verify (SignatureInvalid) and parse (NotificationMalformed) a webhook's raw body."""

    @abstractmethod
    def checkout_status(self, checkout: CheckoutRef) -> CheckoutStatus:
        """Ask the gateway, server to server, what became of a checkout."""

    def checkout_expire(self, checkout: CheckoutRef) -> None:
        """Close an open checkout so it can no longer be paid (the subscriber started again).

        GatewayRejected when the checkout cannot be expired (already paid: ask checkout_status);
        gateways without such a call say so the same way, and the portal relies on refunding a
        late capture instead."""
        raise GatewayRejected(f"{self.name} cannot expire a checkout")

    def payment_refund(self, checkout: CheckoutRef) -> None:
        """Give back, in full, the money a checkout captured (a superseded checkout paid late).

        The gateway's refund event, or checkout_status, then says it is refunded. GatewayRejected
        when the gateway will not (a person refunds it by hand)."""
        raise GatewayRejected(f"{self.name} cannot refund from the portal")

    def notification_answer(self, *, duplicate: bool) -> dict[str, Any]:
        """The JSON body the webhook view answers a stored (or repeated) notification with."""
        return {"received": True, "duplicate": duplicate}

    def return_parse(self, params: Mapping[str, str]) -> ReturnInfo | None:
        """The payment a browser returning to /billing/return/<gateway>/ belongs to, if any.

        Gateways whose success_url is the payment page itself (the sandbox) need not override it.
        """
        return None


GATEWAYS: dict[str, str] = {
    "sandbox": "billing.gateways.sandbox.SandboxGateway",
    "payphone": "billing.gateways.payphone.PayPhoneGateway",
    "stripe": "billing.gateways.stripe.StripeGateway",
}


def get_gateway(name: str | None = None) -> Gateway:
    """The adapter called `name` (PAYMENT_GATEWAY when None). UnknownGateway otherwise."""
    name = name or settings.PAYMENT_GATEWAY
    path = GATEWAYS.get(name)
    if path is None:
        raise UnknownGateway(name)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise UnknownGateway(name) from exc
    return cls()
