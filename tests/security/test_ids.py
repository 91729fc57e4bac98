"""Ids and references from URLs and gateways are validated in one place (portal/converters.py)
before any database or SmartISP call: a bad one is a 404 (URL) or a 400 (webhook), never a 500
or a trip to SmartISP."""

import json

import pytest
from django.urls import reverse

from billing.models import GatewayEvent, Payment, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import event_body, payment_make, queued, webhook_post

clock = payment_helpers.clock  # the fixture

HUGE = "99999999999999999999999999"
BAD_SEGMENTS = ["%00", "a%00b", "x" * 41, "%E2%80%AE", "%20", "..%2F..", "%0d%0a"]


@pytest.mark.parametrize(
    "url",
    [
        f"/support/tickets/{HUGE}/",
        "/support/tickets/2147483648/",
        f"/support/tickets/{HUGE}/reply/",
        f"/support/tickets/{HUGE}/resolve/",
    ],
)
def test_ticket_id_out_of_range_is_404_without_asking_smartisp(subscriber_client, smartisp, url):
    method = subscriber_client.get if url.count("/") == 4 else subscriber_client.post

    response = method(url)

    assert response.status_code == 404
    assert len(smartisp.calls) == 0


@pytest.mark.parametrize(
    "url",
    [
        f"/billing/transfers/{HUGE}/",
        f"/billing/transfers/{HUGE}/receipt/",
        "/billing/transfers/9223372036854775808/",
        "/billing/transfers/0/",
        f"/staff/transfers/{HUGE}/",
    ],
)
def test_transfer_id_out_of_range_is_404_not_a_database_error(admin_client, url):
    # An id past BigAutoField's range overflows SQLite and PostgreSQL alike: the URL refuses it.
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize("segment", BAD_SEGMENTS)
@pytest.mark.parametrize(
    "template", ["/billing/payments/{}/", "/billing/invoices/{}/", "/billing/invoices/{}/pay/"]
)
def test_bad_reference_or_invoice_number_is_404_without_a_lookup(
    subscriber_client, smartisp, template, segment
):
    url = template.format(segment)
    method = subscriber_client.post if url.endswith("/pay/") else subscriber_client.get

    response = method(url)

    assert response.status_code == 404
    assert len(smartisp.calls) == 0


@pytest.mark.parametrize("name", ["%00", "x" * 21, "Sandbox", "sand%2Fbox"])
def test_unknown_gateway_name_is_404(client, db, name):
    assert (
        client.post(
            f"/billing/webhooks/{name}/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get(f"/billing/return/{name}/").status_code == 404


def _assert_refused(response, payment):
    assert response.status_code == 400
    assert not GatewayEvent.objects.exists()
    assert queued() == []
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


@pytest.mark.parametrize("event_id", ["evt_\u0000", "evt_" + "x" * 300, "", "evt\r\nX-A: 1"])
def test_signed_webhook_with_a_bad_event_id_is_400_and_changes_nothing(
    client, subscriber, clock, event_id
):
    payment = payment_make(subscriber, PaymentStatus.PENDING)

    response = webhook_post(client, event_body(payment, event_id=event_id))

    _assert_refused(response, payment)


@pytest.mark.parametrize("reference", ["ref\u0000", "r" * 300, "ref\u202e"])
def test_signed_webhook_with_a_bad_reference_is_400_and_changes_nothing(
    client, subscriber, clock, reference
):
    payment = payment_make(subscriber, PaymentStatus.PENDING)

    response = webhook_post(client, event_body(payment, reference=reference))

    _assert_refused(response, payment)


@pytest.mark.parametrize("field", ["session", "transaction", "currency"])
def test_signed_webhook_with_nul_in_any_id_is_400(client, subscriber, clock, field):
    payment = payment_make(subscriber, PaymentStatus.PENDING)
    body = json.loads(event_body(payment))
    body["data"][field] = "x\u0000"

    response = webhook_post(client, json.dumps(body).encode())

    _assert_refused(response, payment)


def test_signed_webhook_with_nul_in_its_type_is_400(client, subscriber, clock):
    payment = payment_make(subscriber, PaymentStatus.PENDING)

    response = webhook_post(client, event_body(payment, type="payment.succeeded\u0000"))

    _assert_refused(response, payment)


def test_a_good_webhook_is_still_taken(client, subscriber, clock):
    payment = payment_make(subscriber, PaymentStatus.PENDING)

    response = webhook_post(client, event_body(payment))

    assert response.status_code == 200
    assert GatewayEvent.objects.get().payment == payment
    assert queued() == ["event_process"]


@pytest.mark.parametrize(
    "query",
    [
        {"id": "123\u0000", "clientTransactionId": "abc"},
        {"id": "123", "clientTransactionId": "abc\u0000"},
        {"id": "123", "clientTransactionId": "a" * 41},
    ],
)
def test_payphone_return_with_a_bad_id_is_404_without_a_gateway_call(
    client, db, settings, smartisp, query
):
    settings.PAYPHONE_TOKEN, settings.PAYPHONE_STORE_ID = "token", "store"

    response = client.get(reverse("billing:return", args=["payphone"]), query)

    assert response.status_code == 404
    assert len(smartisp.calls) == 0


@pytest.mark.parametrize("num_bill", ["4624", "001-001-000000123", "FAC 0001", "Nº 12", "A.7_b"])
def test_invoice_numbers_smartisp_may_hold_still_make_links(num_bill):
    from urllib.parse import unquote

    from django.urls import resolve

    url = reverse("billing:invoice", args=[num_bill])

    # The server sees the path decoded, as Django's request.path_info holds it.
    assert resolve(unquote(url)).kwargs["num_bill"] == num_bill
