"""Property: whatever plausible answer SmartISP gives on any endpoint, every page that shows or
depends on SmartISP data is a page that makes sense, never a server error (issue 17).

SmartISP is mocked at the HTTP boundary with `responses`. Each endpoint a page group uses answers
one variant: the reference's example (smartisp-api-v1.txt), possibly mutated (keys dropped,
values nulled, numbers as strings and strings as numbers), or one of the shapes
smartisp-field-notes.md lists (empty lists, `success: false`, JSON and HTML 404s, Laravel's
HTML 500/503, 419, 429 with Retry-After, a refused key: 401, 403, a 200 "Unauthenticated." and a
redirect to the HTML sign-in page). Explicit examples meet every shape on every endpoint of each
group once (the others answering normally); hypothesis then mixes them.

Every response is checked: never a 500 and never a traceback; a GET is 200, 404 or the readable
503 page; a POST is a redirect or its form again with a message. The operator gets a log line
naming the endpoint, the status and the shape of every odd answer, and no log line, page or
PDF holds the API key or the subscriber's personal data.

getInvoiceCliente is read by settlement on the task worker, never inside a request (the groups
check which endpoints their pages call); the payments group serves it all the same, so a page
that starts reading it meets every shape at once.
"""

import copy
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing.models import PaymentStatus
from conftest import TEST_SMARTISP_KEY
from portal.smartisp.client import endpoint_of
from tests.billing.payment_helpers import GATEWAY, payment_make
from tests.conftest import PASSWORD, api, example_json
from tests.portal.answer_shapes import (
    BODY_SHAPES,
    MUTATIONS,
    SHAPES,
    SIGN_IN_PAGE,
    SIGN_IN_URL,
    WHOLE_ANSWERS,
    mutate,
)
from tests.transfers.helpers import ACCOUNTS, report_data, report_make

pytestmark = pytest.mark.django_db
DNI = "2100454590"
TICKET_ID = 2491
# What SmartISP's client record holds that must never reach a page or a log line.
SECRET_PASSWORD = "clave-smartisp-Qx7"
PERSONAL = (DNI, "Shiguango", "jaquelines@gmail.com", "jaquego@gmail.com", "453345467")
# Beyond the explicit examples (every shape on every endpoint of a group): mixes of them.
RANDOM_EXAMPLES = 20


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


def _user() -> dict:
    # Real installs put the subscriber's SmartISP password in the record (field notes).
    body = example_json("get-user")
    body["user"]["password"] = SECRET_PASSWORD
    return body


def _invoice() -> dict:
    body = copy.deepcopy(example_json("getInvoiceCliente"))
    body["BillCustomer"].update(id=4585, num_bill="4624")
    return body


def _created_ticket() -> dict:
    body = example_json("ticket-create")
    body["data"]["client_id"] = 1
    return body


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: str
    reference: Callable[[], Any]  # the reference's answer, moved to client 1
    key: str  # the key its list or record is under


ENDPOINTS: dict[str, Endpoint] = {
    "get-user": Endpoint("GET", api(f"get-user/{DNI}"), _user, "user"),
    "unpaid": Endpoint(
        "GET",
        api("InvoiceClientStatus3/1"),
        lambda: example_json("InvoiceClientStatus3"),
        "invoices",
    ),
    "paid": Endpoint(
        "GET",
        api("InvoiceClientStatus1/1"),
        lambda: example_json("InvoiceClientStatus1"),
        "invoices",
    ),
    "invoice": Endpoint("GET", api("getInvoiceCliente/4624"), _invoice, "BillCustomer"),
    "clients": Endpoint("GET", api("clients"), _clients, "data"),
    "plans": Endpoint("GET", api("plans"), lambda: example_json("plans"), "plans"),
    "tickets": Endpoint("GET", api("tickets"), lambda: _own(example_json("tickets")), "data"),
    "ticket": Endpoint(
        "GET", api(f"tickets/{TICKET_ID}"), lambda: _own(example_json("ticket")), "data"
    ),
    "tickets-meta": Endpoint(
        "GET", api("tickets/meta"), lambda: example_json("tickets-meta"), "data"
    ),
    "ticket-create": Endpoint("POST", api("tickets"), _created_ticket, "data"),
    "ticket-reply": Endpoint(
        "POST", api(f"tickets/{TICKET_ID}/reply"), lambda: example_json("ticket-reply"), "data"
    ),
    "ticket-update": Endpoint(
        "PATCH", api(f"tickets/{TICKET_ID}"), lambda: example_json("ticket-update"), "data"
    ),
}


