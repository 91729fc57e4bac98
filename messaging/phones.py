"""Phones as SmartISP holds them ("0991234567", "+593 99 123 4567", "099-123-4567"), read with
`phonenumbers` in PHONE_REGION and written as E.164. A phone that cannot be read is no phone."""

import phonenumbers
from django.conf import settings


def phone_e164(raw: object, *, region: str | None = None) -> str:
    """`raw` as E.164 ("+593991234567"), or "" when it is not a possible, valid number."""
    text = str(raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(e164: str) -> str:
    """The last two digits: all of a phone a page may show, and only after a right code."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    return digits[-2:] if len(digits) >= 2 else ""
