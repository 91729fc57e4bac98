"""Paying everything owed, or some of it, in one checkout (POST /billing/pay/); never stuck behind
a checkout left unpaid ("continue" or "start again"); and a superseded checkout paid late is
refunded, never recorded twice."""

import json
from decimal import Decimal

import pytest
import responses

from billing.models import ItemOutcome, Payment, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    GATEWAY,
    calls_to,
    event_body,
    gateway_calls,
    gateway_checkout,
    gateway_refund_ok,
    gateway_session,
    invoice_body,
    invoice_lists,
    payment_make,
    payment_of,
    run_tasks,
    webhook_post,
)
from tests.conftest import api, example_json

clock = payment_helpers.clock  # the fixture

PAY_MANY = "/billing/pay/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# Client 1's unpaid invoices in the reference: 3112 (id 0, $330.00, due first) and 4624.
TOTAL = "351.51"


@pytest.fixture
def lists(smartisp, clock):
    invoice_lists(smartisp)
    return smartisp


def asked_checkouts(smartisp) -> list[dict]:
    return [
        json.loads(c.request.body)
        for c in gateway_calls(smartisp)
        if c.request.url == f"{GATEWAY}/checkout/sessions"
    ]


def test_pay_with_no_invoice_named_opens_one_checkout_for_everything_owed(subscriber_client, lists):
    gateway_checkout(lists)

    response = subscriber_client.post(PAY_MANY)

    assert response.status_code == 303
    payment = Payment.objects.get()
    assert response["Location"] == payment.checkout_url
    (asked,) = asked_checkouts(lists)
    assert asked["amount"] == TOTAL and asked["reference"] == payment.reference
    assert "3112" in asked["description"] and "4624" in asked["description"]
    # Oldest first, each for its whole total.
    assert [(i.invoice_id, i.num_bill, i.amount) for i in payment.invoices()] == [
        (0, "3112", Decimal("330.00")),
        (4585, "4624", Decimal("21.51")),
    ]
    assert payment.amount == Decimal(TOTAL)


def test_pay_some_opens_a_checkout_for_those_only(subscriber_client, lists):
    gateway_checkout(lists)

    response = subscriber_client.post(PAY_MANY, {"invoices": ["4624"]})

    assert response.status_code == 303
    (asked,) = asked_checkouts(lists)
    assert asked["amount"] == "21.51"
    assert Payment.objects.get().num_bills == ["4624"]


def test_naming_another_subscribers_invoice_is_404_and_opens_no_checkout(subscriber_client, lists):
    response = subscriber_client.post(PAY_MANY, {"invoices": ["4624", "9999"]})

    assert response.status_code == 404
    assert asked_checkouts(lists) == []
    assert not Payment.objects.exists()


def test_naming_a_paid_invoice_says_so_and_opens_no_checkout(subscriber_client, lists):
    paid = example_json("InvoiceClientStatus1")["invoices"][0]["num_bill"]

    response = subscriber_client.post(PAY_MANY, {"invoices": ["4624", paid]}, **EN)

    assert response.status_code == 302 and response["Location"] == "/billing/invoices/"
    assert "already paid" in str(next(iter(response.wsgi_request._messages)))
    assert asked_checkouts(lists) == []


def test_nothing_owed_means_nothing_to_pay(subscriber_client, smartisp, clock):
    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), json={"invoices": []})
    smartisp.upsert(
        responses.GET, api("InvoiceClientStatus1/1"), json=example_json("InvoiceClientStatus1")
    )

    response = subscriber_client.post(PAY_MANY, **EN)

    assert response.status_code == 302 and response["Location"] == "/"
    assert asked_checkouts(smartisp) == []


def test_pay_needs_sign_in_and_post(subscriber_client, db):
    from django.test import Client

    assert Client().post(PAY_MANY)["Location"].startswith("/accounts/login/")
    assert subscriber_client.get(PAY_MANY).status_code == 405


def test_the_invoice_list_lets_the_subscriber_pick_with_a_plain_form(subscriber_client, lists):
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()

    form = page[page.index('<form class="pick-form"') :]
    form = form[: form.index("</form>")]
    assert 'method="post" action="/billing/pay/"' in form
    assert "csrfmiddlewaretoken" in form
    box = '<input type="checkbox" name="invoices" value='
    assert f'{box}"3112" data-amount="330.00" checked>' in form
    assert f'{box}"4624" data-amount="21.51" checked>' in form
    assert '<button type="submit"' in form
    assert '<input type="hidden" name="picked" value="1">' in form


def test_the_pay_button_is_given_the_ticked_total_by_a_script_and_keeps_its_label_without(
    subscriber_client, lists
):
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()

    button = page[page.index('<button type="submit" class="button button-block"') :]
    button = button[: button.index("</button>")]
    assert 'data-pick-total data-money-sample="$1234.56"' in button
    assert 'data-label="Pay the selected invoices: {total}"' in button
    assert button.endswith(">Pay the selected invoices")  # what it says without JavaScript
    assert '<script src="/static/js/pick-total.js" defer></script>' in page


