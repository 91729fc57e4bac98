"""The API key never leaves in an error message, a repr or a log line, whatever happens."""

import logging
import socket

import pytest
import requests

from conftest import TEST_SMARTISP_KEY
from portal.smartisp import SmartISPClient, SmartISPError, get_client
from tests.conftest import api, example

KEY = TEST_SMARTISP_KEY
ECHO = f"Invalid token {KEY}"


def _closed_port_client(**_) -> SmartISPClient:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return SmartISPClient(
        base_url=f"http://127.0.0.1:{port}/api/SmartIPS-v1/",
        api_key=KEY,
        timeout=1,
        connect_timeout=1,
        retry_backoff=(0, 0),
    )


# (name, how SmartISP answers get-user/1)
ANSWERS = {
    "success": {"body": example("get-user")},
    "unauthorized": {"status": 401, "json": {"message": ECHO}},
    "not-found-404": {"status": 404, "json": {"message": ECHO}},
    "success-false": {"json": {"success": False, "message": ECHO}},
    "rejected-422": {"status": 422, "json": {"message": ECHO, "errors": {"dni": [ECHO]}}},
    "rejected-400": {"status": 400, "json": {"message": ECHO}},
    "server-error": {"status": 500, "json": {"message": ECHO}},
    "unavailable-503": {"status": 503, "body": f"<html>{ECHO}</html>"},
    "html-200": {"body": f"<html><body>{ECHO}</body></html>"},
    "invalid-json": {"body": f'{{"message": "{ECHO}"', "content_type": "application/json"},
    "wrong-shape": {"json": {"user": [ECHO]}},
    "timeout": {"body": requests.exceptions.ReadTimeout(ECHO)},
    "connection-error": {"body": requests.exceptions.ConnectionError(ECHO)},
    "other-request-error": {"body": requests.exceptions.RequestException(ECHO)},
}


def assert_no_key(caplog, error: BaseException | None) -> None:
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in (record.exc_text or "")
    if error is not None:
        assert KEY not in str(error)
        assert KEY not in repr(error)
        assert KEY not in getattr(error, "message", "")
        assert KEY not in repr(getattr(error, "errors", ""))


@pytest.mark.parametrize("answer", list(ANSWERS), ids=list(ANSWERS))
def test_api_key_is_in_no_error_or_log(smartisp, caplog, answer):
    caplog.set_level(logging.DEBUG)
    smartisp.get(api("get-user/1"), **ANSWERS[answer])
    error = None

    try:
        get_client().user_get("1")
    except SmartISPError as exc:
        error = exc

    assert (error is None) == (answer == "success")
    assert smartisp.calls[0].request.headers["X-Authorization"] == KEY
    assert_no_key(caplog, error)


def test_api_key_is_in_no_error_or_log_when_the_port_is_closed(caplog):
    caplog.set_level(logging.DEBUG)
    isp = _closed_port_client()

    with pytest.raises(SmartISPError) as caught:
        isp.plans_list()

    assert_no_key(caplog, caught.value)


def test_client_repr_hides_the_key():
    assert KEY not in repr(get_client())


# -- credentials SmartISP puts in its records never leave the parser ---------------------------

PASSWORD_IN_RECORD = "Sm4rtISP-subscriber-pw-7731"  # a subscriber's reversibly stored password
TOKEN_IN_RECORD = "nuvai-token-5c2e91"
HOTSPOT_PASSWORD = "hotspot-pass-90ab"
SECRETS = (PASSWORD_IN_RECORD, TOKEN_IN_RECORD, HOTSPOT_PASSWORD)


def _with_credentials(record: dict) -> dict:
    """A record as real installs send it (smartisp-field-notes.md): the client's `password`,
    `custom_token_nuvai`, and (on services) `pass_hot`."""
    return {
        **record,
        "password": PASSWORD_IN_RECORD,
        "custom_token_nuvai": TOKEN_IN_RECORD,
        "api_token": TOKEN_IN_RECORD,
    }


