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
