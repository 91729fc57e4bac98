"""The WhatsApp stand-in answers like the Cloud API, and the portal's own backend agrees with it."""

import pytest

from messaging.errors import ProviderRejected, Undeliverable
from messaging.service import send_code
from portal.sandbox import messaging_server
from tests.sandbox.conftest import TIMEOUT, http_session, serve_in_thread, stop

PHONE = "+593965432109"


@pytest.fixture
def standin():
    server = messaging_server.make_server("127.0.0.1", 0)
    thread = serve_in_thread(server)
    root = f"http://127.0.0.1:{server.server_address[1]}"
    yield root, http_session()
    stop(server, thread)


@pytest.fixture
def portal_uses(settings, standin):
    root, _ = standin
    settings.MESSAGING_BACKEND = "whatsapp"
    settings.WHATSAPP_API_URL = f"{root}/v25.0"
    settings.WHATSAPP_TOKEN = messaging_server.DEFAULT_TOKEN
    settings.WHATSAPP_PHONE_NUMBER_ID = messaging_server.DEFAULT_PHONE_NUMBER_ID
    settings.WHATSAPP_CODE_TEMPLATE = "codigo_acceso"
    settings.TWILIO_ACCOUNT_SID = ""
    return settings


def test_portal_code_is_accepted_and_listed_with_the_code(portal_uses, standin):
    root, http = standin

    sent = send_code(PHONE, "204817", "es")

    assert sent.channel == "whatsapp" and sent.message_id.startswith("wamid.")
    listed = http.get(f"{root}/__control/messages", timeout=TIMEOUT).json()["messages"]
    assert [(m["to"], m["code"], m["template"], m["language"]) for m in listed] == [
        (PHONE, "204817", "codigo_acceso", "es")
    ]
    assert listed[0]["id"] == sent.message_id


def test_refused_number_answers_131026_and_the_portal_reads_it_as_undeliverable(
    portal_uses, standin
):
    root, http = standin
    http.post(f"{root}/__control/refuse", json={"phone": PHONE}, timeout=TIMEOUT)

    with pytest.raises(Undeliverable) as caught:
        send_code(PHONE, "204817", "es")

    assert caught.value.code == 131026
    assert http.get(f"{root}/__control/messages", timeout=TIMEOUT).json() == {"messages": []}
    # And the switch goes back.
    http.post(f"{root}/__control/refuse", json={"phone": PHONE, "refuse": False}, timeout=TIMEOUT)
    assert send_code(PHONE, "204817", "es").channel == "whatsapp"


def test_wrong_token_is_graph_error_190(portal_uses, standin):
    portal_uses.WHATSAPP_TOKEN = "not-the-token"

    with pytest.raises(ProviderRejected) as caught:
        send_code(PHONE, "204817", "es")

    assert caught.value.code == 190


def test_answer_has_the_cloud_api_shape(standin):
    root, http = standin
    url = f"{root}/v25.0/{messaging_server.DEFAULT_PHONE_NUMBER_ID}/messages"
    answer = http.post(
        url,
        json={
            "messaging_product": "whatsapp",
            "to": PHONE,
            "type": "text",
            "text": {"body": "Hola"},
        },
        headers={"Authorization": f"Bearer {messaging_server.DEFAULT_TOKEN}"},
        timeout=TIMEOUT,
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": PHONE, "wa_id": "593965432109"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    unknown = http.post(
        f"{root}/v25.0/999/messages",
        json={},
        headers={"Authorization": f"Bearer {messaging_server.DEFAULT_TOKEN}"},
        timeout=TIMEOUT,
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 100