def _mock_smartisp_with_credentials(smartisp) -> None:
    from tests.conftest import example_json

    user = example_json("get-user")
    user["user"] = _with_credentials({**user["user"], "id": 1})
    for invoice in user["invoices"]["invoices_smartISP"]:
        invoice["client_id"] = 1
    smartisp.get(api("get-user/2100454590"), json=user)

    clients = example_json("clients")
    ours = _with_credentials({**clients["data"][0], "id": 1})
    ours["service"] = [
        {**s, "client_id": 1, "pass_hot": HOTSPOT_PASSWORD, "user_hot": "u"}
        for s in ours["service"]
    ]
    clients["data"] = [ours]
    smartisp.get(api("clients"), json=clients)

    unpaid = example_json("InvoiceClientStatus3")
    for invoice in unpaid["invoices"]:
        invoice["client"] = _with_credentials(invoice.get("client") or {"id": 1})
    smartisp.get(api("InvoiceClientStatus3/1"), json=unpaid)
    smartisp.get(api("InvoiceClientStatus1/1"), json=example_json("InvoiceClientStatus1"))
    smartisp.get(api("plans"), json=example_json("plans"))
    smartisp.get(api("routers"), json=example_json("routers"))
    tickets = example_json("tickets")
    for t in tickets["data"]:
        t.update(client_id=1, client=_with_credentials({**t["client"], "id": 1}))
    smartisp.get(api("tickets"), json=tickets)
    smartisp.get(api("tickets/meta"), json=example_json("tickets-meta"))
    ticket = example_json("ticket")
    ticket["data"].update(client_id=1, client=_with_credentials(ticket["data"]["client"]))
    smartisp.get(api(f"tickets/{ticket['data']['id']}"), json=ticket)


def _cache_bytes() -> bytes:
    from django.core.cache import cache

    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):  # local memory: pickled values
        return b"".join(store.values()) + repr(list(store)).encode()
    client = cache._cache.get_client()  # Redis
    return b"".join(client.get(k) or b"" for k in client.keys("*"))


def _database_text() -> str:
    from django.apps import apps

    return "\n".join(
        repr(row) for model in apps.get_models() for row in model.objects.all().values()
    )


@pytest.mark.django_db
def test_credentials_in_smartisp_records_reach_no_cache_log_page_or_row(client, smartisp, caplog):
    from tests.conftest import PASSWORD

    caplog.set_level(logging.DEBUG)
    _mock_smartisp_with_credentials(smartisp)
    from accounts.models import User

    User.objects.create_user("2100454590", PASSWORD, smartisp_id=1, name="Shiguango Esthela")
    client.post("/accounts/activate/", {"dni": "2100454590"})  # refreshes the account row
    signed_in = client.post("/accounts/login/", {"dni": "2100454590", "password": PASSWORD})
    assert signed_in.status_code == 302
    pages = [
        client.get(path)
        for path in (
            "/",
            "/billing/invoices/",
            "/billing/invoices/?status=paid",
            "/billing/invoices/3112/",
            "/accounts/profile/",
            "/support/tickets/",
            "/support/tickets/2491/",
        )
    ]
    get_client().routers_list()  # a router record carries its login password too

    assert [p.status_code for p in pages] == [200] * len(pages)
    assert len(smartisp.calls) > len(pages)  # the records really came from SmartISP
    seen = {
        "pages": b"".join(p.content for p in pages),
        "cache": _cache_bytes(),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records).encode(),
        "database": _database_text().encode(),
    }
    for where, text in seen.items():
        for secret in SECRETS:
            assert secret.encode() not in text, f"{secret} reached the {where}"
    assert b"Shiguango" in seen["cache"]  # the records were cached: the check looked at them


def test_credential_fields_are_dropped_as_the_answer_is_decoded(smartisp):
    """Not only the records: the decoded answer itself, before any parser or cache sees it."""
    smartisp.get(
        api("clients"),
        json={
            "success": True,
            "data": [
                {
                    "id": 1,
                    "name": "Ana",
                    "password": PASSWORD_IN_RECORD,
                    "custom_token_nuvai": TOKEN_IN_RECORD,
                    "service": [{"id": 2, "pass_hot": HOTSPOT_PASSWORD, "user_hot": "ana"}],
                    "router": {"id": 1, "login": "admin", "password": PASSWORD_IN_RECORD},
                    "Secret_Key": TOKEN_IN_RECORD,
                    "api_key": TOKEN_IN_RECORD,
                }
            ],
        },
    )

    decoded = get_client()._get("clients")

    (record,) = decoded["data"]
    assert record["name"] == "Ana" and record["service"][0]["user_hot"] == "ana"
    assert record["router"] == {"id": 1, "login": "admin"}
    for secret in SECRETS:
        assert secret not in repr(decoded)
