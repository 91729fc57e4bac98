"""Recorded request and answer shapes of the two providers, for the tests to post and answer.

WhatsApp Cloud API (Meta):
- send an authentication template: developers.facebook.com/docs/whatsapp/business-management-api/
  authentication-templates/copy-code-button-authentication-templates ("Sending authentication
  templates": body parameter and button 0, sub_type "url", both the code);
- the answer of POST /{phone_number_id}/messages: the Cloud API "Messages" reference;
- the error body: Graph API error object, as the Cloud API error codes page shows it
  (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes; its sample is
  `{"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
  "error_data": {"messaging_product": "whatsapp", "details": "..."}, "fbtrace_id": "..."}}`).

Twilio Programmable Messaging:
- POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form To/From/Body, basic auth, answered 201
  with the Message resource (twilio.com/docs/messaging/api/message-resource);
- the error body (twilio.com/docs/usage/twilios-response): code, message, more_info, status.
"""

WA_URL = "http://graph.test/v25.0"
WA_TOKEN = "EAAtest-token-1f2e3d"
WA_PHONE_ID = "106540352242922"
WA_TEMPLATE = "codigo_acceso"
WA_NOTICE_TEMPLATE = "aviso_cuenta"
WA_MESSAGES = f"{WA_URL}/{WA_PHONE_ID}/messages"

TW_URL = "http://twilio.test"
TW_SID = "AC" + "0123456789abcdef" * 2
TW_TOKEN = "twilio-auth-token-test"
TW_FROM = "+15017122661"
TW_MESSAGES = f"{TW_URL}/2010-04-01/Accounts/{TW_SID}/Messages.json"


def wa_accepted(phone: str = "+593991234567") -> dict:
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": phone, "wa_id": phone.lstrip("+")}],
        "messages": [{"id": "wamid.HBgMNTkzOTkxMjM0NTY3FQIAERgSMEM5RkE0MTc4QjI0QTlDQzM3AA=="}],
    }


def wa_error(code: int, message: str, details: str) -> dict:
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AazKO1R3fP0bRG8mCvGLFxq",
        }
    }


WA_UNDELIVERABLE = wa_error(
    131026,
    "Message Undeliverable.",
    "Message failed to send because the recipient is not a WhatsApp user.",
)
WA_TOKEN_EXPIRED = wa_error(190, "Error validating access token.", "Session has expired.")
WA_RATE_LIMIT = wa_error(
    130429, "Rate limit hit", "Message failed to send because there were too many messages."
)


def tw_created(to: str = "+593991234567", body: str = "") -> dict:
    return {
        "account_sid": TW_SID,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": "Thu, 03 Dec 2026 10:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": TW_FROM,
        "num_segments": "1",
        "price": None,
        "sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "status": "queued",
        "to": to,
        "uri": f"/2010-04-01/Accounts/{TW_SID}/Messages/SM1f0e8ae6ade43cb3c0ce4525424e404f.json",
    }


TW_INVALID_TO = {
    "code": 21211,
    "message": "The 'To' number +59312 is not a valid phone number.",
    "more_info": "https://www.twilio.com/docs/errors/21211",
    "status": 400,
}
TW_AUTH = {
    "code": 20003,
    "message": "Authenticate",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}


def use_whatsapp(settings, *, twilio: bool = True) -> None:
    settings.MESSAGING_BACKEND = "whatsapp"
    settings.WHATSAPP_API_URL = WA_URL
    settings.WHATSAPP_TOKEN = WA_TOKEN
    settings.WHATSAPP_PHONE_NUMBER_ID = WA_PHONE_ID
    settings.WHATSAPP_CODE_TEMPLATE = WA_TEMPLATE
    settings.WHATSAPP_NOTICE_TEMPLATE = ""
    use_twilio(settings, backend=False, configured=twilio)


def use_twilio(settings, *, backend: bool = True, configured: bool = True) -> None:
    if backend:
        settings.MESSAGING_BACKEND = "twilio"
    settings.TWILIO_API_URL = TW_URL
    settings.TWILIO_ACCOUNT_SID = TW_SID if configured else ""
    settings.TWILIO_AUTH_TOKEN = TW_TOKEN if configured else ""
    settings.TWILIO_FROM = TW_FROM if configured else ""
