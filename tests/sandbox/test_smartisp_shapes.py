"""The sandbox's answer-shape switches (`shapes` in /_sandbox/faults), read by the portal's client
over HTTP as it would read a real install giving them (smartisp-field-notes.md)."""

from datetime import UTC

import pytest

from portal.sandbox import smartisp_server
from portal.smartisp import NotFound, SmartISPClient, Unauthorized, Unavailable

from .conftest import API_KEY

DEMO_DNI = "0102030405"  # client 101
NOBODY = 99999  # a client id with no invoices at all


@pytest.fixture
def isp(sandbox_smartisp) -> SmartISPClient:
    return SmartISPClient(
        base_url=sandbox_smartisp.api, api_key=API_KEY, timeout=3, retry_backoff=(0, 0)
    )


@pytest.mark.parametrize(
    ("shape", "status", "body_start"),
    [
        ("empty_invoices_null", 200, '{"invoices": null}'),
        ("empty_invoices_absent", 200, "{}"),
        ("empty_invoices_success_false", 200, '{"success": false'),
        ("empty_invoices_404_json", 404, '{"message"'),
        ("empty_invoices_404_html", 404, "<!DOCTYPE html>"),
    ],
)
def test_empty_invoice_list_shapes_read_as_no_invoices(
    sandbox_smartisp, isp, shape, status, body_start
):
    sandbox_smartisp.faults(shapes=[shape])

    raw = sandbox_smartisp.get(f"InvoiceClientStatus3/{NOBODY}")

    assert (raw.status_code, raw.text[: len(body_start)]) == (status, body_start)
    assert isp.invoices_unpaid(NOBODY) == [] and isp.invoices_paid(NOBODY) == []
    assert isp.invoices_unpaid(101)  # a list with invoices is untouched


@pytest.mark.parametrize(
    ("shape", "error", "status"),
    [
        ("unauthenticated_200", Unauthorized, 200),
        ("html_500", Unavailable, 500),
        ("html_503", Unavailable, 503),
        ("laravel_419", Unavailable, 419),
        ("laravel_429", Unavailable, 429),
    ],
)
def test_every_call_shapes(sandbox_smartisp, isp, shape, error, status):
    sandbox_smartisp.faults(shapes=[shape])

    with pytest.raises(error) as caught:
        isp.user_get(DEMO_DNI)

    assert caught.value.status == status
    if shape == "laravel_429":
        assert caught.value.retry_after == smartisp_server.RETRY_AFTER_SECONDS


def test_missing_optional_endpoints_are_json_404s(sandbox_smartisp, isp):
    sandbox_smartisp.faults(shapes=["no_clients_search", "no_tickets_meta"])

    for call in (lambda: isp.clients_list(search=DEMO_DNI), isp.tickets_meta):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.status == 404
    assert isp.plans_list()  # the rest still answers


def test_zoneless_ticket_times_are_the_same_moments(sandbox_smartisp, isp):
    before = isp.ticket_get(isp.tickets_list(client_id=101).items[0].id)
    sandbox_smartisp.faults(shapes=["zoneless_times"])

    raw = sandbox_smartisp.get(f"tickets/{before.id}").json()["data"]["created_at"]
    after = isp.ticket_get(before.id)

    assert "Z" not in raw and "T" not in raw
    assert after.created_at == before.created_at
    assert after.created_at.utcoffset() == UTC.utcoffset(None)


def test_client_records_with_a_password_never_reach_the_portals_records(sandbox_smartisp, isp):
    sandbox_smartisp.faults(shapes=["client_password"])

    raw = sandbox_smartisp.get(f"get-user/{DEMO_DNI}").json()["user"]
    record = isp.user_get(DEMO_DNI)
    unpaid = isp.invoices_unpaid(101)

    assert raw["password"] and raw["custom_token_nuvai"]
    assert raw["password"] not in repr(record) + repr(unpaid)
    assert raw["custom_token_nuvai"] not in repr(record) + repr(unpaid)


def test_unknown_shapes_are_refused(sandbox_smartisp):
    response = sandbox_smartisp.http.post(
        sandbox_smartisp.root + "/_sandbox/faults", json={"shapes": ["bogus"]}, timeout=5
    )

    assert response.status_code == 400
