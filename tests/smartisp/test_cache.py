"""The 60-second per-subscriber cache: fewer calls to SmartISP, never stale after a change."""

import pytest
import requests
from django.core.cache import cache as django_cache

from portal.smartisp import Unavailable, cache
from tests.conftest import api, example


def test_second_call_within_the_minute_makes_no_request(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))

    first = cache.unpaid_invoices(1)
    second = cache.unpaid_invoices(1)

    assert second == first
    assert len(smartisp.calls) == 1


def test_entries_expire_after_the_configured_seconds(smartisp, settings):
    settings.SMARTISP_CACHE_SECONDS = 0  # Django: 0 means "do not keep"
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))

    cache.unpaid_invoices(1)
    cache.unpaid_invoices(1)

    assert len(smartisp.calls) == 2


def test_forget_makes_the_next_call_fetch(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    cache.unpaid_invoices(1)
    cache.paid_invoices(1)

    cache.forget(1)
    cache.unpaid_invoices(1)
    cache.paid_invoices(1)

    assert len(smartisp.calls) == 4


def test_forget_leaves_other_subscribers_cached(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus3/1057"), body=example("InvoiceClientStatus3"))
    cache.unpaid_invoices(1)
    cache.unpaid_invoices(1057)

    cache.forget(1057)
    cache.unpaid_invoices(1)

    assert len(smartisp.calls) == 2


def test_forgotten_entries_stay_forgotten_when_the_generation_key_is_lost(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    cache.unpaid_invoices(1)
    cache.forget(1)
    # A full cache may evict the generation key; old entries must not come back.
    django_cache.delete("smartisp:gen:1")

    cache.unpaid_invoices(1)

    assert len(smartisp.calls) == 2


def test_errors_are_not_cached(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), status=500, json={})
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))

    with pytest.raises(Unavailable):
        cache.unpaid_invoices(1)
    invoices = cache.unpaid_invoices(1)

    assert [i.num_bill for i in invoices] == ["3112", "4624"]
    assert len(smartisp.calls) == 2


def test_timeouts_are_not_cached(smartisp):
    smartisp.get(api("tickets/meta"), body=requests.exceptions.ReadTimeout())
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))

    with pytest.raises(Unavailable):
        cache.ticket_meta()
    assert cache.ticket_meta().priorities[0] == "low"


def test_catalogues_survive_forget(smartisp):
    smartisp.get(api("tickets/meta"), body=example("tickets-meta"))
    smartisp.get(api("plans"), body=example("plans"))
    cache.ticket_meta()
    cache.plans()

    cache.forget(1)
    cache.ticket_meta()
    cache.plans()

    assert len(smartisp.calls) == 2


def test_services_keep_only_the_subscribers_own_client(smartisp):
    smartisp.get(api("clients"), body=example("clients"))

    assert cache.services(1, "0102030405") == ()
    assert [s.id for s in cache.services(1057, "0102030405")] == [1114]
    assert smartisp.calls[0].request.params["search"] == "0102030405"


def test_tickets_are_cached_per_status_and_page(smartisp):
    smartisp.get(api("tickets"), body=example("tickets"))

    cache.tickets(652)
    cache.tickets(652)
    cache.tickets(652, status="new")
    cache.tickets(652, page=2)

    assert len(smartisp.calls) == 3
    assert smartisp.calls[1].request.params == {
        "client_id": "652",
        "status": "new",
        "page": "1",
        "per_page": "25",
    }
