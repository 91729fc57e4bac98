"""Kept pages (portal/pagecache.py): a second look at a page is not rendered again, and is never
another session's, never older than the SmartISP answers it shows, never missing a change."""

import re
import time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import MessageEncoder
from django.db import transaction
from django.test import Client

from billing.models import Payment, PaymentInvoice
from portal.smartisp import cache
from tests.billing.test_dashboard import mock_dashboard, tickets_body
from tests.conftest import PASSWORD, api, example, example_json

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'nonce="([^"]+)"')


@pytest.fixture
def invoices(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))
    return smartisp


def rendered(response) -> bool:
    """Whether the page was made by its templates (a kept page is not)."""
    return bool(response.templates)


class Clock:
    """time.time, moved by the test (the local-memory cache expires entries by it too)."""

    def __init__(self, monkeypatch) -> None:
        self.now = time.time()
        monkeypatch.setattr(time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_second_view_is_the_kept_page_with_new_csrf_token_and_nonce(subscriber, smartisp):
    mock_dashboard(smartisp)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(subscriber)
    first = browser.get("/", **EN)
    second = browser.get("/", **EN)
    assert rendered(first) and not rendered(second)
    one, two = first.content.decode(), second.content.decode()
    assert "Hello, Shiguango" in two and "$351.51" in two
    assert TOKEN.findall(one) and TOKEN.findall(two)
    assert set(TOKEN.findall(one)).isdisjoint(TOKEN.findall(two))
    assert NONCE.sub("", TOKEN.sub("", one)) == NONCE.sub("", TOKEN.sub("", two))
    # The nonce is new, and the one the policy allows.
    nonce = NONCE.search(two).group(1)
    assert nonce != NONCE.search(one).group(1)
    assert f"'nonce-{nonce}'" in second["Content-Security-Policy"]
    # A form of the kept page posts: its token is good.
    token = TOKEN.search(two).group(1)
    answer = browser.post("/i18n/setlang/", {"language": "es", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302


def test_kept_page_answers_a_browser_without_a_csrf_cookie_with_one(subscriber, smartisp):
    mock_dashboard(smartisp)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(subscriber)
    browser.get("/", **EN)
    browser.cookies.pop("csrftoken", None)
    response = browser.get("/", **EN)
    assert not rendered(response)
    assert response.cookies["csrftoken"].value
    token = TOKEN.search(response.content.decode()).group(1)
    answer = browser.post("/i18n/setlang/", {"language": "es", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302


def test_a_page_is_kept_for_its_own_session_only(subscriber, invoices):
    phone, laptop = Client(), Client()
    phone.force_login(subscriber)
    laptop.force_login(subscriber)
    assert rendered(phone.get("/billing/invoices/", **EN))
    assert rendered(laptop.get("/billing/invoices/", **EN))
    assert not rendered(phone.get("/billing/invoices/", **EN))
    # Signing out and in again is a new session: nothing kept for the old one is shown.
    phone.post("/accounts/logout/")
    phone.post("/accounts/login/", {"dni": subscriber.dni, "password": PASSWORD})
    assert rendered(phone.get("/billing/invoices/", **EN))


def test_another_subscriber_on_the_same_browser_sees_their_own_page(
    client, subscriber, other_subscriber, smartisp
):
    for status in (1, 3):
        theirs = example_json(f"InvoiceClientStatus{status}")
        for invoice in theirs["invoices"]:
            invoice.update(client_id=1057, num_bill=f"9{invoice['num_bill']}")
        smartisp.get(
            api(f"InvoiceClientStatus{status}/1"), body=example(f"InvoiceClientStatus{status}")
        )
        smartisp.get(api(f"InvoiceClientStatus{status}/1057"), json=theirs)
    client.force_login(subscriber)
    assert 'id="invoice-3112"' in client.get("/billing/invoices/", **EN).content.decode()
    client.post("/accounts/logout/")
    client.force_login(other_subscriber)
    page = client.get("/billing/invoices/", **EN).content.decode()
    assert 'id="invoice-93112"' in page and 'id="invoice-3112"' not in page


def pending_payment(subscriber, *, signals: bool = True) -> Payment:
    """A payment of invoice 4624 saved to the ledger, as another phone's pay button leaves it
    (`signals=False`: written the way another process's save looks from here)."""
    payment = Payment(
        user=subscriber, client_id=1, amount="21.51", gateway="sandbox", status="pending"
    )
    with transaction.atomic():
        if signals:
            payment.save()
        else:
            (payment,) = Payment.objects.bulk_create([payment])
        PaymentInvoice.objects.bulk_create(
            [
                PaymentInvoice(
                    payment=payment, position=0, client_id=1, invoice_id=4585,
                    num_bill="4624", amount="21.51",
                )
            ]
        )  # fmt: skip
    return payment


def test_a_payment_started_elsewhere_shows_on_the_next_view(
    subscriber_client, subscriber, invoices, settings
):
    settings.CACHE_SHARED = True  # Redis: every process hears of every save
    page = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()
    assert "/billing/invoices/4624/pay/" in page
    # The subscriber pays from their phone; the ledger changes, SmartISP's answer does not.
    pending_payment(subscriber)
    page = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()
    assert "You did not finish paying this invoice." in page
    assert "/billing/invoices/4624/pay/" not in page


def test_without_a_shared_cache_the_ledger_itself_is_asked(
    subscriber_client, subscriber, invoices, settings
):
    settings.CACHE_SHARED = False  # one cache per process: the worker's saves go unheard here
    assert rendered(subscriber_client.get("/billing/invoices/4624/", **EN))
    assert not rendered(subscriber_client.get("/billing/invoices/4624/", **EN))
    # Written the way another process's save looks from here: no signal in this process.
    pending_payment(subscriber, signals=False)
    page = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()
    assert "You did not finish paying this invoice." in page


def test_forgetting_the_subscriber_drops_their_kept_pages(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    assert "No internet connection" in subscriber_client.get("/", **EN).content.decode()
    smartisp.replace("GET", api("tickets"), json=tickets_body())
    assert "No internet connection" in subscriber_client.get("/", **EN).content.decode()
    cache.forget(1)  # a ticket of theirs changed
    page = subscriber_client.get("/", **EN).content.decode()
    assert "No internet connection" not in page


def test_a_kept_page_is_never_older_than_the_smartisp_answers_it_shows(
    subscriber_client, invoices, monkeypatch, settings
):
    settings.SMARTISP_CACHE_SECONDS = 60
    clock = Clock(monkeypatch)
    subscriber_client.get("/billing/invoices/", **EN)  # the invoice lists are fetched now
    clock.advance(50)
    assert rendered(subscriber_client.get("/billing/invoices/4624/", **EN))
    clock.advance(5)
    assert not rendered(subscriber_client.get("/billing/invoices/4624/", **EN))
    # SmartISP's answer changes; a minute after the lists were fetched the page shows it.
    changed = example_json("InvoiceClientStatus3")
    changed["invoices"][1]["total_pay"] = "99.99"
    invoices.replace("GET", api("InvoiceClientStatus3/1"), json=changed)
    clock.advance(6)
    page = subscriber_client.get("/billing/invoices/4624/", **EN).content.decode()
    assert "$99.99" in page


def test_a_page_with_a_fallback_is_not_kept(subscriber_client, smartisp):
    mock_dashboard(smartisp, tickets=False)
    smartisp.get(api("tickets"), status=500, body="Server Error")
    assert "We cannot load your tickets" in subscriber_client.get("/", **EN).content.decode()
    smartisp.replace(
        "GET",
        api("tickets"),
        json=tickets_body(
            {**example_json("tickets")["data"][0], "client_id": 1, "subject": "Router roto"}
        ),
    )
    page = subscriber_client.get("/", **EN).content.decode()
    assert "We cannot load your tickets" not in page and "Router roto" in page


def test_a_waiting_message_is_shown_once_and_never_kept(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    subscriber_client.get("/", **EN)
    session = subscriber_client.session
    session["_messages"] = MessageEncoder().encode([Message(constants.INFO, "Paid, thank you")])
    session.save()
    assert "Paid, thank you" in subscriber_client.get("/", **EN).content.decode()
    assert "Paid, thank you" not in subscriber_client.get("/", **EN).content.decode()


def test_a_new_name_shows_at_once(subscriber_client, subscriber, smartisp):
    mock_dashboard(smartisp)
    subscriber_client.get("/", **EN)
    kept = subscriber_client.get("/", **EN)
    assert not rendered(kept) and "Hello, Shiguango" in kept.content.decode()
    subscriber.name = "Esthela Shiguango"
    subscriber.save()
    assert "Hello, Esthela" in subscriber_client.get("/", **EN).content.decode()


def test_another_language_shows_at_once(subscriber_client, smartisp):
    mock_dashboard(smartisp)
    subscriber_client.get("/", **EN)
    assert "Hello, Shiguango" in subscriber_client.get("/", **EN).content.decode()
    assert (
        "Hola, Shiguango" in subscriber_client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )


def test_htmx_fragment_and_whole_page_are_kept_apart(subscriber_client, invoices):
    fragment = subscriber_client.get("/billing/invoices/?status=paid", HTTP_HX_REQUEST="true")
    whole = subscriber_client.get("/billing/invoices/?status=paid")
    again = subscriber_client.get("/billing/invoices/?status=paid", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    assert "<html" in whole.content.decode()
    assert again.content == fragment.content and not rendered(again)
    assert "HX-Request" in again["Vary"]
