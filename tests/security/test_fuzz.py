"""Every form field and query parameter fuzzed with hypothesis: whatever is sent (NUL bytes,
line breaks, right-to-left overrides, 10,000 characters, unknown fields, a field repeated), no
page answers 500. A 503 is allowed where it is the readable "SmartISP is unreachable" page."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.code_views import SESSION_BY_CODE
from billing.models import PaymentStatus
from tests.billing.payment_helpers import payment_make
from tests.conftest import api, example, example_json
from tests.messaging.shapes import use_whatsapp
from tests.support.conftest import OWN_TICKET_ID, ticket_body, tickets_body
from tests.transfers.helpers import report_make

fuzz = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Anything a browser can send (lone surrogates cannot be encoded, so no client sends them).
_chars = st.characters(blacklist_categories=("Cs",))
values = st.one_of(
    st.text(_chars, max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "\r\n",
            "\u202e",
            "../../etc/passwd",
            "//evil.example/",
            "javascript:alert(1)",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "99999999999999999999999999",
            "-1",
            "1e999",
            "NaN",
            "x" * 10_000,
        ]
    ),
    # Values the forms accept, so that fuzzing also goes past their validation.
    st.sampled_from(["1", "on", "3112", "4624", "approve", "reject", "2100454590", "123456"]),
)
# A browser repeats a field for every box ticked (`invoices` on the pay-several form).
field_values = st.one_of(values, st.lists(values, min_size=2, max_size=3))
extra_keys = st.sampled_from(["x", "page", "status", "next", "id", "csrfmiddlewaretoken"])

SIGNED_IN = "signed-in"
# Signed in by a phone code in this session, as code_verify leaves it: the only way to
# /accounts/code/password/'s form.
BY_CODE = "signed-in by code"
STAFF = "staff"
ANONYMOUS = "anonymous"
# (who, method, path, the fields or parameters it reads)
TARGETS = [
    (ANONYMOUS, "post", "/accounts/login/", ["dni", "password", "remember", "next"]),
    (ANONYMOUS, "get", "/accounts/login/", ["next"]),
    (ANONYMOUS, "post", "/accounts/activate/", ["dni"]),
    (ANONYMOUS, "post", "/accounts/password-reset/", ["dni"]),
    (ANONYMOUS, "post", "/i18n/setlang/", ["language", "next"]),
    (ANONYMOUS, "get", "/billing/return/sandbox/", ["id", "clientTransactionId", "session_id"]),
    (ANONYMOUS, "get", "/billing/return/payphone/", ["id", "clientTransactionId"]),
    (ANONYMOUS, "post", "/accounts/activate/MQ/set-password/", ["new_password1", "new_password2"]),
    (ANONYMOUS, "post", "/accounts/code/", ["dni"]),
    (ANONYMOUS, "get", "/accounts/code/", ["reset"]),
    (ANONYMOUS, "post", "/accounts/code/verify/", ["dni", "code"]),
    (BY_CODE, "post", "/accounts/code/password/", ["new_password1", "new_password2"]),
    (SIGNED_IN, "get", "/accounts/login/", ["next"]),
    (SIGNED_IN, "get", "/", ["status", "page"]),
    (SIGNED_IN, "get", "/billing/invoices/", ["status", "page"]),
    (SIGNED_IN, "get", "/billing/invoices/4624/", ["print"]),
    (SIGNED_IN, "post", "/billing/invoices/4624/pay/", ["invoices"]),
    (SIGNED_IN, "post", "/billing/pay/", ["invoices"]),
    (SIGNED_IN, "get", "/billing/payments/{reference}/", ["cancelled", "shown"]),
    (SIGNED_IN, "post", "/accounts/profile/", ["old_password", "new_password1", "new_password2"]),
    (SIGNED_IN, "get", "/support/tickets/", ["status", "page"]),
    (SIGNED_IN, "get", "/support/tickets/new/", ["subject"]),
    (
        SIGNED_IN,
        "post",
        "/support/tickets/new/",
        ["subject", "message", "type", "priority", "section", "submission_id"],
    ),
    (SIGNED_IN, "get", f"/support/tickets/{OWN_TICKET_ID}/", ["page"]),
    (SIGNED_IN, "post", f"/support/tickets/{OWN_TICKET_ID}/reply/", ["message", "submission_id"]),
    (SIGNED_IN, "post", f"/support/tickets/{OWN_TICKET_ID}/resolve/", ["confirm"]),
    (STAFF, "post", "/staff/transfers/{report}/", ["decision", "reason"]),
]


def _mock_smartisp(smartisp) -> None:
    """SmartISP answering like the reference for client 1, whatever the query string."""

    def any_query(path: str):
        return re.compile(re.escape(api(path)) + r"(\?.*)?$")

    smartisp.get(re.compile(re.escape(api("get-user/")) + ".*"), body=example("get-user"))
    smartisp.get(any_query("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(any_query("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(any_query("clients"), body=example("clients"))
    smartisp.get(any_query("plans"), body=example("plans"))
    smartisp.get(any_query("tickets/meta"), json=example_json("tickets-meta"))
    smartisp.get(any_query(f"tickets/{OWN_TICKET_ID}"), json=ticket_body())
    smartisp.get(any_query("tickets"), json=tickets_body([]))


def _sign_in(client, subscriber, who: str) -> None:
    if who in (SIGNED_IN, BY_CODE):
        client.force_login(subscriber)
    if who == BY_CODE:
        session = client.session
        session[SESSION_BY_CODE] = True
        session.save()
    if who == STAFF:
        from accounts.models import User

        client.force_login(User.objects.create_user("0999999999", None, is_staff=True))


@pytest.mark.parametrize(
    ("who", "method", "path", "fields"), TARGETS, ids=[f"{t[1]} {t[2]}" for t in TARGETS]
)
def test_no_form_or_parameter_makes_a_server_error(
    client, smartisp, settings, subscriber, who, method, path, fields
):
    use_whatsapp(settings)  # every form on: the phone-code pages too
    _mock_smartisp(smartisp)
    _sign_in(client, subscriber, who)
    reference = payment_make(subscriber, PaymentStatus.PENDING).reference
    url = path.format(reference=reference, report=report_make(subscriber).pk)
    keys = st.one_of(st.sampled_from(fields), extra_keys) if fields else extra_keys

    @fuzz
    @given(data=st.dictionaries(keys, field_values, max_size=len(fields) + 2))
    def probe(data):
        response = getattr(client, method)(url, data)
        assert response.status_code < 500 or response.status_code == 503, (url, data)

    probe()
