"""PayPhone's requests and answers as its documentation shows them, for the PayPhone tests.

Prepare and V2/Confirm: https://docs.payphone.app/boton-de-pago-por-redireccion; the notification:
https://docs.payphone.app/notificacion-externa (its example, with our store and reference); an
error: the {"message", "errorCode"} body of https://docs.payphone.app/reversar-pago.
"""

import pytest
import responses

from billing.gateways.payphone import CONFIRM_URL, PREPARE_URL

TOKEN = "pp-test-token-5Yx"
STORE = "a1b2c3d4-store-7c1e"
PAYMENT_ID = "Zs7kQbcWpUG0pPfV3jNCA"
PAY_WITH_CARD = f"https://pay.payphonetodoesposible.com/Anonymous/Index?paymentId={PAYMENT_ID}"
PAY_WITH_PAYPHONE = f"https://pay.payphonetodoesposible.com/PayPhone/Index?paymentId={PAYMENT_ID}"
TXN = 32805807  # PayPhone's transaction id (the return's `id`)


@pytest.fixture
def payphone(settings):
    settings.PAYMENT_GATEWAY = "payphone"
    settings.PAYPHONE_TOKEN = TOKEN
    settings.PAYPHONE_STORE_ID = STORE
    return settings


def prepare_answer() -> dict:
    return {
        "paymentId": PAYMENT_ID,
        "payWithPayPhone": PAY_WITH_PAYPHONE,
        "payWithCard": PAY_WITH_CARD,
    }


def confirm_answer(
    reference: str,
    *,
    status_code: int = 3,
    transaction_status: str = "Approved",
    amount: int = 2151,
    currency: str = "USD",
    store: str = STORE,
    transaction_id: int = TXN,
) -> dict:
    """V2/Confirm's answer about one transaction."""
    return {
        "email": "jaquego@gmail.com",
        "cardType": "Credit",
        "bin": "409724",
        "lastDigits": "4242",
        "deferredCode": "00000000",
        "deferred": False,
        "cardBrandCode": "50",
        "cardBrand": "Visa St Georges Bank",
        "amount": amount,
        "clientTransactionId": reference,
        "phoneNumber": "593984111333",
        "statusCode": status_code,
        "transactionStatus": transaction_status,
        "authorizationCode": "W32805807" if status_code == 3 else None,
        "message": None if status_code == 3 else "Transacción cancelada",
        "messageCode": 0,
        "transactionId": transaction_id,
        "document": "2100454590",
        "currency": currency,
        "optionalParameter3": None,
        "optionalParameter4": None,
        "storeName": "Mi ISP",
        "date": "2026-03-10T10:00:05.243",
        "regionIso": "EC",
        "transactionType": "Classic",
        "reference": "Mi ISP: invoice 4624",
        "storeId": store,
    }


def notification_body(
    reference: str, *, store: str = STORE, transaction_id: int = TXN, status_code: int = 3
) -> dict:
    """The notification PayPhone posts for an approved payment."""
    return {
        "Amount": 2151,
        "AuthorizationCode": "W32805807",
        "ClientTransactionId": reference,
        "StatusCode": status_code,
        "TransactionStatus": "Approved" if status_code == 3 else "Canceled",
        "StoreId": store,
        "PhoneNumber": "593984111333",
        "Email": "jaquego@gmail.com",
        "CardType": "Credit",
        "Bin": "409724",
        "DeferredCode": "00000000",
        "DeferredMessage": None,
        "Deferred": False,
        "CardBrandCode": "50",
        "CardBrand": "Visa St Georges Bank",
        "Document": "2100454590",
        "Currency": "USD",
        "Taxes": [],
        "Reference": "Mi ISP: invoice 4624",
        "AdditionalData": None,
        "Products": [],
        "TransactionId": transaction_id,
    }


NOT_FOUND = {
    "message": "La transacción no existe, verifique que el identificador enviado sea correcto.",
    "errorCode": 20,
}


def prepare_ok(mock) -> None:
    mock.upsert(responses.POST, PREPARE_URL, json=prepare_answer())


def confirm_with(mock, body: dict, status: int = 200) -> None:
    mock.upsert(responses.POST, CONFIRM_URL, json=body, status=status)


def calls_to_url(mock, url: str) -> list:
    return [c for c in mock.calls if c.request.url == url]
