"""Authentication backends: the IP-wide failure limit on every sign-in form, and Django's model
backend with the signed-in account read from the cache."""

import functools
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpRequest

from accounts import lockout


class IPLockoutBackend:
    """Refuses any sign-in from an IP over AXES_IP_FAILURE_LIMIT (axes has one limit: the pair's).

    Listed first in AUTHENTICATION_BACKENDS, so it also guards the admin's login form. It signs
    nobody in; it only says no. It has no `get_user` on purpose: Django then never picks it as
    a session's backend (force_login and login() take the first backend that has one).
    """

    def authenticate(self, request: HttpRequest | None, **credentials: object) -> None:
        if request is not None and lockout.ip_locked_until(request):
            setattr(request, lockout.IP_LOCKED_FLAG, True)
            # Axes's middleware answers with the 429 page, and its handler records nothing more.
            request.axes_locked_out = True
            raise PermissionDenied
        return None


# How long a signed-in account's row may be answered from the cache. Every save or delete of an
# account drops it at once (see `user_cached_forget`); the limit is for writes that bypass save().
USER_CACHE_SECONDS = 60


def _user_cache_key(user_id: object) -> str:
    return f"accounts:user:{user_id}"


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend, with the account of a signed-in request read from the cache.

    `get_user` runs on every signed-in request; from the cache it costs one short round trip
    instead of an ORM query (make bench: about a fifth of a kept page's time). Django still
    checks the session's password hash against the account on each request, so a password change
    or a deactivation, which saves the account and so drops the cached row, signs other sessions
    out at their next request, as without the cache. That holds only where every process shares
    the cache (Redis): with one cache per process, the account is read from the database.
    """

    def get_user(self, user_id: object) -> AbstractBaseUser | None:
        if not settings.CACHE_SHARED:
            return super().get_user(user_id)
        key = _user_cache_key(user_id)
        names = _field_names()
        found = cache.get(key)
        if isinstance(found, tuple) and len(found) == 3:
            found_names, values, expires_at = found
            if found_names == names and expires_at > time.time():
                return get_user_model().from_db(DEFAULT_DB_ALIAS, list(names), list(values))
        user = super().get_user(user_id)  # None when missing or inactive
        if user is not None:
            values = tuple(getattr(user, name) for name in names)
            expires_at = time.time() + USER_CACHE_SECONDS
            cache.set(key, (names, values, expires_at), timeout=USER_CACHE_SECONDS)
        return user


@functools.cache
def _field_names() -> tuple[str, ...]:
    # Fixed while the process runs. Stored with the values: a row cached before a migration
    # changed the fields is not used.
    return tuple(f.attname for f in get_user_model()._meta.concrete_fields)


def user_cached_forget(sender: type, instance: AbstractBaseUser, **kwargs: object) -> None:
    """post_save/post_delete of an account: drop its cached row now and again at commit (a request
    reading the row between the two would otherwise cache the old one)."""
    key = _user_cache_key(instance.pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
