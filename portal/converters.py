"""What an id or reference from outside may look like, checked in one place before any database,
SmartISP or gateway call: path converters for the URL map, and the same rules for the ids a
gateway's webhook or return URL carries.

A value that fails is no object's: a URL gives the 404 of a missing object (never a 500 from a NUL
byte PostgreSQL refuses, never a 503 from asking SmartISP about ticket 10^26), a webhook a 400.
"""

import re

from django.urls import register_converter

# A payment reference as billing.models.reference_new makes it (token_urlsafe(16) is 22
# characters); the column holds 40.
REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,40}")
# SmartISP's num_bill is a string ("4624"; the reference shows digits only, but it is free
# text there): up to 40 characters (Payment.num_bill's column), printable, checked by
# num_bill_valid. Stricter would make a real invoice's link impossible to build.
NUM_BILL_MAX_LENGTH = 40
# A gateway adapter's name (billing.gateways): "sandbox", "payphone", "stripe".
GATEWAY = re.compile(r"[a-z][a-z0-9_]{0,19}")
# SmartISP ids are MySQL INT columns: 0 is a real id, 2^31 - 1 the largest there can be.
ID_MAX = 2**31 - 1
# The portal's own rows have BigAutoField ids (settings.DEFAULT_AUTO_FIELD).
ROW_ID_MAX = 2**63 - 1
# A gateway's own ids (event, checkout, transaction): printable text that fits our columns.
GATEWAY_ID_MAX_LENGTH = 200


def reference_valid(value: str) -> bool:
    return isinstance(value, str) and REFERENCE.fullmatch(value) is not None


def _text_id_valid(value: object, max_length: int) -> bool:
    # isprintable() refuses NUL and every control and format character (line breaks, direction
    # overrides such as U+202E); PostgreSQL refuses NUL in text, the columns longer values.
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and value.isprintable()
        and value == value.strip()
        and "/" not in value
        and "\\" not in value
    )


def num_bill_valid(value: str) -> bool:
    return _text_id_valid(value, NUM_BILL_MAX_LENGTH)


def gateway_id_valid(value: str, *, required: bool = False) -> bool:
    """An id a gateway sent: at most 200 printable characters without surrounding spaces;
    empty only when it is optional."""
    if value == "" and not required:
        return True
    return _text_id_valid(value, GATEWAY_ID_MAX_LENGTH)


def notification_valid(notification) -> bool:
    """Every id of a verified webhook (billing.gateways.Notification) fits the rules above."""
    optional = (
        notification.type,
        notification.reference,
        notification.session_id,
        notification.transaction_id,
        notification.currency,
    )
    return gateway_id_valid(notification.event_id, required=True) and all(
        gateway_id_valid(value) for value in optional
    )


def return_valid(info) -> bool:
    """A gateway's return (billing.gateways.ReturnInfo): our reference and the gateway's ids."""
    return reference_valid(info.reference) and all(
        gateway_id_valid(str(value)) for value in info.data.values()
    )


class _Pattern:
    regex = ""
    pattern: re.Pattern[str]

    def to_python(self, value: str) -> str:
        if self.pattern.fullmatch(value) is None:
            raise ValueError(value)  # Django reads ValueError as "no match": a 404
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class ReferenceConverter(_Pattern):
    regex = REFERENCE.pattern
    pattern = REFERENCE


class NumBillConverter:
    regex = f"[^/]{{1,{NUM_BILL_MAX_LENGTH}}}"

    def to_python(self, value: str) -> str:
        if not num_bill_valid(value):
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class GatewayConverter(_Pattern):
    regex = GATEWAY.pattern
    pattern = GATEWAY


class _BoundedId:
    """Digits, read as an int within [low, high]: outside it is no object's id (a 404)."""

    low = 0
    high = ID_MAX

    def to_python(self, value: str) -> int:
        number = int(value)
        if not self.low <= number <= self.high:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class SmartISPIdConverter(_BoundedId):
    """A SmartISP id (ticket): within the range SmartISP's INT columns hold; 0 is a real id."""

    regex = r"[0-9]{1,10}"


class RowIdConverter(_BoundedId):
    """The id of one of the portal's own rows (a transfer report): a BigAutoField, from 1."""

    regex = r"[0-9]{1,19}"
    low, high = 1, ROW_ID_MAX


register_converter(ReferenceConverter, "reference")
register_converter(NumBillConverter, "num_bill")
register_converter(GatewayConverter, "gateway")
register_converter(SmartISPIdConverter, "smartisp_id")
register_converter(RowIdConverter, "row_id")
