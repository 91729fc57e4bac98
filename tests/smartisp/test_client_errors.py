"""SmartISP failures become typed errors: what each answer turns into, and what is retried."""

import json
import socket
from datetime import date
from decimal import Decimal

import pytest
import requests

from conftest import TEST_SMARTISP_KEY
from portal.smartisp import (
    BadResponse,
    NotFound,
    Rejected,
    SmartISPClient,
    Unauthorized,
    Unavailable,
    get_client,
)
from tests.conftest import api, example

MAINTENANCE_PAGE = "<!DOCTYPE html><html><body><h1>En mantenimiento</h1></body></html>"


@pytest.fixture
def isp():
    return get_client()


def pay(isp):
    return isp.invoice_pay(
        invoice_id=4585,
        amount=Decimal("21.51"),
        id_pago="txn_1",
        way_to_pay="Sandbox",
        paid_on=date(2024, 10, 5),
        commentary="PAY-1",
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- what each answer becomes -----------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_unauthorized(smartisp, isp, status):
    smartisp.get(api("plans"), status=status, json={"message": "Unauthenticated."})

    with pytest.raises(Unauthorized, match="refused the API key"):
        isp.plans_list()


def test_missing_ticket_is_not_found(smartisp, isp):
    smartisp.get(api("tickets/9"), status=404, json={"success": False, "message": "No existe"})

    with pytest.raises(NotFound, match="No existe"):
        isp.ticket_get(9)


def test_validation_failure_is_rejected_with_smartisp_message_and_errors(smartisp, isp):
    smartisp.post(
        api("tickets"),
        status=422,
        json={
            "success": False,
            "message": "The subject field is required.",
            "errors": {"subject": ["The subject field is required."]},
        },
    )

    with pytest.raises(Rejected) as caught:
        isp.ticket_create(client_id=1, subject="", message="Hola")

    assert caught.value.message == "The subject field is required."
    assert caught.value.errors == {"subject": ["The subject field is required."]}


def test_unknown_dni_answered_with_success_false_and_200_is_not_found(smartisp, isp):
    smartisp.get(
        api("get-user/9999999999"), json={"success": False, "message": "Cliente no encontrado"}
    )

    with pytest.raises(NotFound, match="Cliente no encontrado"):
        isp.user_get("9999999999")


def test_unknown_dni_answered_with_a_null_user_is_not_found(smartisp, isp):
    smartisp.get(api("get-user/9999999999"), json={"user": None, "invoices": None})

    with pytest.raises(NotFound):
        isp.user_get("9999999999")


def test_pagar_factura_success_false_with_200_is_rejected_with_its_misspelt_message(smartisp, isp):
    smartisp.post(api("pagar_factura"), json={"success": False, "mesnage": "Factura ya pagada"})

    with pytest.raises(Rejected, match="Factura ya pagada"):
        pay(isp)


def test_server_error_is_unavailable(smartisp, isp):
    smartisp.get(api("plans"), status=500, json={"message": "Server Error"})

    with pytest.raises(Unavailable):
        isp.plans_list()


def test_rate_limited_is_unavailable(smartisp, isp):
    smartisp.get(api("plans"), status=429, json={"message": "Too Many Attempts."})

    with pytest.raises(Unavailable):
        isp.plans_list()


def test_read_timeout_is_unavailable(smartisp, isp):
    smartisp.get(api("plans"), body=requests.exceptions.ReadTimeout())

    with pytest.raises(Unavailable, match="in time"):
        isp.plans_list()


def test_refused_connection_is_unavailable(smartisp, isp):
    smartisp.get(api("plans"), body=requests.exceptions.ConnectionError("refused"))

    with pytest.raises(Unavailable, match="cannot be reached"):
        isp.plans_list()


def test_closed_local_port_is_unavailable():
    isp = SmartISPClient(
        base_url=f"http://127.0.0.1:{closed_port()}/api/SmartIPS-v1/",
        api_key=TEST_SMARTISP_KEY,
        timeout=1,
        connect_timeout=1,
        retry_backoff=(0, 0),
    )

    with pytest.raises(Unavailable):
        isp.tickets_meta()
    with pytest.raises(Unavailable):
        pay(isp)


@pytest.mark.parametrize("status", [200, 503])
def test_html_maintenance_page_is_unavailable(smartisp, isp, status):
    smartisp.get(
        api("InvoiceClientStatus3/1"),
        status=status,
        body=MAINTENANCE_PAGE,
        content_type="text/html; charset=utf-8",
    )

    with pytest.raises(Unavailable):
        isp.invoices_unpaid(1)


def test_html_page_labelled_json_is_unavailable(smartisp, isp):
    smartisp.get(api("plans"), body=MAINTENANCE_PAGE, content_type="application/json")

    with pytest.raises(Unavailable):
        isp.plans_list()


def test_json_labelled_html_without_charset_is_read_as_utf8(smartisp, isp):
    # PHP's default label; requests alone would decode it as Latin-1.
    body = json.dumps(
        {"success": True, "mesnage": "Factura creada, está lista"}, ensure_ascii=False
    )
    smartisp.post(api("pagar_factura"), body=body.encode("utf-8"), content_type="text/html")

    assert pay(isp) == "Factura creada, está lista"


def test_invalid_json_is_a_bad_response(smartisp, isp):
    smartisp.get(api("plans"), body='{"plans": [', content_type="application/json")

    with pytest.raises(BadResponse):
        isp.plans_list()


@pytest.mark.parametrize(
    ("path", "body", "call"),
    [
        ("plans", {"plans": {"id": 1}}, lambda isp: isp.plans_list()),
        ("clients", [], lambda isp: isp.clients_list()),
        ("tickets", {"success": True, "data": "none"}, lambda isp: isp.tickets_list()),
        (
            "tickets/7",
            {"success": True, "data": {"subject": "no id"}},
            lambda isp: isp.ticket_get(7),
        ),
        (
            "InvoiceClientStatus3/1",
            {"invoices": [{"num_bill": "9"}]},
            lambda isp: isp.invoices_unpaid(1),
        ),
        (
            "InvoiceClientStatus3/1",
            {"invoices": [{"id": 5, "num_bill": "9", "total_pay": "NaN"}]},
            lambda isp: isp.invoices_unpaid(1),
        ),
        (
            "InvoiceClientStatus1/1",
            {"invoices": [{"id": 5, "num_bill": "9", "period": "last month"}]},
            lambda isp: isp.invoices_paid(1),
        ),
        ("get-user/1", {"user": "Nick", "invoices": {}}, lambda isp: isp.user_get("1")),
        ("tickets/meta", {"success": True, "data": ["new"]}, lambda isp: isp.tickets_meta()),
    ],
    ids=[
        "plans-not-a-list",
        "clients-a-list",
        "tickets-data-a-string",
        "ticket-without-id",
        "invoice-without-id",
        "invoice-amount-nan",
        "invoice-date-text",
        "user-a-string",
        "meta-a-list",
    ],
)
def test_json_of_the_wrong_shape_is_a_bad_response(smartisp, isp, path, body, call):
    smartisp.get(api(path), json=body)

    with pytest.raises(BadResponse):
        call(isp)


def test_pagar_factura_without_success_is_a_bad_response(smartisp, isp):
    smartisp.post(api("pagar_factura"), json={"mesnage": "ok?"})

    with pytest.raises(BadResponse):
        pay(isp)


# -- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_twice_then_unavailable(smartisp, isp, status):
    smartisp.get(api("tickets/meta"), status=status, json={})

    with pytest.raises(Unavailable):
        isp.tickets_meta()

    assert len(smartisp.calls) == 3


def test_get_that_succeeds_on_the_second_attempt_returns(smartisp, isp):
    smartisp.get(api("tickets/meta"), status=503, body=MAINTENANCE_PAGE)
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))

    meta = isp.tickets_meta()

    assert meta.priorities == ("low", "medium", "high", "urgent")
    assert len(smartisp.calls) == 2