def _answer(endpoint: str, shape: str, mutations: list[tuple[int, str]]) -> dict[str, Any]:
    spec = ENDPOINTS[endpoint]
    if shape in WHOLE_ANSWERS:
        return copy.deepcopy(WHOLE_ANSWERS[shape])
    body = spec.reference()
    if shape == "empty-list":
        if endpoint == "get-user":
            body["invoices"] = {"invoices_smartISP": []}
        else:
            body[spec.key] = [] if isinstance(body.get(spec.key), list) else {}
    elif shape == "null":
        if endpoint == "get-user":
            body["invoices"] = None
        else:
            body[spec.key] = None
    return {"json": mutate(body, mutations)}


variant = st.tuples(
    st.sampled_from(SHAPES),
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(MUTATIONS)), max_size=3),
)


# -- the pages, by group -------------------------------------------------------------------------


@dataclass
class Visitor:
    """The browsers of one test: the subscriber, an anonymous visitor and a staff member, with
    the ledger rows the pages need."""

    subscriber: Client
    anonymous: Client
    staff: Client
    settled_reference: str
    report_id: int

    def get(self, url: str, browser: Client | None = None):
        return (browser or self.subscriber).get(url, HTTP_ACCEPT_LANGUAGE="en")

    def post(self, url: str, data: dict, browser: Client | None = None):
        return (browser or self.subscriber).post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def _overview(v: Visitor) -> dict:
    pages = (
        "/",
        "/billing/invoices/",
        "/billing/invoices/?status=paid",
        "/billing/invoices/3112/",
        "/billing/invoices/4624/",
        "/billing/transfers/new/",
        "/accounts/profile/",
        "/healthz",
    )
    return {f"GET {page}": v.get(page) for page in pages}


def _pdfs(v: Visitor) -> dict:
    pages = (
        "/billing/invoices/4624/pdf/",
        "/billing/invoices/3112/pdf/",
        f"/billing/payments/{v.settled_reference}/pdf/",
    )
    return {f"GET {page}": v.get(page) for page in pages}


def _support(v: Visitor) -> dict:
    ticket = f"/support/tickets/{TICKET_ID}/"
    new_ticket = {
        "subject": "No internet connection",
        "message": "The service is down since this morning.",
        "type": "incident",
        "priority": "high",
        "section": "tecnico",
        "submission_id": str(uuid.uuid4()),
    }
    reply = {"message": "It is still down.", "submission_id": str(uuid.uuid4())}
    return {
        "GET /support/tickets/": v.get("/support/tickets/"),
        "GET /support/tickets/new/": v.get("/support/tickets/new/"),
        f"GET {ticket}": v.get(ticket),
        "POST /support/tickets/new/": v.post("/support/tickets/new/", new_ticket),
        f"POST {ticket}reply/": v.post(f"{ticket}reply/", reply),
        f"POST {ticket}resolve/": v.post(f"{ticket}resolve/", {"confirm": "1"}),
    }


def _payments(v: Visitor) -> dict:
    report = report_data()  # both unpaid invoices, as the transfer form posts them
    # The report first: once a checkout is open for its invoices, it is refused (rightly).
    return {
        "POST /billing/transfers/new/": v.post("/billing/transfers/new/", report),
        "POST /billing/pay/ (all)": v.post("/billing/pay/", {}),
        "POST /billing/pay/ (named)": v.post("/billing/pay/", {"invoices": ["4624", "3112"]}),
        "POST /billing/invoices/4624/pay/": v.post("/billing/invoices/4624/pay/", {}),
    }


