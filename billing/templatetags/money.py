"""Money and dates as the active language writes them: `$21,51` in Spanish, `$21.51` in English."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.formats import date_format, number_format

register = template.Library()

CENT = Decimal("0.01")


@register.filter
def money(value: object) -> str:
    """A dollar amount with its sign and two decimals in the active language's format."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return ""
    sign = "-" if amount < 0 else ""
    # number_format cuts extra decimals instead of rounding: the amount is already quantized.
    return f"{sign}${number_format(abs(amount), 2, use_l10n=True)}"


@register.filter(expects_localtime=True)
def day(value: date | None) -> str:
    """A date in the language's one style: "21 mar. 2024", "21 Mar 2024" (portal/formats/)."""
    if not value:
        return "—"
    return date_format(value, "DATE_FORMAT", use_l10n=True)


@register.filter
def percent(value: object) -> str:
    """A rate such as 15.00 as "15 %" (decimals only when it has them, in the language's format)."""
    try:
        rate = Decimal(str(value)).normalize()
    except InvalidOperation:
        return ""
    exponent = rate.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"{number_format(rate, places, use_l10n=True)} %"


@register.filter
def overdue(invoice: object) -> bool:
    """Unpaid and past its due date in the portal's time zone: "Vencida" wherever it is shown."""
    due = getattr(invoice, "expiration_date", None)
    return bool(getattr(invoice, "is_unpaid", False) and due and due < timezone.localdate())
