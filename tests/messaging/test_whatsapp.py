"""The WhatsApp Cloud API backend: the exact request Meta receives, and what its answers mean."""

import base64
import json
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.core import mail

from messaging.errors import NotConfigured, ProviderRejected, ProviderUnavailable, Undeliverable
from messaging.service import send_code, send_notice
from tests.messaging.shapes import (
    TW_MESSAGES,
    TW_SID,
    TW_TOKEN,
    WA_MESSAGES,
    WA_NOTICE_TEMPLATE,
    WA_RATE_LIMIT,
    WA_TEMPLATE,
    WA_TOKEN,
    WA_TOKEN_EXPIRED,
    WA_UNDELIVERABLE,
    tw_created,
    use_whatsapp,
    wa_accepted,
    wa_error,
)

PHONE = "+593991234567"


@pytest.fixture
def http():
    with responses.RequestsMock() as mock:
        yield mock


def test_code_goes_as_the_authentication_template_with_the_code_in_body_and_button(settings, http):
    use_whatsapp(settings)
    http.post(WA_MESSAGES, json=wa_accepted(PHONE))

    sent = send_code(PHONE, "482913", "es")

    assert (sent.channel, sent.message_id) == ("whatsapp", wa_accepted()["messages"][0]["id"])
    request = http.calls[0].request
    assert request.url == WA_MESSAGES
    assert request.headers["Authorization"] == f"Bearer {WA_TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": PHONE,
        "type": "template",
        "template": {
            "name": WA_TEMPLATE,
            "language": {"code": "es"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "482913"}],
                },
            ],
        },
    }


def test_code_template_language_follows_the_subscriber(settings, http):
    use_whatsapp(settings)
    http.post(WA_MESSAGES, json=wa_accepted(PHONE))

    send_code(PHONE, "482913", "en")

    assert json.loads(http.calls[0].request.body)["template"]["language"] == {"code": "en"}


def test_number_whatsapp_refuses_gets_the_code_by_sms(settings, http):
    use_whatsapp(settings)
    http.post(WA_MESSAGES, status=400, json=WA_UNDELIVERABLE)
    http.post(TW_MESSAGES, status=201, json=tw_created(PHONE))

    sent = send_code(PHONE, "482913", "es")

    assert sent.channel == "sms"
    sms = http.calls[1].request
    assert sms.url == TW_MESSAGES
    form = parse_qs(sms.body)
    assert form["To"] == [PHONE]
    assert form["Body"] == ["482913 es su código de Mi ISP. Vence en 10 minutos."]
    expected = base64.b64encode(f"{TW_SID}:{TW_TOKEN}".encode()).decode()
    assert sms.headers["Authorization"] == f"Basic {expected}"
    assert mail.outbox == []  # the subscriber's number, not the portal's set-up: no alert


# Meta's answers to a request of the portal's own that no recipient would change ("WhatsApp error
# codes", developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/).
SETUP_FAULTS = [
    pytest.param(401, WA_TOKEN_EXPIRED, id="190 access token expired"),
    pytest.param(
        404,
        wa_error(132001, "Template does not exist", "template name (codigo_acceso) does not exist"),
        id="132001 template does not exist",
    ),
    pytest.param(
        400, wa_error(100, "Invalid parameter", "Unexpected key 'sub_type'"), id="100 invalid"
    ),
    pytest.param(
        400,
        wa_error(131031, "Account has been locked", "Business account is locked."),
        id="131031 account locked",
    ),
]


@pytest.mark.parametrize(("status", "answer"), SETUP_FAULTS)
def test_a_whatsapp_setup_fault_fails_the_send_and_never_pays_for_an_sms(
    settings, caplog, status, answer
):
    use_whatsapp(settings)
    settings.ADMINS = [("Ops", "ops@example.com")]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.post(WA_MESSAGES, status=status, json=answer)
        twilio = http.post(TW_MESSAGES, status=201, json=tw_created(PHONE))

        with pytest.raises(ProviderRejected) as caught:
            send_code(PHONE, "482913", "es")

        assert [call.request.url for call in http.calls] == [WA_MESSAGES]
        assert twilio.call_count == 0
    assert caught.value.code == answer["error"]["code"]
    refused = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(refused) == 1 and str(answer["error"]["code"]) in refused[0].getMessage()
    (alert,) = mail.outbox
    assert alert.to == ["ops@example.com"]
    assert "WhatsApp refuses the portal's messages" in alert.subject
    assert answer["error"]["message"] in alert.body
    for text in (caplog.text, alert.subject, alert.body):
        assert WA_TOKEN not in text and "482913" not in text


