"""The ledger in the admin: read-only, nothing deleted, needs_review first, retry settlement."""

import pytest

from billing.models import GatewayEvent, Payment, PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import (
    payment_make,
    payment_of,
    queued,
)

clock = payment_helpers.clock  # the fixture

CHANGELIST = "/admin/billing/payment/"


@pytest.fixture
def operator(client, db):
    from accounts.models import User

    admin = User.objects.create_superuser("operator", "a-long-operator-password-1")
    client.force_login(admin)
    return client


@pytest.fixture
def ledger(subscriber, other_subscriber, clock):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)
    clock.advance(minutes=1)
    review = payment_make(
        other_subscriber,
        PaymentStatus.NEEDS_REVIEW,
        invoice_id=77,
        num_bill="7007",
        transaction_id="txn_review",
        session_id="cs_review",
    )
    clock.advance(minutes=1)
    failed = payment_make(
        subscriber, PaymentStatus.FAILED, session_id="cs_failed", invoice_id=5, num_bill="5005"
    )
    return {"settled": settled, "review": review, "failed": failed}


def references(response) -> list[str]:
    return [p.reference for p in response.context["cl"].result_list]


def test_needs_review_comes_first(operator, ledger):
    response = operator.get(CHANGELIST)

    assert response.status_code == 200
    assert references(response)[0] == ledger["review"].reference
    assert set(references(response)) == {p.reference for p in ledger.values()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=needs_review", "review"),
        ("status__exact=failed", "failed"),
        ("gateway__exact=sandbox&status__exact=settled", "settled"),
    ],
)
def test_filters_by_status_and_gateway(operator, ledger, query, expected):
    response = operator.get(f"{CHANGELIST}?{query}")

    assert references(response) == [ledger[expected].reference]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (lambda ledger: ledger["settled"].reference, "settled"),
        (lambda ledger: "0102030405", "review"),  # the subscriber's DNI
        (lambda ledger: "5005", "failed"),  # num_bill
        (lambda ledger: "txn_review", "review"),  # the gateway's transaction id
    ],
)
def test_search_by_reference_dni_num_bill_and_transaction(operator, ledger, term, expected):
    response = operator.get(CHANGELIST, {"q": term(ledger)})

    assert references(response) == [ledger[expected].reference]


def test_a_transfer_is_found_by_its_bare_bank_reference(operator, ledger, subscriber):
    from tests.transfers.helpers import report_make

    payment = payment_make(
        subscriber,
        PaymentStatus.SETTLED,
        invoice_id=99,
        num_bill="9009",
        gateway="transfer",
        session_id="",
        transaction_id="banco pichincha:BP4455",
        gateway_data={"id_pago": "BP4455"},
    )
    report_make(subscriber, status="approved", reference="BP4455", payment=payment)

    response = operator.get(CHANGELIST, {"q": "BP4455"})

    assert references(response) == [payment.reference]


def test_payment_is_read_only_and_cannot_be_deleted(operator, ledger):
    payment = ledger["settled"]
    url = f"{CHANGELIST}{payment.pk}/change/"

    page = operator.get(url)
    assert page.status_code == 200
    assert 'name="amount"' not in page.content.decode()
    assert "test set-up" in page.content.decode()  # the transitions, inline

    operator.post(url, {"amount": "0.01", "status": "refunded"})
    assert payment_of(payment).amount == payment.amount
    assert payment_of(payment).status == PaymentStatus.SETTLED
    assert operator.get(f"{CHANGELIST}{payment.pk}/delete/").status_code == 403
    assert operator.get(f"{CHANGELIST}add/").status_code == 403
    assert Payment.objects.count() == 3


def test_events_are_listed_read_only(operator, ledger):
    GatewayEvent.objects.create(
        gateway="sandbox", event_id="evt_orphan", type="payment.succeeded", body="{}",
        verified=True, outcome="orphan", reference="unknown-ref",
    )  # fmt: skip

    response = operator.get("/admin/billing/gatewayevent/", {"q": "unknown-ref"})

    assert [e.event_id for e in response.context["cl"].result_list] == ["evt_orphan"]
    event = GatewayEvent.objects.get()
    assert operator.get(f"/admin/billing/gatewayevent/{event.pk}/delete/").status_code == 403


def test_retry_settlement_requeues_a_needs_review_payment_with_a_note(operator, ledger):
    review = ledger["review"]

    response = operator.post(
        CHANGELIST,
        {"action": "retry_settlement", "_selected_action": [review.pk, ledger["failed"].pk]},
        follow=True,
    )

    assert response.status_code == 200
    payment = payment_of(review)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.transitions.last().note == "settlement retry requested by operator"
    assert queued() == ["payment_settle"]
    assert payment_of(ledger["failed"]).status == PaymentStatus.FAILED  # left alone
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 payment queued" in m for m in messages)
    assert any("1 payment was left alone" in m for m in messages)


def test_retry_settlement_refuses_a_payment_whose_amount_differs(operator, subscriber, clock):
    from decimal import Decimal

    mismatch = payment_make(
        subscriber, PaymentStatus.NEEDS_REVIEW, captured_amount=Decimal("20.00")
    )

    operator.post(CHANGELIST, {"action": "retry_settlement", "_selected_action": [mismatch.pk]})

    assert payment_of(mismatch).status == PaymentStatus.NEEDS_REVIEW
    assert queued() == []
