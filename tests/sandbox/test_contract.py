"""Contract tests: the portal's SmartISP client against the running sandbox, over real HTTP.

Every client method succeeds against the stand-in, and what one endpoint changes is visible
through the others (DESIGN.md section 6; issue 3)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from portal.smartisp import NotFound, Rejected, SmartISPClient, Unauthorized, Unavailable
from portal.smartisp.records import InvoiceStatus

from .conftest import API_KEY

DEMO_DNI = "0102030405"  # Juan Pérez González, client 101, several unpaid invoices
NO_EMAIL_DNI = "0401234567"


@pytest.fixture
def client(sandbox_smartisp) -> SmartISPClient:
    return SmartISPClient(base_url=sandbox_smartisp.api, api_key=API_KEY, timeout=3)


def test_catalogue_reads(client):
    plans = client.plans_list()
    routers = client.routers_list()
    meta = client.tickets_meta()

    assert plans and all(p.iva == Decimal("15.00") for p in plans)
    assert routers and all(r.name for r in routers)
    assert "resolved" in meta.statuses and "incident" in meta.types and "low" in meta.priorities


def test_get_user_keeps_the_leading_zero_and_knows_the_invoices(client):
    record = client.user_get("0102 030 405")

    assert record.client.id == 101
    assert record.client.dni == DEMO_DNI
    assert any(i.is_unpaid for i in record.invoices)


def test_unknown_dni_is_not_found_and_no_email_is_empty(client):
    with pytest.raises(NotFound):
        client.user_get("0999999999")
    assert client.user_get(NO_EMAIL_DNI).client.email == ""


def test_wrong_key_is_unauthorized(sandbox_smartisp):
    stranger = SmartISPClient(base_url=sandbox_smartisp.api, api_key="wrong", timeout=3)
    with pytest.raises(Unauthorized):
        stranger.plans_list()


def test_clients_search_finds_the_subscriber_with_services(client):
    page = client.clients_list(search=DEMO_DNI)

    assert [entry.client.id for entry in page.items] == [101]
    assert page.items[0].services and page.items[0].services[0].plan_name


def test_paying_moves_the_invoice_between_lists_and_deleting_the_payment_reverts_it(client):
    unpaid = client.invoices_unpaid(101)
    invoice = unpaid[0]
    assert client.invoice_get(invoice.num_bill).invoice.status is InvoiceStatus.UNPAID

    client.invoice_pay(
        invoice_id=invoice.id,
        amount=invoice.total_pay,
        id_pago="txn_contract_1",
        way_to_pay="Sandbox",
        paid_on=date(2026, 11, 26),
        commentary="portal-ref-1",
    )

    assert invoice.num_bill not in [i.num_bill for i in client.invoices_unpaid(101)]
    paid = {i.num_bill: i for i in client.invoices_paid(101)}
    assert paid[invoice.num_bill].paid_on == date(2026, 11, 26)
    assert client.invoice_get(invoice.num_bill).invoice.is_paid
    with pytest.raises(Rejected):  # already paid: SmartISP says no
        client.invoice_pay(
            invoice_id=invoice.id,
            amount=invoice.total_pay,
            id_pago="txn_contract_2",
            way_to_pay="Sandbox",
            paid_on=date(2026, 11, 26),
            commentary="portal-ref-2",
        )

    client.invoice_payment_delete(invoice.id)

    assert invoice.num_bill in [i.num_bill for i in client.invoices_unpaid(101)]


def test_invoice_id_zero_can_be_paid(client):
    zero = next(i for i in client.invoices_unpaid(101) if i.id == 0)

    client.invoice_pay(
        invoice_id=0,
        amount=zero.total_pay,
        id_pago="txn_zero",
        way_to_pay="Sandbox",
        paid_on=date(2026, 11, 26),
        commentary="portal-ref-zero",
    )

    assert client.invoice_get(zero.num_bill).invoice.is_paid


def test_new_client_service_and_invoice_are_visible_through_the_other_endpoints(client):
    plan = client.plans_list()[0]
    router = client.routers_list()[0]
    created = client.client_create(
        name="Contrato Prueba",
        phone="0990000001",
        email="contrato@example.com",
        dni="0712345678",
        billing_due_date=5,
        password="s3cret-pass",
    )
    service = client.service_create(
        "0712345678",
        router=router.id,
        plan=plan.id,
        date_in=date(2026, 11, 1),
        ip="172.16.99.9",
        user_hot="contrato",
        pass_hot="pw",
        mac="00:11:22:33:44:55",
    )
    invoice = client.invoice_create(
        created.id,
        items=[
            {
                "description": "Plan de prueba",
                "price": plan.cost,
                "iva": plan.iva,
                "period_from": date(2026, 11, 1),
                "period_to": date(2026, 11, 30),
            }
        ],
        invoice_date=date(2026, 11, 1),
        pay_date=date(2026, 11, 30),
        memo="contract test",
    )

    assert client.user_get("0712345678").client.id == created.id
    assert service.client_id == created.id
    unpaid = client.invoices_unpaid(created.id)
    assert [i.num_bill for i in unpaid] == [invoice.num_bill]
    # 18.70 + 15 % = 21.505, which SmartISP rounds half up: 21.51, as on its own invoices.
    expected = (plan.cost * Decimal("1.15")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert unpaid[0].total_pay == expected
    listed = client.clients_list(search="0712345678").items
    assert listed[0].services[0].id == service.id


def test_ticket_create_reply_update_round_trip(client):
    created = client.ticket_create(
        client_id=101,
        subject="Sin internet",
        message="Desde la mañana",
        type="incident",
        priority="high",
        author="Juan Pérez González",
    )
    client.ticket_reply(created.id, message="Ya reinicié el router", author="Juan Pérez González")
    client.ticket_update(created.id, status="resolved")

    ticket = client.ticket_get(created.id)
    assert ticket.status == "resolved"
    assert [a.author for a in ticket.answers] == ["Juan Pérez González"] * 2
    assert all(a.created_at is not None and a.created_at.tzinfo for a in ticket.answers)
    mine = client.tickets_list(client_id=101, status="resolved").items
    assert created.id in [t.id for t in mine]
    with pytest.raises(Rejected):
        client.ticket_create(client_id=101, subject="x" * 201, message="too long")


def test_missing_ticket_is_not_found(client):
    with pytest.raises(NotFound):
        client.ticket_get(999999)


@pytest.mark.parametrize("faults", [{"error_rate": 1.0}, {"mode": "maintenance"}])
def test_error_modes_are_unavailable(client, sandbox_smartisp, faults):
    sandbox_smartisp.faults(**faults)
    with pytest.raises(Unavailable):
        client.plans_list()


def test_timeout_mode_is_unavailable(sandbox_smartisp):
    sandbox_smartisp.faults(mode="timeout", timeout_seconds=3)
    impatient = SmartISPClient(base_url=sandbox_smartisp.api, api_key=API_KEY, timeout=0.5)
    with pytest.raises(Unavailable):
        impatient.tickets_meta()


def test_apply_then_timeout_applies_the_payment_though_the_client_sees_unavailable(
    sandbox_smartisp,
):
    impatient = SmartISPClient(base_url=sandbox_smartisp.api, api_key=API_KEY, timeout=0.5)
    invoice = impatient.invoices_unpaid(101)[0]
    sandbox_smartisp.faults(pay_mode="apply_then_timeout", timeout_seconds=3)

    with pytest.raises(Unavailable):
        impatient.invoice_pay(
            invoice_id=invoice.id,
            amount=invoice.total_pay,
            id_pago="txn_late",
            way_to_pay="Sandbox",
            paid_on=date(2026, 11, 26),
            commentary="portal-ref-late",
        )

    sandbox_smartisp.faults()
    assert impatient.invoice_get(invoice.num_bill).invoice.is_paid
