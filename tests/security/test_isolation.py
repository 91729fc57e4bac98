"""The isolation sweep: subscriber A asks for every URL that takes an id with subscriber B's
invoice, payment or ticket, and gets the same 404 as for an id that does not exist.

The URLs are read from the URL map, so a new page reached by id is swept as soon as it uses one
of portal/converters.py's converters; one with another kind of id fails here until it is added."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from billing.models import PaymentStatus
from tests.billing.payment_helpers import payment_make
from tests.conftest import api, example, example_json
from tests.transfers.helpers import report_make

OTHERS_INVOICE = "9871"  # client 1057's; not in client 1's lists
OTHERS_TICKET = 2491  # the reference's ticket example belongs to client 652
MISSING_TICKET = 9999
MISSING_INVOICE = "5555"
MISSING_REFERENCE = "aB3dE5gH7jK9mN1pQ3sT5v"

# Routes with ids that are not a subscriber's objects, checked elsewhere.
NOT_SWEPT = {
    "accounts/activate/<uidb64>/<token>/",  # a one-time link (tests/accounts/)
    "accounts/password-reset/<uidb64>/<token>/",
    "billing/webhooks/<gateway:gateway>/",  # gateways, not subscribers (test_webhooks.py)
    "billing/return/<gateway:gateway>/",
}
SWEPT_CONVERTERS = {"num_bill", "reference", "smartisp_id", "row_id"}


def routes() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("admin/"):
                    continue  # staff only, Django's own checks
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" in route:
                yield route

    return sorted(set(walk(get_resolver().url_patterns)))


def swept_routes() -> list[str]:
    return [r for r in routes() if r not in NOT_SWEPT]


def test_every_route_with_an_id_is_swept_or_said_why_not():
    for route in swept_routes():
        kinds = set(re.findall(r"<(\w+):\w+>", route))
        untyped = re.findall(r"<(\w+)>", route)
        assert not untyped and kinds <= SWEPT_CONVERTERS, (
            f"{route}: give its id a converter of portal/converters.py and sweep it here"
        )
    assert {
        "billing/invoices/<num_bill:num_bill>/",
        "support/tickets/<smartisp_id:ticket_id>/",
    } <= set(swept_routes())


def url_for(route: str, ids: dict[str, str]) -> str:
    return "/" + re.sub(r"<(\w+):\w+>", lambda m: ids[m.group(1)], route)


def shape(response, *ids: str) -> str:
    page = re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())
    for value in ids:
        page = page.replace(value, "<id>")
    return page


@pytest.fixture
def others(other_subscriber, smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(api(f"tickets/{OTHERS_TICKET}"), json=example_json("ticket"))
    smartisp.get(
        api(f"tickets/{MISSING_TICKET}"),
        status=404,
        json={"success": False, "message": "Ticket no encontrado"},
    )
    payment = payment_make(other_subscriber, PaymentStatus.SETTLED, num_bill=OTHERS_INVOICE)
    # A bank transfer report, with its receipt; an id no page shows by chance ("scale=1").
    report = report_make(other_subscriber, pk=424242)
    return {
        "num_bill": OTHERS_INVOICE,
        "reference": payment.reference,
        "smartisp_id": str(OTHERS_TICKET),
        "row_id": str(report.pk),
    }


MISSING = {
    "num_bill": MISSING_INVOICE,
    "reference": MISSING_REFERENCE,
    "smartisp_id": str(MISSING_TICKET),
    "row_id": "987654321",
}


@pytest.mark.parametrize("route", swept_routes())
@pytest.mark.parametrize("method", ["get", "post", "htmx"])
def test_another_subscribers_id_is_the_same_404_as_a_missing_one(
    subscriber_client, others, route, method
):
    def ask(url):
        if method == "htmx":
            return subscriber_client.get(url, HTTP_HX_REQUEST="true")
        return getattr(subscriber_client, method)(url)

    theirs = ask(url_for(route, others))
    missing = ask(url_for(route, MISSING))

    if theirs.status_code == missing.status_code == 405:
        pytest.skip(f"{route} does not take {method}")
    assert theirs.status_code == missing.status_code == 404, (theirs, missing)
    assert shape(theirs, *others.values()) == shape(missing, *MISSING.values())


def test_the_sweeps_own_counterparts_are_found(subscriber_client, subscriber, others, smartisp):
    """The sweep's 404s come from ownership, not from mocks that answer nothing."""
    own = payment_make(
        subscriber, PaymentStatus.SETTLED, transaction_id="txn_own", session_id="cs_own"
    )
    smartisp.get(
        api("tickets/2492"),
        json={
            **example_json("ticket"),
            "data": {**example_json("ticket")["data"], "id": 2492, "client_id": 1},
        },
    )

    assert subscriber_client.get("/billing/invoices/4624/").status_code == 200
    assert subscriber_client.get(f"/billing/payments/{own.reference}/").status_code == 200
    assert subscriber_client.get("/support/tickets/2492/").status_code == 200