def _staff(v: Visitor) -> dict:
    review = f"/staff/transfers/{v.report_id}/"
    return {
        f"GET {review}": v.get(review, v.staff),
        f"POST {review}": v.post(
            review, {"decision": "reject", "reason": "No such transfer"}, v.staff
        ),
    }


def _sign_in(v: Visitor) -> dict:
    return {
        "POST /accounts/login/": v.post(
            "/accounts/login/", {"dni": DNI, "password": PASSWORD}, v.anonymous
        ),
        "POST /accounts/activate/": v.post("/accounts/activate/", {"dni": DNI}, v.anonymous),
        "POST /accounts/password-reset/": v.post(
            "/accounts/password-reset/", {"dni": DNI}, v.anonymous
        ),
    }


# Settlement reads it on the task worker; no page does (see the module's docstring).
READ_ON_THE_WORKER = {"invoice"}


@dataclass(frozen=True)
class Group:
    visit: Callable[[Visitor], dict]
    endpoints: tuple[str, ...]  # every endpoint its pages call


GROUPS = {
    "overview": Group(
        _overview, ("get-user", "unpaid", "paid", "clients", "plans", "tickets", "tickets-meta")
    ),
    "pdfs": Group(_pdfs, ("get-user", "unpaid", "paid")),
    "support": Group(
        _support,
        ("tickets", "ticket", "tickets-meta", "ticket-create", "ticket-reply", "ticket-update"),
    ),
    "payments": Group(_payments, ("unpaid", "paid", "invoice")),
    "staff": Group(_staff, ("unpaid",)),
    "sign-in": Group(_sign_in, ("get-user",)),
}


# -- what every answer must be -------------------------------------------------------------------

READABLE_503 = "Billing system unreachable"
GET_STATUSES = {200, 404, 503}
# 403: the sign-in form saying the DNI is no longer a subscriber's.
POST_STATUSES = {200, 302, 303, 400, 403, 404, 422, 503}
KEY_REFUSED = ("401", "403-html", "200-unauthenticated", "redirect-to-sign-in")


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/pdf"):
        return response.content.decode("latin-1")
    return response.content.decode("utf-8", errors="replace")


def _assert_sensible(label: str, response, answers) -> None:
    status, text = response.status_code, _text(response)
    assert "Traceback" not in text, (label, answers)
    if label.startswith("GET /healthz"):
        assert status in (200, 503), (label, status, answers)
    elif label.startswith("GET "):
        assert status in GET_STATUSES, (label, status, answers)
        if status == 503:
            assert READABLE_503 in text, (label, answers)
    else:
        assert status in POST_STATUSES, (label, status, answers)
    for secret in (TEST_SMARTISP_KEY, SECRET_PASSWORD):
        assert secret not in text, (label, answers)


def _assert_logs(records: list[logging.LogRecord], served: dict[str, str], calls, answers) -> None:
    """One line per odd answer of an endpoint a page called, naming it and its status; nothing
    in any line that a log reader should not see."""
    lines = [record.getMessage() for record in records]
    for line in lines:
        for secret in (TEST_SMARTISP_KEY, SECRET_PASSWORD, *PERSONAL):
            assert secret not in line, (line, answers)
    called = {(c.request.method, c.request.url.split("?")[0]) for c in calls}
    odd = [r.getMessage() for r in records if r.name == "portal.smartisp.client"]
    for endpoint, shape in served.items():
        spec = ENDPOINTS[endpoint]
        if shape not in WHOLE_ANSWERS or (spec.method, spec.url) not in called:
            continue
        name = endpoint_of(spec.url.removeprefix(api("")))
        status = WHOLE_ANSWERS[shape].get("status", 200)
        said = re.compile(rf"smartisp {spec.method} {re.escape(name)}: odd answer, HTTP {status}, ")
        assert any(said.match(line) for line in odd), (endpoint, shape, odd)


def _called_endpoints(calls) -> set[str]:
    urls = {(c.request.method, c.request.url.split("?")[0]) for c in calls}
    return {name for name, spec in ENDPOINTS.items() if (spec.method, spec.url) in urls}


# -- the property, once per group ----------------------------------------------------------------


