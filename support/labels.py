"""Translated labels for SmartISP's ticket codes, and the ones a subscriber may pick."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

RESOLVED = "resolved"
WAITING_ON_CUSTOMER = "waiting_on_customer"
WAITING_ON_AGENT = "waiting_on_agent"

STATUS_LABELS = {
    "new": pgettext_lazy("ticket status", "New"),
    "work_in_progress": pgettext_lazy("ticket status", "In progress"),
    RESOLVED: pgettext_lazy("ticket status", "Resolved"),
    WAITING_ON_CUSTOMER: pgettext_lazy("ticket status", "Waiting for your reply"),
    WAITING_ON_AGENT: pgettext_lazy("ticket status", "Waiting for support"),
}

TYPE_LABELS = {
    "question": pgettext_lazy("ticket type", "Question"),
    "incident": pgettext_lazy("ticket type", "Service outage"),
    "problem": pgettext_lazy("ticket type", "Technical problem"),
    "feature_request": pgettext_lazy("ticket type", "Request"),
    "lead": pgettext_lazy("ticket type", "Sales enquiry"),
}

PRIORITY_LABELS = {
    "low": pgettext_lazy("ticket priority", "Low"),
    "medium": pgettext_lazy("ticket priority", "Medium"),
    "high": pgettext_lazy("ticket priority", "High"),
    "urgent": pgettext_lazy("ticket priority", "Urgent"),
}

# SmartISP's section is free text; these are the departments the reference names.
SECTION_LABELS = {
    "tecnico": pgettext_lazy("ticket section", "Technical support"),
    "facturacion": pgettext_lazy("ticket section", "Billing"),
    "ventas": pgettext_lazy("ticket section", "Sales"),
}

# What a subscriber may choose: leads and feature requests are the provider's own bookkeeping,
# and "urgent" is for the provider to set, not a button every subscriber would press.
SUBSCRIBER_TYPES = ("question", "incident", "problem")
SUBSCRIBER_PRIORITIES = ("low", "medium", "high")
DEFAULT_TYPE = "question"
DEFAULT_PRIORITY = "medium"

BADGES = {RESOLVED: "badge-ok", WAITING_ON_CUSTOMER: "badge-warn"}

NO_SECTION = _("Not sure")


def label(mapping: dict[str, object], value: str) -> str:
    """The translated label of `value`; a value we don't know is shown as SmartISP sent it."""
    return str(mapping.get(value, value))
