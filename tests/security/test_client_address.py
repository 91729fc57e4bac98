"""The client's address: X-Forwarded-For is believed only from a proxy listed in TRUSTED_PROXIES
(default loopback), else the socket's address. The lockout counts by it, so a client reaching
gunicorn directly cannot pick a new address per try."""

import pytest
from django.test import RequestFactory

from portal.client_address import client_address
from tests.portal.test_settings import manage

DIRECT = "203.0.113.50"  # a client on the internet, straight to gunicorn


def request_from(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def attempt(client, n: int, **extra):
    return client.post("/accounts/login/", {"dni": "0102030405", "password": f"wrong-{n}"}, **extra)


def test_direct_client_varying_x_forwarded_for_is_still_locked(client, other_subscriber, settings):
    # What BEHIND_PROXY=true set before TRUSTED_PROXIES: X-Forwarded-For read from anyone.
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    answers = [
        attempt(client, n, REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(6)
    ]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    # The lock is the socket address's: another real address is not locked.
    assert attempt(client, 9, REMOTE_ADDR="203.0.113.51").status_code == 200


def test_behind_a_listed_proxy_each_forwarded_client_is_its_own(client, other_subscriber, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.1.2.3"}
    for n in range(5):
        attempt(client, n, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    forged = attempt(client, 5, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", **proxy)
    other = attempt(client, 6, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)

    assert forged.status_code == 429
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # Not from a proxy: the header is the client's own words.
        (DIRECT, "198.51.100.7", DIRECT),
        ("10.0.0.1", "198.51.100.7", "10.0.0.1"),
        # From loopback (nginx on the same host, the default list).
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("::1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        # The right-most entry not itself a proxy; what the client wrote on the left is ignored.
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.7, 127.0.0.1", "198.51.100.7"),
        ("127.0.0.1", "2001:db8::7", "2001:db8::7"),
        # Garbage where the proxy's entry should be: the proxy is all that is known.
        ("127.0.0.1", "6.6.6.6, not-an-address", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.7\x00", "127.0.0.1"),
    ],
)
def test_client_address_with_the_default_trusted_proxies(settings, peer, forwarded, expected):
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "::1"]

    assert client_address(request_from(peer, forwarded)) == expected


def test_cidr_ranges_and_chains_of_listed_proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]

    chain = request_from("10.0.0.5", "6.6.6.6, 198.51.100.7, 192.0.2.10, 10.9.9.9")
    unlisted = request_from("192.0.2.11", "198.51.100.7")

    assert client_address(chain) == "198.51.100.7"
    assert client_address(unlisted) == "192.0.2.11"


def test_no_trusted_proxies_means_the_socket_address(settings):
    settings.TRUSTED_PROXIES = []

    assert client_address(request_from("127.0.0.1", "198.51.100.7")) == "127.0.0.1"


def test_production_trusts_loopback_only_unless_told():
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['127.0.0.0/8', '::1']"


def test_a_malformed_trusted_proxy_stops_start_up_with_one_line():
    result = manage("check", TRUSTED_PROXIES="10.0.0.0/8,nginx.internal")

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TRUSTED_PROXIES" in lines[0], result.stderr
