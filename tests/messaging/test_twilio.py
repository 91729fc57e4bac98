"""The Twilio SMS backend: the exact form Twilio receives, and what its error JSON means."""

import base64
from urllib.parse import parse_qs

import pytest
import responses

from messaging.errors import ProviderRejected, ProviderUnavailable, Undeliverable
from messaging.service import send_code, send_notice
from tests.messaging.shapes import (
    TW_AUTH,
    TW_FROM,
    TW_INVALID_TO,
    TW_MESSAGES,
    TW_SID,
    TW_TOKEN,
    tw_created,
    use_twilio,
)

PHONE = "+593991234567"


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


def test_code_is_posted_as_the_messages_form_with_basic_auth(settings, http):
    use_twilio(settings)
    http.post(TW_MESSAGES, status=201, json=tw_created(PHONE))

    sent = send_code(PHONE, "482913", "en")

    assert (sent.channel, sent.message_id) == ("sms", "SM1f0e8ae6ade43cb3c0ce4525424e404f")
    request = http.calls[0].request
    assert request.url == TW_MESSAGES
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body) == {
        "To": [PHONE],
        "From": [TW_FROM],
        "Body": ["482913 is your Mi ISP code. It expires in 10 minutes."],
    }
    expected = base64.b64encode(f"{TW_SID}:{TW_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_notice_body_is_the_text_as_given(settings, http):
    use_twilio(settings)
    http.post(TW_MESSAGES, status=201, json=tw_created(PHONE))

    send_notice(PHONE, "Su reporte de transferencia fue aprobado.", "es")

    assert parse_qs(http.calls[0].request.body)["Body"] == [
        "Su reporte de transferencia fue aprobado."
    ]


def test_invalid_number_is_undeliverable(settings, http):
    use_twilio(settings)
    http.post(TW_MESSAGES, status=400, json=TW_INVALID_TO)

    with pytest.raises(Undeliverable) as caught:
        send_code(PHONE, "482913", "es")

    assert caught.value.code == 21211
    assert caught.value.permanent


def test_bad_credentials_are_permanent_and_never_show_the_token(settings, http):
    use_twilio(settings)
    http.post(TW_MESSAGES, status=401, json=TW_AUTH)

    with pytest.raises(ProviderRejected) as caught:
        send_code(PHONE, "482913", "es")

    assert caught.value.code == 20003
    assert TW_TOKEN not in str(caught.value)


def test_twilio_down_is_worth_a_retry(settings, http):
    use_twilio(settings)
    http.post(TW_MESSAGES, status=503, body="upstream connect error")

    with pytest.raises(ProviderUnavailable) as caught:
        send_code(PHONE, "482913", "es")

    assert not caught.value.permanent
