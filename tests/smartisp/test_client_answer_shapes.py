"""The answers the reference never shows (smartisp-field-notes.md) and what each one means.

Every shape here is from the field notes' list: empty invoice lists, unknown DNI or invoice, a
wrong key in its four disguises, Laravel's own failure pages, numbers as strings and back. Each odd
answer gets one log line that names the endpoint, the status and the shape, and nothing else.
"""

import json
import logging
from datetime import date
from decimal import Decimal

import pytest

from conftest import TEST_SMARTISP_KEY
from portal.smartisp import NotFound, Unauthorized, Unavailable, get_client
from portal.smartisp.errors import KEY_REFUSED
from tests.conftest import api, example_json

DNI = "2100454590"
LOGIN_PAGE = "<!DOCTYPE html><html><body><form action='/login'>Iniciar sesión</form></body></html>"
NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>Not Found</title></head><body>404</body></html>"
SERVER_ERROR_PAGE = "<!DOCTYPE html><html><body><h1>500 | Server Error</h1></body></html>"
MAINTENANCE_PAGE = "<!DOCTYPE html><html><body><h1>503 | Service Unavailable</h1></body></html>"


@pytest.fixture
def isp():
    return get_client()


def odd_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "odd answer" in r.getMessage()]


# -- "nothing to pay" in all its forms -------------------------------------------------------

EMPTY_LISTS = {
    "empty-list": {"json": {"invoices": []}},
    "null": {"json": {"invoices": None}},
    "empty-object": {"json": {}},
    "php-empty-object": {"json": {"invoices": {}}},
    "success-false": {"json": {"success": False, "message": "El cliente no tiene facturas"}},
    "success-false-as-text": {"json": {"success": "false", "message": "Sin facturas"}},
    "404-json": {"status": 404, "json": {"success": False, "message": "No encontrado"}},
    "404-html": {"status": 404, "body": NOT_FOUND_PAGE, "content_type": "text/html"},
}


@pytest.mark.parametrize("shape", list(EMPTY_LISTS), ids=list(EMPTY_LISTS))
@pytest.mark.parametrize("status", [3, 1], ids=["unpaid", "paid"])
def test_an_empty_invoice_list_in_any_shape_is_no_invoices(smartisp, isp, caplog, shape, status):
    smartisp.get(api(f"InvoiceClientStatus{status}/1"), **EMPTY_LISTS[shape])

    listed = isp.invoices_unpaid(1) if status == 3 else isp.invoices_paid(1)

    assert listed == []
    if shape != "empty-list":
        (line,) = odd_lines(caplog)
        assert f"InvoiceClientStatus{status}/{{}}" in line
        assert "HTTP" in line


def test_an_invoice_list_sent_as_a_php_object_keeps_every_invoice(smartisp, isp):
    invoices = example_json("InvoiceClientStatus3")["invoices"]
    smartisp.get(api("InvoiceClientStatus3/1"), json={"invoices": dict(enumerate(invoices))})

    listed = isp.invoices_unpaid(1)

    assert [i.num_bill for i in listed] == [i["num_bill"] for i in invoices]


# -- unknown subscriber, unknown invoice, unknown ticket ---------------------------------------

UNKNOWN = {
    "success-false": {"json": {"success": False, "message": "Cliente no encontrado"}},
    "user-null": {"json": {"user": None}},
    "user-empty-array": {"json": {"user": [], "invoices": []}},
    "empty-object": {"json": {}},
    "404-json": {"status": 404, "json": {"message": "Not Found"}},
    "404-html": {"status": 404, "body": NOT_FOUND_PAGE, "content_type": "text/html"},
}


