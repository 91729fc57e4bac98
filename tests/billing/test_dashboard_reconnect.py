"""A suspended subscriber who owes nothing more (paid now, or already recorded) is told the
service comes back once the provider records the payment, not asked to pay again."""

import re
from decimal import Decimal

import pytest

from billing.models import PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import payment_make
from tests.billing.test_dashboard import clients_body, mock_dashboard, unpaid_body

clock = payment_helpers.clock  # the fixture

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BOTH = [(0, "3112", Decimal("330.00")), (4585, "4624", Decimal("21.51"))]  # oldest first


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def suspended(smartisp):
    """SmartISP: the service is suspended, 3112 and 4624 still listed unpaid."""
    mock_dashboard(smartisp, clients=clients_body(status="de", online="off"))
    return smartisp


def test_paying_everything_owed_while_suspended_says_it_will_be_reconnected(
    subscriber_client, subscriber, suspended, clock
):
    payment_make(subscriber, PaymentStatus.CAPTURED, items=BOTH)

    page = text(subscriber_client.get("/", **EN).content.decode())

    assert "You are all paid up" in page
    assert "will be reconnected once your provider records it" in page
    assert "Pay your invoices" not in page


def test_the_paid_now_notice_shows_once_with_the_oldest_invoice_first(
    subscriber_client, subscriber, suspended, clock
):
    payment_make(subscriber, PaymentStatus.CAPTURED, items=BOTH)

    page = text(subscriber_client.get("/", **EN).content.decode())

    notice = "We received your payment of invoices 3112, 4624: they are being recorded."
    assert page.count(notice) == 1


def test_suspended_with_nothing_listed_unpaid_is_not_asked_to_pay(subscriber_client, smartisp):
    mock_dashboard(
        smartisp, clients=clients_body(status="de", online="off"), unpaid=unpaid_body([])
    )

    page = text(subscriber_client.get("/", **EN).content.decode())

    assert "You are all paid up" in page
    # No payment of theirs is on its way: the portal does not claim to have received one.
    assert "We received your payment" not in page
    assert "Your service is suspended, and you owe nothing." in page
    assert "Pay your invoices" not in page


def test_suspended_and_still_owing_is_asked_to_pay(subscriber_client, subscriber, suspended, clock):
    payment_make(subscriber, PaymentStatus.CAPTURED)  # 4624 only: 3112 is still owed

    page = text(subscriber_client.get("/", **EN).content.decode())

    assert "Your service is suspended. Pay your invoices to have it reconnected." in page
    assert "will be reconnected once" not in page
    assert page.count("We received your payment of invoice 4624") == 1
