"""The dashboard when an optional SmartISP endpoint fails: invoices and the Pay button first, and
only the part that is missing says so (issue 17; a SmartISP without `clients` search answers a
JSON 404, smartisp-field-notes.md)."""

import pytest
import requests

from tests.billing.test_dashboard import EN, clients_body, tickets_body, unpaid_body
from tests.conftest import api, example_json

SERVICES_NOTICE = "We cannot load the state of your service right now."
TICKETS_NOTICE = "We cannot load your tickets right now."

# The reference's subscriber owes several invoices: the dashboard's Pay is "pay everything".
PAY_ALL = 'action="/billing/pay/"'

FAILURES = {
    "404-json": {"status": 404, "json": {"message": "Not Found"}},
    "404-html": {"status": 404, "body": "<html><body>Not Found</body></html>"},
    "500-html": {"status": 500, "body": "<html><body>500 | Server Error</body></html>"},
    "timeout": {"body": requests.exceptions.ReadTimeout()},
    "odd-shape": {"json": {"success": True, "data": "none"}},
}


def mock_with(smartisp, *, clients=None, tickets=None):
    smartisp.get(api("InvoiceClientStatus3/1"), json=unpaid_body())
    smartisp.get(api("plans"), json=example_json("plans"))
    smartisp.get(api("clients"), **(clients or {"json": clients_body()}))
    smartisp.get(api("tickets"), **(tickets or {"json": tickets_body()}))


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_services_failing_keeps_invoices_and_pay_button(subscriber_client, smartisp, failure):
    mock_with(smartisp, clients=FAILURES[failure])

    response = subscriber_client.get("/", **EN)

    page = response.content.decode()
    assert response.status_code == 200
    assert PAY_ALL in page and "Pay everything: $" in page
    assert page.index(PAY_ALL) < page.index(SERVICES_NOTICE)
    assert "We found no internet service" not in page  # unknown is not "none"
    assert TICKETS_NOTICE not in page


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_tickets_failing_keeps_invoices_services_and_pay_button(
    subscriber_client, smartisp, failure
):
    mock_with(smartisp, tickets=FAILURES[failure])

    page = subscriber_client.get("/", **EN).content.decode()

    assert PAY_ALL in page and "Plan Hogar 50M" in page
    assert TICKETS_NOTICE in page
    assert SERVICES_NOTICE not in page


def test_services_and_tickets_both_missing_still_show_what_is_owed(subscriber_client, smartisp):
    missing = {"status": 404, "json": {"message": "Not Found"}}
    mock_with(smartisp, clients=missing, tickets=missing)

    response = subscriber_client.get("/", **EN)

    page = response.content.decode()
    assert response.status_code == 200
    assert PAY_ALL in page
    assert SERVICES_NOTICE in page and TICKETS_NOTICE in page


def test_a_page_with_a_missing_part_is_not_kept_for_the_next_view(subscriber_client, smartisp):
    mock_with(smartisp, clients={"status": 404, "json": {"message": "Not Found"}})
    subscriber_client.get("/", **EN)

    smartisp.replace("GET", api("clients"), json=example_json("clients"))
    subscriber_client.get("/", **EN)

    clients_calls = [c for c in smartisp.calls if c.request.url.split("?")[0] == api("clients")]
    assert len(clients_calls) == 2  # the failed search was not cached