def test_the_invoice_list_with_every_box_unticked_pays_nothing_and_says_so(
    subscriber_client, lists
):
    # What the browser sends from the list's form when the subscriber unticks every invoice.
    response = subscriber_client.post(PAY_MANY, {"picked": "1"}, **EN)

    assert response.status_code == 302
    assert response["Location"] == "/billing/invoices/?status=unpaid&picked=none"
    assert "Tick at least one invoice" in str(next(iter(response.wsgi_request._messages)))
    assert asked_checkouts(lists) == []
    assert not Payment.objects.exists()


def test_the_list_after_an_empty_pick_keeps_every_box_unticked(subscriber_client, lists):
    # Ticked again, a second tap on the button (which shows no amount) would pay everything.
    response = subscriber_client.post(PAY_MANY, {"picked": "1"}, **EN, follow=True)

    page = response.content.decode()
    assert "Tick at least one invoice to pay." in page
    assert 'name="invoices" value="3112"' in page and 'name="invoices" value="4624"' in page
    assert " checked" not in page[page.index('<form class="pick-form"') :]


# -- never stuck --------------------------------------------------------------------------------


def expire_answers(smartisp, payment: Payment, status: int = 200) -> None:
    """POST /checkout/sessions/<id>/expire (DESIGN.md section 7): the open session, expired."""
    smartisp.upsert(
        responses.POST,
        f"{GATEWAY}/checkout/sessions/{payment.session_id}/expire",
        status=status,
        json={"id": payment.session_id, "reference": payment.reference, "status": "expired"}
        if status == 200
        else {"error": "only an open session can be expired"},
    )


def test_start_again_expires_the_old_checkout_and_opens_a_new_one(
    subscriber_client, subscriber, lists
):
    old = payment_make(subscriber, PaymentStatus.PENDING, session_id="cs_old")
    expire_answers(lists, old)
    gateway_checkout(lists, session_id="cs_new")

    response = subscriber_client.post(f"/billing/payments/{old.reference}/restart/")

    assert response.status_code == 303
    assert response["Location"] == f"{GATEWAY}/checkout/cs_new"
    expired = [c for c in gateway_calls(lists) if c.request.url.endswith("/expire")]
    assert [c.request.url for c in expired] == [f"{GATEWAY}/checkout/sessions/cs_old/expire"]
    assert payment_of(old).status == PaymentStatus.CANCELLED
    new = Payment.objects.get(session_id="cs_new")
    assert new.status == PaymentStatus.PENDING and new.num_bills == ["4624"]


def test_start_again_of_a_checkout_paid_meanwhile_shows_that_payment(
    subscriber_client, subscriber, lists
):
    old = payment_make(subscriber, PaymentStatus.PENDING, session_id="cs_old")
    expire_answers(lists, old, status=409)
    gateway_session(lists, old, "succeeded")

    response = subscriber_client.post(f"/billing/payments/{old.reference}/restart/")

    assert response.status_code == 302
    assert response["Location"] == f"/billing/payments/{old.reference}/"
    assert payment_of(old).status == PaymentStatus.CAPTURED
    assert asked_checkouts(lists) == []


def test_start_again_is_only_for_the_owner(client, subscriber, other_subscriber, lists):
    old = payment_make(subscriber, PaymentStatus.PENDING, session_id="cs_old")
    client.force_login(other_subscriber)

    assert client.post(f"/billing/payments/{old.reference}/restart/").status_code == 404
    assert gateway_calls(lists) == []


def test_paying_everything_while_one_checkout_is_unfinished_replaces_it(
    subscriber_client, subscriber, lists
):
    old = payment_make(subscriber, PaymentStatus.PENDING, session_id="cs_old")
    expire_answers(lists, old)
    gateway_checkout(lists, session_id="cs_all")

    response = subscriber_client.post(PAY_MANY)

    assert response.status_code == 303
    assert payment_of(old).status == PaymentStatus.CANCELLED
    assert Payment.objects.get(session_id="cs_all").num_bills == ["3112", "4624"]


