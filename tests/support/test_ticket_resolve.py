"""/support/tickets/<id>/resolve/: PATCH status=resolved, only after the subscriber confirms."""

import pytest

from tests.conftest import api, example_json, json_body
from tests.support.conftest import OWN_TICKET_ID, calls_to, ticket_body

pytestmark = pytest.mark.django_db
URL = f"/support/tickets/{OWN_TICKET_ID}/resolve/"
TICKET = f"tickets/{OWN_TICKET_ID}"


@pytest.fixture
def patched(own_ticket, smartisp):
    smartisp.patch(api(TICKET), json=example_json("ticket-update"))
    return smartisp


def test_the_resolve_button_asks_for_confirmation_first(subscriber_client, patched):
    response = subscriber_client.post(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Mark as resolved?" in page
    assert '<input type="hidden" name="confirm" value="1">' in page
    assert f'action="{URL}"' in page
    assert calls_to(patched, "PATCH", TICKET) == []


def test_confirmed_resolve_patches_status_resolved(subscriber_client, patched):
    response = subscriber_client.post(URL, {"confirm": "1"})

    (call,) = calls_to(patched, "PATCH", TICKET)
    assert json_body(call) == {"status": "resolved"}
    assert response.status_code == 302
    assert response["Location"] == f"/support/tickets/{OWN_TICKET_ID}/"


def test_resolving_says_so_and_how_to_reopen(subscriber_client, patched):
    response = subscriber_client.post(URL, {"confirm": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Ticket marked as resolved." in response.content.decode()


def test_resolving_another_clients_ticket_is_404(subscriber_client, others_ticket, smartisp):
    smartisp.patch(api(TICKET), json=example_json("ticket-update"))

    confirm_page = subscriber_client.post(URL)
    confirmed = subscriber_client.post(URL, {"confirm": "1"})

    assert confirm_page.status_code == confirmed.status_code == 404
    assert calls_to(smartisp, "PATCH", TICKET) == []


def test_resolving_a_missing_ticket_is_404(subscriber_client, smartisp):
    smartisp.get(api("tickets/9999"), status=404, json={"success": False, "message": "x"})

    response = subscriber_client.post("/support/tickets/9999/resolve/", {"confirm": "1"})

    assert response.status_code == 404


def test_resolve_needs_post(subscriber_client, own_ticket):
    assert subscriber_client.get(URL).status_code == 405


def test_an_already_resolved_ticket_is_not_patched_again(subscriber_client, smartisp):
    smartisp.get(api(TICKET), json=ticket_body(status="resolved"))
    smartisp.patch(api(TICKET), json=example_json("ticket-update"))

    response = subscriber_client.post(URL, {"confirm": "1"})

    assert response.status_code == 302
    assert calls_to(smartisp, "PATCH", TICKET) == []


def test_smartisp_down_while_resolving_says_so_and_offers_the_button_again(
    subscriber_client, own_ticket, smartisp
):
    smartisp.patch(api(TICKET), status=503)

    response = subscriber_client.post(URL, {"confirm": "1"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    page = response.content.decode()
    assert "We could not mark the ticket as resolved." in page
    assert '<input type="hidden" name="confirm" value="1">' in page


def test_resolving_drops_the_cached_list(subscriber_client, patched):
    from tests.support.conftest import listed_ticket, tickets_body

    patched.get(api("tickets/meta"), json=example_json("tickets-meta"))
    patched.get(api("tickets"), json=tickets_body([listed_ticket(OWN_TICKET_ID)]))
    subscriber_client.get("/support/tickets/")

    subscriber_client.post(URL, {"confirm": "1"})
    subscriber_client.get("/support/tickets/")

    assert len(calls_to(patched, "GET", "tickets")) == 2
