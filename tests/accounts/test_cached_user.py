"""The signed-in account read from the cache (accounts.backends.CachedModelBackend): no query for
it on every request, and still signed out at once by a password change or a deactivation."""

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.backends import USER_CACHE_SECONDS
from accounts.models import User
from tests.accounts.conftest import mock_user
from tests.conftest import PASSWORD

NEW_PASSWORD = "otra-clave-segura-2026"


@pytest.fixture(params=[True, False], ids=["shared-cache", "cache-per-process"])
def cache_shared(request, settings):
    """Each test with a cache every process shares (Redis: the account is cached) and with one
    cache per process (local memory: the account is read from the database each time)."""
    settings.CACHE_SHARED = request.param
    return request.param


def signed_in(subscriber) -> Client:
    browser = Client()
    browser.force_login(subscriber)
    return browser


def account_queries(queries: CaptureQueriesContext) -> list[str]:
    table = User._meta.db_table
    return [q["sql"] for q in queries.captured_queries if table in q["sql"]]


def test_with_a_shared_cache_a_signed_in_request_does_not_read_the_account_again(
    subscriber, smartisp, settings
):
    settings.CACHE_SHARED = True
    mock_user(smartisp, "2100454590", 1)
    browser = signed_in(subscriber)
    browser.get("/accounts/profile/")
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/accounts/profile/")
    assert response.status_code == 200
    assert response.wsgi_request.user == subscriber
    assert account_queries(queries) == []


def test_a_password_change_on_one_device_signs_the_others_out(subscriber, smartisp, cache_shared):
    mock_user(smartisp, "2100454590", 1)
    phone, laptop = signed_in(subscriber), signed_in(subscriber)
    assert laptop.get("/accounts/profile/").status_code == 200  # its account is now cached
    changed = phone.post(
        "/accounts/profile/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert phone.get("/accounts/profile/").status_code == 200  # the device that changed it stays
    answer = laptop.get("/accounts/profile/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_a_deactivated_account_is_signed_out_at_its_next_request(
    subscriber, smartisp, cache_shared
):
    mock_user(smartisp, "2100454590", 1)
    browser = signed_in(subscriber)
    assert browser.get("/accounts/profile/").status_code == 200
    subscriber.is_active = False
    subscriber.save()  # as the admin does
    assert browser.get("/accounts/profile/").status_code == 302


def test_a_write_that_skips_save_counts_once_the_cached_row_expires(
    subscriber, smartisp, monkeypatch, cache_shared
):
    mock_user(smartisp, "2100454590", 1)
    browser = signed_in(subscriber)
    assert browser.get("/accounts/profile/").status_code == 200
    User.objects.filter(pk=subscriber.pk).update(is_active=False)
    if cache_shared:
        assert browser.get("/accounts/profile/").status_code == 200  # still the cached row
    later = time.time() + USER_CACHE_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert browser.get("/accounts/profile/").status_code == 302
