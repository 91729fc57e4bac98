"""The stand-in SmartISP server answers like the reference, quirks included, over real HTTP."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests

from portal.sandbox import smartisp_server
from tests.sandbox.conftest import TIMEOUT, http_session

MAIN_DNI = "0102030405"
MAIN_ID = 101

PLAN_KEYS = {
    "id", "name", "download", "upload", "num_clients", "cost", "iva", "burst_limit",
    "burst_threshold", "burst_time", "priority", "limitat", "aggregation", "title", "no_rules",
    "address_list_name",
}  # fmt: skip
INVOICE_KEYS = {
    "id", "num_bill", "period", "release_date", "expiration_date", "iva", "cost", "total_pay",
    "actual_total_pay", "status", "client_id", "service_id", "open", "created_at", "updated_at",
    "note", "memo", "xero_id", "paid_on", "start_date", "use_transactions", "billing_type",
    "recurring_invoice", "cortado_date", "csv_generated", "payment_id",
}  # fmt: skip
CLIENT_KEYS = {
    "id", "name", "email", "phone", "address", "coordinates", "photo", "dni", "dv",
    "custom_token_nuvai", "created_at", "updated_at", "balance", "odb_id", "onu_id", "port",
    "onusn", "zona_id", "merchant_registration", "adjustable_amount", "id_punto_emision",
    "wallet_balance", "map_marker_icon", "odb_geo_json", "odb_geo_json_styles", "subscriber_no",
    "electronic_invoice",
}  # fmt: skip
LEGAL_KEYS = {
    "type_document_identification_id", "type_organization_id", "municipality_id",
    "type_liability_id", "type_regime_id",
}  # fmt: skip
TICKET_KEYS = {
    "id", "subject", "section", "status", "type", "priority", "client_id", "user_id",
    "ticket_cun_number", "read_admin", "read_client", "created_at", "updated_at", "client", "user",
}  # fmt: skip
ODD_DATE = re.compile(r"^ [A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2}:\d{2}$")
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000000Z$")


def unpaid(sandbox_smartisp, client_id=MAIN_ID):
    response = sandbox_smartisp.get(f"InvoiceClientStatus3/{client_id}")
    assert response.status_code == 200
    return response.json()


def paid(sandbox_smartisp, client_id=MAIN_ID):
    response = sandbox_smartisp.get(f"InvoiceClientStatus1/{client_id}")
    assert response.status_code == 200
    return response.json()


def pay_body(invoice_id, **overrides):
    body = {
        "invoice_id": invoice_id,
        "amount": "21.51",
        "id_pago": "txn_abc123",
        "way_to_pay": "Sandbox",
        "date": "11/05/2026",
        "payByWallet": False,
        "commentary": "pay_ref_123",
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- authentication


def test_every_endpoint_needs_the_key(sandbox_smartisp):
    anonymous = http_session()
    for path in ("plans", f"get-user/{MAIN_DNI}", "tickets", "clients"):
        response = anonymous.get(sandbox_smartisp.api + path, timeout=TIMEOUT)
        assert response.status_code == 401
        assert response.json() == {"success": False, "message": "Unauthorized"}
    wrong = http_session(**{"X-Authorization": "not-the-key"})
    response = wrong.post(sandbox_smartisp.api + "pagar_factura", json=pay_body(0), timeout=TIMEOUT)
    assert response.status_code == 401
    assert unpaid(sandbox_smartisp)["numero_de_factura_no_pagadas"] == 3  # nothing was paid


def test_unknown_path_and_wrong_method(sandbox_smartisp):
    assert sandbox_smartisp.get("no-such-endpoint").status_code == 404
    response = sandbox_smartisp.get("pagar_factura")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# --------------------------------------------------------------------------- catalogue


def test_plans_and_routers(sandbox_smartisp):
    plans = sandbox_smartisp.get("plans").json()["plans"]
    assert [p["name"] for p in plans] == [
        "Plan Hogar 50M", "Plan Plus 60M", "Plan GOLD 80M", "Plan Premium 100M", "Plan VIP 120M",
    ]  # fmt: skip
    assert all(set(p) == PLAN_KEYS for p in plans)
    assert plans[0]["cost"] == "18.70"
    assert {p["iva"] for p in plans} == {"15.00"}
    routers = sandbox_smartisp.get("routers").json()["routers"]
    assert len(routers) == 3
    assert {"id", "name", "model", "ip", "location", "status", "port"} <= set(routers[0])
    assert routers[0]["created_at"].endswith(".000000Z")


# --------------------------------------------------------------------------- get-user


def test_get_user_shape(sandbox_smartisp):
    body = sandbox_smartisp.get(f"get-user/{MAIN_DNI}").json()
    assert set(body) == {"user", "invoices"}
    user = body["user"]
    assert set(user) == CLIENT_KEYS | LEGAL_KEYS
    assert user["dni"] == MAIN_DNI  # a string, leading zero kept
    assert user["name"] == "Juan Pérez González"
    assert user["email"] == "juan@example.com"
    assert user["id"] == MAIN_ID
    assert body["invoices"]["invoices_sunat"] == []
    invoices = body["invoices"]["invoices_smartISP"]
    assert all(set(i) == INVOICE_KEYS for i in invoices)
    assert {i["status"] for i in invoices} == {1, 3}  # integers here
    assert sum(1 for i in invoices if i["status"] == 3) == 3
    assert any(i["id"] == 0 for i in invoices)  # the quirk
    assert all(isinstance(i["num_bill"], str) for i in invoices)
    # Owed: the unpaid invoices' total, as a negative balance.
    owed = sum(Decimal(i["total_pay"]) for i in invoices if i["status"] == 3)
    assert Decimal(user["balance"]) == -owed


def test_demo_invoices_span_two_years_to_this_month(sandbox_smartisp):
    invoices = sandbox_smartisp.get(f"get-user/{MAIN_DNI}").json()["invoices"]["invoices_smartISP"]
    monthly = [i for i in invoices if i["service_id"] is not None]
    assert len(monthly) == 24
    this_month = date.today().replace(day=1).isoformat()
    assert max(i["release_date"] for i in monthly) == this_month
    for invoice in monthly:
        cost = Decimal(invoice["cost"])
        assert invoice["iva"] == "15.00"
        expected = (cost * Decimal("1.15")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(invoice["total_pay"]) == expected
        assert invoice["expiration_date"] == invoice["period"]
        assert invoice["expiration_date"][:7] == invoice["release_date"][:7]
        assert (invoice["paid_on"] is None) == (invoice["status"] == 3)
    assert monthly[0]["total_pay"] == "21.51"


def test_get_user_unknown_dni_is_http_200_with_success_false(sandbox_smartisp):
    for dni in ("9999999999", MAIN_DNI.lstrip("0")):
        response = sandbox_smartisp.get(f"get-user/{dni}")
        assert response.status_code == 200
        assert response.json() == {"success": False, "message": "Usuario no encontrado"}


def test_demo_subscribers(sandbox_smartisp):
    no_email = sandbox_smartisp.get("get-user/0401234567").json()["user"]
    assert no_email["email"] is None
    clients = sandbox_smartisp.get("clients", params={"per_page": 100}).json()["data"]
    assert len(clients) >= 6
    assert all(re.fullmatch(r"0\d{9}", c["dni"]) for c in clients)
    by_id = {c["id"]: c for c in clients}
    assert by_id[102]["balance"] == "0.00"  # fully paid
    assert [s["status"] for s in by_id[103]["service"]] == ["de"]  # suspended
    assert len({s["plan_id"] for s in by_id[104]["service"]}) == 2  # two services
    suspended = unpaid(sandbox_smartisp, 103)["invoices"]
    today = date.today().isoformat()
    assert any(i["cortado_date"] < today for i in suspended)


# --------------------------------------------------------------------------- invoices


def test_status_lists_shape(sandbox_smartisp):
    body = unpaid(sandbox_smartisp)
    assert set(body) == {"invoices", "numero_de_factura_no_pagadas"}
    assert body["numero_de_factura_no_pagadas"] == len(body["invoices"]) == 3
    first = body["invoices"][0]
    assert first["id"] == 0 and first["service"] is None
    for invoice in body["invoices"]:
        assert invoice["status"] == "No pagado"
        assert set(invoice) == INVOICE_KEYS | {"client", "service"}
        assert set(invoice["client"]) == CLIENT_KEYS
        assert invoice["client"]["dni"] == MAIN_DNI
    service = body["invoices"][1]["service"]
    assert service["plan"]["name"] == "Plan Hogar 50M"
    assert service["status"] == "ac"

    body = paid(sandbox_smartisp)
    assert set(body) == {"invoices", "numero_de_factura_pagadas"}
    assert body["numero_de_factura_pagadas"] == len(body["invoices"]) == 22
    assert {i["status"] for i in body["invoices"]} == {"Pagada"}

    assert unpaid(sandbox_smartisp, 424242) == {"invoices": [], "numero_de_factura_no_pagadas": 0}


def test_get_invoice_cliente(sandbox_smartisp):
    invoice = unpaid(sandbox_smartisp)["invoices"][-1]
    body = sandbox_smartisp.get(f"getInvoiceCliente/{invoice['num_bill']}").json()
    assert set(body) == {"estatus", "BillCustomer", "Client"}
    assert body["estatus"] == "No pagado"
    assert body["BillCustomer"]["status"] == "No pagado"
    assert body["BillCustomer"]["client_id"] == "Juan Pérez González"  # the name: the quirk
    assert body["BillCustomer"]["id"] == invoice["id"]
    assert body["Client"]["id"] == MAIN_ID
    assert sandbox_smartisp.get("getInvoiceCliente/999999").status_code == 404


def test_pagar_factura_moves_the_invoice_and_delete_reverts_it(sandbox_smartisp):
    invoice = unpaid(sandbox_smartisp)["invoices"][-1]
    response = sandbox_smartisp.post("pagar_factura", json=pay_body(invoice["id"]))
    assert response.status_code == 200
    assert response.json() == {"success": True, "mesnage": "factura pagada"}

    assert invoice["id"] not in [i["id"] for i in unpaid(sandbox_smartisp)["invoices"]]
    moved = next(i for i in paid(sandbox_smartisp)["invoices"] if i["id"] == invoice["id"])
    assert moved["status"] == "Pagada"
    assert moved["paid_on"] == "2026-11-05"
    assert moved["payment_id"] is not None

    again = sandbox_smartisp.post("pagar_factura", json=pay_body(invoice["id"])).json()
    assert again == {"success": False, "mesnage": "La factura ya esta pagada"}

    deleted = sandbox_smartisp.post(f"DeleteIvoicePay/{invoice['id']}").json()
    assert deleted == {
        "success": True,
        "mensage": f"Se a liminado la factura con ID {invoice['id']}",
    }
    back = next(i for i in unpaid(sandbox_smartisp)["invoices"] if i["id"] == invoice["id"])
    assert back["paid_on"] is None

    payments = sandbox_smartisp.control("/_sandbox/payments")
    assert payments["count"] == 3
    first, second, third = payments["payments"]
    assert first["endpoint"] == "pagar_factura" and first["success"] is True
    assert first["body"]["id_pago"] == "txn_abc123"
    assert first["body"]["commentary"] == "pay_ref_123"
    assert second["success"] is False
    assert third["endpoint"] == "DeleteIvoicePay" and third["invoice_id"] == str(invoice["id"])


def test_pagar_factura_pays_invoice_zero_from_a_form_body(sandbox_smartisp):
    response = sandbox_smartisp.post(
        "pagar_factura", data=pay_body(0, amount="46.00", payByWallet="false")
    )
    assert response.json() == {"success": True, "mesnage": "factura pagada"}
    zero = next(i for i in paid(sandbox_smartisp)["invoices"] if i["id"] == 0)
    assert zero["total_pay"] == "46.00"


def test_pagar_factura_rejections(sandbox_smartisp):
    missing = sandbox_smartisp.post("pagar_factura", json=pay_body(987654)).json()
    assert missing == {"success": False, "mesnage": "Factura no encontrada"}
    bad_date = sandbox_smartisp.post("pagar_factura", json=pay_body(0, date="2026-13-45"))
    assert bad_date.status_code == 422
    assert "date" in bad_date.json()["errors"]
    assert sandbox_smartisp.post("DeleteIvoicePay/0").json()["success"] is False  # not paid
    assert unpaid(sandbox_smartisp)["numero_de_factura_no_pagadas"] == 3


def test_create_invoice(sandbox_smartisp):
    response = sandbox_smartisp.post(
        f"CreateInvoice/{MAIN_ID}",
        json={
            "description": ["Reconexión", "Cable UTP"],
            "invoice_billing_type": "none",
            "invoice_date": "11/20/2026",
            "invoice_memo": "Cargo extra",
            "invoice_pay_date": "11/30/2026",
            "iva": ["15", "15"],
            "period_from": ["2026-11-20", "2026-11-20"],
            "period_to": ["2026-11-30", "2026-11-30"],
            "pos": ["1", "2"],
            "price": ["10", "5"],
            "quantity": ["1", "2"],
            "total": ["11.50", "11.50"],
            "unit": ["1", "1"],
        },
    )
    body = response.json()
    assert set(body) == {"success", "mesnage", "num_bill", "id_invoice"}
    assert body["success"] is True
    assert isinstance(body["num_bill"], int) and isinstance(body["id_invoice"], int)
    created = next(i for i in unpaid(sandbox_smartisp)["invoices"] if i["id"] == body["id_invoice"])
    assert created["num_bill"] == str(body["num_bill"])
    assert created["cost"] == "20.00" and created["total_pay"] == "23.00"
    assert created["release_date"] == "2026-11-20" and created["memo"] == "Cargo extra"
    assert sandbox_smartisp.post(f"CreateInvoice/{MAIN_ID}", json={}).status_code == 422


def test_create_client_and_service(sandbox_smartisp):
    response = sandbox_smartisp.post(
        "create-client",
        data={
            "name": "Nick Nuevo",
            "phone": "0990000001",
            "email": "nick@example.com",
            "dni": "0999888777",
            "billing_due_date": "5",
            "pass": "secreto",
        },
    )
    body = response.json()
    assert body["status"] is True and body["message"] == "Client successfully added"
    assert body["client"]["dni"] == 999888777  # a JSON number: the quirk
    client_id = body["client"]["id"]
    assert sandbox_smartisp.post("create-client", json={"name": "x"}).status_code == 422

    response = sandbox_smartisp.post(
        "create-service/0999888777",
        json={
            "router": 1,
            "plan": 2,
            "date_in": "18-10-2024",
            "ip": "172.16.30.1",
            "user_hot": "nick",
            "pass_hot": "clave",
            "mac": "00:00:00:00:00:01",
        },
    )
    body = response.json()
    assert body["status"] is True
    assert body["service"]["date_in"] == "2024-10-18"
    assert body["service"]["client"]["dni"] == "0999888777"
    assert body["service"]["client_id"] == client_id
    user = sandbox_smartisp.get("get-user/0999888777").json()["user"]
    assert user["id"] == client_id
    assert sandbox_smartisp.post("create-service/0000000000", json={}).status_code == 404


# --------------------------------------------------------------------------- clients list


def test_clients_pagination(sandbox_smartisp):
    body = sandbox_smartisp.get("clients", params={"per_page": 2}).json()
    assert body["success"] is True
    assert body["pagination"] == {
        "total": 7, "per_page": 2, "current_page": 1, "last_page": 4, "from": 1, "to": 2,
    }  # fmt: skip
    last = sandbox_smartisp.get("clients", params={"per_page": 2, "page": 4}).json()
    assert len(last["data"]) == 1 and last["pagination"]["from"] == 7
    beyond = sandbox_smartisp.get("clients", params={"per_page": 2, "page": 9}).json()
    assert beyond["data"] == [] and beyond["pagination"]["from"] is None
    assert sandbox_smartisp.get("clients").json()["pagination"]["per_page"] == 25
    assert (
        sandbox_smartisp.get("clients", params={"per_page": 500}).json()["pagination"]["per_page"]
        == 100
    )
    item = body["data"][0]
    assert set(item) == {
        "id", "name", "dni", "email", "phone", "address", "balance", "wallet_balance",
        "subscriber_no", "created_at", "service",
    }  # fmt: skip
    service = item["service"][0]
    assert set(service) == {
        "id", "client_id", "plan_id", "router_id", "status", "online", "ip", "service_type",
        "plan", "router",
    }  # fmt: skip
    assert set(service["plan"]) == {"id", "name"} and set(service["router"]) == {"id", "name"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "perez"}, [101]),  # accents and case ignored
        ({"search": "0102030405"}, [101]),
        ({"search": "maria.torres@"}, [102]),
        ({"search": "0998877665"}, [103]),
        ({"search": "1006"}, [106]),
        ({"status": "de"}, [103]),
        ({"status": "ac"}, [101, 102, 104, 105, 106, 107]),
        ({"plan": 1}, [101, 104, 105]),
        ({"router": 3}, [104, 105]),
        ({"partner_id": 2}, [104, 106, 107]),
        ({"status": "ac", "plan": 2}, [107]),
    ],
)
def test_clients_filters(sandbox_smartisp, params, expected):
    body = sandbox_smartisp.get("clients", params=params).json()
    assert [c["id"] for c in body["data"]] == expected
    assert body["pagination"]["total"] == len(expected)


# --------------------------------------------------------------------------- tickets


def test_tickets_meta(sandbox_smartisp):
    assert sandbox_smartisp.get("tickets/meta").json() == {
        "success": True,
        "data": {
            "status": [
                "new", "work_in_progress", "resolved", "waiting_on_customer", "waiting_on_agent",
            ],
            "type": ["question", "incident", "problem", "feature_request", "lead"],
            "priority": ["low", "medium", "high", "urgent"],
        },
    }  # fmt: skip


def test_tickets_list_shape_and_filters(sandbox_smartisp):
    body = sandbox_smartisp.get("tickets").json()
    assert body["success"] is True
    tickets = body["data"]
    assert body["pagination"]["total"] == len(tickets) == 9
    assert {t["status"] for t in tickets} == set(smartisp_server.TICKET_STATUSES)
    for ticket in tickets:
        assert set(ticket) == TICKET_KEYS | {"answers_count"}
        assert ISO_Z.match(ticket["created_at"])
        assert set(ticket["client"]) == {"id", "name", "dni"}
        assert set(ticket["user"]) == {"id", "name"}
        assert ticket["answers_count"] >= 1
    created = [t["created_at"] for t in tickets]
    assert created == sorted(created, reverse=True)  # newest first

    def ids(**params):
        return [t["id"] for t in sandbox_smartisp.get("tickets", params=params).json()["data"]]

    assert len(ids(client_id=MAIN_ID)) == 5
    assert len(ids(status="new")) == 2
    assert len(ids(status="resolved", client_id=MAIN_ID)) == 1
    assert len(ids(type="incident")) == 3
    assert len(ids(priority="urgent")) == 1
    assert len(ids(search="ROUTER")) == 1
    assert len(ids(search="facturacion")) == 3  # the section
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    assert len(ids(date_from=two_days_ago)) >= 1
    assert ids(date_to="2000-01-01") == []
    page = sandbox_smartisp.get("tickets", params={"per_page": 4, "page": 3}).json()
    assert len(page["data"]) == 1 and page["pagination"]["last_page"] == 3


def test_ticket_detail(sandbox_smartisp):
    ticket_id = sandbox_smartisp.get("tickets", params={"client_id": MAIN_ID}).json()["data"][0][
        "id"
    ]
    body = sandbox_smartisp.get(f"tickets/{ticket_id}").json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == TICKET_KEYS | {"answers"}
    assert data["client"]["dni"] == MAIN_DNI
    for answer in data["answers"]:
        assert set(answer) == {"id", "message", "user", "created_at"}
        assert ODD_DATE.match(answer["created_at"]), answer["created_at"]

    conversation = sandbox_smartisp.get("tickets/501").json()["data"]["answers"]
    assert [a["user"] for a in conversation] == ["Juan Pérez González", "Soporte Técnico"]


def test_unknown_ticket_is_404(sandbox_smartisp):
    assert sandbox_smartisp.get("tickets/999999").status_code == 404
    assert sandbox_smartisp.get("tickets/abc").status_code == 404
    assert (
        sandbox_smartisp.post("tickets/999999/reply", json={"message": "hola"}).status_code == 404
    )
    assert sandbox_smartisp.patch("tickets/999999", json={"status": "resolved"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "Hola", "message": "x"}, "client_id"),
        ({"client_id": 424242, "subject": "Hola", "message": "x"}, "client_id"),
        ({"client_id": MAIN_ID, "message": "x"}, "subject"),
        ({"client_id": MAIN_ID, "subject": "   ", "message": "x"}, "subject"),
        ({"client_id": MAIN_ID, "subject": "a" * 201, "message": "x"}, "subject"),
        ({"client_id": MAIN_ID, "subject": "Hola"}, "message"),
        ({"client_id": MAIN_ID, "subject": "Hola", "message": "x", "type": "rant"}, "type"),
        ({"client_id": MAIN_ID, "subject": "Hola", "message": "x", "priority": "now"}, "priority"),
        ({"client_id": MAIN_ID, "subject": "Hola", "message": "x", "status": "open"}, "status"),
    ],
)
def test_create_ticket_validation(sandbox_smartisp, body, field):
    response = sandbox_smartisp.post("tickets", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["success"] is False and payload["message"]
    assert field in payload["errors"]
    assert isinstance(payload["errors"][field], list)


def test_ticket_create_reply_and_update_persist(sandbox_smartisp):
    response = sandbox_smartisp.post(
        "tickets",
        data={  # form-encoded, like the reference's curl example
            "client_id": str(MAIN_ID),
            "subject": "No internet connection",
            "message": "The service is down since this morning",
            "type": "incident",
            "priority": "high",
            "author": "Juan Pérez González",
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["success"] is True and created["message"] == "Ticket creado"
    assert set(created["data"]) == {"id", "ticket_cun_number", "status", "client_id"}
    assert created["data"]["status"] == "new"
    ticket_id = created["data"]["id"]

    reply = sandbox_smartisp.post(
        f"tickets/{ticket_id}/reply",
        json={"message": "Sigo sin servicio", "from": "client", "author": "Juan Pérez González"},
    )
    assert reply.json() == {"success": True, "message": "Respuesta agregada"}
    assert (
        sandbox_smartisp.get(f"tickets/{ticket_id}").json()["data"]["status"] == "waiting_on_agent"
    )

    sandbox_smartisp.post(
        f"tickets/{ticket_id}/reply",
        data={"message": "A technician is on the way", "from": "support", "author": "Help Desk"},
    )
    data = sandbox_smartisp.get(f"tickets/{ticket_id}").json()["data"]
    assert data["status"] == "waiting_on_customer"
    assert [a["user"] for a in data["answers"]] == [
        "Juan Pérez González", "Juan Pérez González", "Help Desk",
    ]  # fmt: skip
    assert data["answers"][0]["message"] == "The service is down since this morning"
    # The answer's odd zone-less time and the ticket's ISO time are the same moment, in UTC, as
    # in the reference's example (SANDBOX_TIME_ZONE changes the answers' zone).
    local = datetime.strptime(data["answers"][0]["created_at"], " %b %d, %Y %H:%M:%S")
    created = datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%S.000000Z")
    assert local == created
    assert sandbox_smartisp.post(f"tickets/{ticket_id}/reply", json={}).status_code == 422
    assert (
        sandbox_smartisp.post(f"tickets/{ticket_id}/reply", json={"message": "x", "from": "bot"})
    ).status_code == 422

    updated = sandbox_smartisp.patch(f"tickets/{ticket_id}", json={"status": "resolved"}).json()
    assert updated == {
        "success": True,
        "message": "Ticket actualizado",
        "data": {"id": ticket_id, "status": "resolved", "priority": "high", "type": "incident"},
    }
    assert sandbox_smartisp.patch(f"tickets/{ticket_id}", json={}).status_code == 422
    assert (
        sandbox_smartisp.patch(f"tickets/{ticket_id}", json={"status": "closed"}).status_code == 422
    )
    assert (
        sandbox_smartisp.patch(f"tickets/{ticket_id}", data={"priority": "low"}).status_code == 200
    )

    listed = sandbox_smartisp.get(
        "tickets", params={"client_id": MAIN_ID, "status": "resolved"}
    ).json()
    mine = next(t for t in listed["data"] if t["id"] == ticket_id)
    assert mine["answers_count"] == 3 and mine["priority"] == "low"


# --------------------------------------------------------------------------- faults and control


def test_latency_is_added_per_call(sandbox_smartisp):
    assert sandbox_smartisp.faults(latency_ms=300)["latency_ms"] == 300
    assert sandbox_smartisp.control("/_sandbox/faults")["latency_ms"] == 300
    started = time.monotonic()
    assert sandbox_smartisp.get("plans").status_code == 200
    assert time.monotonic() - started >= 0.3
    sandbox_smartisp.faults()  # {} resets
    started = time.monotonic()
    sandbox_smartisp.get("plans")
    assert time.monotonic() - started < 0.3


def test_error_rate_one_answers_500_html(sandbox_smartisp):
    sandbox_smartisp.faults(error_rate=1.0)
    response = sandbox_smartisp.get(f"get-user/{MAIN_DNI}")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text


def test_maintenance_answers_an_html_page_with_200(sandbox_smartisp):
    sandbox_smartisp.faults(mode="maintenance")
    response = sandbox_smartisp.get("plans")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "mantenimiento" in response.text.lower()


def test_timeout_mode_times_out_a_client_without_blocking_others(sandbox_smartisp):
    sandbox_smartisp.faults(mode="timeout", timeout_seconds=3)
    outcome = {}

    def slow_call():
        try:
            sandbox_smartisp.http.get(sandbox_smartisp.api + "plans", timeout=1)
        except requests.exceptions.ReadTimeout:
            outcome["timed_out"] = True

    worker = threading.Thread(target=slow_call)
    started = time.monotonic()
    worker.start()
    time.sleep(0.2)
    other = http_session().get(sandbox_smartisp.root + "/_sandbox/health", timeout=1)  # not blocked
    assert other.json() == {"ok": True}
    worker.join(5)
    assert outcome.get("timed_out") is True
    assert time.monotonic() - started < 2.5


def test_apply_then_timeout_applies_the_payment(sandbox_smartisp):
    sandbox_smartisp.faults(pay_mode="apply_then_timeout", timeout_seconds=3)
    invoice = unpaid(sandbox_smartisp)["invoices"][-1]
    with pytest.raises(requests.exceptions.ReadTimeout):
        sandbox_smartisp.http.post(
            sandbox_smartisp.api + "pagar_factura", json=pay_body(invoice["id"]), timeout=1
        )
    assert invoice["id"] in [i["id"] for i in paid(sandbox_smartisp)["invoices"]]
    payments = sandbox_smartisp.control("/_sandbox/payments")["payments"]
    assert [p["success"] for p in payments] == [True]


def test_faults_control_rejects_nonsense(sandbox_smartisp):
    for bad in ({"mode": "explode"}, {"error_rate": 2}, {"pay_mode": "x"}, {"colour": "red"}):
        response = sandbox_smartisp.http.post(
            sandbox_smartisp.root + "/_sandbox/faults", json=bad, timeout=TIMEOUT
        )
        assert response.status_code == 400
    assert sandbox_smartisp.control("/_sandbox/faults") == smartisp_server.Faults().as_json()


def test_faults_from_environment():
    faults = smartisp_server.Faults.from_env(
        {
            "SANDBOX_LATENCY_MS": "250",
            "SANDBOX_ERROR_RATE": "0.1",
            "SANDBOX_FAULT": "maintenance",
            "SANDBOX_PAY_MODE": "apply_then_timeout",
            "SANDBOX_SHAPES": "empty_invoices_null, no_tickets_meta",
        }
    )
    assert faults.as_json() == {
        "latency_ms": 250,
        "error_rate": 0.1,
        "mode": "maintenance",
        "pay_mode": "apply_then_timeout",
        "timeout_seconds": 30.0,
        "shapes": ["empty_invoices_null", "no_tickets_meta"],
    }
    assert smartisp_server.Faults.from_env({}) == smartisp_server.Faults()
    with pytest.raises(ValueError):
        smartisp_server.Faults.from_env({"SANDBOX_FAULT": "bogus"})


def test_calls_are_recorded_per_path(sandbox_smartisp):
    sandbox_smartisp.http.post(sandbox_smartisp.root + "/_sandbox/calls/reset", timeout=TIMEOUT)
    sandbox_smartisp.get(f"get-user/{MAIN_DNI}")
    sandbox_smartisp.get(f"get-user/{MAIN_DNI}")
    sandbox_smartisp.get("plans")
    sandbox_smartisp.post("pagar_factura", json=pay_body(0))

    def count(**params):
        return sandbox_smartisp.control("/_sandbox/calls", params=params)["count"]

    assert count() == 4
    assert count(path=f"get-user/{MAIN_DNI}") == 2
    assert count(path=f"/api/SmartIPS-v1/get-user/{MAIN_DNI}") == 2
    assert count(path="get-user/*") == 2
    assert count(path="plans") == 1
    assert count(method="POST") == 1
    calls = sandbox_smartisp.control("/_sandbox/calls", params={"path": "pagar_factura"})["calls"]
    assert calls[0]["method"] == "POST" and calls[0]["body"]["invoice_id"] == 0
    sandbox_smartisp.http.post(sandbox_smartisp.root + "/_sandbox/calls/reset", timeout=TIMEOUT)
    assert count() == 0


def test_seed_is_idempotent(tmp_path):
    conn = smartisp_server.connect(tmp_path / "seed.sqlite3")
    try:
        assert smartisp_server.seed_demo_data(conn) is True
        invoices = conn.execute("SELECT COUNT(*) FROM invoices").fetchone()[0]
        assert smartisp_server.seed_demo_data(conn) is False
        assert conn.execute("SELECT COUNT(*) FROM invoices").fetchone()[0] == invoices
    finally:
        conn.close()
