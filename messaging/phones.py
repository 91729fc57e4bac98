"""Phones as SmartISP holds them ("0991234567", "+593 99 123 4567", "099-123-4567"), read with
`phonenumbers` in PHONE_REGION and written as E.164. A phone that cannot be read is no phone."""

import phonenumbers
from django.conf import settings


def phone_e164(raw: object, *, region: str | None = None) -> str:
    """`raw` as E.164 ("+593991234567"), or "" when it cannot be a number of its country.

    "Possible" (the right length), not "valid": phonenumbers' list of allocated ranges trails
    the carriers' (it rejects 096… mobiles today), and a number nobody has only costs a send the
    provider refuses.
    """
    text = str(raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(e164: str) -> str:
    """The last two digits: all of a phone a page may show, and only after a right code."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    return digits[-2:] if len(digits) >= 2 else ""
