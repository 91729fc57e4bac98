"""Template filters for tickets: safe rendering of messages (`linkify`) and translated labels."""

import re
from urllib.parse import urlsplit

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from support import labels

register = template.Library()

# Only web links become clickable: a `javascript:` or `data:` text is never a link.
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _trim(url: str) -> str:
    """Drop punctuation that ends a sentence rather than the link ("see https://x.com/a.")."""
    while url:
        last = url[-1]
        unbalanced = last in _PAIRS and url.count(last) > url.count(_PAIRS[last])
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _link(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return escape(url)
    return format_html('<a href="{}" rel="nofollow noopener noreferrer">{}</a>', url, url)


@register.filter(is_safe=False, needs_autoescape=False)
def linkify(text: object) -> SafeString:
    """Plain text as HTML: everything escaped, line breaks kept, http(s) links made clickable.

    The text is split around the links and each piece escaped on its own, so nothing in a message
    (tags, attributes, entities) can become markup.
    """
    raw = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[str] = []
    position = 0
    for match in _URL.finditer(raw):
        url = _trim(match.group(0))
        if not url:
            continue
        pieces.append(escape(raw[position : match.start()]))
        pieces.append(_link(url))
        position = match.start() + len(url)
    pieces.append(escape(raw[position:]))
    return mark_safe("".join(pieces).replace("\n", "<br>\n"))  # noqa: S308 (every piece escaped)


@register.filter
def ticket_status(value: str) -> str:
    return labels.label(labels.STATUS_LABELS, value)


@register.filter
def ticket_type(value: str) -> str:
    return labels.label(labels.TYPE_LABELS, value)


@register.filter
def ticket_priority(value: str) -> str:
    return labels.label(labels.PRIORITY_LABELS, value)


@register.filter
def ticket_section(value: str) -> str:
    return labels.label(labels.SECTION_LABELS, value)


@register.filter
def status_badge(value: str) -> str:
    """The badge class that makes a status stand out (waiting for the subscriber, resolved)."""
    return labels.BADGES.get(value, "")
