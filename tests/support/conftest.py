"""Ticket bodies shaped like the reference's examples, owned by the test subscriber (client 1)."""

import copy

import pytest

from tests.conftest import api, example_json

OWN_TICKET_ID = 2491


def ticket_body(**data) -> dict:
    """The reference's Get Ticket answer, moved to client 1 unless `data` says otherwise."""
    body = copy.deepcopy(example_json("ticket"))
    body["data"]["client_id"] = 1
    body["data"]["client"] = {"id": 1, "name": "Shiguango Esthela", "dni": "2100454590"}
    body["data"].update(data)
    return body


def answer(
    message: str, user: str = "tecnico", answer_id: int = 4891, when: str = " May 30, 2026 13:30:50"
) -> dict:
    return {"id": answer_id, "message": message, "user": user, "created_at": when}


def listed_ticket(ticket_id: int, **data) -> dict:
    """One entry of the reference's List Tickets answer, owned by client 1."""
    item = copy.deepcopy(example_json("tickets")["data"][0])
    item.update(
        id=ticket_id,
        client_id=1,
        client={"id": 1, "name": "Shiguango Esthela", "dni": "2100454590"},
    )
    item.update(data)
    return item


def tickets_body(items: list[dict], **pagination) -> dict:
    body = copy.deepcopy(example_json("tickets"))
    body["data"] = items
    body["pagination"] = {
        "total": len(items),
        "per_page": 25,
        "current_page": 1,
        "last_page": 1,
        "from": 1,
        "to": len(items),
        **pagination,
    }
    return body


@pytest.fixture
def meta(smartisp):
    """tickets/meta as the reference shows it."""
    smartisp.get(api("tickets/meta"), json=example_json("tickets-meta"))
    return smartisp


@pytest.fixture
def own_ticket(smartisp):
    """Ticket 2491 belongs to the signed-in subscriber."""
    smartisp.get(api(f"tickets/{OWN_TICKET_ID}"), json=ticket_body())
    return OWN_TICKET_ID


@pytest.fixture
def others_ticket(smartisp):
    """Ticket 2491 exactly as the reference shows it: client 652's, not the subscriber's."""
    smartisp.get(api(f"tickets/{OWN_TICKET_ID}"), json=example_json("ticket"))
    return OWN_TICKET_ID


def calls_to(smartisp, method: str, path: str) -> list:
    """The calls SmartISP received for `method path` (query string ignored)."""
    url = api(path)
    return [
        c
        for c in smartisp.calls
        if c.request.method == method and c.request.url.split("?")[0] == url
    ]
