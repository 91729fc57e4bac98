"""Property: whatever plausible answer SmartISP gives on any endpoint, every subscriber page is a
page that makes sense (200, 404 or the readable 503), never a server error (issue 17).

SmartISP is mocked at the HTTP boundary with `responses`. Each endpoint the pages read answers
one variant: the reference's example (smartisp-api-v1.txt), possibly mutated (keys dropped,
values nulled, numbers as strings and strings as numbers), or one of the shapes
smartisp-field-notes.md lists (empty lists, `success: false`, JSON and HTML 404s, Laravel's
HTML 500/503, 419, 429 with Retry-After, a refused key). Explicit examples meet every shape on
every endpoint once (the others answering normally); hypothesis then mixes them.

The payment page (/billing/payments/<reference>/) reads only the ledger, never SmartISP.
"""

import contextlib
import copy
import json
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import api, example_json

pytestmark = pytest.mark.django_db
DNI = "2100454590"
TICKET_ID = 2491

PAGES = (
    "/",
    "/billing/invoices/",
    "/billing/invoices/?status=paid",
    "/billing/invoices/3112/",
    "/billing/invoices/4624/",
    "/support/tickets/",
    f"/support/tickets/{TICKET_ID}/",
    "/accounts/profile/",
    "/healthz",
)
SENSIBLE = {200, 404, 503}


def _own(body: dict) -> dict:
    """A reference example moved to the test subscriber (client 1)."""
    body = copy.deepcopy(body)
    for ticket in body.get("data") if isinstance(body.get("data"), list) else []:
        ticket.update(client_id=1, client={"id": 1, "name": "Shiguango Esthela", "dni": DNI})
    if isinstance(body.get("data"), dict) and "subject" in body["data"]:
        body["data"].update(client_id=1, client={"id": 1, "name": "Shiguango Esthela", "dni": DNI})
    return body


def _clients() -> dict:
    body = copy.deepcopy(example_json("clients"))
    body["data"][0].update(id=1, dni=DNI)
    for service in body["data"][0]["service"]:
        service["client_id"] = 1
    return body


# endpoint -> (URL, the reference's answer moved to client 1, the key its list or record is under)
ENDPOINTS: dict[str, tuple[str, Any, str]] = {
    "get-user": (api(f"get-user/{DNI}"), lambda: example_json("get-user"), "user"),
    "unpaid": (
        api("InvoiceClientStatus3/1"),
        lambda: example_json("InvoiceClientStatus3"),
        "invoices",
    ),
    "paid": (
        api("InvoiceClientStatus1/1"),
        lambda: example_json("InvoiceClientStatus1"),
        "invoices",
    ),
    "clients": (api("clients"), _clients, "data"),
    "plans": (api("plans"), lambda: example_json("plans"), "plans"),
    "tickets": (api("tickets"), lambda: _own(example_json("tickets")), "data"),
    "ticket": (api(f"tickets/{TICKET_ID}"), lambda: _own(example_json("ticket")), "data"),
    "tickets-meta": (api("tickets/meta"), lambda: example_json("tickets-meta"), "data"),
}

NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>Not Found</title></head><body>404</body></html>"
SERVER_ERROR_PAGE = "<!DOCTYPE html><html><body><h1>500 | Server Error</h1></body></html>"
MAINTENANCE_PAGE = "<!DOCTYPE html><html><body><h1>503 | Service Unavailable</h1></body></html>"
EXPIRED_PAGE = "<!DOCTYPE html><html><body><h1>419 | Page Expired</h1></body></html>"

