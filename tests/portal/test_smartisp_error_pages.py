"""SmartISPErrorMiddleware: whatever SmartISP answers a page read, the subscriber gets a page that
makes sense (the 404 page, or the readable 503 with a retry), never a 500 (issue 17)."""

import logging

import pytest

from tests.conftest import api, example_json

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def meta(smartisp):
    smartisp.get(api("tickets/meta"), json=example_json("tickets-meta"))


def test_not_found_from_a_page_read_is_the_404_page(subscriber_client, smartisp):
    meta(smartisp)
    smartisp.get(api("tickets"), status=404, json={"message": "Not Found"})

    response = subscriber_client.get("/support/tickets/", **EN)

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_rejected_from_a_page_read_is_the_readable_503(subscriber_client, smartisp, caplog):
    meta(smartisp)
    smartisp.get(api("tickets"), status=400, json={"message": "Bad status filter"})

    response = subscriber_client.get("/support/tickets/", **EN)

    assert response.status_code == 503
    assert "We cannot reach the billing system right now" in response.content.decode()
    assert "Bad status filter" not in response.content.decode()


def test_a_ticket_read_that_says_success_false_is_the_404_page(subscriber_client, smartisp):
    smartisp.get(api("tickets/77"), json={"success": False, "message": "No existe"})

    response = subscriber_client.get("/support/tickets/77/", **EN)

    assert response.status_code == 404


def test_smartisp_busy_passes_its_retry_after_on(subscriber_client, smartisp):
    smartisp.get(
        api("InvoiceClientStatus3/1"),
        status=429,
        json={"message": "Too Many Attempts."},
        headers={"Retry-After": "42"},
    )
    smartisp.get(api("InvoiceClientStatus1/1"), json={"invoices": []})

    response = subscriber_client.get("/billing/invoices/", **EN)

    assert response.status_code == 503
    assert response["Retry-After"] == "42"


def test_a_refused_key_is_a_503_for_the_subscriber_and_says_so_to_the_operator(
    subscriber_client, smartisp, caplog
):
    caplog.set_level(logging.INFO)
    smartisp.get(api("InvoiceClientStatus3/1"), json={"message": "Unauthenticated."})
    smartisp.get(api("InvoiceClientStatus1/1"), json={"message": "Unauthenticated."})

    response = subscriber_client.get("/billing/invoices/", **EN)

    assert response.status_code == 503
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("SmartISP refused the API key" in m for m in errors)
    assert not any("gone" in r.getMessage().lower() for r in caplog.records)
