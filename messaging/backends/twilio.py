"""Twilio Programmable Messaging (SMS), the fallback when WhatsApp cannot reach a number.

    POST {TWILIO_API_URL}/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json
    form fields To, From, Body; HTTP basic auth (account SID, auth token)

Shapes follow Twilio's documentation: the Message resource, "Create a Message resource"
(twilio.com/docs/messaging/api/message-resource), answered 201 with the message's JSON (`sid`
"SM…", `status` "queued"); errors as "Twilio API responses" (twilio.com/docs/usage/
twilios-response) show them, `{"code": 21211, "message": "The 'To' number … is not a valid phone
number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`; codes from
twilio.com/docs/api/errors.
"""

import logging

import requests
from django.conf import settings

from messaging.backends.base import Sent, http_session, timeouts
from messaging.errors import NotConfigured, ProviderRejected, ProviderUnavailable, Undeliverable

logger = logging.getLogger(__name__)

PROVIDER = "Twilio"

# The number cannot get an SMS: 21211 invalid To, 21610 unsubscribed (STOP), 21612 unroutable,
# 21614 not a mobile number.
UNDELIVERABLE_CODES = {21211, 21610, 21612, 21614}
# 20429 too many requests, 20500 internal error, 20503 service unavailable.
TEMPORARY_CODES = {20429, 20500, 20503}


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM)


class TwilioBackend:
    channel = "sms"

    def __init__(self) -> None:
        if not twilio_configured():
            raise NotConfigured(
                "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are required",
                provider=PROVIDER,
            )
        self.base_url = settings.TWILIO_API_URL.rstrip("/")
        self.sid = settings.TWILIO_ACCOUNT_SID
        self.token = settings.TWILIO_AUTH_TOKEN
        self.sender = settings.TWILIO_FROM

    def send_code(self, phone: str, code: str, language: str) -> Sent:
        from messaging.texts import code_text

        return self._post(phone, code_text(code, language))

    def send_notice(self, phone: str, text: str, language: str) -> Sent:
        return self._post(phone, text)

    def _post(self, phone: str, body: str) -> Sent:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.sid}/Messages.json"
        try:
            response = http_session().post(
                url,
                data={"To": phone, "From": self.sender, "Body": body},
                auth=(self.sid, self.token),
                timeout=timeouts(),
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__, provider=PROVIDER) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code in (200, 201) and isinstance(data, dict) and data.get("sid"):
            return Sent(self.channel, str(data["sid"]))
        raise _error(response.status_code, data)


def _error(status: int, data: object) -> Exception:
    code = data.get("code") if isinstance(data, dict) else None
    message = str(data.get("message", "")) if isinstance(data, dict) else f"HTTP {status}"
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    if code in UNDELIVERABLE_CODES:
        return Undeliverable(message, provider=PROVIDER, code=code)
    if code in TEMPORARY_CODES or status >= 500 or status == 429:
        return ProviderUnavailable(message or f"HTTP {status}", provider=PROVIDER, code=code)
    return ProviderRejected(message or f"HTTP {status}", provider=PROVIDER, code=code)
