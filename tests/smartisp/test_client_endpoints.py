"""Every SmartISP endpoint: the request SmartISP receives and the typed record the portal gets."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from conftest import TEST_SMARTISP_KEY
from portal.smartisp import get_client
from portal.smartisp.records import InvoiceStatus
from tests.conftest import api, example, json_body

GUAYAQUIL = ZoneInfo("America/Guayaquil")


@pytest.fixture
def isp():
    return get_client()


def sent(smartisp, method: str, path: str):
    """The one request SmartISP received, checked for method, path and headers."""
    assert len(smartisp.calls) == 1
    request = smartisp.calls[0].request
    assert request.method == method
    assert urlsplit(request.url).path == "/api/SmartIPS-v1/" + path
    assert request.headers["X-Authorization"] == TEST_SMARTISP_KEY
    assert request.headers["Accept"] == "application/json"
    if method in ("POST", "PATCH"):
        assert request.headers["Content-Type"] == "application/json"
    return request


def query(request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url).query)


# -- catalogue --------------------------------------------------------------------------------


def test_plans_list_returns_plans_with_decimal_prices(smartisp, isp):
    smartisp.get(api("plans"), body=example("plans"))

    plans = isp.plans_list()

    sent(smartisp, "GET", "plans")
    assert [p.id for p in plans] == [1, 2, 3, 4, 5]
    first = plans[0]
    assert first.name == "Plan Hogar 50M"
    assert first.cost == Decimal("18.70")
    assert first.iva == Decimal("15.00")
    assert first.download_kbps == 51200
    assert first.download_mbps == 50


def test_routers_list_returns_routers_without_their_passwords(smartisp, isp):
    smartisp.get(api("routers"), body=example("routers"))

    routers = isp.routers_list()

    sent(smartisp, "GET", "routers")
    assert [(r.id, r.name, r.clients) for r in routers] == [
        (1, "CC2116_LAGO", 564),
        (2, "JANDIACU", 128),
        (3, "DURENO", 28),
    ]
    assert routers[0].location == "Lago Agrio"
    assert all(not hasattr(r, "password") for r in routers)


# -- clients and services ---------------------------------------------------------------------


def test_client_create_posts_the_client_and_returns_client_id_zero(smartisp, isp):
    smartisp.post(api("create-client"), body=example("create-client"))

    client = isp.client_create(
        name="Nick",
        phone="1212121212",
        email="nick@gmail.com",
        dni="3443454",
        billing_due_date=5,
        password="s3cret-pass",
    )

    request = sent(smartisp, "POST", "create-client")
    assert json_body(smartisp.calls[0]) == {
        "name": "Nick",
        "phone": "1212121212",
        "email": "nick@gmail.com",
        "dni": "3443454",
        "billing_due_date": 5,
        "pass": "s3cret-pass",
    }
    assert request.body
    assert client.id == 0
    assert client.dni == "3443454"
    assert client.subscriber_no == "0815"


def test_service_create_posts_the_service_to_the_dni_path(smartisp, isp):
    smartisp.post(api("create-service/3443454"), body=example("create-service"))

    service = isp.service_create(
        "3443454",
        router=1,
        plan=1,
        date_in=date(2024, 10, 18),
        ip="172.16.24.1",
        user_hot="owBeaAR",
        pass_hot="hot-pass",
        mac="00:00:00:00:00:00",
        send_invoice=False,
        billing_type="recurring",
    )

    sent(smartisp, "POST", "create-service/3443454")
    assert json_body(smartisp.calls[0]) == {
        "router": 1,
        "plan": 1,
        "date_in": "18-10-2024",
        "ip": "172.16.24.1",
        "user_hot": "owBeaAR",
        "pass_hot": "hot-pass",
        "mac": "00:00:00:00:00:00",
        "send_invoice": False,
        "billing_type": "recurring",
    }
    assert (service.id, service.client_id, service.plan_id) == (844, 818, 1)
    assert service.is_active
    assert service.online == "ver"
    assert service.is_online is None


def test_user_get_returns_client_and_invoices_from_the_reference_example(smartisp, isp):
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))

    record = isp.user_get("2100454590")

    sent(smartisp, "GET", "get-user/2100454590")
    assert record.client.id == 1
    assert record.client.name == "Shiguango Esthela"
    assert record.client.balance == Decimal("0.00")
    assert len(record.invoices) == 8
    first = record.invoices[0]
    assert (first.id, first.num_bill, first.status) == (0, "3112", InvoiceStatus.UNPAID)
    assert first.total_pay == Decimal("330.00")
    assert record.invoices[1].status is InvoiceStatus.PAID
    assert record.invoices[1].paid_on == date(2024, 4, 23)


def test_user_get_sends_the_dni_normalised_with_its_leading_zero(smartisp, isp):
    smartisp.get(api("get-user/0102030405"), body=example("get-user"))

    isp.user_get(" 0102 030.405-")

    sent(smartisp, "GET", "get-user/0102030405")


def test_clients_list_sends_filters_and_returns_clients_with_services(smartisp, isp):
    smartisp.get(api("clients"), body=example("clients"))

    page = isp.clients_list(search="0102030405", status="ac", per_page=100, page=2, plan=23)

    request = sent(smartisp, "GET", "clients")
    assert query(request) == {
        "page": ["2"],
        "per_page": ["100"],
        "search": ["0102030405"],
        "status": ["ac"],
        "plan": ["23"],
    }
    (entry,) = page.items
    assert entry.client.id == 1057
    assert entry.client.dni == "0102030405"
    assert entry.client.balance == Decimal("-1.39")
    (service,) = entry.services
    assert (service.id, service.plan_id, service.plan_name) == (1114, 23, "Plan Hogar 150M")
    assert service.router_name == "RB-PRINCIPAL"
    assert service.is_online is True
    assert page.pagination.total == 611
    assert page.pagination.last_page == 25
    assert page.pagination.has_next


# -- invoices ---------------------------------------------------------------------------------


def test_invoice_get_reads_bill_customer_whose_client_id_is_a_name(smartisp, isp):
    smartisp.get(api("getInvoiceCliente/2"), body=example("getInvoiceCliente"))

    found = isp.invoice_get("2")

    sent(smartisp, "GET", "getInvoiceCliente/2")
    invoice = found.invoice
    assert (invoice.id, invoice.num_bill) == (1, "2")
    assert invoice.status is InvoiceStatus.PAID
    assert invoice.client_id == 1
    assert invoice.client_name == "Shiguango Esthela"
    assert invoice.total_pay == Decimal("21.51")
    assert invoice.iva_rate == Decimal("15.00")
    assert invoice.iva_amount == Decimal("2.81")
    assert invoice.subtotal == Decimal("18.70")
    assert invoice.expiration_date == date(2024, 4, 30)
    assert found.client.id == 1


def test_invoice_get_cannot_be_steered_to_another_path(smartisp, isp):
    smartisp.get(api("getInvoiceCliente/2%3Fx%2F..%2F1"), body=example("getInvoiceCliente"))

    isp.invoice_get("2?x/../1")

    request = smartisp.calls[0].request
    assert urlsplit(request.url).query == ""
    assert request.path_url.endswith("/getInvoiceCliente/2%3Fx%2F..%2F1")


def test_invoices_unpaid_returns_status3_invoices_including_id_zero(smartisp, isp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))

    invoices = isp.invoices_unpaid(1)

    sent(smartisp, "GET", "InvoiceClientStatus3/1")
    assert [(i.id, i.num_bill) for i in invoices] == [(0, "3112"), (4585, "4624")]
    assert all(i.is_unpaid for i in invoices)
    assert all(i.client_id == 1 for i in invoices)
    second = invoices[1]
    assert second.total_pay == Decimal("21.51")
    assert second.cortado_date == date(2024, 10, 16)
    assert second.service is not None
    assert second.service.plan_name == "Plan Hogar 50M"
    assert second.service.download_mbps == 50


def test_invoices_paid_returns_status1_invoices(smartisp, isp):
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))

    invoices = isp.invoices_paid(1)

    sent(smartisp, "GET", "InvoiceClientStatus1/1")
    assert [i.num_bill for i in invoices] == ["2", "774", "1549", "2286", "3021", "3751"]
    assert all(i.is_paid for i in invoices)
    assert invoices[0].paid_on == date(2024, 4, 23)


def test_invoice_create_posts_column_arrays_with_us_dates(smartisp, isp):
    smartisp.post(api("CreateInvoice/1"), body=example("CreateInvoice"))

    created = isp.invoice_create(
        1,
        items=[
            {
                "description": "Plan Hogar 50M",
                "price": Decimal("18.70"),
                "quantity": 1,
                "iva": 15,
                "period_from": date(2024, 3, 21),
                "period_to": date(2024, 4, 20),
            }
        ],
        invoice_date=date(2024, 3, 21),
        pay_date=date(2024, 3, 28),
        memo="portal",
    )

    sent(smartisp, "POST", "CreateInvoice/1")
    assert json_body(smartisp.calls[0]) == {
        "description": ["Plan Hogar 50M"],
        "iva": ["15"],
        "period_from": ["2024-03-21"],
        "period_to": ["2024-04-20"],
        "pos": ["1"],
        "price": ["18.70"],
        "quantity": ["1"],
        "total": ["21.51"],
        "unit": ["1"],
        "invoice_billing_type": "none",
        "invoice_date": "03/21/2024",
        "invoice_memo": "portal",
        "invoice_pay_date": "03/28/2024",
    }
    assert (created.id, created.num_bill) == (5196, "5196")
    assert created.message == "Factura creada exitosamente"


def test_invoice_pay_posts_pagar_factura_with_every_field(smartisp, isp):
    smartisp.post(api("pagar_factura"), body=example("pagar_factura"))

    message = isp.invoice_pay(
        invoice_id=0,
        amount=Decimal("21.51"),
        id_pago="txn_123",
        way_to_pay="Sandbox",
        paid_on=date(2024, 3, 20),
        commentary="PAY-REF-1",
    )

    sent(smartisp, "POST", "pagar_factura")
    # A JSON number, as public client code that works against real installs sends it.
    assert json.loads(smartisp.calls[0].request.body, parse_float=Decimal) == {
        "invoice_id": 0,
        "amount": Decimal("21.51"),
        "id_pago": "txn_123",
        "way_to_pay": "Sandbox",
        "date": "03/20/2024",
        "commentary": "PAY-REF-1",
        "payByWallet": False,
    }
    assert message == "factura pagada"


def test_invoice_payment_delete_posts_to_the_invoice_id(smartisp, isp):
    smartisp.post(api("DeleteIvoicePay/5156"), body=example("DeleteIvoicePay"))

    message = isp.invoice_payment_delete(5156)

    sent(smartisp, "POST", "DeleteIvoicePay/5156")
    assert message == "Se a liminado la factura con ID 5156"


# -- tickets ----------------------------------------------------------------------------------


def test_tickets_list_sends_filters_and_returns_tickets(smartisp, isp):
    smartisp.get(api("tickets"), body=example("tickets"))

    page = isp.tickets_list(
        client_id=652, status="new", page=1, per_page=25, date_from=date(2026, 5, 1)
    )

    request = sent(smartisp, "GET", "tickets")
    assert query(request) == {
        "client_id": ["652"],
        "status": ["new"],
        "page": ["1"],
        "per_page": ["25"],
        "date_from": ["2026-05-01"],
    }
    (ticket,) = page.items
    assert (ticket.id, ticket.subject, ticket.status) == (2491, "No internet connection", "new")
    assert ticket.client_id == 652
    assert ticket.agent_name == "Soporte Tecnico"
    assert ticket.cun == "2290"
    assert ticket.replies == 1
    assert ticket.created_at == datetime(2026, 5, 30, 13, 30, 50, tzinfo=UTC)
    assert page.pagination.last_page == 86


def test_tickets_meta_returns_the_catalogue(smartisp, isp):
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))

    meta = isp.tickets_meta()

    sent(smartisp, "GET", "tickets/meta")
    assert meta.statuses[0] == "new" and "resolved" in meta.statuses
    assert meta.types == ("question", "incident", "problem", "feature_request", "lead")
    assert meta.priorities == ("low", "medium", "high", "urgent")


def test_ticket_get_returns_the_conversation(smartisp, isp):
    smartisp.get(api("tickets/2491"), body=example("ticket"))

    ticket = isp.ticket_get(2491)

    sent(smartisp, "GET", "tickets/2491")
    assert ticket.id == 2491
    assert ticket.client_name == "Juan Perez Gonzalez"
    (answer,) = ticket.answers
    assert answer.id == 4891
    assert answer.author == "tecnico"
    assert answer.message == "Customer reports the connection drops every few minutes."
    # The reference's answer and its ticket are the same moment: zone-less times are UTC.
    assert answer.created_at == datetime(2026, 5, 30, 13, 30, 50, tzinfo=UTC)
    assert answer.created_at == ticket.created_at
    assert ticket.replies == 1


def test_ticket_create_posts_the_ticket_and_its_author(smartisp, isp):
    smartisp.post(api("tickets"), body=example("ticket-create"))

    created = isp.ticket_create(
        client_id=652,
        subject="No internet connection",
        message="The service is down since this morning",
        type="incident",
        priority="high",
        author="Juan Perez Gonzalez",
    )

    sent(smartisp, "POST", "tickets")
    assert json_body(smartisp.calls[0]) == {
        "client_id": 652,
        "subject": "No internet connection",
        "message": "The service is down since this morning",
        "type": "incident",
        "priority": "high",
        "author": "Juan Perez Gonzalez",
    }
    assert (created.id, created.cun, created.status, created.client_id) == (
        2492,
        "2291",
        "new",
        652,
    )


def test_ticket_reply_posts_from_client_with_the_author(smartisp, isp):
    smartisp.post(api("tickets/2491/reply"), body=example("ticket-reply"))

    message = isp.ticket_reply(2491, message="Still down", author="Juan Perez Gonzalez")

    sent(smartisp, "POST", "tickets/2491/reply")
    assert json_body(smartisp.calls[0]) == {
        "message": "Still down",
        "from": "client",
        "author": "Juan Perez Gonzalez",
    }
    assert message == "Respuesta agregada"


def test_ticket_update_patches_only_the_fields_given(smartisp, isp):
    smartisp.patch(api("tickets/2492"), body=example("ticket-update"))

    message = isp.ticket_update(2492, status="resolved")

    sent(smartisp, "PATCH", "tickets/2492")
    assert json_body(smartisp.calls[0]) == {"status": "resolved"}
    assert message == "Ticket actualizado"


def test_ticket_update_without_fields_sends_nothing(smartisp, isp):
    with pytest.raises(ValueError):
        isp.ticket_update(2492)
    assert len(smartisp.calls) == 0