def test_get_is_retried_after_a_connection_error(smartisp, isp):
    smartisp.get(api("plans"), body=requests.exceptions.ConnectionError())
    smartisp.get(api("plans"), body=example("plans"))

    assert len(isp.plans_list()) == 5
    assert len(smartisp.calls) == 2


def test_get_gives_up_after_three_connection_errors(smartisp, isp):
    smartisp.get(api("plans"), body=requests.exceptions.ConnectionError())

    with pytest.raises(Unavailable):
        isp.plans_list()

    assert len(smartisp.calls) == 3


def test_get_read_timeout_is_not_retried(smartisp, isp):
    # SmartISP may still be working on it: asking again would only triple the wait.
    smartisp.get(api("plans"), body=requests.exceptions.ReadTimeout())

    with pytest.raises(Unavailable):
        isp.plans_list()

    assert len(smartisp.calls) == 1


def test_get_500_is_not_retried(smartisp, isp):
    smartisp.get(api("plans"), status=500, json={})

    with pytest.raises(Unavailable):
        isp.plans_list()

    assert len(smartisp.calls) == 1


@pytest.mark.parametrize(
    "failure", [{"status": 503, "json": {}}, {"body": requests.exceptions.ConnectionError()}]
)
def test_post_is_never_retried(smartisp, isp, failure):
    smartisp.post(api("pagar_factura"), **failure)

    with pytest.raises(Unavailable):
        pay(isp)

    assert len(smartisp.calls) == 1


@pytest.mark.parametrize(
    "failure", [{"status": 503, "json": {}}, {"body": requests.exceptions.ConnectionError()}]
)
def test_patch_is_never_retried(smartisp, isp, failure):
    smartisp.patch(api("tickets/2492"), **failure)

    with pytest.raises(Unavailable):
        isp.ticket_update(2492, status="resolved")

    assert len(smartisp.calls) == 1


def test_retries_wait_the_configured_backoff(smartisp, monkeypatch):
    waits = []
    monkeypatch.setattr("portal.smartisp.client.time.sleep", waits.append)
    isp = SmartISPClient(base_url=api(""), api_key=TEST_SMARTISP_KEY, retry_backoff=(0.2, 0.5))
    smartisp.get(api("plans"), status=502, json={})

    with pytest.raises(Unavailable):
        isp.plans_list()

    assert waits == [0.2, 0.5]
