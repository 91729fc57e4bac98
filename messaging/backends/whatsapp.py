"""WhatsApp Cloud API (Meta's Graph API): codes as an authentication template, notices as a
utility template (or plain text inside a customer-service window).

    POST {WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages
    Authorization: Bearer {WHATSAPP_TOKEN}

Shapes follow Meta's documentation:
- the request: "Copy code authentication templates", section "Sending authentication
  templates" (developers.facebook.com/docs/whatsapp/business-management-api/
  authentication-templates/copy-code-button-authentication-templates): the code goes twice, as
  the body's one text parameter and as the parameter of button 0, `sub_type` "url" (Meta turns
  the template's copy-code OTP button into a URL button when it creates it);
- the answer: Cloud API "Messages" reference, `{"messaging_product": "whatsapp", "contacts":
  [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}`;
- errors: Graph API error object `{"error": {"message", "type", "code", "error_data":
  {"messaging_product", "details"}, "error_subcode", "fbtrace_id"}}` and the Cloud API error
  codes page (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
"""

import logging

import requests
from django.conf import settings

from messaging.backends.base import Sent, http_session, timeouts
from messaging.errors import NotConfigured, ProviderRejected, ProviderUnavailable, Undeliverable

logger = logging.getLogger(__name__)

PROVIDER = "WhatsApp"

# The number cannot get this message on WhatsApp: the next channel (SMS) may reach it.
# 131026 message undeliverable (no WhatsApp, old app, terms not accepted); 131047 more than 24 h
# since the user last wrote (free-form text only); 131051 unsupported message type.
UNDELIVERABLE_CODES = {131026, 131047, 131051}
# Worth trying again later: 1 unknown, 2 service, 4 / 80007 / 130429 / 131056 rate limits,
# 131000 something went wrong, 131016 service unavailable, 133004 server unavailable.
TEMPORARY_CODES = {1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004}
# Every other code is the portal's own request refused (ProviderRejected), the same for every
# recipient, so no SMS is tried instead (messaging/service.py): 0 / 190 access token invalid or
# expired, 3 / 10 / 200-299 permission, 100 invalid parameter, 131008 required parameter missing,
# 131031 business account locked, 132001 template does not exist, 368 blocked for a policy. From
# Meta's "WhatsApp error codes" (developers.facebook.com/documentation/business-messaging/
# whatsapp/support/error-codes/), as the Cloud API error codes page above; some copies of its table
# add to 100 "or the recipient is not a WhatsApp number", but a misspelled request answers 100 for
# everyone, so 100 stays a refusal: Meta says "not on WhatsApp" with 131026.


def _language(language: str) -> str:
    # Meta names template languages "es", "en", "es_MX"…; the portal's are "es" and "en".
    return (language or settings.LANGUAGE_CODE).replace("-", "_")


class WhatsAppBackend:
    channel = "whatsapp"

    def __init__(self) -> None:
        self.base_url = settings.WHATSAPP_API_URL.rstrip("/")
        self.token = settings.WHATSAPP_TOKEN
        self.phone_number_id = settings.WHATSAPP_PHONE_NUMBER_ID
        self.code_template = settings.WHATSAPP_CODE_TEMPLATE
        self.notice_template = settings.WHATSAPP_NOTICE_TEMPLATE
        if not (self.base_url and self.token and self.phone_number_id):
            raise NotConfigured(
                "WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID are required", provider=PROVIDER
            )

    def send_code(self, phone: str, code: str, language: str) -> Sent:
        if not self.code_template:
            raise NotConfigured("WHATSAPP_CODE_TEMPLATE is required", provider=PROVIDER)
        text = [{"type": "text", "text": code}]
        template = {
            "name": self.code_template,
            "language": {"code": _language(language)},
            "components": [
                {"type": "body", "parameters": text},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": text},
            ],
        }
        return self._post({"type": "template", "template": template}, phone)

    def send_notice(self, phone: str, text: str, language: str) -> Sent:
        if self.notice_template:
            template = {
                "name": self.notice_template,
                "language": {"code": _language(language)},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}],
            }
            return self._post({"type": "template", "template": template}, phone)
        # Free-form text reaches only someone who wrote in the last 24 h (else 131047: SMS next).
        return self._post({"type": "text", "text": {"preview_url": False, "body": text}}, phone)

    def _post(self, message: dict, phone: str) -> Sent:
        url = f"{self.base_url}/{self.phone_number_id}/messages"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": phone}
        body.update(message)
        try:
            response = http_session().post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=timeouts(),
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(type(exc).__name__, provider=PROVIDER) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 200 and isinstance(data, dict):
            messages = data.get("messages")
            if isinstance(messages, list) and messages and isinstance(messages[0], dict):
                return Sent(self.channel, str(messages[0].get("id", "")))
        raise _error(response.status_code, data)


def _error(status: int, data: object) -> Exception:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        if status >= 500 or status == 429:
            return ProviderUnavailable(f"HTTP {status}", provider=PROVIDER)
        return ProviderRejected(f"HTTP {status}, not a Graph API answer", provider=PROVIDER)
    try:
        code = int(error.get("code"))
    except (TypeError, ValueError):
        code = None
    details = error.get("error_data", {})
    details = details.get("details", "") if isinstance(details, dict) else ""
    message = " ".join(part for part in (str(error.get("message", "")), details) if part)
    if code in UNDELIVERABLE_CODES:
        return Undeliverable(message, provider=PROVIDER, code=code)
    if code in TEMPORARY_CODES or status >= 500:
        return ProviderUnavailable(message, provider=PROVIDER, code=code)
    return ProviderRejected(message, provider=PROVIDER, code=code)
