"""Fixtures of the transfer tests: the provider's accounts, receipts kept in a temporary folder,
client 1's unpaid invoices as SmartISP's reference shows them, a staff member."""

import copy

import pytest
import responses

from tests.conftest import api, example_json
from tests.transfers.helpers import ACCOUNTS


@pytest.fixture(autouse=True)
def _transfer_settings(settings, tmp_path):
    settings.PORTAL_BANK_ACCOUNTS = ACCOUNTS
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ADMINS = [("", "ops@example.com")]


@pytest.fixture
def media(settings):
    from pathlib import Path

    return Path(settings.MEDIA_ROOT)


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def unpaid(smartisp):
    """Client 1's unpaid list: invoices 3112 ($330.00) and 4624 ($21.51)."""
    smartisp.upsert(
        responses.GET,
        api("InvoiceClientStatus3/1"),
        json=copy.deepcopy(example_json("InvoiceClientStatus3")),
    )
    smartisp.upsert(
        responses.GET,
        api("InvoiceClientStatus1/1"),
        json=copy.deepcopy(example_json("InvoiceClientStatus1")),
    )
    return smartisp


@pytest.fixture
def staff(db):
    from accounts.models import User

    return User.objects.create_user("0999999999", "staff-pass-123", name="Ana Staff", is_staff=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
