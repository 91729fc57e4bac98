"""/support/tickets/<id>/reply/: the subscriber's reply, sent once, with htmx or without."""

import uuid

import pytest
import requests

from tests.conftest import api, example_json, json_body
from tests.support.conftest import OWN_TICKET_ID, answer, calls_to, ticket_body

pytestmark = pytest.mark.django_db
URL = f"/support/tickets/{OWN_TICKET_ID}/reply/"
TICKET = f"tickets/{OWN_TICKET_ID}"
REPLY = f"tickets/{OWN_TICKET_ID}/reply"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


def reply_data(message="The light is still red.\nWhat else can I try?", **extra) -> dict:
    return {"message": message, "submission_id": str(uuid.uuid4()), **extra}


@pytest.fixture
def replied(own_ticket, smartisp):
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))
    return smartisp


def test_reply_is_sent_as_the_client_under_the_subscribers_name(subscriber_client, replied):
    response = subscriber_client.post(URL, reply_data())

    (call,) = calls_to(replied, "POST", REPLY)
    assert json_body(call) == {
        "message": "The light is still red.\nWhat else can I try?",
        "from": "client",
        "author": "Shiguango Esthela",
    }
    assert response.status_code == 302
    assert response["Location"] == f"/support/tickets/{OWN_TICKET_ID}/"


def test_without_javascript_the_reply_redirects_with_a_message(subscriber_client, replied):
    response = subscriber_client.post(URL, reply_data(), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert response.redirect_chain == [(f"/support/tickets/{OWN_TICKET_ID}/", 302)]
    assert "Your reply was sent." in response.content.decode()


def test_with_htmx_the_reply_appears_in_the_conversation(subscriber_client, smartisp):
    before = ticket_body(answers=[answer("Please restart the router.")])
    after = ticket_body(
        status="waiting_on_agent",
        answers=[
            answer("Please restart the router."),
            answer("Restarted, still down.", user="Shiguango Esthela", answer_id=4892),
        ],
    )
    smartisp.get(api(TICKET), json=before)
    smartisp.get(api(TICKET), json=after)
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))

    response = subscriber_client.post(URL, reply_data("Restarted, still down."), **HTMX)

    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="ticket-body">')
    assert "<html" not in fragment
    assert "Restarted, still down." in fragment
    assert "Your reply was sent." in fragment
    assert "Waiting for support" in fragment
    mine = fragment.split('<li class="message message-mine">')[1]
    assert "Restarted, still down." in mine
    # A fresh, empty form with a new submission id, ready for the next message.
    assert '<textarea name="message"' in fragment
    assert "</textarea>" in fragment.split('<textarea name="message"')[1]
    assert (
        fragment.split('<textarea name="message"')[1].split(">", 1)[1].startswith("\n</textarea>")
    )


def test_with_htmx_the_reply_shows_even_if_the_refresh_fails(subscriber_client, smartisp):
    smartisp.get(api(TICKET), json=ticket_body())
    smartisp.get(api(TICKET), status=500)
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))

    response = subscriber_client.post(URL, reply_data("Restarted, still down."), **HTMX)

    assert response.status_code == 200
    assert "Restarted, still down." in response.content.decode()


def test_a_reply_to_another_clients_ticket_is_404_and_not_sent(
    subscriber_client, others_ticket, smartisp
):
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))

    response = subscriber_client.post(URL, reply_data())

    assert response.status_code == 404
    assert calls_to(smartisp, "POST", REPLY) == []


def test_a_reply_to_a_missing_ticket_is_404(subscriber_client, smartisp):
    smartisp.get(api("tickets/9999"), status=404, json={"success": False, "message": "x"})

    response = subscriber_client.post("/support/tickets/9999/reply/", reply_data())

    assert response.status_code == 404


def test_reply_needs_post(subscriber_client, own_ticket):
    assert subscriber_client.get(URL).status_code == 405


def test_an_empty_reply_is_not_sent(subscriber_client, replied):
    response = subscriber_client.post(URL, reply_data("  "))

    assert response.status_code == 200
    assert calls_to(replied, "POST", REPLY) == []
    assert 'aria-invalid="true"' in response.content.decode()