def test_an_abandoned_then_superseded_checkout_captured_late_is_refunded_not_recorded(
    subscriber_client, subscriber, smartisp, clock
):
    """The subscriber leaves checkout A unpaid, starts again with B and pays it; A is paid later
    anyway (the expire did not reach the gateway). One pagar_factura, one refund."""
    invoice_lists(smartisp)
    a = payment_make(subscriber, PaymentStatus.PENDING, session_id="cs_a")
    smartisp.upsert(
        responses.POST, f"{GATEWAY}/checkout/sessions/cs_a/expire", status=503, body="down"
    )
    gateway_session(smartisp, a, "open")
    gateway_checkout(smartisp, session_id="cs_b")
    assert subscriber_client.post(f"/billing/payments/{a.reference}/restart/").status_code == 303
    b = Payment.objects.get(session_id="cs_b")

    # B is paid and settled.
    gateway_session(smartisp, b, "succeeded", transaction="txn_b")
    smartisp.upsert(responses.GET, api("getInvoiceCliente/4624"), json=invoice_body())
    smartisp.upsert(responses.POST, api("pagar_factura"), json=example_json("pagar_factura"))
    webhook_post(subscriber_client, event_body(b, event_id="evt_b"))
    run_tasks()
    assert payment_of(b).status == PaymentStatus.SETTLED

    # A is paid late at the gateway.
    gateway_session(smartisp, a, "succeeded", transaction="txn_a")
    gateway_refund_ok(smartisp, a, transaction="txn_a")
    webhook_post(subscriber_client, event_body(a, event_id="evt_a"))
    run_tasks()

    late = payment_of(a)
    assert late.status == PaymentStatus.REFUNDED
    assert late.transaction_id == "txn_a"
    refunds = [c.request.url for c in gateway_calls(smartisp) if c.request.url.endswith("/refund")]
    assert refunds == [f"{GATEWAY}/checkout/sessions/cs_a/refund"]
    assert [json.loads(c.request.body)["id_pago"] for c in calls_to(smartisp, "pagar_factura")] == [
        "txn_b"
    ]
    assert late.items.get().outcome == ItemOutcome.PENDING  # never sent to SmartISP
    page = subscriber_client.get(f"/billing/payments/{a.reference}/", **EN).content.decode()
    assert "This payment was refunded." in page


def test_a_late_capture_the_gateway_will_not_refund_goes_to_a_person(
    subscriber_client, subscriber, smartisp, clock, settings
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    payment_make(subscriber, PaymentStatus.SETTLED, session_id="cs_b", transaction_id="txn_b")
    a = payment_make(subscriber, PaymentStatus.CANCELLED, session_id="cs_a")
    gateway_session(smartisp, a, "succeeded", transaction="txn_a")
    smartisp.upsert(responses.POST, f"{GATEWAY}/checkout/sessions/cs_a/refund", status=409, json={})

    webhook_post(subscriber_client, event_body(a, event_id="evt_a"))
    run_tasks()

    late = payment_of(a)
    assert late.status == PaymentStatus.NEEDS_REVIEW
    assert "refund it by hand" in late.last_error
    assert calls_to(smartisp, "pagar_factura") == []


def test_a_late_capture_the_gateway_cannot_refund_for_72_hours_goes_to_a_person(
    subscriber_client, subscriber, smartisp, clock, settings
):
    from django.core import mail

    from billing.reconcile import payments_reconcile

    settings.ADMINS = [("Ops", "ops@example.com")]
    payment_make(subscriber, PaymentStatus.SETTLED, session_id="cs_b", transaction_id="txn_b")
    a = payment_make(subscriber, PaymentStatus.CANCELLED, session_id="cs_a")
    gateway_session(smartisp, a, "succeeded", transaction="txn_a")
    refund_url = f"{GATEWAY}/checkout/sessions/cs_a/refund"
    smartisp.upsert(responses.POST, refund_url, status=503, body="down")

    webhook_post(subscriber_client, event_body(a, event_id="evt_a"))
    run_tasks()
    clock.advance(hours=71, minutes=58)
    payments_reconcile()
    run_tasks()

    assert payment_of(a).status == PaymentStatus.REFUNDING  # still trying, nobody told yet
    assert mail.outbox == []

    clock.advance(minutes=3)
    payments_reconcile()
    run_tasks()

    late = payment_of(a)
    assert late.status == PaymentStatus.NEEDS_REVIEW
    assert "could not be reached to refund it for 72 hours" in late.last_error
    assert "refund it by hand" in late.last_error
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    tries = [c for c in gateway_calls(smartisp) if c.request.url == refund_url]
    assert len(tries) == 3
    payments_reconcile()  # a person has it now: the reconciler asks the gateway no more
    run_tasks()
    assert len([c for c in gateway_calls(smartisp) if c.request.url == refund_url]) == 3
    assert calls_to(smartisp, "pagar_factura") == []


def test_paying_again_after_leaving_a_checkout_closes_the_old_one_at_the_gateway(
    subscriber_client, subscriber, lists
):
    # Left through the gateway's cancel link: cancelled here, still payable there.
    left = payment_make(subscriber, PaymentStatus.CANCELLED, session_id="cs_left")
    expire_answers(lists, left)
    gateway_checkout(lists, session_id="cs_again")

    response = subscriber_client.post("/billing/invoices/4624/pay/")

    assert response.status_code == 303
    expired = [c.request.url for c in gateway_calls(lists) if c.request.url.endswith("/expire")]
    assert expired == [f"{GATEWAY}/checkout/sessions/cs_left/expire"]
    # Asked once: the next checkout does not ask about it again.
    subscriber_client.post(f"/billing/payments/{left.reference}/restart/")
    assert len([c for c in gateway_calls(lists) if c.request.url.endswith("/expire")]) == 1
