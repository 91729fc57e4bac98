"""Filters of the base layout: the provider's contact as tappable links, and email addresses that
break only where a reader expects (after "@"), never inside a word."""

import re

import phonenumbers
from django import template
from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_WHATSAPP = re.compile(r"whats\s*app", re.IGNORECASE)


def _phone_link(number: phonenumbers.PhoneNumber, raw: str, whatsapp: bool) -> str:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if whatsapp:
        # wa.me takes the full number in international form, digits only (WhatsApp's click to chat).
        return format_html('<a href="https://wa.me/{}">{}</a>', e164.lstrip("+"), raw)
    return format_html('<a href="tel:{}">{}</a>', e164, raw)


def _emails(text: str) -> str:
    pieces, position = [], 0
    for match in _EMAIL.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        address = match.group(0).rstrip(".")
        pieces.append(format_html('<a href="mailto:{}">{}</a>', address, address))
        position = match.start() + len(address)
    pieces.append(escape(text[position:]))
    return "".join(pieces)


@register.filter
def contact_links(text: object) -> SafeString:
    """PORTAL_SUPPORT_CONTACT as HTML: phone numbers become tel: links (wa.me links when the text
    just before says WhatsApp), emails mailto: links; the rest stays plain, escaped, text.

    Numbers are read with `phonenumbers` in PHONE_REGION, so "099 123 4567" is +593991234567."""
    raw = str(text or "")
    region = getattr(settings, "PHONE_REGION", "EC")
    pieces, position = [], 0
    for match in phonenumbers.PhoneNumberMatcher(raw, region):
        before = raw[position : match.start]
        pieces.append(_emails(before))
        pieces.append(_phone_link(match.number, match.raw_string, bool(_WHATSAPP.search(before))))
        position = match.end
    pieces.append(_emails(raw[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece escaped or built by format_html)


@register.filter
def breakable(text: object) -> SafeString:
    """An email address that may wrap after its "@" (a narrow column), not inside a word."""
    return mark_safe(str(escape(str(text or ""))).replace("@", "@<wbr>"))  # noqa: S308
