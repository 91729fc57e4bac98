"""Ticket times in the language's one date-and-time style (portal/formats/), in the list and the
conversation alike, in the portal's time zone."""

import pytest

from tests.conftest import api
from tests.support.conftest import answer, listed_ticket, ticket_body, tickets_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "shown"), [("es", "30 may. 2026, 08:30"), ("en", "30 May 2026, 08:30")]
)
def test_ticket_times_use_the_same_style_in_the_list_and_the_conversation(
    subscriber_client, meta, language, shown
):
    listed = listed_ticket(2491, updated_at="2026-05-30T13:30:50.000000Z")
    meta.get(api("tickets"), json=tickets_body([listed]))
    body = ticket_body(updated_at="2026-05-30T13:30:50.000000Z")
    body["data"]["answers"] = [answer("Hola", when=" May 30, 2026 13:30:50")]
    meta.get(api("tickets/2491"), json=body)

    listing = subscriber_client.get("/support/tickets/", HTTP_ACCEPT_LANGUAGE=language)
    detail = subscriber_client.get("/support/tickets/2491/", HTTP_ACCEPT_LANGUAGE=language)

    assert shown in listing.content.decode()
    assert detail.content.decode().count(shown) >= 2  # last update and the answer
    assert "05/30/2026" not in listing.content.decode() + detail.content.decode()
