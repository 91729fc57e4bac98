"""The PayPhone adapter ("Botón de Pagos" by redirection): Prepare, redirect, then Confirm.

PayPhone proves a payment only through its Confirm call, which also completes it: a payment left
unconfirmed for 5 minutes is reversed. So whatever hands the portal PayPhone's transaction id (the
browser's return, PayPhone's notification, the reconciler) confirms at once, server to server.

Follows https://docs.payphone.app/boton-de-pago-por-redireccion (Prepare body and answer, the
return's `id` and `clientTransactionId`, V2/Confirm, reversal after 5 minutes) and
https://docs.payphone.app/notificacion-externa (the notification's body). docs/gateways.md says
how to configure it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests
from django.conf import settings
from django.urls import reverse

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
    ReturnInfo,
    SignatureInvalid,
)

logger = logging.getLogger(__name__)

API = "https://pay.payphonetodoesposible.com/api/"
PREPARE_URL = API + "button/Prepare"
CONFIRM_URL = API + "button/V2/Confirm"
# https://docs.payphone.app/reversar-pago: POST {"id": <PayPhone transaction id>} answers `true`,
# or {"message", "errorCode"}; only the day of the payment, until 20:00 Ecuador time.
REVERSE_URL = API + "Reverse"
TIMEOUT = (3, 10)
MAX_CLIENT_TRANSACTION_ID = 50  # PayPhone's limit for clientTransactionId
MAX_REFERENCE_TEXT = 100
# Confirm's statusCode: 1 pending, 2 cancelled (declined cards too), 3 approved.
PENDING, CANCELLED, APPROVED = 1, 2, 3

_session = requests.Session()
_session.headers.update({"Accept": "application/json"})


def to_cents(amount: Decimal) -> int:
    """PayPhone's integer cents. GatewayRejected for an amount with more than two decimals."""
    value = Decimal(amount) * 100
    if not value.is_finite() or value != value.to_integral_value() or value <= 0:
        raise GatewayRejected(f"PayPhone cannot charge {amount}")
    return int(value)


def amount_split(request: CheckoutRequest) -> dict[str, int]:
    """The amounts Prepare wants, in cents: amount = amountWithoutTax + amountWithTax + tax
    (+ service + tip, always 0 here).

    The split is the invoice's own (CheckoutRequest's `taxed_base` and `tax`, from SmartISP's
    cost and IVA): 21.51 = 18.70 taxed + 2.81 IVA; an invoice without IVA is all
    amountWithoutTax. A request without a split is refused rather than guessed: PayPhone reports
    these amounts as the IVA charged.
    """
    total = to_cents(request.amount)
    if request.taxed_base is None or request.tax is None:
        raise GatewayRejected("PayPhone needs the invoice's taxed base and tax")
    with_tax = int((Decimal(request.taxed_base) * 100).quantize(1, ROUND_HALF_UP))
    tax_cents = int((Decimal(request.tax) * 100).quantize(1, ROUND_HALF_UP))
    without_tax = total - with_tax - tax_cents
    if min(with_tax, tax_cents, without_tax) < 0:
        raise GatewayRejected("the invoice's taxed base and tax exceed its total")
    return {
        "amount": total,
        "amountWithoutTax": without_tax,
        "amountWithTax": with_tax,
        "tax": tax_cents,
        "service": 0,
        "tip": 0,
    }


