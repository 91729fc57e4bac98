"""Fixtures of the security suite: the outside team's probes replayed against the portal."""

import pytest


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # The probes sign in hundreds of times; tests/security/test_password_hashing.py checks the
    # real hasher and its parameters.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
