"""/support/tickets/new/: a ticket sent as the subscriber, with nothing typed ever lost."""

import uuid

import pytest
import requests

from tests.conftest import api, example_json, json_body
from tests.support.conftest import calls_to

pytestmark = pytest.mark.django_db
URL = "/support/tickets/new/"


def form_data(**overrides) -> dict:
    data = {
        "subject": "No internet connection",
        "message": "The service is down since this morning.\nThe router light is red.",
        "type": "incident",
        "priority": "high",
        "section": "tecnico",
        "submission_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.fixture
def created(meta):
    meta.post(api("tickets"), json=example_json("ticket-create"), status=201)
    return meta


def test_form_offers_the_subscriber_subset_of_types_and_priorities(subscriber_client, meta):
    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for value in ("question", "incident", "problem", "low", "medium", "high"):
        assert f'value="{value}"' in page
    for value in ("lead", "feature_request", "urgent"):
        assert f'value="{value}"' not in page
    assert "Service outage" in page
    for name in ("subject", "message", "type", "priority", "section", "submission_id"):
        assert f'name="{name}"' in page
    assert 'maxlength="200"' in page


def test_subject_is_prefilled_from_the_query(subscriber_client, meta):
    page = subscriber_client.get(URL + "?subject=Change+my+phone+number").content.decode()

    assert 'value="Change my phone number"' in page


def test_new_ticket_sends_the_subscribers_id_and_name(subscriber_client, created):
    response = subscriber_client.post(URL, form_data())

    (call,) = calls_to(created, "POST", "tickets")
    assert json_body(call) == {
        "client_id": 1,
        "subject": "No internet connection",
        "message": "The service is down since this morning.\nThe router light is red.",
        "type": "incident",
        "priority": "high",
        "section": "tecnico",
        "author": "Shiguango Esthela",
    }
    assert response.status_code == 302
    assert response["Location"] == "/support/tickets/2492/"


def test_success_message_names_the_ticket_number(subscriber_client, created):
    response = subscriber_client.post(URL, form_data(), follow=False)
    created.get(
        api("tickets/2492"),
        json={
            "success": True,
            "data": {
                **example_json("ticket")["data"],
                "id": 2492,
                "client_id": 1,
                "ticket_cun_number": "2291",
            },
        },
    )

    page = subscriber_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Your ticket no. 2291 was sent to support." in page


def test_section_is_optional_and_not_sent_when_empty(subscriber_client, created):
    subscriber_client.post(URL, form_data(section=""))

    (call,) = calls_to(created, "POST", "tickets")
    assert "section" not in json_body(call)


def test_author_falls_back_to_the_full_name(subscriber_client, subscriber, created):
    subscriber.name = ""
    subscriber.save()

    subscriber_client.post(URL, form_data())

    (call,) = calls_to(created, "POST", "tickets")
    assert json_body(call)["author"] == subscriber.get_full_name()


def test_creating_a_ticket_drops_the_cached_list(subscriber_client, created):
    from tests.support.conftest import listed_ticket, tickets_body

    created.get(api("tickets"), json=tickets_body([listed_ticket(2491)]))
    subscriber_client.get("/support/tickets/")

    subscriber_client.post(URL, form_data())
    subscriber_client.get("/support/tickets/")

    assert len(calls_to(created, "GET", "tickets")) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", ""),
        ("message", "   "),
        ("subject", "x" * 201),
        ("type", "lead"),
        ("priority", "urgent"),
    ],
)
def test_invalid_input_is_not_sent_and_is_kept(subscriber_client, meta, field, value):
    response = subscriber_client.post(URL, form_data(**{field: value}))

    assert response.status_code == 200
    assert calls_to(meta, "POST", "tickets") == []
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    if field != "message":
        assert "The service is down since this morning." in page


def test_smartisp_422_shows_its_field_errors_and_keeps_the_input(subscriber_client, meta):
    meta.post(
        api("tickets"),
        status=422,
        json={
            "success": False,
            "message": "Los datos no son válidos.",
            "errors": {
                "subject": ["El campo subject no debe ser mayor que 200 caracteres."],
                "client_id": ["El client_id seleccionado no es válido."],
            },
        },
    )

    response = subscriber_client.post(URL, form_data())

    assert response.status_code == 422
    page = response.content.decode()
    assert "El campo subject no debe ser mayor que 200 caracteres." in page
    assert "El client_id seleccionado no es válido." in page
    assert 'value="No internet connection"' in page
    assert "The service is down since this morning.\nThe router light is red." in page
    assert '<option value="incident" selected>' in page
    assert '<option value="high" selected>' in page
    assert '<option value="tecnico" selected>' in page
    # The field error sits on its field.
    subject_block = page[page.index('id="id_subject"') - 600 : page.index('id="id_subject"')]
    assert "El campo subject no debe ser mayor" in subject_block


def test_smartisp_down_keeps_everything_typed(subscriber_client, meta):
    meta.post(api("tickets"), body=requests.ConnectionError("refused"))

    response = subscriber_client.post(URL, form_data(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    page = response.content.decode()
    assert "We could not confirm that your ticket reached support." in page
    assert 'Check <a href="/support/tickets/">your tickets</a> in a minute' in page
    assert 'value="No internet connection"' in page
    assert "The service is down since this morning.\nThe router light is red." in page
    assert '<option value="incident" selected>' in page


def test_after_smartisp_was_down_the_same_form_can_be_sent_again(subscriber_client, meta):
    data = form_data()
    meta.post(api("tickets"), status=503, body="<html>maintenance</html>")
    assert subscriber_client.post(URL, data).status_code == 503

    meta.replace("POST", api("tickets"), json=example_json("ticket-create"), status=201)
    response = subscriber_client.post(URL, data)

    assert response.status_code == 302
    assert response["Location"] == "/support/tickets/2492/"
    assert len(calls_to(meta, "POST", "tickets")) == 2


def test_catalogue_down_still_keeps_a_typed_ticket(subscriber_client, smartisp):
    smartisp.get(api("tickets/meta"), status=500)
    smartisp.post(api("tickets"), status=500)

    response = subscriber_client.post(URL, form_data())

    assert response.status_code == 503
    assert "The service is down since this morning." in response.content.decode()


def test_double_submission_creates_one_ticket(subscriber_client, created):
    data = form_data()

    first = subscriber_client.post(URL, data)
    second = subscriber_client.post(URL, data)

    assert len(calls_to(created, "POST", "tickets")) == 1
    assert first["Location"] == second["Location"] == "/support/tickets/2492/"


def test_a_repeat_while_the_first_is_still_sending_does_not_send_again(
    subscriber_client, subscriber, created
):
    from django.core.cache import cache

    data = form_data()
    cache.add(f"support:submit:{subscriber.pk}:{data['submission_id']}", "pending", 600)

    response = subscriber_client.post(URL, data)

    assert calls_to(created, "POST", "tickets") == []
    assert response.status_code == 302
    assert response["Location"] == "/support/tickets/"


def test_a_new_form_is_a_new_ticket(subscriber_client, created):
    subscriber_client.post(URL, form_data())
    subscriber_client.post(URL, form_data())

    assert len(calls_to(created, "POST", "tickets")) == 2


def test_another_subscriber_cannot_replay_someone_elses_submission(
    client, subscriber, other_subscriber, created
):
    data = form_data()
    client.force_login(subscriber)
    client.post(URL, data)
    client.force_login(other_subscriber)

    client.post(URL, data)

    bodies = [json_body(c) for c in calls_to(created, "POST", "tickets")]
    assert [b["client_id"] for b in bodies] == [1, 1057]
