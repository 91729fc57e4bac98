"""The webhook signature helper the gateway signs with and the portal's tests can reuse."""

from __future__ import annotations

import hashlib
import hmac

from portal.sandbox import signing

BODY = b'{"id":"evt_1","type":"payment.succeeded"}'


def test_sign_matches_the_documented_scheme():
    header = signing.sign("secret", BODY, 1_700_000_000)
    expected = hmac.new(b"secret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature_and_rejects_the_rest():
    now = 1_700_000_000
    header = signing.sign("secret", BODY, now)
    assert signing.verify("secret", header, BODY, now=now + 10)
    assert not signing.verify("other", header, BODY, now=now)
    assert not signing.verify("secret", header, BODY + b" ", now=now)
    assert not signing.verify("secret", header, BODY, now=now + 301)
    assert not signing.verify("secret", header, BODY, now=now - 301)
    assert not signing.verify("secret", "", BODY, now=now)
    assert not signing.verify("secret", "t=abc,v1=00", BODY, now=now)
    assert not signing.verify("secret", f"t={now}", BODY, now=now)
