"""The PayPhone adapter at its HTTP boundary: what Prepare and Confirm receive, and what their
answers (shaped as PayPhone documents them) become."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses

from billing.gateways import (
    CheckoutRef,
    CheckoutRequest,
    CheckoutState,
    GatewayBadResponse,
    GatewayRejected,
    GatewayUnavailable,
    NotificationMalformed,
    SignatureInvalid,
    get_gateway,
)
from billing.gateways.payphone import CONFIRM_URL, PREPARE_URL, amount_split
from tests.billing.gateways import payphone_bodies
from tests.billing.gateways.payphone_bodies import (
    NOT_FOUND,
    PAY_WITH_CARD,
    PAYMENT_ID,
    STORE,
    TOKEN,
    TXN,
    confirm_answer,
    confirm_with,
    notification_body,
    prepare_answer,
    prepare_ok,
)
from tests.conftest import json_body

pytestmark = pytest.mark.usefixtures("payphone")
payphone = payphone_bodies.payphone  # the fixture, used by every test of this module

REFERENCE = "hV3q9Xb2LmN0pQrStUvWxy"
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def checkout_request(
    amount: str = "21.51", taxed_base: str | None = "18.70", tax: str | None = "2.81", **fields
) -> CheckoutRequest:
    """What payment_start asks for; by default invoice 4624 (cost 18.70 + IVA 15 % 2.81)."""
    values = {
        "reference": REFERENCE,
        "amount": Decimal(amount),
        "currency": "USD",
        "description": "Mi ISP: invoice 4624",
        "success_url": f"http://testserver/billing/payments/{REFERENCE}/",
        "cancel_url": f"http://testserver/billing/payments/{REFERENCE}/?cancelled=1",
        "webhook_url": "http://testserver/billing/webhooks/payphone/",
        "taxed_base": Decimal(taxed_base) if taxed_base is not None else None,
        "tax": Decimal(tax) if tax is not None else None,
    }
    values.update(fields)
    return CheckoutRequest(**values)


def ref(transaction_id: str = "", **data) -> CheckoutRef:
    return CheckoutRef(
        reference=REFERENCE, session_id=PAYMENT_ID, data=data, transaction_id=transaction_id
    )


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as m:
        yield m


# -- Prepare -----------------------------------------------------------------------------------


def test_prepare_sends_cents_the_iva_split_our_store_and_the_return_urls(mock):
    prepare_ok(mock)

    checkout = get_gateway("payphone").checkout_start(checkout_request())

    assert (checkout.session_id, checkout.url) == (PAYMENT_ID, PAY_WITH_CARD)
    (call,) = mock.calls
    assert call.request.url == "https://pay.payphonetodoesposible.com/api/button/Prepare"
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.request.headers["Content-Type"] == "application/json"
    # 21.51 = 18.70 taxed at IVA 15 % + 2.81 of IVA, in cents.
    assert json_body(call) == {
        "amount": 2151,
        "amountWithoutTax": 0,
        "amountWithTax": 1870,
        "tax": 281,
        "service": 0,
        "tip": 0,
        "currency": "USD",
        "clientTransactionId": REFERENCE,
        "storeId": STORE,
        "reference": "Mi ISP: invoice 4624",
        "responseUrl": "http://testserver/billing/return/payphone/",
        "cancellationUrl": f"http://testserver/billing/payments/{REFERENCE}/?cancelled=1",
    }


def test_an_invoice_without_iva_is_sent_whole_as_amount_without_tax(mock):
    # Invoice 3112 of the reference: IVA 0, total 330.00.
    prepare_ok(mock)

    get_gateway("payphone").checkout_start(checkout_request("330.00", taxed_base="0", tax="0"))

    sent = json_body(mock.calls[0])
    assert (sent["amount"], sent["amountWithoutTax"], sent["amountWithTax"], sent["tax"]) == (
        33000,
        33000,
        0,
        0,
    )


def test_what_the_invoice_holds_beyond_its_taxed_base_and_iva_is_sent_without_tax(mock):
    prepare_ok(mock)

    get_gateway("payphone").checkout_start(checkout_request("25.00"))

    sent = json_body(mock.calls[0])
    assert (sent["amount"], sent["amountWithTax"], sent["tax"], sent["amountWithoutTax"]) == (
        2500,
        1870,
        281,
        349,
    )


def test_a_tax_split_larger_than_the_total_is_refused_before_calling_payphone(mock):
    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_start(checkout_request("10.00"))
    assert len(mock.calls) == 0


@pytest.mark.parametrize(("taxed_base", "tax"), [(None, None), ("18.70", None), (None, "2.81")])
def test_a_request_without_the_invoices_tax_split_is_refused_not_guessed(mock, taxed_base, tax):
    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_start(checkout_request(taxed_base=taxed_base, tax=tax))
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("total", "taxed_base", "tax"),
    [
        ("0.01", "0", "0"),
        ("1.15", "1.00", "0.15"),
        ("21.51", "18.70", "2.81"),
        ("23.00", "20.00", "3.00"),
        ("45.99", "39.99", "6.00"),
        ("330.00", "0", "0"),
        ("999.99", "869.56", "130.43"),
        ("1234.57", "1000.00", "150.00"),
    ],
)
def test_the_amounts_always_add_up_to_the_total(total, taxed_base, tax):
    split = amount_split(checkout_request(total, taxed_base=taxed_base, tax=tax))

    cents = int(Decimal(total) * 100)
    assert split["amount"] == cents
    assert (
        split["amountWithoutTax"] + split["amountWithTax"] + split["tax"] + split["service"]
    ) + split["tip"] == cents
    assert (split["amountWithTax"], split["tax"]) == (
        int(Decimal(taxed_base) * 100),
        int(Decimal(tax) * 100),
    )
    assert min(split.values()) >= 0
    assert all(isinstance(v, int) for v in split.values())


def test_an_amount_with_fractions_of_a_cent_is_refused(mock):
    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_start(checkout_request("21.505"))
    assert len(mock.calls) == 0


def test_prepare_in_another_currency_is_refused(mock):
    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_start(checkout_request(currency="EUR"))
    assert len(mock.calls) == 0


@pytest.mark.parametrize("missing", ["PAYPHONE_TOKEN", "PAYPHONE_STORE_ID"])
def test_prepare_without_credentials_calls_nothing(mock, settings, missing):
    setattr(settings, missing, "")

    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_start(checkout_request())
    assert len(mock.calls) == 0


def test_prepare_timing_out_is_unavailable(mock):
    mock.add(responses.POST, PREPARE_URL, body=requests.Timeout())

    with pytest.raises(GatewayUnavailable):
        get_gateway("payphone").checkout_start(checkout_request())


def test_prepare_answering_5xx_is_unavailable(mock):
    mock.add(responses.POST, PREPARE_URL, status=503, body="<html>mantenimiento</html>")

    with pytest.raises(GatewayUnavailable):
        get_gateway("payphone").checkout_start(checkout_request())


def test_prepare_refused_says_payphones_message_and_never_the_token(mock):
    mock.add(
        responses.POST,
        PREPARE_URL,
        status=401,
        json={"message": "Token inválido", "errorCode": 802},
    )

    with pytest.raises(GatewayRejected) as refused:
        get_gateway("payphone").checkout_start(checkout_request())
    assert "802" in refused.value.message and "Token inválido" in refused.value.message
    assert TOKEN not in refused.value.message


@pytest.mark.parametrize(
    "answer",
    [
        {"payWithCard": PAY_WITH_CARD},
        {"paymentId": PAYMENT_ID},
        {"paymentId": PAYMENT_ID, "payWithCard": "javascript:alert(1)"},
        ["not", "an", "object"],
    ],
)
def test_prepare_answer_without_id_or_https_url_is_a_bad_response(mock, answer):
    mock.add(responses.POST, PREPARE_URL, json=answer)

    with pytest.raises(GatewayBadResponse):
        get_gateway("payphone").checkout_start(checkout_request())


def test_prepare_answer_that_is_not_json_is_a_bad_response(mock):
    mock.add(responses.POST, PREPARE_URL, body="<html>ok</html>")

    with pytest.raises(GatewayBadResponse):
        get_gateway("payphone").checkout_start(checkout_request())


def test_the_payphone_app_form_is_used_when_there_is_no_card_form(mock):
    answer = prepare_answer()
    del answer["payWithCard"]
    mock.add(responses.POST, PREPARE_URL, json=answer)

    checkout = get_gateway("payphone").checkout_start(checkout_request())

    assert checkout.url == answer["payWithPayPhone"]


# -- the browser's return ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clientTransactionId", "clientTransactionID"])
def test_return_gives_the_reference_and_payphones_transaction_id(name):
    info = get_gateway("payphone").return_parse({"id": str(TXN), name: REFERENCE})

    assert info.reference == REFERENCE
    assert info.data == {"payphone_id": str(TXN)}


@pytest.mark.parametrize(
    "params",
    [
        {"clientTransactionId": REFERENCE},
        {"id": str(TXN)},
        {"id": "12ab", "clientTransactionId": REFERENCE},
        {"id": "1" * 21, "clientTransactionId": REFERENCE},
        {"id": str(TXN), "clientTransactionId": "x" * 51},
        {},
    ],
)
def test_return_without_usable_parameters_is_nothing(params):
    assert get_gateway("payphone").return_parse(params) is None


# -- Confirm -----------------------------------------------------------------------------------


def test_confirm_sends_the_transaction_id_and_our_client_transaction_id(mock):
    confirm_with(mock, confirm_answer(REFERENCE))

    status = get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))

    (call,) = mock.calls
    assert call.request.url == "https://pay.payphonetodoesposible.com/api/button/V2/Confirm"
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json_body(call) == {"id": TXN, "clientTxId": REFERENCE}
    assert status.state is CheckoutState.SUCCEEDED
    assert (status.reference, status.transaction_id) == (REFERENCE, str(TXN))
    assert (status.amount, status.currency) == (Decimal("21.51"), "USD")


def test_without_a_transaction_id_the_checkout_is_open_and_payphone_is_not_called(mock):
    status = get_gateway("payphone").checkout_status(ref())

    assert status.state is CheckoutState.OPEN
    assert len(mock.calls) == 0


# These run without database access: the adapter learns ids from CheckoutRef, never from the
# ledger's rows (pytest-django fails a test that touches the database unmarked).


def test_the_transaction_id_the_ledger_hands_over_is_confirmed(mock):
    confirm_with(mock, confirm_answer(REFERENCE))

    status = get_gateway("payphone").checkout_status(ref(transaction_id=str(TXN)))

    (call,) = mock.calls
    assert json_body(call) == {"id": TXN, "clientTxId": REFERENCE}
    assert status.state is CheckoutState.SUCCEEDED and status.transaction_id == str(TXN)


def test_the_returned_id_is_tried_first_and_a_refused_one_gives_way_to_the_next(mock):
    mock.add(responses.POST, CONFIRM_URL, status=400, json=NOT_FOUND)
    mock.add(responses.POST, CONFIRM_URL, json=confirm_answer(REFERENCE))

    status = get_gateway("payphone").checkout_status(
        ref(transaction_id=str(TXN), payphone_id="999")
    )

    assert [json_body(c)["id"] for c in mock.calls] == [999, TXN]
    assert status.state is CheckoutState.SUCCEEDED


def test_the_same_id_from_the_return_and_the_ledger_is_confirmed_once(mock):
    confirm_with(mock, confirm_answer(REFERENCE, status_code=1, transaction_status="Pending"))

    status = get_gateway("payphone").checkout_status(
        ref(transaction_id=str(TXN), payphone_id=str(TXN))
    )

    assert len(mock.calls) == 1
    assert status.state is CheckoutState.OPEN


@pytest.mark.parametrize(
    ("status_code", "transaction_status", "state"),
    [
        (2, "Canceled", CheckoutState.FAILED),
        (1, "Pending", CheckoutState.OPEN),
    ],
)
def test_cancelled_declined_and_pending_are_not_captures(
    mock, status_code, transaction_status, state
):
    confirm_with(
        mock,
        confirm_answer(REFERENCE, status_code=status_code, transaction_status=transaction_status),
    )

    status = get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))

    assert status.state is state
    assert status.amount is None and status.transaction_id == ""


def test_a_confirmation_for_another_client_transaction_id_is_refused(mock):
    confirm_with(mock, confirm_answer("someone-elses-reference"))

    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))


def test_a_confirmation_for_another_store_is_refused(mock):
    confirm_with(mock, confirm_answer(REFERENCE, store="another-store"))

    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))


@pytest.mark.parametrize(
    "answer",
    [
        confirm_answer(REFERENCE, status_code=3, transaction_status="Canceled"),
        confirm_answer(REFERENCE, status_code=7, transaction_status="Approved"),
        {**confirm_answer(REFERENCE), "amount": None},
        {**confirm_answer(REFERENCE), "currency": None},
    ],
)
def test_an_approval_that_does_not_add_up_is_a_bad_response(mock, answer):
    confirm_with(mock, answer)

    with pytest.raises(GatewayBadResponse):
        get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))


def test_amount_and_currency_are_reported_as_payphone_charged_them(mock):
    confirm_with(mock, confirm_answer(REFERENCE, amount=100, currency="usd"))

    status = get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))

    # The ledger compares them with the checkout's and stops a mismatch for review.
    assert (status.amount, status.currency) == (Decimal("1.00"), "USD")


def test_an_unknown_transaction_is_refused_with_payphones_message(mock):
    confirm_with(mock, NOT_FOUND, status=400)

    with pytest.raises(GatewayRejected) as refused:
        get_gateway("payphone").checkout_status(ref(payphone_id="1"))
    assert "no existe" in refused.value.message


def test_confirm_timing_out_is_unavailable(mock):
    mock.add(responses.POST, CONFIRM_URL, body=requests.ConnectionError())

    with pytest.raises(GatewayUnavailable):
        get_gateway("payphone").checkout_status(ref(payphone_id=str(TXN)))


# -- the notification --------------------------------------------------------------------------


def test_notification_hands_over_the_transaction_id_and_claims_no_amount():
    body = json.dumps(notification_body(REFERENCE)).encode()

    notification = get_gateway("payphone").notification_parse(body, {}, now=NOW)

    assert notification.reference == REFERENCE
    assert notification.transaction_id == str(TXN)
    assert notification.event_id == f"{TXN}:{REFERENCE}"
    assert notification.state is CheckoutState.SUCCEEDED
    # Unsigned: its amount and currency are never taken as claims.
    assert notification.amount is None and notification.currency == ""


def test_notification_for_another_store_is_refused():
    body = json.dumps(notification_body(REFERENCE, store="another-store")).encode()

    with pytest.raises(SignatureInvalid):
        get_gateway("payphone").notification_parse(body, {}, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        json.dumps({**notification_body(REFERENCE), "ClientTransactionId": None}).encode(),
        json.dumps({**notification_body(REFERENCE), "TransactionId": "abc"}).encode(),
    ],
)
def test_notification_that_is_not_payphones_shape_is_malformed(body):
    with pytest.raises(NotificationMalformed):
        get_gateway("payphone").notification_parse(body, {}, now=NOW)


def test_the_answer_payphone_expects_acknowledges_new_and_repeated_notifications():
    gateway = get_gateway("payphone")

    assert gateway.notification_answer(duplicate=False) == {"Response": True, "ErrorCode": "000"}
    assert gateway.notification_answer(duplicate=True) == {"Response": True, "ErrorCode": "333"}


# -- the label ----------------------------------------------------------------------------------


def test_way_to_pay_is_payphone_unless_the_setting_says_otherwise(settings):
    assert get_gateway("payphone").way_to_pay == "PayPhone"
    settings.PAYMENT_WAY_TO_PAY = "Pago en línea"
    assert get_gateway("payphone").way_to_pay == "Pago en línea"


# -- Reverse: a superseded checkout paid late --------------------------------------------------


def reversing() -> CheckoutRef:
    return CheckoutRef(reference="ref-1", session_id=PAYMENT_ID, transaction_id=str(TXN))


def test_refund_is_payphones_reverse_call_with_its_transaction_id(mock):
    # https://docs.payphone.app/reversar-pago: POST /api/Reverse {"id": <transaction>} -> true.
    mock.add(responses.POST, "https://pay.payphonetodoesposible.com/api/Reverse", json=True)

    get_gateway("payphone").payment_refund(reversing())

    (call,) = mock.calls
    assert json_body(call) == {"id": TXN}
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_reverse_payphone_refuses_is_rejected(mock):
    # The documented failure: {"message", "errorCode"} (past the same-day window, or unknown).
    answer = {"message": "La transacción no existe", "errorCode": 20}
    mock.add(
        responses.POST, "https://pay.payphonetodoesposible.com/api/Reverse", status=400, json=answer
    )

    with pytest.raises(GatewayRejected):
        get_gateway("payphone").payment_refund(reversing())


def test_payphone_cannot_expire_a_checkout(mock):
    with pytest.raises(GatewayRejected):
        get_gateway("payphone").checkout_expire(reversing())
    assert len(mock.calls) == 0
