"""/support/tickets/<id>/: the conversation, who wrote what and when, rendered inert and safe."""

import re

import pytest

from tests.conftest import api, example_json
from tests.support.conftest import OWN_TICKET_ID, answer, ticket_body

pytestmark = pytest.mark.django_db
URL = f"/support/tickets/{OWN_TICKET_ID}/"


def page_shape(response) -> str:
    """The page without what differs on every response (nonce, CSRF token) or by URL."""
    page = re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())
    return page.replace("/2491/", "/<id>/").replace("/9999/", "/<id>/")


def test_another_clients_ticket_is_the_same_404_as_a_missing_one(subscriber_client, smartisp):
    smartisp.get(api("tickets/2491"), json=example_json("ticket"))  # client 652's
    smartisp.get(
        api("tickets/9999"), status=404, json={"success": False, "message": "Ticket no encontrado"}
    )

    others = subscriber_client.get("/support/tickets/2491/")
    missing = subscriber_client.get("/support/tickets/9999/")

    assert others.status_code == missing.status_code == 404
    assert page_shape(others) == page_shape(missing)
    assert "No internet connection" not in others.content.decode()


def test_conversation_in_order_with_who_wrote_each_message(subscriber_client, smartisp):
    smartisp.get(
        api("tickets/2491"),
        json=ticket_body(
            answers=[
                answer("My internet is down.", user="Shiguango Esthela", answer_id=1),
                answer(
                    "Please restart the router.",
                    user="tecnico",
                    answer_id=2,
                    when=" May 30, 2026 14:00:00",
                ),
                answer(
                    "Done, it works now.",
                    user="Shiguango Esthela",
                    answer_id=3,
                    when=" May 30, 2026 15:10:00",
                ),
            ]
        ),
    )

    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    first = page.index("My internet is down.")
    second = page.index("Please restart the router.")
    third = page.index("Done, it works now.")
    assert first < second < third
    messages = page.split('<li class="message ')[1:]
    assert messages[0].startswith("message-mine")
    assert messages[1].startswith("message-support")
    assert "<strong>Support</strong> · tecnico" in messages[1]
    assert messages[2].startswith("message-mine")
    assert "<strong>You</strong>" in messages[0]
    # A zone-less answer time is UTC (SMARTISP_TIME_ZONE), shown in the portal's zone.
    assert 'datetime="2026-05-30T09:00:00-05:00"' in messages[1]


def test_ticket_facts_are_shown_with_translated_labels(subscriber_client, own_ticket):
    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No internet connection" in page
    assert "Ticket no. 2290" in page
    assert "Question" in page
    assert "Medium" in page
    assert "Technical support" in page
    assert "New" in page


def test_the_page_is_in_spanish_by_default(subscriber_client, own_ticket):
    page = subscriber_client.get(URL).content.decode()

    assert 'lang="es"' in page


def test_support_answer_with_html_and_script_renders_inert(subscriber_client, smartisp):
    hostile = (
        "<script>alert(1)</script>\n"
        '<a href="javascript:alert(2)">click</a>\n'
        '<img src=x onerror="alert(3)">\n'
        "javascript:alert(4)\n"
        "Details at https://example.com/status?a=1&b=2."
    )
    smartisp.get(api("tickets/2491"), json=ticket_body(answers=[answer(hostile)]))

    page = subscriber_client.get(URL).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(3)&quot;&gt;" in page
    assert (
        '<a href="https://example.com/status?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        "https://example.com/status?a=1&amp;b=2</a>." in page
    )
    # Line breaks are kept.
    assert "&lt;/script&gt;<br>" in page


def test_a_resolved_ticket_has_no_resolve_button_but_can_be_replied_to(subscriber_client, smartisp):
    smartisp.get(api("tickets/2491"), json=ticket_body(status="resolved"))

    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'action="/support/tickets/2491/resolve/"' not in page
    assert 'action="/support/tickets/2491/reply/"' in page
    assert "Replying reopens it" in page


def test_an_open_ticket_has_the_reply_form_and_a_resolve_button(subscriber_client, own_ticket):
    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'action="/support/tickets/2491/reply/"' in page
    assert 'hx-post="/support/tickets/2491/reply/"' in page
    assert 'name="message"' in page
    assert 'name="submission_id"' in page
    assert 'action="/support/tickets/2491/resolve/"' in page
    assert "Mark as resolved" in page


def test_the_conversation_is_fetched_fresh_each_time(subscriber_client, own_ticket, smartisp):
    subscriber_client.get(URL)
    subscriber_client.get(URL)

    assert len([c for c in smartisp.calls if c.request.url == api("tickets/2491")]) == 2


def test_smartisp_down_gives_the_retry_page(subscriber_client, smartisp):
    smartisp.get(api("tickets/2491"), status=500)

    response = subscriber_client.get(URL)

    assert response.status_code == 503
