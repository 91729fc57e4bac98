"""/billing/transfers/<id>/ and its receipt: the owner's (and staff's) only."""

import pytest

from tests.transfers.helpers import report_make


def test_a_report_under_review_says_so(subscriber_client, subscriber):
    report = report_make(subscriber)

    response = subscriber_client.get(f"/billing/transfers/{report.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Under review." in page
    assert "3112" in page and "4624" in page and "$351.51" in page
    assert f'href="/billing/transfers/{report.pk}/receipt/"' in page


def test_a_rejected_report_shows_staffs_reason(subscriber_client, subscriber, staff):
    report = report_make(
        subscriber,
        status="rejected",
        reason="The amount never reached our account.",
        decided_by=staff,
    )

    page = subscriber_client.get(f"/billing/transfers/{report.pk}/").content.decode()

    assert "Rejected." in page
    assert "The amount never reached our account." in page


@pytest.mark.parametrize(
    ("payment_status", "state", "says", "never"),
    [
        ("settled", "recorded", "Recorded.", "being marked paid"),
        ("captured", "recording", "your invoices are being marked paid", "Recorded."),
        ("needs_review", "checking", "our staff are checking it", "Recorded."),
    ],
)
def test_an_approved_report_tells_what_became_of_its_payment(
    subscriber_client, subscriber, staff, payment_status, state, says, never
):
    """Approved is not recorded: settlement may still be on it, or have stopped for a person
    (the total changed, SmartISP refused), as the invoice page says too."""
    from tests.billing.payment_helpers import payment_make

    payment = payment_make(subscriber, payment_status, source="transfer", gateway="transfer")
    report = report_make(subscriber, status="approved", decided_by=staff, payment=payment)

    page = subscriber_client.get(f"/billing/transfers/{report.pk}/").content.decode()

    notice = page[page.index('class="notice') :]
    notice = notice[: notice.index("</p>")]
    assert f'data-status="{state}"' in notice
    assert says in notice
    assert never not in notice


def test_an_approved_report_with_its_payment_not_yet_opened_is_being_recorded(
    subscriber_client, subscriber, staff
):
    report = report_make(subscriber, status="approved", decided_by=staff)

    page = subscriber_client.get(f"/billing/transfers/{report.pk}/").content.decode()

    assert "Accepted." in page and "Recorded." not in page


@pytest.mark.parametrize("suffix", ["", "receipt/"])
def test_another_subscribers_report_and_receipt_are_404(
    client, subscriber, other_subscriber, suffix
):
    report = report_make(subscriber)
    client.force_login(other_subscriber)

    response = client.get(f"/billing/transfers/{report.pk}/{suffix}")
    missing = client.get(f"/billing/transfers/{report.pk + 1000}/{suffix}")

    assert response.status_code == 404
    assert missing.status_code == 404
    assert b"RIFF" not in response.content and b"PNG" not in response.content


def test_the_owner_gets_the_receipt_as_an_inert_download(subscriber_client, subscriber):
    report = report_make(subscriber)

    response = subscriber_client.get(f"/billing/transfers/{report.pk}/receipt/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="receipt-{report.pk}.png"'
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_staff_get_any_receipt(staff_client, subscriber):
    report = report_make(subscriber)

    response = staff_client.get(f"/billing/transfers/{report.pk}/receipt/")

    assert response.status_code == 200


def test_staff_cannot_see_the_subscribers_status_page_as_their_own(staff_client, subscriber):
    report = report_make(subscriber)

    assert staff_client.get(f"/billing/transfers/{report.pk}/").status_code == 404


def test_receipts_are_not_served_from_media_url(subscriber_client, subscriber):
    report = report_make(subscriber)

    assert subscriber_client.get("/media/" + report.receipt.name).status_code == 404


def test_anonymous_visitors_get_no_receipt(client, subscriber):
    report = report_make(subscriber)

    response = client.get(f"/billing/transfers/{report.pk}/receipt/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
