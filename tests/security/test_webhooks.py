"""Forged webhooks for the sandbox gateway, as the red team sent them (DESIGN.md section 7): a
bad or missing signature or a stale time is 400 and changes nothing; a replay changes nothing
twice; a wrong amount never reaches SmartISP. (Malformed ids: test_ids.py.)"""

import pytest
from django.core import mail

from billing.models import GatewayEvent, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    calls_to,
    event_body,
    gateway_session,
    invoice_status,
    pay_ok,
    payment_make,
    payment_of,
    queued,
    run_tasks,
    webhook_post,
)

clock = payment_helpers.clock  # the fixture


@pytest.fixture
def pending(subscriber, clock):
    return payment_make(subscriber, PaymentStatus.PENDING)


def assert_untouched(payment, smartisp):
    assert payment_of(payment).status == PaymentStatus.PENDING
    assert not GatewayEvent.objects.exists()
    assert queued() == []
    assert len(smartisp.calls) == 0


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "guessed-secret"},
        {"secret": ""},
        {"header": False},
        {"t_offset": -301},  # older than five minutes
        {"t_offset": +301},  # from the future
        {"t_offset": -(10**9)},
    ],
)
def test_forged_or_stale_signature_is_400_and_changes_nothing(
    client, pending, smartisp, clock, forgery
):
    offset = forgery.pop("t_offset", 0)

    response = webhook_post(
        client, event_body(pending), t=clock.now.timestamp() + offset, **forgery
    )

    assert response.status_code == 400
    assert_untouched(pending, smartisp)


@pytest.mark.parametrize(
    "header",
    ["", "t=,v1=", "v1=00", "t=abc,v1=00", "t=1,v1=" + "0" * 64, "t=1" + ",v1=0" * 500, "\x00"],
)
def test_garbage_signature_headers_are_400(client, pending, smartisp, header):
    response = client.post(
        "/billing/webhooks/sandbox/",
        data=event_body(pending),
        content_type="application/json",
        HTTP_SANDBOX_SIGNATURE=header,
    )

    assert response.status_code == 400
    assert_untouched(pending, smartisp)


@pytest.mark.parametrize(
    "body",
    [b"", b"\x00", b"{}", b"[]", b"null", b'{"id": "evt_1"}', b"\xff\xfe", b"{" * 10_000],
)
def test_signed_garbage_bodies_are_400(client, pending, smartisp, body):
    response = webhook_post(client, body)

    assert response.status_code == 400
    assert_untouched(pending, smartisp)


def test_huge_amount_and_ids_are_refused_without_a_500(client, pending, smartisp):
    huge = event_body(pending, event_id="evt_" + "9" * 5000, amount="9" * 400)

    response = webhook_post(client, huge)

    assert response.status_code == 400
    assert_untouched(pending, smartisp)


def test_a_replayed_event_is_acted_on_once(client, pending, smartisp):
    gateway_session(smartisp, pending, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)
    body = event_body(pending)

    first = webhook_post(client, body)
    again = webhook_post(client, body)
    run_tasks()
    replayed_later = webhook_post(client, body)
    run_tasks()

    assert first.status_code == again.status_code == replayed_later.status_code == 200
    assert GatewayEvent.objects.count() == 1
    assert len(calls_to(smartisp, "pagar_factura")) == 1
    assert payment_of(pending).status == PaymentStatus.SETTLED


def test_a_signed_event_claiming_another_amount_never_reaches_smartisp(
    client, pending, smartisp, settings
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    gateway_session(smartisp, pending, "succeeded")
    invoice_status(smartisp, paid=False)
    pay_ok(smartisp)

    response = webhook_post(client, event_body(pending, amount="0.01"))
    run_tasks()

    assert response.status_code == 200
    assert payment_of(pending).status == PaymentStatus.NEEDS_REVIEW
    assert calls_to(smartisp, "pagar_factura") == []
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]


def test_a_signed_event_for_an_unknown_reference_is_kept_as_an_orphan(client, pending, smartisp):
    response = webhook_post(client, event_body(None, reference="aB3dE5gH7jK9mN1pQ3sT5v"))

    assert response.status_code == 200
    event = GatewayEvent.objects.get()
    assert (event.payment, event.outcome) == (None, "orphan")
    assert payment_of(pending).status == PaymentStatus.PENDING
    assert len(smartisp.calls) == 0


@pytest.mark.parametrize("amount", ["9" * 400, "1e999999", "NaN", "-21.51", "21.515", "Infinity"])
def test_a_signed_event_with_an_impossible_amount_never_500s(client, pending, smartisp, amount):
    response = webhook_post(client, event_body(pending, amount=amount))

    assert response.status_code in (200, 400)
    assert payment_of(pending).status in (PaymentStatus.PENDING, PaymentStatus.NEEDS_REVIEW)
    assert calls_to(smartisp, "pagar_factura") == []
