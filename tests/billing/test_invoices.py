"""Invoice lists and the printable invoice: own invoices only, cached, 503 when SmartISP is down."""

import copy
import re
from datetime import date

import pytest
import requests

from portal.smartisp import cache
from tests.conftest import api, example, example_json

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def invoices(smartisp):
    """Client 1's unpaid and paid lists, as the reference's examples show them."""
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    return smartisp


@pytest.fixture
def user_record(smartisp):
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))
    return smartisp


def card(page: str, num_bill: str) -> str:
    """The text of one invoice's card in the list, tags stripped."""
    start = page.index(f'id="invoice-{num_bill}"')
    end = page.index("</article>", start)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start:end]))


def text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# -- the lists -----------------------------------------------------------------------------------


def test_unpaid_tab_is_the_default_and_lists_newest_first(subscriber_client, invoices):
    response = subscriber_client.get("/billing/invoices/", **EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index('id="invoice-4624"') < page.index('id="invoice-3112"')
    assert 'aria-current="page">Unpaid (2)' in page
    assert "Paid (6)" in page


def test_unpaid_invoice_shows_period_dates_cost_iva_and_total(subscriber_client, invoices):
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    row = card(page, "4624")
    assert "Period 1 Oct 2024 – 31 Oct 2024" in row
    assert "Issued 1 Oct 2024" in row
    assert "Due 31 Oct 2024" in row
    assert "Cost $18.70" in row
    assert "IVA (15 %) $2.81" in row
    assert "Total $21.51" in row
    assert "Overdue" in row  # due 31 Oct 2024: unpaid and past due
    assert 'href="/billing/invoices/4624/"' in page


def test_invoice_with_id_0_and_spanish_status_is_listed_as_unpaid(subscriber_client, invoices):
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    row = card(page, "3112")  # id 0, status "No pagado" in SmartISP's answer
    assert "Overdue" in row
    assert "Total $330.00" in row
    assert "IVA (0 %) $0.00" in row
    assert "Period 21 Mar 2024 – 21 Apr 2024" in row


def test_paid_tab_lists_newest_first_with_payment_dates(subscriber_client, invoices):
    page = subscriber_client.get("/billing/invoices/?status=paid", **EN).content.decode()
    bills = ("3751", "3021", "2286", "1549", "774", "2")
    order = [page.index(f'href="/billing/invoices/{n}/"') for n in bills]
    assert order == sorted(order)
    assert 'aria-current="page">Paid (6)' in page
    assert "Paid on 18 Sep 2024" in row(page, "3751")  # "Paid on" for screen readers
    assert "Paid on 23 Apr 2024" in row(page, "2")
    assert "/billing/invoices/4624/" not in page


def row(page: str, num_bill: str) -> str:
    """The text of one line of the paid history, tags stripped."""
    start = page.index(f'href="/billing/invoices/{num_bill}/"')
    return text(page[start : page.index("</a>", start)])


def test_paid_history_is_one_line_per_invoice_grouped_by_year(subscriber_client, smartisp):
    body = example_json("InvoiceClientStatus1")
    template = body["invoices"][0]
    body["invoices"] = [
        {
            **template,
            "id": n,
            "num_bill": str(5000 + n),
            "release_date": f"{2026 - n // 12}-0{1 + n % 9}-01",
        }
        for n in range(20)
    ]
    smartisp.get(api("InvoiceClientStatus3/1"), json={"invoices": []})
    smartisp.get(api("InvoiceClientStatus1/1"), json=body)

    first = subscriber_client.get("/billing/invoices/?status=paid", **EN).content.decode()
    every = subscriber_client.get("/billing/invoices/?status=paid&show=all", **EN).content.decode()

    assert first.count('class="history-row"') == 12 and every.count('class="history-row"') == 20
    assert "<article" not in first  # lines, not cards
    assert '<h2 class="history-year" id="paid-2026">2026</h2>' in first
    assert '<h2 class="history-year" id="paid-2025">2025</h2>' in every
    assert first.index("paid-2026") < first.index("/billing/invoices/5000/")
    assert 'href="/billing/invoices/?status=paid&amp;show=all#paid-history"' in first
    assert "Show all 20 paid invoices" in first and "Show all" not in every


def test_unknown_tab_falls_back_to_unpaid(subscriber_client, invoices):
    page = subscriber_client.get("/billing/invoices/?status=<script>", **EN).content.decode()
    assert 'id="invoice-3112"' in page
    assert "<script>" not in page.split("<main", 1)[1]


def test_tabs_are_plain_links_that_htmx_enhances(subscriber_client, invoices):
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    assert 'href="/billing/invoices/?status=paid"' in page
    assert 'hx-get="/billing/invoices/?status=paid"' in page
    assert 'hx-target="#invoice-tabs"' in page
    assert 'hx-push-url="true"' in page


def test_htmx_tab_request_returns_only_the_list_fragment(subscriber_client, invoices):
    response = subscriber_client.get("/billing/invoices/?status=paid", **EN, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="invoice-tabs"')
    assert "<html" not in page
    assert "<h1" not in page
    assert "Paid on</span> 18 Sep 2024" in page
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(subscriber_client, invoices):
    headers = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    page = subscriber_client.get("/billing/invoices/?status=paid", **headers).content.decode()
    assert "<html" in page


def test_all_paid_list_says_so(subscriber_client, smartisp):
    smartisp.get(
        api("InvoiceClientStatus3/1"), json={"invoices": [], "numero_de_factura_no_pagadas": 0}
    )
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    assert "You have no unpaid invoices: everything is paid." in page


def test_list_in_spanish_and_english_formats_money_per_language(subscriber_client, invoices):
    english = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    assert "$21.51" in english and "$21,51" not in english
    subscriber_client.cookies["django_language"] = "es"
    spanish = subscriber_client.get("/billing/invoices/").content.decode()
    assert 'lang="es"' in spanish
    assert "$21,51" in spanish and "$21.51" not in spanish
    assert "$330,00" in spanish


# -- one invoice ---------------------------------------------------------------------------------


def test_invoice_page_shows_provider_subscriber_service_and_amounts(
    subscriber_client, invoices, user_record, settings
):
    settings.PORTAL_NAME = "Red Andina"
    response = subscriber_client.get("/billing/invoices/4624/", **EN)
    page = text(response.content.decode())
    assert response.status_code == 200
    assert "Red Andina" in page
    assert "Invoice 4624" in page
    assert "Name Shiguango Esthela" in page
    assert "Cédula 2100454590" in page
    assert "Subscriber no. 0001" in page
    assert "Plan Plan Hogar 50M · 50 Mbps" in page
    assert "Period 1 Oct 2024 – 31 Oct 2024" in page
    assert "Issued 1 Oct 2024" in page
    assert "Due 31 Oct 2024" in page
    assert "Cut-off date 16 Oct 2024" in page
    assert "Cost $18.70" in page
    assert "IVA (15 %) $2.81" in page
    assert "Total $21.51" in page
    assert "Overdue" in page


def test_unpaid_invoice_has_a_pay_button_posting_to_pay(subscriber_client, invoices, user_record):
    page = subscriber_client.get("/billing/invoices/3112/", **EN).content.decode()
    assert '<form class="pay-form" method="post" action="/billing/invoices/3112/pay/">' in page
    assert "csrfmiddlewaretoken" in page
    assert "Pay $330.00" in page


def test_invoice_id_0_in_spanish_shows_its_total_with_a_comma(
    subscriber_client, invoices, user_record
):
    page = subscriber_client.get("/billing/invoices/3112/", HTTP_ACCEPT_LANGUAGE="es").content
    page = text(page.decode())
    assert "$330,00" in page
    # Its own cortado_date is 27 Oct, but 4624 (also unpaid) cuts the service on 16 Oct: the
    # page says the day the service can be cut, the same day the dashboard says.
    assert "Fecha de corte 16 oct. 2024" in page
    assert "27 Oct 2024" not in page
    assert "21 mar. 2024 – 21 abr. 2024" in page  # the month in Spanish


def test_paid_invoice_shows_payment_date_and_no_pay_button(
    subscriber_client, invoices, user_record
):
    page = subscriber_client.get("/billing/invoices/2/", **EN).content.decode()
    assert "Paid on 23 Apr 2024" in text(page)
    assert "/pay/" not in page
    assert "Unpaid" not in page


def test_invoice_page_offers_print_only_with_javascript(subscriber_client, invoices, user_record):
    page = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()
    assert re.search(r'<button type="button" class="[^"]*" data-print hidden>Print</button>', page)
    assert re.search(r'<script src="/static/js/print\.js" defer></script>', page)
    assert "onclick" not in page
    assert "javascript:" not in page


def test_invoice_page_without_subscriber_record_still_renders(
    subscriber_client, invoices, smartisp
):
    smartisp.get(api("get-user/2100454590"), status=500, body="oops")
    response = subscriber_client.get("/billing/invoices/4624/", **EN)
    assert response.status_code == 200
    assert "Subscriber no." not in response.content.decode()


def test_invoice_pages_in_english_and_spanish_format_money_per_language(
    subscriber_client, invoices, user_record
):
    english = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()
    spanish = subscriber_client.get(
        "/billing/invoices/4624/", HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "$21.51" in english
    assert "$21,51" in spanish
    assert "$21.51" not in spanish


# -- ownership -----------------------------------------------------------------------------------


def assert_not_found(response):
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_unknown_invoice_is_404(subscriber_client, invoices, user_record):
    assert_not_found(subscriber_client.get("/billing/invoices/99999/", **EN))


def test_another_subscribers_invoice_is_the_same_404(client, other_subscriber, smartisp):
    client.force_login(other_subscriber)
    smartisp.get(api("InvoiceClientStatus3/1057"), json={"invoices": []})
    smartisp.get(api("InvoiceClientStatus1/1057"), json={"invoices": []})
    smartisp.get(api("get-user/0102030405"), body=example("get-user"))
    # 4624 is client 1's: SmartISP would answer getInvoiceCliente/4624, but the portal never asks.
    assert_not_found(client.get("/billing/invoices/4624/", **EN))
    assert not [c for c in smartisp.calls if "getInvoiceCliente" in c.request.url]


def test_invoice_listed_under_another_client_id_is_404_and_not_listed(
    client, other_subscriber, smartisp
):
    """SmartISP answers client 1057's list with client 1's invoices: they are still not 1057's."""
    client.force_login(other_subscriber)
    smartisp.get(api("InvoiceClientStatus3/1057"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1057"), body=example("InvoiceClientStatus1"))
    smartisp.get(api("get-user/0102030405"), body=example("get-user"))
    assert_not_found(client.get("/billing/invoices/4624/", **EN))
    assert_not_found(client.get("/billing/invoices/2/", **EN))
    page = client.get("/billing/invoices/", **EN).content.decode()
    assert 'id="invoice-4624"' not in page
    assert "$330.00" not in page


def test_invoices_need_sign_in(client, db):
    for path in ("/billing/invoices/", "/billing/invoices/4624/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# -- SmartISP down -------------------------------------------------------------------------------

FAILURES = pytest.mark.parametrize(
    "failure",
    [{"status": 500, "body": "Server Error"}, {"body": requests.exceptions.ReadTimeout()}],
    ids=["http-500", "timeout"],
)


@FAILURES
def test_list_with_smartisp_down_is_the_503_page_with_a_retry(subscriber_client, smartisp, failure):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), **failure)
    response = subscriber_client.get("/billing/invoices/?status=paid", **EN)
    page = response.content.decode()
    assert response.status_code == 503
    assert "We cannot reach the billing system right now" in page
    assert 'href="/billing/invoices/?status=paid"' in page
    assert "Traceback" not in page
    assert "test-key" not in page


@FAILURES
def test_invoice_with_smartisp_down_is_the_503_page(subscriber_client, smartisp, failure):
    smartisp.get(api("InvoiceClientStatus3/1"), **failure)
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))
    response = subscriber_client.get("/billing/invoices/4624/", **EN)
    page = response.content.decode()
    assert response.status_code == 503
    assert 'href="/billing/invoices/4624/"' in page and "Try again" in page
    assert "Traceback" not in page


def test_htmx_tab_with_smartisp_down_gets_the_503_fragment(subscriber_client, smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), status=500, body="Server Error")
    smartisp.get(api("InvoiceClientStatus1/1"), status=500, body="Server Error")
    response = subscriber_client.get("/billing/invoices/?status=paid", **EN, **HTMX)
    page = response.content.decode()
    assert response.status_code == 503
    assert "<html" not in page
    assert "We cannot reach the billing system right now" in page
    assert response["HX-Reswap"] == "innerHTML"


# -- cache ---------------------------------------------------------------------------------------


def test_second_view_within_the_cache_time_makes_no_upstream_call(
    subscriber_client, invoices, user_record
):
    subscriber_client.get("/billing/invoices/")
    calls = len(invoices.calls)
    assert calls == 2
    subscriber_client.get("/billing/invoices/?status=paid")
    subscriber_client.get("/billing/invoices/4624/")
    # The invoice page needed only the subscriber record on top of the cached lists.
    assert len(invoices.calls) == calls + 1
    subscriber_client.get("/billing/invoices/2/")
    assert len(invoices.calls) == calls + 1


def test_payment_state_change_makes_the_next_view_fetch_again(subscriber_client, smartisp):
    unpaid = copy.deepcopy(example_json("InvoiceClientStatus3"))
    paid = copy.deepcopy(example_json("InvoiceClientStatus1"))
    smartisp.get(api("InvoiceClientStatus3/1"), json=unpaid)
    smartisp.get(api("InvoiceClientStatus1/1"), json=paid)
    assert "Unpaid (2)" in subscriber_client.get("/billing/invoices/", **EN).content.decode()

    # 4624 gets paid in SmartISP; until the portal forgets, the cached list is shown.
    settled = unpaid["invoices"].pop(1)
    settled.update(status="Pagada", paid_on="2024-10-20")
    paid["invoices"].append(settled)
    smartisp.replace("GET", api("InvoiceClientStatus3/1"), json=unpaid)
    smartisp.replace("GET", api("InvoiceClientStatus1/1"), json=paid)
    calls = len(smartisp.calls)
    assert "Unpaid (2)" in subscriber_client.get("/billing/invoices/", **EN).content.decode()
    assert len(smartisp.calls) == calls

    cache.forget(1)  # what payments call when a payment of theirs changes state
    page = subscriber_client.get("/billing/invoices/", **EN).content.decode()
    assert len(smartisp.calls) == calls + 2
    assert "Unpaid (1)" in page and "Paid (7)" in page
    assert 'id="invoice-4624"' not in page


# -- status labels: the same words on every page ------------------------------------------------


def test_an_unpaid_invoice_past_due_is_vencida_in_the_list_and_on_its_page(
    subscriber_client, invoices, user_record
):
    listing = subscriber_client.get("/billing/invoices/", HTTP_ACCEPT_LANGUAGE="es")
    sheet = subscriber_client.get("/billing/invoices/4624/", HTTP_ACCEPT_LANGUAGE="es")

    assert "$21,51 Vencida" in card(listing.content.decode(), "4624")
    assert '<span class="badge badge-bad">Vencida</span>' in listing.content.decode()
    assert '<span class="badge badge-bad">Vencida</span>' in sheet.content.decode()
    assert "Pendiente</span>" not in listing.content.decode()


def test_an_unpaid_invoice_not_yet_due_is_pendiente(subscriber_client, invoices, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2024, 3, 1))

    page = subscriber_client.get("/billing/invoices/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "$21,51 Pendiente" in card(page, "4624")
    assert '<span class="badge badge-warn">Pendiente</span>' in page
    assert "Vencida" not in page