def test_smartisp_down_while_sending_keeps_the_text(subscriber_client, own_ticket, smartisp):
    smartisp.post(api(REPLY), body=requests.ConnectionError("refused"))

    response = subscriber_client.post(URL, reply_data(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    page = response.content.decode()
    assert "The light is still red.\nWhat else can I try?</textarea>" in page
    assert "We could not confirm that your reply reached support." in page
    # The conversation is still there to check.
    assert "Customer reports the connection drops every few minutes." in page


def test_smartisp_down_with_htmx_swaps_only_the_form_with_the_text(
    subscriber_client, own_ticket, smartisp
):
    smartisp.post(api(REPLY), status=503)

    response = subscriber_client.post(URL, reply_data(), **HTMX)

    assert response.status_code == 200  # htmx swaps only successful answers
    assert response["HX-Retarget"] == "#reply-form"
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<form id="reply-form"')
    assert "The light is still red.\nWhat else can I try?</textarea>" in fragment


def test_ticket_unreadable_keeps_the_text_and_sends_nothing(subscriber_client, smartisp):
    smartisp.get(api(TICKET), status=500)
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))

    response = subscriber_client.post(URL, reply_data(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    assert calls_to(smartisp, "POST", REPLY) == []
    page = response.content.decode()
    assert "The light is still red.\nWhat else can I try?</textarea>" in page
    assert "Your reply was not sent" in page
    assert "hx-post" not in page


def test_after_smartisp_was_down_the_same_reply_can_be_sent_again(
    subscriber_client, own_ticket, smartisp
):
    data = reply_data()
    smartisp.post(api(REPLY), status=502)
    assert subscriber_client.post(URL, data).status_code == 503

    smartisp.replace("POST", api(REPLY), json=example_json("ticket-reply"))
    assert subscriber_client.post(URL, data).status_code == 302

    assert len(calls_to(smartisp, "POST", REPLY)) == 2


def test_smartisp_422_keeps_the_text_and_shows_the_error(subscriber_client, own_ticket, smartisp):
    smartisp.post(
        api(REPLY),
        status=422,
        json={"success": False, "errors": {"message": ["El campo message es obligatorio."]}},
    )

    response = subscriber_client.post(URL, reply_data())

    assert response.status_code == 422
    page = response.content.decode()
    assert "El campo message es obligatorio." in page
    assert "The light is still red.\nWhat else can I try?</textarea>" in page


def test_double_submission_sends_one_reply(subscriber_client, replied):
    data = reply_data()

    first = subscriber_client.post(URL, data)
    second = subscriber_client.post(URL, data)

    assert len(calls_to(replied, "POST", REPLY)) == 1
    assert first["Location"] == second["Location"] == f"/support/tickets/{OWN_TICKET_ID}/"


def test_double_submission_with_htmx_sends_one_reply(subscriber_client, replied):
    data = reply_data()

    subscriber_client.post(URL, data, **HTMX)
    second = subscriber_client.post(URL, data, **HTMX)

    assert len(calls_to(replied, "POST", REPLY)) == 1
    assert second.status_code == 200
    assert "This reply was already sent." in second.content.decode()


def test_a_repeat_while_the_first_is_still_sending_does_not_send_again(
    subscriber_client, subscriber, replied
):
    from django.core.cache import cache

    data = reply_data()
    cache.add(f"support:submit:{subscriber.pk}:{data['submission_id']}", "pending", 600)

    response = subscriber_client.post(URL, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert calls_to(replied, "POST", REPLY) == []
    assert "Your reply is already being sent." in response.content.decode()


def test_a_reply_to_a_resolved_ticket_reopens_it_for_support(subscriber_client, smartisp):
    smartisp.get(api(TICKET), json=ticket_body(status="resolved"))
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))
    # SmartISP marks a ticket waiting_on_agent on a client reply; had it left it resolved:
    smartisp.patch(api(TICKET), json=example_json("ticket-update"))

    subscriber_client.post(URL, reply_data())

    (patch,) = calls_to(smartisp, "PATCH", TICKET)
    assert json_body(patch) == {"status": "waiting_on_agent"}


def test_a_reply_that_smartisp_already_reopened_needs_no_patch(subscriber_client, smartisp):
    smartisp.get(api(TICKET), json=ticket_body(status="resolved"))
    smartisp.get(api(TICKET), json=ticket_body(status="waiting_on_agent"))
    smartisp.post(api(REPLY), json=example_json("ticket-reply"))

    subscriber_client.post(URL, reply_data())

    assert calls_to(smartisp, "PATCH", TICKET) == []


def test_replying_drops_the_cached_list(subscriber_client, replied):
    from tests.support.conftest import listed_ticket, tickets_body

    replied.get(api("tickets/meta"), json=example_json("tickets-meta"))
    replied.get(api("tickets"), json=tickets_body([listed_ticket(OWN_TICKET_ID)]))
    subscriber_client.get("/support/tickets/")

    subscriber_client.post(URL, reply_data())
    subscriber_client.get("/support/tickets/")

    assert len(calls_to(replied, "GET", "tickets")) == 2