@pytest.fixture
def visitor(client, subscriber, settings):
    from accounts.models import User

    settings.PORTAL_BANK_ACCOUNTS = ACCOUNTS
    client.force_login(subscriber)
    staff = Client()
    staff.force_login(User.objects.create_user("0999999999", None, is_staff=True))
    return Visitor(
        subscriber=client,
        anonymous=Client(),
        staff=staff,
        # Of an invoice SmartISP no longer lists, so that 3112 and 4624 are free to pay or report.
        settled_reference=payment_make(
            subscriber,
            PaymentStatus.SETTLED,
            invoice_id=9001,
            num_bill="9001",
            session_id="cs_9001",
        ).reference,
        report_id=report_make(
            subscriber,
            reference="0099999",
            invoices=[{"num_bill": "9002", "invoice_id": 9002, "total": "10.00"}],
            amount=Decimal("10.00"),
        ).pk,
    )


def _checkout_opened(request) -> tuple[int, dict, str]:
    """The sandbox gateway opening a checkout, each with its own session id."""
    session = f"cs_{uuid.uuid4().hex}"
    return 201, {}, json.dumps({"id": session, "url": f"{GATEWAY}/checkout/{session}"})


def _serve(smartisp, answers) -> None:
    smartisp.reset()
    for method in ("GET", "POST", "PATCH"):
        smartisp.add(method, SIGN_IN_URL, body=SIGN_IN_PAGE, content_type="text/html")
    smartisp.add_callback("POST", f"{GATEWAY}/checkout/sessions", callback=_checkout_opened)
    for endpoint, (shape, mutations) in answers.items():
        spec = ENDPOINTS[endpoint]
        smartisp.add(spec.method, spec.url, **_answer(endpoint, shape, mutations))


def _group_test(name: str) -> Callable:
    group = GROUPS[name]
    answers = st.fixed_dictionaries(dict.fromkeys(group.endpoints, variant))

    @settings(
        max_examples=RANDOM_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(answers=answers)
    def test(visitor, smartisp, caplog, answers):
        cache.clear()
        caplog.clear()
        _serve(smartisp, answers)
        with transaction.atomic():  # each example starts from the same ledger
            with caplog.at_level(logging.INFO):
                responses = group.visit(visitor)
            transaction.set_rollback(True)

        for label, response in responses.items():
            _assert_sensible(label, response, answers)
        served = {endpoint: shape for endpoint, (shape, _m) in answers.items()}
        _assert_logs(caplog.records, served, smartisp.calls, answers)
        called = _called_endpoints(smartisp.calls)
        assert called <= set(group.endpoints), (name, called)
        if all(variant == ("reference", []) for variant in answers.values()):
            # Answering normally, the pages read every endpoint the group varies.
            assert called | READ_ON_THE_WORKER >= set(group.endpoints), (name, called)
        unpaid_shape, unpaid_mutations = answers.get("unpaid", ("", []))
        if name == "overview" and unpaid_shape in BODY_SHAPES and not unpaid_mutations:
            # With invoices readable, the dashboard is never lost to an optional part failing.
            assert responses["GET /"].status_code == 200, answers
        if name == "sign-in" and answers["get-user"][0] in KEY_REFUSED:
            # A refused key is the operator's problem, never "no longer a subscriber".
            assert responses["POST /accounts/login/"].status_code == 302, answers

    normal = {endpoint: ("reference", []) for endpoint in group.endpoints}
    for endpoint in group.endpoints:
        for shape in SHAPES:
            test = example(answers={**normal, endpoint: (shape, [])})(test)
    test.__name__ = f"test_{name.replace('-', '_')}_pages_make_sense_whatever_smartisp_answers"
    return test


test_overview_pages_make_sense_whatever_smartisp_answers = _group_test("overview")
test_pdf_pages_make_sense_whatever_smartisp_answers = _group_test("pdfs")
test_support_pages_make_sense_whatever_smartisp_answers = _group_test("support")
test_payment_pages_make_sense_whatever_smartisp_answers = _group_test("payments")
test_staff_pages_make_sense_whatever_smartisp_answers = _group_test("staff")
test_sign_in_pages_make_sense_whatever_smartisp_answers = _group_test("sign-in")