@pytest.mark.parametrize("shape", list(UNKNOWN), ids=list(UNKNOWN))
def test_an_unknown_dni_is_not_found(smartisp, isp, caplog, shape):
    smartisp.get(api(f"get-user/{DNI}"), **UNKNOWN[shape])

    with pytest.raises(NotFound):
        isp.user_get(DNI)

    (line,) = odd_lines(caplog)
    assert "get-user/{}" in line
    assert DNI not in line


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"success": False, "message": "Factura no existe"}},
        {"json": {"estatus": None, "BillCustomer": None, "Client": None}},
        {"json": {"BillCustomer": []}},
        {"status": 404, "json": {"message": "No query results"}},
        {"status": 404, "body": NOT_FOUND_PAGE},
    ],
    ids=["success-false", "nulls", "empty-array", "404-json", "404-html"],
)
def test_an_unknown_invoice_is_not_found(smartisp, isp, answer):
    smartisp.get(api("getInvoiceCliente/999"), **answer)

    with pytest.raises(NotFound):
        isp.invoice_get("999")


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"success": False, "message": "Ticket no encontrado"}},
        {"json": {"success": True, "data": None}},
        {"json": {}},
        {"status": 404, "body": NOT_FOUND_PAGE},
    ],
    ids=["success-false", "data-null", "empty-object", "404-html"],
)
def test_an_unknown_ticket_is_not_found(smartisp, isp, answer):
    smartisp.get(api("tickets/9"), **answer)

    with pytest.raises(NotFound):
        isp.ticket_get(9)


def test_a_search_that_says_no_is_an_empty_page_but_a_missing_endpoint_is_not_found(smartisp, isp):
    smartisp.get(api("clients"), json={"success": False, "message": "Sin resultados"})
    smartisp.get(api("tickets"), json={"success": True, "data": None})

    assert isp.clients_list(search=DNI).items == ()
    assert isp.tickets_list(client_id=1).items == ()

    smartisp.replace("GET", api("clients"), status=404, json={"message": "Not Found"})
    with pytest.raises(NotFound) as caught:
        isp.clients_list(search=DNI)
    assert caught.value.status == 404


# -- a wrong key is never "subscriber gone" ----------------------------------------------------

WRONG_KEY = {
    "401-json": {"status": 401, "json": {"message": "Unauthenticated."}},
    "401-empty": {"status": 401, "body": ""},
    "403-html": {"status": 403, "body": "<html><body>Forbidden</body></html>"},
    "200-unauthenticated": {"json": {"message": "Unauthenticated."}},
    "200-unauthorized": {"json": {"success": False, "message": "Unauthorized"}},
}


@pytest.mark.parametrize("shape", list(WRONG_KEY), ids=list(WRONG_KEY))
@pytest.mark.parametrize(
    ("path", "call"),
    [
        (f"get-user/{DNI}", lambda isp: isp.user_get(DNI)),
        ("InvoiceClientStatus3/1", lambda isp: isp.invoices_unpaid(1)),
        ("InvoiceClientStatus1/1", lambda isp: isp.invoices_paid(1)),
        ("getInvoiceCliente/2", lambda isp: isp.invoice_get("2")),
        ("clients", lambda isp: isp.clients_list(search=DNI)),
        ("tickets", lambda isp: isp.tickets_list(client_id=1)),
        ("tickets/2491", lambda isp: isp.ticket_get(2491)),
        ("tickets/meta", lambda isp: isp.tickets_meta()),
        ("plans", lambda isp: isp.plans_list()),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_refused_key_is_unauthorized_on_every_read(smartisp, isp, caplog, shape, path, call):
    smartisp.get(api(path), **WRONG_KEY[shape])

    with pytest.raises(Unauthorized) as caught:
        call(isp)

    assert caught.value.message == KEY_REFUSED
    assert any("odd answer" in m and "HTTP" in m for m in odd_lines(caplog))
    assert all(TEST_SMARTISP_KEY not in r.getMessage() for r in caplog.records)


def test_a_redirect_to_the_sign_in_page_is_a_refused_key(smartisp, isp, caplog):
    smartisp.get(
        api(f"get-user/{DNI}"), status=302, headers={"Location": "http://smartisp.test/login"}
    )
    smartisp.get("http://smartisp.test/login", body=LOGIN_PAGE, content_type="text/html")

    with pytest.raises(Unauthorized, match="refused the API key"):
        isp.user_get(DNI)

    (line,) = odd_lines(caplog)
    assert "sign-in page" in line and "get-user/{}" in line


# -- Laravel's own failure pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "body": SERVER_ERROR_PAGE, "content_type": "text/html"},
        {"status": 503, "body": MAINTENANCE_PAGE, "content_type": "text/html"},
        {"status": 419, "body": "<html><body>419 | Page Expired</body></html>"},
        {"status": 419, "json": {"message": "CSRF token mismatch."}},
        {
            "status": 429,
            "json": {"message": "Too Many Attempts."},
            "headers": {"Retry-After": "42"},
        },
        {"status": 200, "body": MAINTENANCE_PAGE, "content_type": "text/html"},
    ],
    ids=["500-html", "503-html", "419-html", "419-json", "429-retry-after", "200-html"],
)
def test_laravel_failure_pages_are_unavailable(smartisp, isp, answer):
    smartisp.get(api("InvoiceClientStatus3/1"), **answer)

    with pytest.raises(Unavailable) as caught:
        isp.invoices_unpaid(1)

    assert caught.value.status == answer["status"]
    if answer["status"] == 429:
        assert caught.value.retry_after == 42