def test_operators_hear_of_a_setup_fault_once_an_hour_not_per_send(settings, http):
    use_whatsapp(settings)
    settings.ADMINS = [("Ops", "ops@example.com")]
    http.post(WA_MESSAGES, status=401, json=WA_TOKEN_EXPIRED)

    for _ in range(3):
        with pytest.raises(ProviderRejected):
            send_code(PHONE, "482913", "es")

    assert len(http.calls) == 3
    assert len(mail.outbox) == 1


def test_whatsapp_down_still_tries_sms_as_before(settings, http):
    use_whatsapp(settings)
    http.post(WA_MESSAGES, status=503, body="<html>Service Unavailable</html>")
    http.post(TW_MESSAGES, status=201, json=tw_created(PHONE))

    assert send_code(PHONE, "482913", "es").channel == "sms"
    assert mail.outbox == []


def test_refused_number_without_twilio_is_undeliverable_and_permanent(settings, http):
    use_whatsapp(settings, twilio=False)
    http.post(WA_MESSAGES, status=400, json=WA_UNDELIVERABLE)

    with pytest.raises(Undeliverable) as caught:
        send_code(PHONE, "482913", "es")

    assert caught.value.code == 131026
    assert caught.value.permanent
    assert "not a WhatsApp user" in caught.value.message


@pytest.mark.parametrize(
    ("answer", "error", "permanent"),
    [
        ({"status": 401, "json": WA_TOKEN_EXPIRED}, ProviderRejected, True),
        ({"status": 400, "json": WA_RATE_LIMIT}, ProviderUnavailable, False),
        ({"status": 503, "body": "<html>Service Unavailable</html>"}, ProviderUnavailable, False),
        ({"body": requests.exceptions.ConnectTimeout("timed out")}, ProviderUnavailable, False),
        ({"status": 200, "body": "not json"}, ProviderRejected, True),
    ],
)
def test_failures_say_whether_a_retry_can_help(settings, http, answer, error, permanent):
    use_whatsapp(settings, twilio=False)
    http.post(WA_MESSAGES, **answer)

    with pytest.raises(error) as caught:
        send_code(PHONE, "482913", "es")

    assert caught.value.permanent is permanent
    assert WA_TOKEN not in str(caught.value)


def test_every_call_has_a_connect_and_read_timeout(settings, http):
    use_whatsapp(settings)
    settings.MESSAGING_TIMEOUT = 7
    http.post(WA_MESSAGES, json=wa_accepted(PHONE))

    send_code(PHONE, "482913", "es")

    assert http.calls[0].request.req_kwargs["timeout"] == (3.0, 7)


def test_notice_goes_as_the_notice_template_when_one_is_configured(settings, http):
    use_whatsapp(settings)
    settings.WHATSAPP_NOTICE_TEMPLATE = WA_NOTICE_TEMPLATE
    http.post(WA_MESSAGES, json=wa_accepted(PHONE))

    send_notice(PHONE, "Recibimos su pago.", "es")

    body = json.loads(http.calls[0].request.body)
    assert body["type"] == "template"
    assert body["template"] == {
        "name": WA_NOTICE_TEMPLATE,
        "language": {"code": "es"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Recibimos su pago."}]}
        ],
    }


def test_notice_without_a_template_is_text_and_falls_back_to_sms_outside_the_24h_window(
    settings, http
):
    use_whatsapp(settings)
    reengagement = {
        "error": {
            "message": "(#131047) Re-engagement message",
            "type": "OAuthException",
            "code": 131047,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": "Message failed to send because more than 24 hours have passed "
                "since the customer last replied to this number.",
            },
            "fbtrace_id": "AbCdEf",
        }
    }
    http.post(WA_MESSAGES, status=400, json=reengagement)
    http.post(TW_MESSAGES, status=201, json=tw_created(PHONE))

    sent = send_notice(PHONE, "Recibimos su pago.", "es")

    assert json.loads(http.calls[0].request.body)["text"] == {
        "preview_url": False,
        "body": "Recibimos su pago.",
    }
    assert sent.channel == "sms"
    assert parse_qs(http.calls[1].request.body)["Body"] == ["Recibimos su pago."]


def test_whatsapp_without_its_settings_is_not_configured(settings):
    use_whatsapp(settings)
    settings.WHATSAPP_TOKEN = ""

    with pytest.raises(NotConfigured):
        send_code(PHONE, "482913", "es")
