"""The Stripe adapter at its HTTP boundary: what Stripe's API receives from the SDK, what its
answers become, and webhooks verified with really computed Stripe-Signature headers."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.utils import timezone

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
from tests.billing.gateways import stripe_bodies
from tests.billing.gateways.stripe_bodies import (
    API,
    CHECKOUT_URL,
    INTENT,
    PAID_AT,
    SECRET_KEY,
    SESSION,
    charge,
    event,
    intent,
    paid_session,
    retrieve_answers,
    session,
    signature,
)

pytestmark = pytest.mark.usefixtures("stripe_settings", "clock")
clock = stripe_bodies.clock  # the fixtures
stripe_settings = stripe_bodies.stripe_settings
no_retry_delay = stripe_bodies.no_retry_delay

REFERENCE = "hV3q9Xb2LmN0pQrStUvWxy"
CREATE_URL = f"{API}/v1/checkout/sessions"


def checkout_request(**fields) -> CheckoutRequest:
    values = {
        "reference": REFERENCE,
        "amount": Decimal("21.51"),
        "currency": "USD",
        "description": "Mi ISP: invoice 4624",
        "success_url": f"http://testserver/billing/payments/{REFERENCE}/",
        "cancel_url": f"http://testserver/billing/payments/{REFERENCE}/?cancelled=1",
        "webhook_url": "http://testserver/billing/webhooks/stripe/",
    }
    values.update(fields)
    return CheckoutRequest(**values)


def ref() -> CheckoutRef:
    return CheckoutRef(reference=REFERENCE, session_id=SESSION)


def form(call) -> dict[str, str]:
    body = call.request.body
    body = body.decode() if isinstance(body, bytes) else body
    return {key: values[0] for key, values in parse_qs(body).items()}


def parse(body: bytes, header: str | None):
    headers = {"Stripe-Signature": header} if header is not None else {}
    return get_gateway("stripe").notification_parse(body, headers, now=timezone.now())


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as m:
        yield m


# -- creating the checkout -------------------------------------------------------------------------


def test_create_sends_the_session_with_our_reference_cents_and_an_idempotency_key(mock):
    mock.add(responses.POST, CREATE_URL, json=session(REFERENCE, status="open"))

    checkout = get_gateway("stripe").checkout_start(checkout_request())

    assert (checkout.session_id, checkout.url) == (SESSION, CHECKOUT_URL)
    (call,) = mock.calls
    assert call.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert call.request.headers["Idempotency-Key"] == REFERENCE
    assert call.request.headers["Stripe-Version"]
    sent = form(call)
    expires_at = int(sent.pop("expires_at"))
    assert sent == {
        "mode": "payment",
        "client_reference_id": REFERENCE,
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "2151",
        "line_items[0][price_data][product_data][name]": "Mi ISP: invoice 4624",
        "line_items[0][quantity]": "1",
        "success_url": f"http://testserver/billing/payments/{REFERENCE}/",
        "cancel_url": f"http://testserver/billing/payments/{REFERENCE}/?cancelled=1",
        "metadata[reference]": REFERENCE,
        "payment_intent_data[metadata][reference]": REFERENCE,
    }
    assert expires_at == int((timezone.now() + timedelta(hours=1)).timestamp())


def test_a_create_that_timed_out_is_retried_once_with_the_same_idempotency_key(
    mock, no_retry_delay
):
    mock.add(responses.POST, CREATE_URL, body=requests.ConnectionError("reset"))
    mock.add(responses.POST, CREATE_URL, json=session(REFERENCE, status="open"))

    checkout = get_gateway("stripe").checkout_start(checkout_request())

    assert checkout.session_id == SESSION
    assert [c.request.headers["Idempotency-Key"] for c in mock.calls] == [REFERENCE, REFERENCE]


def test_stripe_unreachable_is_unavailable(mock, no_retry_delay):
    mock.add(responses.POST, CREATE_URL, body=requests.ConnectionError("down"))

    with pytest.raises(GatewayUnavailable):
        get_gateway("stripe").checkout_start(checkout_request())
    assert len(mock.calls) == 2  # the SDK's one retry


def test_stripe_5xx_is_unavailable(mock, no_retry_delay):
    mock.add(
        responses.POST,
        CREATE_URL,
        status=500,
        json={"error": {"type": "api_error", "message": "Something went wrong"}},
    )

    with pytest.raises(GatewayUnavailable):
        get_gateway("stripe").checkout_start(checkout_request())


def test_stripe_refusing_is_rejected_and_the_message_never_holds_the_key(mock):
    mock.add(
        responses.POST,
        CREATE_URL,
        status=401,
        json={
            "error": {
                "type": "invalid_request_error",
                "message": f"Invalid API Key provided: {SECRET_KEY}",
            }
        },
    )

    with pytest.raises(GatewayRejected) as refused:
        get_gateway("stripe").checkout_start(checkout_request())
    assert SECRET_KEY not in refused.value.message
    assert "401" in refused.value.message


def test_without_a_secret_key_nothing_is_sent(mock, settings):
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(GatewayRejected):
        get_gateway("stripe").checkout_start(checkout_request())
    assert len(mock.calls) == 0


def test_a_session_without_a_url_is_a_bad_response(mock):
    mock.add(responses.POST, CREATE_URL, json={**session(REFERENCE, status="open"), "url": None})

    with pytest.raises(GatewayBadResponse):
        get_gateway("stripe").checkout_start(checkout_request())


def test_fractions_of_a_cent_are_refused_before_calling_stripe(mock):
    with pytest.raises(GatewayRejected):
        get_gateway("stripe").checkout_start(checkout_request(amount=Decimal("21.505")))
    assert len(mock.calls) == 0


# -- the session as the source of truth ---------------------------------------------------------


def test_a_paid_complete_session_is_succeeded_with_its_payment_amount_and_time(mock):
    retrieve_answers(mock, paid_session(REFERENCE))

    status = get_gateway("stripe").checkout_status(ref())

    (call,) = mock.calls
    assert urlsplit(call.request.url).path == f"/v1/checkout/sessions/{SESSION}"
    assert parse_qs(urlsplit(call.request.url).query) == {
        "expand[0]": ["payment_intent.latest_charge"]
    }
    assert call.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert status.state is CheckoutState.SUCCEEDED
    assert (status.reference, status.session_id, status.transaction_id) == (
        REFERENCE,
        SESSION,
        INTENT,
    )
    assert (status.amount, status.currency) == (Decimal("21.51"), "USD")
    assert status.captured_at == datetime.fromtimestamp(PAID_AT, tz=UTC)


@pytest.mark.parametrize(
    ("body", "state"),
    [
        (session(REFERENCE, status="open", payment_status="unpaid", payment_intent=None), "open"),
        (
            session(REFERENCE, status="expired", payment_status="unpaid", payment_intent=None),
            "open",
        ),
        (
            session(REFERENCE, payment_status="unpaid", payment_intent=intent(status="processing")),
            "open",
        ),
        (
            session(
                REFERENCE,
                payment_status="unpaid",
                payment_intent=intent(status="requires_payment_method"),
            ),
            "failed",
        ),
    ],
)
def test_unpaid_sessions_are_never_succeeded(mock, body, state):
    retrieve_answers(mock, body)

    assert get_gateway("stripe").checkout_status(ref()).state == state


def test_a_fully_refunded_charge_is_refunded(mock):
    retrieve_answers(mock, paid_session(REFERENCE, refunded=2151))

    assert get_gateway("stripe").checkout_status(ref()).state is CheckoutState.REFUNDED


def test_a_partial_refund_leaves_the_payment_paid(mock):
    retrieve_answers(mock, paid_session(REFERENCE, refunded=500))

    assert get_gateway("stripe").checkout_status(ref()).state is CheckoutState.SUCCEEDED


def test_a_session_without_our_reference_never_passes_for_ours(mock):
    retrieve_answers(mock, paid_session(REFERENCE, client_reference_id=None))

    status = get_gateway("stripe").checkout_status(ref())

    assert status.reference != REFERENCE


def test_an_unknown_session_is_rejected(mock):
    mock.add(
        responses.GET,
        f"{API}/v1/checkout/sessions/{SESSION}",
        status=404,
        json={"error": {"type": "invalid_request_error", "code": "resource_missing"}},
    )

    with pytest.raises(GatewayRejected):
        get_gateway("stripe").checkout_status(ref())


def test_an_answer_that_is_not_a_session_is_a_bad_response(mock):
    retrieve_answers(mock, {"id": SESSION, "object": "payment_intent"})

    with pytest.raises(GatewayBadResponse):
        get_gateway("stripe").checkout_status(ref())


# -- webhooks -----------------------------------------------------------------------------------


def test_a_signed_completed_event_names_the_checkout_and_what_it_claims():
    body = event("checkout.session.completed", session(REFERENCE))

    notification = parse(body, signature(body))

    assert notification.event_id == "evt_1PYCL6CzbZon1zn9VivIehz7"
    assert notification.type == "checkout.session.completed"
    assert (notification.reference, notification.session_id) == (REFERENCE, SESSION)
    assert notification.transaction_id == INTENT
    assert (notification.amount, notification.currency) == (Decimal("21.51"), "USD")
    assert notification.state is CheckoutState.SUCCEEDED


def test_a_completed_event_still_waiting_for_a_bank_claims_nothing():
    body = event("checkout.session.completed", session(REFERENCE, payment_status="unpaid"))

    assert parse(body, signature(body)).state is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1773154800",
        "garbage",
        "t=now,v1=abc",
    ],
)
def test_missing_or_unreadable_signatures_are_refused(header):
    body = event("checkout.session.completed", session(REFERENCE))

    with pytest.raises(SignatureInvalid):
        parse(body, header)


def test_a_signature_made_with_another_secret_is_refused():
    body = event("checkout.session.completed", session(REFERENCE))

    with pytest.raises(SignatureInvalid):
        parse(body, signature(body, secret="whsec_someone_else"))


def test_a_signature_of_another_body_is_refused():
    body = event("checkout.session.completed", session(REFERENCE))
    other = event("checkout.session.completed", session(REFERENCE, amount_total=1))

    with pytest.raises(SignatureInvalid):
        parse(other, signature(body))


@pytest.mark.parametrize("seconds", [-301, 301, -3600])
def test_a_signature_more_than_300_seconds_from_now_is_refused(seconds):
    body = event("checkout.session.completed", session(REFERENCE))
    t = int(timezone.now().timestamp()) + seconds

    with pytest.raises(SignatureInvalid):
        parse(body, signature(body, t=t))


def test_a_signature_299_seconds_old_is_accepted():
    body = event("checkout.session.completed", session(REFERENCE))

    parse(body, signature(body, t=int(timezone.now().timestamp()) - 299))


@pytest.mark.parametrize(
    "body",
    [b"not json", b'["a list"]', json.dumps({"id": "evt_1", "type": "x"}).encode()],
)
def test_signed_bodies_that_are_not_events_are_malformed(body):
    with pytest.raises(NotificationMalformed):
        parse(body, signature(body))


def test_a_body_that_is_not_utf8_is_refused():
    body = b"\xff\xfe{}"

    with pytest.raises(SignatureInvalid):
        parse(body, signature(body))


def test_other_events_are_kept_unlinked():
    body = event("customer.created", {"id": "cus_1", "object": "customer"})

    notification = parse(body, signature(body))

    assert notification.type == "customer.created"
    assert notification.reference == notification.session_id == ""


# -- refunds -------------------------------------------------------------------------------------


def test_a_refund_names_its_payment_intent_and_asks_stripe_nothing(mock):
    body = event("charge.refunded", charge(refunded=2151))

    notification = parse(body, signature(body))

    # The ledger finds the payment by the PaymentIntent it recorded at capture.
    assert len(mock.calls) == 0
    assert notification.transaction_id == INTENT
    assert notification.reference == notification.session_id == ""
    assert notification.state is CheckoutState.REFUNDED


def test_a_refund_of_a_charge_without_a_payment_intent_is_unlinked(mock):
    body = event("charge.refunded", {**charge(refunded=2151), "payment_intent": None})

    notification = parse(body, signature(body))

    assert notification.transaction_id == notification.reference == ""
    assert notification.state is None
    assert len(mock.calls) == 0


def test_way_to_pay_is_stripe():
    assert get_gateway("stripe").way_to_pay == "Stripe"


# -- start again, and a superseded checkout paid late ----------------------------------------------


def test_expire_posts_to_the_sessions_expire_endpoint(mock):
    # https://docs.stripe.com/api/checkout/sessions/expire: POST, no parameters, the session back.
    mock.add(
        responses.POST, f"{API}/v1/checkout/sessions/{SESSION}/expire", json=session(REFERENCE)
    )

    get_gateway("stripe").checkout_expire(ref())

    (call,) = mock.calls
    assert call.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"


def test_expiring_a_session_that_is_not_open_is_rejected(mock):
    error = {"error": {"type": "invalid_request_error", "message": "not open"}}
    mock.add(responses.POST, f"{API}/v1/checkout/sessions/{SESSION}/expire", status=400, json=error)

    with pytest.raises(GatewayRejected):
        get_gateway("stripe").checkout_expire(ref())


def test_refund_creates_a_refund_of_the_whole_payment_intent_once(mock):
    # https://docs.stripe.com/api/refunds/create: payment_intent, no amount = all of it.
    refund = {"id": "re_1", "object": "refund", "payment_intent": INTENT, "status": "succeeded"}
    mock.add(responses.POST, f"{API}/v1/refunds", json=refund)

    get_gateway("stripe").payment_refund(
        CheckoutRef(reference=REFERENCE, session_id=SESSION, transaction_id=INTENT)
    )

    (call,) = mock.calls
    assert form(call) == {"payment_intent": INTENT}
    assert call.request.headers["Idempotency-Key"] == f"refund-{REFERENCE}"


def test_a_refund_without_a_payment_intent_sends_nothing(mock):
    with pytest.raises(GatewayRejected):
        get_gateway("stripe").payment_refund(ref())
    assert len(mock.calls) == 0
