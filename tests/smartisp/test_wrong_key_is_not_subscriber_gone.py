"""A wrong key answered with HTTP 200 {"message": "Unauthenticated."} (smartisp-field-notes.md)
is a refused key: nobody becomes "no longer a subscriber" and activation says it could not check,
instead of silently sending nothing."""

import logging

import pytest
from django.core import mail

from accounts.models import User
from tests.accounts.test_login import sign_in, signed_in_as
from tests.conftest import api

pytestmark = pytest.mark.django_db
DNI = "2100454590"
REFUSALS = {
    "200-unauthenticated": {"json": {"message": "Unauthenticated."}},
    "401": {"status": 401, "json": {"message": "Unauthenticated."}},
    "redirect-to-sign-in": {"status": 302, "headers": {"Location": "http://smartisp.test/login"}},
}


def refuse(smartisp, shape):
    smartisp.get(api(f"get-user/{DNI}"), **REFUSALS[shape])
    smartisp.get("http://smartisp.test/login", body="<html><body>Login</body></html>")


@pytest.mark.parametrize("shape", list(REFUSALS), ids=list(REFUSALS))
def test_sign_in_with_a_refused_key_is_not_subscriber_gone(
    client, smartisp, subscriber, caplog, shape
):
    refuse(smartisp, shape)

    response = sign_in(client, DNI)

    assert response.status_code == 302  # the account was verified at activation
    assert signed_in_as(client) == str(subscriber.pk)
    assert any("SmartISP refused the API key" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("shape", list(REFUSALS), ids=list(REFUSALS))
def test_activation_with_a_refused_key_says_it_could_not_check(client, smartisp, caplog, shape):
    caplog.set_level(logging.WARNING)
    refuse(smartisp, shape)

    response = client.post("/accounts/activate/", {"dni": DNI}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    assert "We cannot reach the billing system right now" in response.content.decode()
    assert mail.outbox == [] and not User.objects.filter(dni=DNI).exists()
    assert any("SmartISP refused the API key" in r.getMessage() for r in caplog.records)
