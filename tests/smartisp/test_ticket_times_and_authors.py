"""Ticket and answer times in one zone, and who wrote each answer (docs/smartisp.md, issue 17).

The reference's Get Ticket example shows its ticket at "2026-05-30T13:30:50.000000Z" and its one
answer at " May 30, 2026 13:30:50": the same moment, so zone-less times are UTC unless
SMARTISP_TIME_ZONE says the install prints another zone's time.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.smartisp import get_client
from tests.conftest import api, example_json
from tests.support.conftest import answer, ticket_body

pytestmark = pytest.mark.django_db
URL = "/support/tickets/2491/"


def test_the_reference_ticket_and_its_answer_are_the_same_moment(smartisp):
    smartisp.get(api("tickets/2491"), json=example_json("ticket"))

    ticket = get_client().ticket_get(2491)

    assert (
        ticket.created_at
        == ticket.answers[0].created_at
        == datetime(2026, 5, 30, 13, 30, 50, tzinfo=UTC)
    )


def test_an_install_printing_local_time_sets_smartisp_time_zone(smartisp, settings):
    settings.SMARTISP_TIME_ZONE = "America/Guayaquil"
    body = ticket_body(
        created_at="2026-05-30 08:30:50",  # zone-less too
        answers=[answer("Hola", when=" May 30, 2026 08:30:50")],
    )
    smartisp.get(api("tickets/2491"), json=body)

    ticket = get_client().ticket_get(2491)

    moment = datetime(2026, 5, 30, 8, 30, 50, tzinfo=ZoneInfo("America/Guayaquil"))
    assert ticket.created_at == ticket.answers[0].created_at == moment
    assert moment == datetime(2026, 5, 30, 13, 30, 50, tzinfo=UTC)


def test_the_page_shows_ticket_and_answer_at_the_same_time(subscriber_client, smartisp):
    smartisp.get(api("tickets/2491"), json=ticket_body())

    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # Both 13:30:50 UTC, shown in the portal's zone (Guayaquil, UTC-5).
    assert page.count('datetime="2026-05-30T08:30:50-05:00"') >= 2


def conversation(subscriber_client, smartisp, *answers, **ticket):
    smartisp.get(api("tickets/2491"), json=ticket_body(answers=list(answers), **ticket))
    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return [m.split('"', 1)[0] for m in page.split('<li class="message ')[1:]]


@pytest.mark.parametrize(
    ("author", "mine"),
    [
        ("Shiguango Esthela", True),  # the name the portal sends with the subscriber's replies
        ("  shiguango   ESTHELA ", True),  # SmartISP's spacing and case
        ("Shiguango Ésthela", True),  # and accents
        ("tecnico", False),  # a section, as the reference shows
        ("Soporte Tecnico", False),  # the ticket's agent
        ("", False),
    ],
)
def test_who_wrote_an_answer(subscriber_client, smartisp, author, mine):
    (kind,) = conversation(subscriber_client, smartisp, answer("Hola", user=author))

    assert kind == ("message-mine" if mine else "message-support")


def test_an_answer_under_the_clients_name_in_smartisp_is_the_subscribers(
    subscriber_client, smartisp, subscriber
):
    """from=client may come back with the client's name as SmartISP holds it, not the author."""
    subscriber.name = "Esthela S."
    subscriber.save()
    client = {"id": 1, "name": "SHIGUANGO ESTHELA", "dni": "2100454590"}

    kinds = conversation(
        subscriber_client,
        smartisp,
        answer("Mine, sent by the portal", user="Esthela S.", answer_id=1),
        answer("Mine, as SmartISP names me", user="Shiguango Esthela", answer_id=2),
        answer("Support's", user="tecnico", answer_id=3),
        client=client,
    )

    assert kinds == ["message-mine", "message-mine", "message-support"]


def test_an_agent_with_the_subscribers_name_reads_as_support(subscriber_client, smartisp):
    kinds = conversation(
        subscriber_client,
        smartisp,
        answer("Who wrote this?", user="Shiguango Esthela"),
        user={"id": 4, "name": "Shiguango Esthela"},
    )

    assert kinds == ["message-support"]