# Shapes that replace the whole answer, whatever the endpoint.
WHOLE_ANSWERS: dict[str, dict[str, Any]] = {
    "success-false": {"json": {"success": False, "message": "No se encontraron datos"}},
    "empty-object": {"json": {}},
    "404-json": {"status": 404, "json": {"message": "Not Found"}},
    "404-html": {"status": 404, "body": NOT_FOUND_PAGE, "content_type": "text/html"},
    "500-html": {"status": 500, "body": SERVER_ERROR_PAGE, "content_type": "text/html"},
    "503-html": {"status": 503, "body": MAINTENANCE_PAGE, "content_type": "text/html"},
    "419": {"status": 419, "body": EXPIRED_PAGE, "content_type": "text/html"},
    "429": {
        "status": 429,
        "json": {"message": "Too Many Attempts."},
        "headers": {"Retry-After": "7"},
    },
    "401": {"status": 401, "json": {"message": "Unauthenticated."}},
    "200-unauthenticated": {"json": {"message": "Unauthenticated."}},
}
# Shapes of the reference's own answer, with its list or record emptied.
BODY_SHAPES = ("reference", "empty-list", "null")
SHAPES = (*BODY_SHAPES, *WHOLE_ANSWERS)
MUTATIONS = ("drop", "null", "number-as-string", "string-as-number", "empty-list")


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into `value` (dict keys and list indexes), parents before children."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _leaves(inner, (*path, index))
    return found


def _mutate(body: Any, mutations: list[tuple[int, str]]) -> Any:
    """`body` with each (position, how) applied to the position-th path, modulo their count."""
    for position, how in mutations:
        paths = _leaves(body)
        if not paths:
            return body
        *parent_path, last = paths[position % len(paths)]
        parent = body
        for step in parent_path:
            parent = parent[step]
        value = parent[last]
        if how == "drop" and isinstance(parent, dict):
            del parent[last]
        elif how == "null":
            parent[last] = None
        elif (
            how == "number-as-string"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            parent[last] = str(value)
        elif how == "string-as-number" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                parent[last] = json.loads(value.strip() or "x")
        elif how == "empty-list" and isinstance(value, list | dict):
            parent[last] = []
    return body


def _answer(endpoint: str, shape: str, mutations: list[tuple[int, str]]) -> dict[str, Any]:
    _, reference, key = ENDPOINTS[endpoint]
    if shape in WHOLE_ANSWERS:
        return copy.deepcopy(WHOLE_ANSWERS[shape])
    body = reference()
    if shape == "empty-list":
        if endpoint == "get-user":
            body["invoices"] = {"invoices_smartISP": []}
        else:
            body[key] = [] if isinstance(body.get(key), list) else {}
    elif shape == "null":
        if endpoint == "get-user":
            body["invoices"] = None
        else:
            body[key] = None
    return {"json": _mutate(body, mutations)}


variant = st.tuples(
    st.sampled_from(SHAPES),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(MUTATIONS)), max_size=3),
)
answers = st.fixed_dictionaries(dict.fromkeys(ENDPOINTS, variant))


def _every_shape_on_every_endpoint(test):
    """One explicit example per (endpoint, shape): that endpoint so, every other one normal."""
    normal = {endpoint: ("reference", []) for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        for shape in SHAPES:
            test = example(answers={**normal, endpoint: (shape, [])})(test)
    return test


@pytest.fixture
def signed_in(client, subscriber):
    client.force_login(subscriber)
    return client


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answers=answers)
@_every_shape_on_every_endpoint
def test_every_page_makes_sense_whatever_smartisp_answers(signed_in, smartisp, answers):
    smartisp.reset()
    cache.clear()
    for endpoint, (shape, mutations) in answers.items():
        smartisp.get(ENDPOINTS[endpoint][0], **_answer(endpoint, shape, mutations))

    statuses = {page: signed_in.get(page, HTTP_ACCEPT_LANGUAGE="en").status_code for page in PAGES}

    assert set(statuses.values()) <= SENSIBLE, (answers, statuses)
    assert statuses["/healthz"] in (200, 503)
    # With invoices readable, the dashboard is never lost to an optional part failing.
    shape, mutations = answers["unpaid"]
    if shape in BODY_SHAPES and not mutations:
        assert statuses["/"] == 200, (answers, statuses)