# -- numbers as strings and strings as numbers ---------------------------------------------------


def test_invoice_numbers_as_strings_and_strings_as_numbers(smartisp, isp):
    raw = example_json("InvoiceClientStatus3")["invoices"][0]
    flipped = {
        **raw,
        "id": str(raw["id"]),
        "num_bill": int(raw["num_bill"]),
        "total_pay": float(raw["total_pay"]),
        "cost": float(raw["cost"]),
        "iva": str(raw["iva"]),
        "status": "3",
        "client_id": str(raw["client_id"]),
    }
    smartisp.get(api("InvoiceClientStatus3/1"), json={"invoices": [flipped]})

    (invoice,) = isp.invoices_unpaid(1)

    assert invoice.id == int(raw["id"])
    assert invoice.num_bill == str(raw["num_bill"])
    assert invoice.total_pay == Decimal(str(raw["total_pay"]))
    assert invoice.is_unpaid
    assert invoice.client_id == int(raw["client_id"])


def test_pagar_factura_success_as_one_is_success(smartisp, isp):
    smartisp.post(api("pagar_factura"), json={"success": 1, "message": "factura pagada"})

    assert pay(isp, amount=Decimal("21.51")) == "factura pagada"


# -- money and the payment id sent to pagar_factura --------------------------------------------


def pay(isp, *, amount, id_pago="txn_1", reference=""):
    return isp.invoice_pay(
        invoice_id=4585,
        amount=amount,
        id_pago=id_pago,
        way_to_pay="Stripe",
        paid_on=date(2026, 3, 9),
        commentary="PAY-REF-7",
        reference=reference,
    )


@pytest.mark.parametrize(
    ("amount", "literal"),
    [
        (Decimal("21.5"), "21.50"),
        (Decimal("21.51"), "21.51"),
        (Decimal("330"), "330.00"),
        (Decimal("0.10"), "0.10"),
        (Decimal("1234567.89"), "1234567.89"),
    ],
)
def test_amount_goes_as_an_exact_json_number_with_two_decimals(smartisp, isp, amount, literal):
    smartisp.post(api("pagar_factura"), json={"success": True, "mesnage": "factura pagada"})

    pay(isp, amount=amount)

    raw = smartisp.calls[0].request.body.decode()
    assert f'"amount": {literal},' in raw
    assert json.loads(raw, parse_float=Decimal)["amount"] == amount
    assert smartisp.calls[0].request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("amount", [Decimal("21.505"), Decimal("0"), Decimal("-1"), Decimal("NaN")])
def test_an_amount_that_is_not_whole_cents_is_never_sent(smartisp, isp, amount):
    with pytest.raises(ValueError):
        pay(isp, amount=amount)

    assert len(smartisp.calls) == 0


@pytest.mark.parametrize(
    ("id_pago", "reference", "sent"),
    [
        ("txn_9", "PAY-REF-7", "txn_9"),
        ("", "PAY-REF-8", "PAY-REF-8"),
        ("  ", "", "PAY-REF-7"),  # the commentary carries the portal reference
    ],
)
def test_id_pago_is_never_empty(smartisp, isp, id_pago, reference, sent):
    smartisp.post(api("pagar_factura"), json={"success": True, "mesnage": "factura pagada"})

    pay(isp, amount=Decimal("21.51"), id_pago=id_pago, reference=reference)

    assert json.loads(smartisp.calls[0].request.body)["id_pago"] == sent


def test_odd_answer_lines_carry_no_personal_data(smartisp, isp, caplog):
    caplog.set_level(logging.DEBUG)
    smartisp.get(
        api(f"get-user/{DNI}"),
        json={"success": False, "message": f"Cliente {DNI} Shiguango no existe"},
    )

    with pytest.raises(NotFound):
        isp.user_get(DNI)

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert DNI not in text and "Shiguango" not in text
