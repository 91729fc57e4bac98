"""Signatures of the sandbox gateway's webhooks: the `Sandbox-Signature` header.

The header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`.
The gateway signs with `sign`; tests (and anyone else who wants to) check with `verify`.
Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Sandbox-Signature"
DEFAULT_TOLERANCE = 300


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    message = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The `Sandbox-Signature` header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={int(timestamp)},v1={_digest(secret, body, int(timestamp))}"


def parse(header: str) -> tuple[int, list[str]] | None:
    """Split a header into its timestamp and its `v1` signatures; None when malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if not value.isdigit():
                return None
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its `t` is within `tolerance` seconds."""
    parsed = parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _digest(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