def _int(value: Any) -> int | None:
    """An integer sent as a number or as digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _lowered(mapping: Mapping[str, Any]) -> dict[str, Any]:
    # PayPhone writes the same names as clientTransactionId and ClientTransactionId (and
    # clientTransactionID in its comments), depending on the product.
    return {str(key).lower(): value for key, value in mapping.items()}


class PayPhoneGateway(Gateway):
    name = "payphone"
    label = "PayPhone"

    def __init__(self) -> None:
        self._token = settings.PAYPHONE_TOKEN
        self.store_id = str(settings.PAYPHONE_STORE_ID or "")

    @property
    def response_url(self) -> str:
        """Where PayPhone sends the browser back, with `?id=…&clientTransactionId=…`."""
        return settings.PORTAL_URL + reverse("billing:return", args=[self.name])

    # -- HTTP --------------------------------------------------------------------------------

    def _post(self, url: str, body: dict[str, Any], *, what: str) -> Any:
        if not self._token or not self.store_id:
            raise GatewayRejected("PAYPHONE_TOKEN and PAYPHONE_STORE_ID must both be set")
        try:
            response = _session.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=TIMEOUT,
            )
        except requests.Timeout:
            raise GatewayUnavailable(f"PayPhone timed out ({what})") from None
        except requests.RequestException:
            raise GatewayUnavailable(f"PayPhone cannot be reached ({what})") from None
        if response.status_code >= 500:
            raise GatewayUnavailable(f"PayPhone answered HTTP {response.status_code} ({what})")
        if response.status_code >= 400:
            raise GatewayRejected(
                f"PayPhone refused {what}: HTTP {response.status_code} {_error_text(response)}"
            )
        try:
            return response.json()
        except ValueError:
            raise GatewayBadResponse(f"PayPhone answered {what} without JSON") from None

    # -- the interface -----------------------------------------------------------------------

    def checkout_start(self, request: CheckoutRequest) -> Checkout:
        if request.currency.upper() != "USD":
            raise GatewayRejected("PayPhone charges in USD only")
        if not 0 < len(request.reference) <= MAX_CLIENT_TRANSACTION_ID:
            raise GatewayRejected("the payment reference does not fit PayPhone's 50 characters")
        body = {
            **amount_split(request),
            "currency": "USD",
            "clientTransactionId": request.reference,
            "storeId": self.store_id,
            "reference": request.description[:MAX_REFERENCE_TEXT],
            "responseUrl": self.response_url,
            "cancellationUrl": request.cancel_url,
        }
        answer = self._post(PREPARE_URL, body, what="the checkout")
        if not isinstance(answer, dict):
            raise GatewayBadResponse("PayPhone's Prepare answer is not an object")
        payment_id = answer.get("paymentId")
        # The card form first: most subscribers pay by card; the PayPhone-app form is kept.
        url = answer.get("payWithCard") or answer.get("payWithPayPhone")
        if not payment_id or not isinstance(url, str) or not url.startswith("https://"):
            raise GatewayBadResponse("PayPhone's Prepare answer has no paymentId or form URL")
        return Checkout(
            session_id=str(payment_id),
            url=url,
            data={"pay_with_payphone": str(answer.get("payWithPayPhone") or "")},
        )

    def return_parse(self, params: Mapping[str, str]) -> ReturnInfo | None:
        """PayPhone's return: `id` (its transaction id) and our `clientTransactionId`."""
        values = _lowered(params)
        transaction_id = str(values.get("id") or "").strip()
        reference = str(values.get("clienttransactionid") or "").strip()
        if not transaction_id.isdigit() or len(transaction_id) > 20:
            return None
        if not 0 < len(reference) <= MAX_CLIENT_TRANSACTION_ID:
            return None
        return ReturnInfo(reference=reference, data={"payphone_id": transaction_id})

    def notification_parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> Notification:
        """PayPhone's notification ("Notificación Externa"), sent for approved payments.

        It carries no signature, so nothing it claims is trusted: it only hands over the
        transaction id that Confirm then checks against our clientTransactionId and store. Its
        amount and currency are left out on purpose, so an unsigned claim can never move a
        payment. One for another store is refused.
        """
        try:
            event = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise NotificationMalformed("the PayPhone notification is not JSON") from None
        if not isinstance(event, dict):
            raise NotificationMalformed("the PayPhone notification is not an object")
        fields = _lowered(event)
        if not self.store_id or str(fields.get("storeid") or "") != self.store_id:
            raise SignatureInvalid("the PayPhone notification is not for our store")
        reference = fields.get("clienttransactionid")
        transaction_id = _int(fields.get("transactionid"))
        status_code = _int(fields.get("statuscode"))
        if not isinstance(reference, str) or not 0 < len(reference) <= MAX_CLIENT_TRANSACTION_ID:
            raise NotificationMalformed("the PayPhone notification has no clientTransactionId")
        if transaction_id is None or status_code is None:
            raise NotificationMalformed("the PayPhone notification has no transaction or status")
        status = str(fields.get("transactionstatus") or status_code)[:40].lower()
        return Notification(
            # PayPhone sends no event id: one notification per transaction and checkout.
            event_id=f"{transaction_id}:{reference}",
            type=f"payphone.{status}",
            reference=reference,
            transaction_id=str(transaction_id),
            state={APPROVED: CheckoutState.SUCCEEDED, CANCELLED: CheckoutState.FAILED}.get(
                status_code
            ),
        )

    def notification_answer(self, *, duplicate: bool) -> dict[str, Any]:
        """The body PayPhone expects back from the notification URL: "000" received, "333" a
        transaction already notified."""
        return {"Response": True, "ErrorCode": "333" if duplicate else "000"}

    def payment_refund(self, checkout: CheckoutRef) -> None:
        """PayPhone's reverse call (no expire exists: a button payment left unconfirmed for
        5 minutes is reversed by PayPhone itself). Past its same-day window PayPhone refuses,
        and the payment goes to a person."""
        numeric = _int(checkout.transaction_id)
        if numeric is None:
            raise GatewayRejected("no PayPhone transaction id to reverse")
        answer = self._post(REVERSE_URL, {"id": numeric}, what="reversing a payment")
        if answer is not True:
            raise GatewayRejected(f"PayPhone did not reverse the payment: {str(answer)[:200]}")

    def checkout_status(self, checkout: CheckoutRef) -> CheckoutStatus:
        """Confirm with PayPhone. Without a transaction id (the subscriber has not come back and
        no notification arrived) there is nothing to confirm: the checkout is still open."""
        ids = self._transaction_ids(checkout)
        if not ids:
            return CheckoutStatus(
                state=CheckoutState.OPEN,
                session_id=checkout.session_id,
                reference=checkout.reference,
            )
        answers: list[CheckoutStatus] = []
        refused: GatewayRejected | None = None
        for transaction_id in ids:
            try:
                status = self._confirm(checkout, transaction_id)
            except GatewayRejected as exc:
                # Not this checkout's transaction (a mistyped or forged id): try the next one.
                refused = exc
                continue
            if status.state is CheckoutState.SUCCEEDED:
                return status
            answers.append(status)
        if answers:
            return answers[0]
        raise refused or GatewayBadResponse("no PayPhone transaction to confirm")

    # -- Confirm -----------------------------------------------------------------------------

    def _transaction_ids(self, checkout: CheckoutRef) -> list[str]:
        """PayPhone transaction ids that may be this checkout's: the browser's return first, then
        the one the ledger knows (a notification's, for a subscriber who never came back).
        Confirm itself checks that an id is this checkout's."""
        ids = [str(checkout.data.get("payphone_id") or ""), checkout.transaction_id]
        return list(dict.fromkeys(i for i in ids if i))

    def _confirm(self, checkout: CheckoutRef, transaction_id: str) -> CheckoutStatus:
        """V2/Confirm one transaction; accept it only for our clientTransactionId and store."""
        numeric = _int(transaction_id)
        if numeric is None:
            raise GatewayRejected("not a PayPhone transaction id")
        answer = self._post(
            CONFIRM_URL, {"id": numeric, "clientTxId": checkout.reference}, what="the confirmation"
        )
        if not isinstance(answer, dict):
            raise GatewayBadResponse("PayPhone's confirmation is not an object")
        if str(answer.get("clientTransactionId") or "") != checkout.reference:
            raise GatewayRejected("PayPhone's confirmation is for another checkout")
        if str(answer.get("storeId") or "") != self.store_id:
            raise GatewayRejected("PayPhone's confirmation is for another store")
        status_code = _int(answer.get("statusCode"))
        approved = status_code == APPROVED and answer.get("transactionStatus") == "Approved"
        if approved:
            cents = _int(answer.get("amount"))
            currency = answer.get("currency")
            if cents is None or not isinstance(currency, str) or len(currency) != 3:
                raise GatewayBadResponse("PayPhone approved without an amount or currency")
            return CheckoutStatus(
                state=CheckoutState.SUCCEEDED,
                session_id=checkout.session_id,
                reference=checkout.reference,
                transaction_id=str(_int(answer.get("transactionId")) or numeric),
                amount=(Decimal(cents) / 100).quantize(Decimal("0.01")),
                currency=currency.upper(),
            )
        if status_code == CANCELLED:
            logger.info(
                "payphone %s: transaction %s cancelled or declined", checkout.reference, numeric
            )
            return CheckoutStatus(
                state=CheckoutState.FAILED,
                session_id=checkout.session_id,
                reference=checkout.reference,
            )
        if status_code == PENDING:
            return CheckoutStatus(
                state=CheckoutState.OPEN,
                session_id=checkout.session_id,
                reference=checkout.reference,
            )
        raise GatewayBadResponse(
            f"PayPhone's confirmation has status {status_code!r} "
            f"({str(answer.get('transactionStatus'))[:40]!r})"
        )


def _error_text(response: requests.Response) -> str:
    """PayPhone's own error message ({"message": …, "errorCode": …}), short, if any."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = str(body.get("message") or "")[:200]
    code = body.get("errorCode")
    return f"(error {code}: {message})" if code is not None else message
