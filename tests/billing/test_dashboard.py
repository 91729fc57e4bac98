"""The dashboard: service state, what is owed and until when, the latest tickets (issue 5)."""

import copy
import json
import threading
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from portal.smartisp import cache
from tests.conftest import api, example_json

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def clients_body(*, status: str = "ac", online: str = "on") -> dict:
    """The reference's List Clients answer as a DNI search sees it: our client 1 (moved onto plan 1)
    and, because the search also matches names and phones, someone else's entry."""
    body = copy.deepcopy(example_json("clients"))
    ours = copy.deepcopy(body["data"][0])
    ours.update(id=1, name="Shiguango Esthela", dni="2100454590", subscriber_no="0001")
    ours["service"][0].update(
        client_id=1,
        plan_id=1,
        status=status,
        online=online,
        plan={"id": 1, "name": "Plan Hogar 50M"},
    )
    body["data"] = [body["data"][0], ours]
    return body


def unpaid_body(invoices: list[dict] | None = None) -> dict:
    body = copy.deepcopy(example_json("InvoiceClientStatus3"))
    if invoices is not None:
        body["invoices"] = invoices
    return body


def tickets_body(*tickets: dict) -> dict:
    body = copy.deepcopy(example_json("tickets"))
    body["data"] = list(tickets)
    return body


def ticket(ticket_id: int, subject: str, updated: str, client_id: int = 1) -> dict:
    item = copy.deepcopy(example_json("tickets")["data"][0])
    item.update(
        id=ticket_id,
        subject=subject,
        client_id=client_id,
        updated_at=updated,
        client={"id": client_id, "name": "x", "dni": "x"},
    )
    return item


def mock_dashboard(smartisp, *, clients=None, unpaid=None, tickets=None):
    smartisp.get(api("clients"), json=clients or clients_body())
    smartisp.get(api("InvoiceClientStatus3/1"), json=unpaid or unpaid_body())
    smartisp.get(api("plans"), json=example_json("plans"))
    if tickets is not False:
        smartisp.get(
            api("tickets"),
            json=tickets
            or tickets_body(ticket(2491, "No internet connection", "2026-05-30T13:30:50Z")),
        )


def called(smartisp, path: str) -> list:
    return [c for c in smartisp.calls if c.request.url.split("?")[0] == api(path)]


