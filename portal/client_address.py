"""The client's IP address, for the sign-in lockout and anything else that counts by address.

X-Forwarded-For is whatever the sender wrote, so it is believed only when the request comes
from a proxy listed in TRUSTED_PROXIES (addresses or CIDR ranges; default loopback). Then the
client is the right-most entry that is not itself a listed proxy: entries to its left were
written by the client and prove nothing. Anything else (gunicorn reached directly, a header
that does not parse) gives the socket's address. This is nginx's `set_real_ip_from` +
`real_ip_header X-Forwarded-For` + `real_ip_recursive on` (docs/deployment.md).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket ("::ffff:198.51.100.7") is that IPv4 client.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: Address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str | None:
    """The address to count this request's client by; None when the socket gives none."""
    peer_text = request.META.get("REMOTE_ADDR") or ""
    peer = _address(peer_text)
    if peer is None:
        return peer_text or None
    if not _trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    client = peer
    for hop in reversed(forwarded.split(",") if forwarded.strip() else []):
        address = _address(hop)
        if address is None:
            # Not what a proxy of ours writes: stop at the last address a listed proxy vouched for.
            return str(client)
        client = address
        if not _trusted(address):
            return str(address)
    return str(client)
