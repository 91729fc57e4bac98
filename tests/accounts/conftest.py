"""Fixtures of the accounts tests: SmartISP's get-user for any subscriber, emails, lockout time."""

import json
import re
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail

from tests.conftest import api, example_json

LINK = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Sign-in tests hash hundreds of passwords; the default hasher would take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user_body(client_id: int = 1, *, name: str = "Shiguango Esthela", email="jaquelines@gmail.com"):
    """The reference's get-user example, as SmartISP would answer for another client."""
    body = example_json("get-user")
    body["user"].update(id=client_id, name=name, email=email)
    return json.dumps(body)


def mock_user(smartisp, dni: str, client_id: int = 1, **fields) -> None:
    smartisp.get(api(f"get-user/{dni}"), body=user_body(client_id, **fields))


def mock_unknown(smartisp, dni: str) -> None:
    # SmartISP answers an unknown DNI with HTTP 200 and success false.
    smartisp.get(
        api(f"get-user/{dni}"), json={"success": False, "message": "Usuario no encontrado"}
    )


def mock_down(smartisp, dni: str) -> None:
    smartisp.get(api(f"get-user/{dni}"), status=500, body="<html>Maintenance</html>")


def stable(html: bytes | str) -> str:
    """A page without what changes on every response: the CSRF token and the CSP nonce."""
    text = html.decode() if isinstance(html, bytes) else html
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'nonce="[^"]*"', "", text)


def sent_emails() -> list:
    """The emails sent once the requests so far are committed and the task worker has run.

    Each test runs inside one transaction that never commits, so the callbacks a request left
    for its commit (the email's enqueueing) are run here, as the commit would run them."""
    from django.db import connection

    from tests.billing.payment_helpers import run_tasks

    callbacks = [func for _sids, func, _robust in connection.run_on_commit]
    connection.run_on_commit.clear()
    for func in callbacks:
        func()
    run_tasks()
    return mail.outbox


def the_email():
    """The one email sent: (message, its plain-text link, its HTML)."""
    sent_emails()
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    links = LINK.findall(message.body)
    assert len(links) == 1, links
    html = message.alternatives[0][0]
    assert html.count("href=") == 1
    assert LINK.findall(html) == links
    return message, links[0], html


def link_path(link: str) -> str:
    assert link.startswith(settings.PORTAL_URL + "/accounts/")
    return link.removeprefix(settings.PORTAL_URL)


def set_password(client, link: str, password: str):
    """Follow an emailed link and choose `password`; the final response."""
    opened = client.get(link_path(link))
    assert opened.status_code == 302, opened.status_code  # the token moves into the session
    form_url = opened["Location"]
    assert client.get(form_url).status_code == 200
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def flashed(client) -> list[str]:
    """The messages waiting in the session for the next page, as that page would show them."""
    from django.contrib.messages.storage.session import SessionStorage
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    return [str(message) for message in SessionStorage(request)]


def signed_in_by_code(client, user) -> None:
    """`user` signed in by a phone code in this session, as /accounts/code/verify/ leaves it."""
    from accounts.code_views import SESSION_BY_CODE

    client.force_login(user)
    session = client.session
    session[SESSION_BY_CODE] = True
    session.save()


def cool_off_passes(dni: str, ip: str = "127.0.0.1", minutes: int = 31) -> None:
    """What `minutes` do to axes's records of this DNI+IP pair, whichever handler keeps them."""
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_client_cache_keys
    from axes.models import AccessAttempt
    from django.db.models import F

    if settings.AXES_HANDLER.endswith("AxesCacheHandler"):
        # Its records are cache entries whose time to live is the cool-off: they vanish.
        keys = get_client_cache_keys(AccessAttempt(username=dni, ip_address=ip))
        AxesProxyHandler.get_implementation().cache.delete_many(keys)
    else:
        AccessAttempt.objects.filter(username=dni, ip_address=ip).update(
            attempt_time=F("attempt_time") - timedelta(minutes=minutes)
        )


@contextmanager
def clock_at(moment):
    """Django's clock and axes's (it imported `now` by name) both read `moment`."""
    with (
        mock.patch("django.utils.timezone.now", return_value=moment),
        mock.patch("axes.handlers.proxy.now", return_value=moment),
    ):
        yield
