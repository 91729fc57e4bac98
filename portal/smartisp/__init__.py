"""The SmartISP boundary: the only package that builds SmartISP URLs or reads SmartISP's JSON."""

from portal.smartisp.client import SmartISPClient, get_client
from portal.smartisp.errors import (
    BadResponse,
    NotFound,
    Rejected,
    SmartISPError,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "BadResponse",
    "NotFound",
    "Rejected",
    "SmartISPClient",
    "SmartISPError",
    "Unauthorized",
    "Unavailable",
    "get_client",
]