def test_dashboard_greets_the_subscriber_by_first_name(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", **EN).content.decode()
    assert "Hello, Shiguango" in page


def test_dashboard_shows_own_service_plan_speed_and_state(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", **EN).content.decode()
    assert "Plan Hogar 50M" in page
    assert "50 Mbps" in page  # from the plan catalogue: the client list names the plan only
    assert "Active" in page
    assert "Online" in page
    # The DNI search also matched client 1057: their service is not ours.
    assert "Plan Hogar 150M" not in page
    search = called(smartisp, "clients")[0].request
    assert "search=2100454590" in search.url


def test_dashboard_says_when_a_service_is_suspended_and_offline(subscriber_client, smartisp):
    mock_dashboard(smartisp, clients=clients_body(status="de", online="off"))
    page = subscriber_client.get("/", **EN).content.decode()
    assert "Suspended" in page
    assert "Offline" in page
    assert "Your service is suspended" in page


def test_total_due_sums_every_unpaid_invoice(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", **EN).content.decode()
    assert "Total due" in page
    assert "$351.51" in page  # 330.00 + 21.51


def test_next_invoice_is_the_unpaid_one_that_falls_due_first(subscriber_client, smartisp):
    # SmartISP lists 4624 (due 31 Oct 2024) before 3112 (due 21 Mar 2024): order must not matter.
    invoices = unpaid_body()["invoices"][::-1]
    mock_dashboard(smartisp, unpaid=unpaid_body(invoices))
    page = subscriber_client.get("/", **EN).content.decode()
    assert "Next to pay: invoice 3112, $330.00" in page
    assert "Due 21 Mar 2024" in page
    assert "Overdue" in page
    assert 'href="/billing/invoices/3112/"' in page


def test_the_total_due_has_its_own_pay_button_for_everything_owed(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", **EN).content.decode()
    form = page[page.index('<form class="pay-form pay-all-form"') :]
    form = form[: form.index("</form>")]
    assert 'action="/billing/pay/"' in form and 'method="post"' in form
    assert "csrfmiddlewaretoken" in form
    # Named, not left out: none named would mean every unpaid invoice when the form is sent.
    assert '<input type="hidden" name="invoices" value="3112">' in form
    assert '<input type="hidden" name="invoices" value="4624">' in form
    assert "Pay everything: $351.51" in form
    assert "/billing/invoices/3112/pay/" not in page and "/billing/invoices/4624/pay/" not in page


def test_with_one_unpaid_invoice_its_own_pay_button_pays_the_total(subscriber_client, smartisp):
    body = unpaid_body()
    body["invoices"] = [i for i in body["invoices"] if i["num_bill"] == "3112"]
    mock_dashboard(smartisp, unpaid=body)
    page = subscriber_client.get("/", **EN).content.decode()
    assert 'action="/billing/invoices/3112/pay/"' in page
    assert "Pay $330.00" in page
    assert "/billing/pay/" not in page


def test_pay_button_comes_before_services_and_tickets(subscriber_client, smartisp):
    """Above the fold on a phone: the Pay button is the first thing after the greeting."""
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", **EN).content.decode()
    pay = page.index('action="/billing/pay/"')
    assert pay < page.index("services-heading") < page.index("tickets-heading")


def test_dashboard_in_spanish_writes_amounts_with_a_decimal_comma(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "$351,51" in page
    assert "$330,00" in page
    assert "21 mar. 2024" in page


def test_past_cut_off_date_is_shown(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    page = subscriber_client.get("/", **EN).content.decode()
    # The earliest cortado_date among unpaid invoices: 4624's 16 Oct 2024.
    assert "Cut-off date: 16 Oct 2024" in page
    assert "cut off at any time" in page


def test_cut_off_within_a_week_is_shown(subscriber_client, smartisp):
    soon = timezone.localdate() + timedelta(days=3)
    invoice = unpaid_body()["invoices"][1]
    invoice.update(expiration_date=soon.isoformat(), cortado_date=soon.isoformat())
    mock_dashboard(smartisp, unpaid=unpaid_body([invoice]))
    page = subscriber_client.get("/", **EN).content.decode()
    assert f"Cut-off date: {soon.day} {soon:%b} {soon.year}" in page
    assert "Pay before then" in page
    assert "Overdue" not in page


def test_cut_off_far_away_is_not_a_warning(subscriber_client, smartisp):
    later = timezone.localdate() + timedelta(days=30)
    invoice = unpaid_body()["invoices"][1]
    invoice.update(expiration_date=later.isoformat(), cortado_date=later.isoformat())
    mock_dashboard(smartisp, unpaid=unpaid_body([invoice]))
    page = subscriber_client.get("/", **EN).content.decode()
    assert "Cut-off date" not in page
    assert "Pay $21.51" in page


def test_all_paid_says_so_plainly(subscriber_client, smartisp):
    mock_dashboard(smartisp, unpaid=unpaid_body([]))
    page = subscriber_client.get("/", **EN).content.decode()
    assert "You are all paid up" in page
    assert "/pay/" not in page
    assert "Total due" not in page
    assert "Cut-off date" not in page


def test_latest_three_own_tickets_link_to_their_pages(subscriber_client, smartisp):
    tickets = tickets_body(
        ticket(11, "Slow at night", "2026-05-01T10:00:00Z"),
        ticket(12, "Router blinking", "2026-05-03T10:00:00Z"),
        ticket(13, "Change of plan", "2026-05-02T10:00:00Z"),
        ticket(14, "Old question", "2026-01-01T10:00:00Z"),
        ticket(99, "Somebody else's", "2026-06-01T10:00:00Z", client_id=652),
    )
    mock_dashboard(smartisp, tickets=tickets)
    page = subscriber_client.get("/", **EN).content.decode()
    assert (
        page.index("Router blinking") < page.index("Change of plan") < page.index("Slow at night")
    )
    assert 'href="/support/tickets/12/"' in page
    assert "Old question" not in page
    assert "Somebody else" not in page
    assert "client_id=1" in called(smartisp, "tickets")[0].request.url


def test_tickets_down_still_renders_the_page_with_a_notice(subscriber_client, smartisp):
    mock_dashboard(smartisp, tickets=False)
    smartisp.get(api("tickets"), status=500, body="Server Error")
    response = subscriber_client.get("/", **EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert "We cannot load your tickets right now" in page
    assert "$351.51" in page


@pytest.mark.parametrize(
    "failure",
    [{"status": 500, "body": "Server Error"}, {"body": requests.exceptions.ReadTimeout()}],
    ids=["http-500", "timeout"],
)
def test_billing_down_gives_the_503_page_with_a_retry(subscriber_client, smartisp, failure):
    smartisp.get(api("clients"), json=clients_body())
    smartisp.get(api("InvoiceClientStatus3/1"), **failure)
    smartisp.get(api("plans"), json=example_json("plans"))
    smartisp.get(api("tickets"), json=tickets_body())
    response = subscriber_client.get("/", **EN)
    page = response.content.decode()
    assert response.status_code == 503
    assert "We cannot reach the billing system right now" in page
    assert 'href="/"' in page and "Try again" in page
    assert "Traceback" not in page
    assert "test-key" not in page


def test_dashboard_calls_smartisp_in_parallel_and_skips_paid_invoices(subscriber_client, smartisp):
    threads: list[str] = []

    def answer(body):
        def callback(request):
            threads.append(threading.current_thread().name)
            return 200, {"Content-Type": "application/json"}, json.dumps(body)

        return callback

    smartisp.add_callback("GET", api("clients"), callback=answer(clients_body()))
    smartisp.add_callback("GET", api("InvoiceClientStatus3/1"), callback=answer(unpaid_body()))
    smartisp.add_callback("GET", api("plans"), callback=answer(example_json("plans")))
    smartisp.add_callback("GET", api("tickets"), callback=answer(tickets_body()))
    assert subscriber_client.get("/").status_code == 200
    assert len(threads) == 4
    assert all(name.startswith("smartisp") for name in threads)
    assert not called(smartisp, "InvoiceClientStatus1/1")


def test_second_view_within_the_cache_time_makes_no_upstream_call(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    subscriber_client.get("/")
    calls = len(smartisp.calls)
    assert calls == 4
    assert subscriber_client.get("/").status_code == 200
    assert len(smartisp.calls) == calls


def test_forgetting_the_subscriber_makes_the_next_view_fetch_again(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    subscriber_client.get("/")
    calls = len(smartisp.calls)
    cache.forget(1)  # what the payments code does when a payment of theirs changes state
    subscriber_client.get("/")
    fresh = smartisp.calls[calls:]
    paths = {c.request.url.split("?")[0] for c in fresh}
    assert {api("clients"), api("InvoiceClientStatus3/1"), api("tickets")} <= paths
    # The plan catalogue is not the subscriber's data: it stays cached.
    assert api("plans") not in paths


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
