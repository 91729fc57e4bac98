"""Shared fixtures: the reference's example bodies, a mocked SmartISP, signed-in subscribers."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
import responses

from conftest import TEST_SMARTISP_KEY, TEST_SMARTISP_URL

FIXTURES = Path(__file__).parent / "fixtures" / "smartisp"
PASSWORD = "correct-horse-battery-9"


def example(name: str) -> str:
    """The raw body of one of the reference's examples (quirks, such as a trailing comma, kept)."""
    return (FIXTURES / f"{name}.json").read_text(encoding="utf-8")


def example_json(name: str) -> dict:
    from portal.smartisp.client import _loads

    return _loads(example(name))


def api(path: str) -> str:
    """The full SmartISP URL of `path` (e.g. "get-user/2100454590")."""
    return TEST_SMARTISP_URL + path


@pytest.fixture
def smartisp():
    """SmartISP mocked at the HTTP boundary; any call not registered fails the request."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def api_key() -> str:
    return TEST_SMARTISP_KEY


@pytest.fixture
def subscriber(db):
    """The reference's client 1 (its invoice examples belong to client_id 1)."""
    from accounts.models import User

    return User.objects.create_user(
        "2100454590",
        PASSWORD,
        smartisp_id=1,
        name="Shiguango Esthela",
        email="jaquego@gmail.com",
    )


@pytest.fixture
def other_subscriber(db):
    from accounts.models import User

    return User.objects.create_user(
        "0102030405",
        PASSWORD,
        smartisp_id=1057,
        name="Juan Perez Gonzalez",
        email="cliente@example.com",
    )


@pytest.fixture
def subscriber_client(client, subscriber):
    client.force_login(subscriber)
    return client


def json_body(call) -> dict:
    """The JSON body a recorded `responses` call sent; numbers with a fraction as Decimal (money
    goes to SmartISP as an exact JSON number)."""
    return json.loads(call.request.body, parse_float=Decimal)
