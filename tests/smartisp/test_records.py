"""SmartISP's quirks (DESIGN.md section 6) become plain typed records."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.smartisp import BadResponse, NotFound
from portal.smartisp import records as r
from tests.conftest import example, example_json

GUAYAQUIL = ZoneInfo("America/Guayaquil")


def invoice_raw(**changes):
    raw = dict(example_json("InvoiceClientStatus3")["invoices"][1])
    raw.update(changes)
    return raw


# -- ids: 0 is real, missing is an error -------------------------------------------------------


def test_invoice_id_zero_is_a_real_id():
    invoice = r.parse_invoice(invoice_raw(id=0))
    assert invoice.id == 0


def test_invoice_id_zero_as_text_is_a_real_id():
    assert r.parse_invoice(invoice_raw(id="0")).id == 0


@pytest.mark.parametrize("missing", [None, "", "abc"])
def test_invoice_without_an_id_is_a_bad_response(missing):
    with pytest.raises(BadResponse):
        r.parse_invoice(invoice_raw(id=missing))


def test_client_id_zero_from_create_client_is_a_real_id():
    client = r.parse_client(example_json("create-client")["client"])
    assert client.id == 0


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (r.parse_plan, {"name": "Plan"}),
        (r.parse_router, {"name": "R"}),
        (r.parse_client, {"name": "Nick"}),
        (r.parse_service, {"status": "ac"}),
        (lambda raw: r.parse_ticket(raw, GUAYAQUIL), {"subject": "x"}),
        (lambda raw: r.parse_ticket(raw, GUAYAQUIL), {"id": 1, "answers": [{"message": "x"}]}),
    ],
    ids=["plan", "router", "client", "service", "ticket", "ticket-answer"],
)
def test_records_without_an_id_are_bad_responses_never_id_zero(parse, raw):
    with pytest.raises(BadResponse, match="without an id"):
        parse(raw)


def test_ticket_of_client_zero_keeps_client_id_zero():
    ticket = r.parse_ticket({"id": 5, "client_id": 0, "client": {"id": 0}}, GUAYAQUIL)
    assert ticket.client_id == 0


def test_ticket_without_client_id_takes_the_nested_client():
    ticket = r.parse_ticket({"id": 5, "client": {"id": 652, "name": "Juan"}}, GUAYAQUIL)
    assert (ticket.client_id, ticket.client_name) == (652, "Juan")


def test_service_plan_id_zero_is_kept():
    service = r.parse_service({"id": 1, "plan_id": 0, "plan": {"id": 9}})
    assert service.plan_id == 0


def test_integral_float_ids_are_read():
    assert r.to_int(1057.0) == 1057
    assert r.to_int(10.5) is None


# -- DNIs -------------------------------------------------------------------------------------


def test_dni_sent_as_a_number_becomes_text():
    client = r.parse_client(example_json("create-client")["client"])
    assert client.dni == "3443454"


def test_dni_sent_as_text_keeps_its_leading_zero():
    entry = r.parse_client_with_services(example_json("clients")["data"][0])
    assert entry.client.dni == "0102030405"


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("0102 030.405-", "0102030405"),
        (" 0102-030-405 ", "0102030405"),
        ("0102030405", "0102030405"),
        (3443454, "3443454"),
        (None, ""),
        ("", ""),
    ],
)
def test_normalize_dni_drops_spaces_dots_and_dashes_and_keeps_zeros(typed, normal):
    assert r.normalize_dni(typed) == normal


# -- messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("CreateInvoice", "Factura creada exitosamente"),  # mesnage
        ("DeleteIvoicePay", "Se a liminado la factura con ID 5156"),  # mensage
        ("ticket-reply", "Respuesta agregada"),  # message
        ("pagar_factura", "factura pagada"),
    ],
)
def test_message_is_read_from_each_spelling(name, message):
    assert r.message_of(example_json(name)) == message


# -- invoice status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (1, r.InvoiceStatus.PAID),
        (3, r.InvoiceStatus.UNPAID),
        ("1", r.InvoiceStatus.PAID),
        ("3", r.InvoiceStatus.UNPAID),
        ("Pagada", r.InvoiceStatus.PAID),
        ("No pagado", r.InvoiceStatus.UNPAID),
        (" no PAGADO ", r.InvoiceStatus.UNPAID),
        (2, r.InvoiceStatus.OTHER),
        (None, r.InvoiceStatus.OTHER),
    ],
)
def test_invoice_status_as_number_or_spanish_text(value, status):
    assert r.parse_invoice(invoice_raw(status=value)).status is status


def test_get_user_invoices_use_numeric_status():
    record = r.parse_user_record(example_json("get-user"))
    statuses = {i.num_bill: i.status for i in record.invoices}
    assert statuses["3112"] is r.InvoiceStatus.UNPAID
    assert statuses["2"] is r.InvoiceStatus.PAID
    assert statuses["4624"] is r.InvoiceStatus.UNPAID


# -- client_id that is a name -----------------------------------------------------------------


def test_bill_customer_client_id_that_is_a_name():
    found = r.parse_invoice_with_client(example_json("getInvoiceCliente"))
    assert found.invoice.client_id == 1  # from the answer's Client
    assert found.invoice.client_name == "Shiguango Esthela"


def test_client_id_that_is_a_name_without_a_client_is_no_id():
    invoice = r.parse_invoice(invoice_raw(client_id="Shiguango Esthela", client=None))
    assert invoice.client_id is None
    assert invoice.client_name == "Shiguango Esthela"


def test_unknown_invoice_number_is_not_found():
    with pytest.raises(NotFound):
        r.parse_invoice_with_client({"estatus": None, "BillCustomer": None})


# -- the get-user trailing comma --------------------------------------------------------------


def test_get_user_example_has_a_trailing_comma_and_still_parses():
    text = example("get-user")
    assert '"electronic_invoice": "No",\n}' in text
    record = r.parse_user_record(example_json("get-user"))
    assert record.client.id == 1
    assert record.client.email == "jaquelines@gmail.com"


def test_get_user_with_null_invoice_list_has_no_invoices():
    body = example_json("get-user")
    body["invoices"] = {"invoices_smartISP": None, "invoices_sunat": []}
    assert r.parse_user_record(body).invoices == ()


# -- money and dates --------------------------------------------------------------------------


def test_amounts_are_decimals_never_floats():
    invoice = r.parse_invoice(invoice_raw(total_pay=21.51, cost="18.70", iva=15))
    assert invoice.total_pay == Decimal("21.51")
    assert isinstance(invoice.total_pay, Decimal)
    assert invoice.iva_amount == Decimal("2.81")
    assert invoice.subtotal == Decimal("18.70")


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "veinte", True])
def test_amounts_that_are_not_money_are_bad_responses(bad):
    with pytest.raises(BadResponse):
        r.to_decimal(bad)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-04-30", date(2024, 4, 30)),
        ("2024-04-30 10:00:00", date(2024, 4, 30)),
        ("18-10-2024", date(2024, 10, 18)),
        ("03/21/2024", date(2024, 3, 21)),
        (None, None),
        ("", None),
    ],
)
def test_dates_in_each_format_smartisp_uses(text, day):
    assert r.to_date(text) == day


def test_ticket_answer_date_with_leading_space_is_aware_in_guayaquil():
    when = r.to_datetime(" May 30, 2026 13:30:50", GUAYAQUIL)
    assert when == datetime(2026, 5, 30, 13, 30, 50, tzinfo=GUAYAQUIL)
    assert when.utcoffset().total_seconds() == -5 * 3600
    assert when.astimezone(UTC) == datetime(2026, 5, 30, 18, 30, 50, tzinfo=UTC)


def test_iso_z_datetime_is_utc_aware():
    when = r.to_datetime("2026-05-30T13:30:50.000000Z", GUAYAQUIL)
    assert when == datetime(2026, 5, 30, 13, 30, 50, tzinfo=UTC)
    assert when.utcoffset().total_seconds() == 0


def test_naive_datetime_is_in_smartisp_zone():
    when = r.to_datetime("2024-04-02 19:00:15", GUAYAQUIL)
    assert when.tzinfo is GUAYAQUIL


def test_odd_datetime_text_is_a_bad_response():
    with pytest.raises(BadResponse):
        r.to_datetime("yesterday", GUAYAQUIL)


def test_ticket_example_dates_are_all_aware():
    ticket = r.parse_ticket(example_json("ticket")["data"], GUAYAQUIL)
    assert ticket.created_at.tzinfo is not None
    assert ticket.updated_at.tzinfo is not None
    assert ticket.answers[0].created_at == datetime(2026, 5, 30, 18, 30, 50, tzinfo=UTC)


def test_records_are_immutable():
    invoice = r.parse_invoice(invoice_raw())
    with pytest.raises(AttributeError):
        invoice.total_pay = Decimal("0")  # type: ignore[misc]
