"""/support/tickets/: the subscriber's own tickets, filtered by status, newest first, paginated."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import api
from tests.support.conftest import calls_to, listed_ticket, tickets_body

pytestmark = pytest.mark.django_db


def list_query(smartisp) -> dict:
    (call,) = calls_to(smartisp, "GET", "tickets")
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def test_list_asks_smartisp_for_the_subscribers_tickets_only(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([listed_ticket(2491)]))

    response = subscriber_client.get("/support/tickets/")

    assert response.status_code == 200
    assert list_query(meta)["client_id"] == "1"
    assert "status" not in list_query(meta)
    page = response.content.decode()
    assert "No internet connection" in page
    assert 'href="/support/tickets/2491/"' in page


def test_status_filter_is_passed_to_smartisp(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([listed_ticket(2491, status="resolved")]))

    response = subscriber_client.get("/support/tickets/?status=resolved")

    assert list_query(meta) == {
        "client_id": "1",
        "status": "resolved",
        "page": "1",
        "per_page": "25",
    }
    page = response.content.decode()
    assert 'href="/support/tickets/?status=resolved" aria-current="page"' in page


def test_every_status_of_the_catalogue_is_a_filter_link_with_its_label(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([]))

    page = subscriber_client.get("/support/tickets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for status, label in [
        ("new", "New"),
        ("work_in_progress", "In progress"),
        ("resolved", "Resolved"),
        ("waiting_on_customer", "Waiting for your reply"),
        ("waiting_on_agent", "Waiting for support"),
    ]:
        assert f'href="/support/tickets/?status={status}"' in page
        assert label in page


def test_tickets_of_other_clients_are_dropped_even_if_smartisp_lists_them(subscriber_client, meta):
    others = listed_ticket(3001, subject="Someone else's outage", client_id=652)
    others["client"] = {"id": 652, "name": "Juan Perez Gonzalez", "dni": "0102030405"}
    meta.get(api("tickets"), json=tickets_body([listed_ticket(2491), others]))

    page = subscriber_client.get("/support/tickets/").content.decode()

    assert "No internet connection" in page
    assert "Someone else" not in page
    assert "/support/tickets/3001/" not in page


def test_tickets_are_shown_newest_activity_first(subscriber_client, meta):
    older = listed_ticket(1, subject="Old question", updated_at="2026-01-02T10:00:00.000000Z")
    newer = listed_ticket(2, subject="Fresh outage", updated_at="2026-05-30T10:00:00.000000Z")
    meta.get(api("tickets"), json=tickets_body([older, newer]))

    page = subscriber_client.get("/support/tickets/").content.decode()

    assert page.index("Fresh outage") < page.index("Old question")


def test_each_ticket_shows_status_type_priority_update_and_message_count(subscriber_client, meta):
    item = listed_ticket(
        2491, type="incident", priority="high", status="work_in_progress", answers_count=3
    )
    meta.get(api("tickets"), json=tickets_body([item]))

    page = subscriber_client.get("/support/tickets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Service outage" in page
    assert "High" in page
    assert "In progress" in page
    assert "3 messages" in page
    # 13:30 UTC is 08:30 in Guayaquil: the update is shown in local time.
    assert 'datetime="2026-05-30T08:30:50-05:00"' in page


def test_tickets_waiting_for_the_subscriber_are_marked(subscriber_client, meta):
    waiting = listed_ticket(7, subject="Please confirm your address", status="waiting_on_customer")
    meta.get(api("tickets"), json=tickets_body([waiting, listed_ticket(8, subject="Other")]))

    page = subscriber_client.get("/support/tickets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<li class="ticket-waiting">' in page
    assert page.count('class="ticket-waiting"') == 1
    assert "Support is waiting for your reply on 1 ticket." in page
    assert '<span class="badge badge-warn">Waiting for your reply</span>' in page


def test_unknown_values_from_smartisp_are_shown_as_they_come(subscriber_client, meta):
    odd = listed_ticket(9, status="escalated", type="billing_dispute", priority="p0")
    meta.get(api("tickets"), json=tickets_body([odd]))

    page = subscriber_client.get("/support/tickets/").content.decode()

    assert "escalated" in page
    assert "billing_dispute" in page
    assert "p0" in page


def test_pagination_links_keep_the_status_filter(subscriber_client, meta):
    items = [listed_ticket(i) for i in range(1, 4)]
    meta.get(
        api("tickets"),
        json=tickets_body(items, total=75, per_page=25, current_page=2, last_page=3),
    )

    response = subscriber_client.get(
        "/support/tickets/?status=new&page=2", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert list_query(meta)["page"] == "2"
    page = response.content.decode()
    assert 'rel="prev" href="/support/tickets/?status=new&amp;page=1"' in page
    assert 'rel="next" href="/support/tickets/?status=new&amp;page=3"' in page
    assert "Page 2 of 3" in page


def test_first_page_has_no_previous_link_and_last_has_no_next(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([listed_ticket(1)], last_page=1))

    page = subscriber_client.get("/support/tickets/").content.decode()

    assert 'rel="prev"' not in page
    assert 'rel="next"' not in page


def test_a_nonsense_page_number_asks_for_page_one(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([]))

    subscriber_client.get("/support/tickets/?page=abc&status=<script>")

    query = list_query(meta)
    assert query["page"] == "1"
    assert "status" not in query


def test_list_is_cached_briefly(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([listed_ticket(1)]))

    subscriber_client.get("/support/tickets/")
    subscriber_client.get("/support/tickets/")

    assert len(calls_to(meta, "GET", "tickets")) == 1


def test_no_tickets_shows_an_invitation_to_open_one(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([]))

    page = subscriber_client.get("/support/tickets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "You have no support tickets yet" in page
    assert 'href="/support/tickets/new/"' in page


def test_an_empty_filter_says_so_and_offers_all_tickets(subscriber_client, meta):
    meta.get(api("tickets"), json=tickets_body([]))

    page = subscriber_client.get(
        "/support/tickets/?status=waiting_on_customer", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "You have no tickets with status “Waiting for your reply”." in page
    assert 'href="/support/tickets/">Show all tickets</a>' in page


def test_smartisp_down_gives_the_retry_page(subscriber_client, meta):
    meta.get(api("tickets"), status=500)

    response = subscriber_client.get("/support/tickets/")

    assert response.status_code == 503


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/support/tickets/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
