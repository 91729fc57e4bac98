"""Test-wide set-up: SmartISP at a fake address that only `responses` answers, a clean cache."""

import pytest

TEST_SMARTISP_URL = "http://smartisp.test/api/SmartIPS-v1/"
TEST_SMARTISP_KEY = "test-key-8f3a9c1d7e"


@pytest.fixture(autouse=True)
def _portal_test_settings(settings, tmp_path):
    settings.SMARTISP_URL = TEST_SMARTISP_URL
    settings.SMARTISP_API_KEY = TEST_SMARTISP_KEY
    settings.SMARTISP_TIMEOUT = 2
    settings.SMARTISP_CONNECT_TIMEOUT = 1
    settings.PORTAL_URL = "http://testserver"
    settings.SANDBOX_GATEWAY_URL = "http://gateway.test"
    settings.SANDBOX_GATEWAY_SECRET = "test-gateway-secret"
    # Tests read English text unless they ask for Spanish; tests/test_language.py checks that
    # Spanish is what a visitor gets by default.
    settings.LANGUAGE_CODE = "en"
    # Hashing a password properly takes ~0.5 s; tests make hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Uploaded receipts go to the test's own folder, never to the checkout's media/.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_retry_backoff(monkeypatch):
    """GETs are still retried (same call counts), without the real delays between attempts."""
    monkeypatch.setattr("portal.smartisp.client.RETRY_BACKOFF", (0, 0))
