"""/staff/transfers/: staff see the queue oldest first, each report beside its receipt, and
decide once; everyone else gets a 404."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from tests.conftest import api
from tests.transfers.helpers import pdf_bytes, report_make
from transfers.models import TransferReport


@pytest.mark.parametrize("path", ["/staff/transfers/", "/staff/transfers/{pk}/"])
def test_subscribers_get_404_on_staff_pages(subscriber_client, subscriber, path):
    report = report_make(subscriber)

    response = subscriber_client.get(path.format(pk=report.pk))

    assert response.status_code == 404


def test_a_subscriber_cannot_post_a_decision(subscriber_client, subscriber):
    report = report_make(subscriber)

    response = subscriber_client.post(f"/staff/transfers/{report.pk}/", {"decision": "approve"})

    assert response.status_code == 404
    assert TransferReport.objects.get().status == "review"


def test_the_queue_lists_waiting_reports_oldest_first(staff_client, subscriber, staff):
    now = timezone.now()
    newer = report_make(subscriber, reference="222222", created_at=now - timedelta(hours=1))
    older = report_make(subscriber, reference="111111", created_at=now - timedelta(days=2))
    report_make(subscriber, reference="333333", status="rejected", decided_by=staff)

    page = staff_client.get("/staff/transfers/").content.decode()

    assert page.index(f"/staff/transfers/{older.pk}/") < page.index(f"/staff/transfers/{newer.pk}/")
    assert "333333" not in page


def test_the_review_shows_the_report_its_receipt_and_the_unpaid_invoices(
    staff_client, subscriber, unpaid
):
    report = report_make(subscriber)

    page = staff_client.get(f"/staff/transfers/{report.pk}/").content.decode()

    assert f'<img class="receipt-image" src="/billing/transfers/{report.pk}/receipt/"' in page
    assert "Open at full size to zoom" in page
    assert "0012345" in page and "$351.51" in page
    assert "3112 ✓" in page and "4624 ✓" in page  # both still unpaid in SmartISP
    assert 'name="decision" value="approve"' in page
    assert 'name="decision" value="reject"' in page


def test_a_pdf_receipt_is_shown_in_a_frame(staff_client, subscriber, unpaid):
    from django.core.files.base import ContentFile

    report = report_make(subscriber, receipt_type="application/pdf")
    report.receipt.save("r.pdf", ContentFile(pdf_bytes()))

    page = staff_client.get(f"/staff/transfers/{report.pk}/").content.decode()
    receipt = staff_client.get(f"/billing/transfers/{report.pk}/receipt/")

    assert f'<iframe class="receipt-pdf" src="/billing/transfers/{report.pk}/receipt/"' in page
    assert receipt["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in receipt["Content-Security-Policy"]


def test_the_review_still_opens_when_smartisp_is_down(staff_client, subscriber, smartisp):
    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), status=503, body="down")
    report = report_make(subscriber)

    response = staff_client.get(f"/staff/transfers/{report.pk}/")

    assert response.status_code == 200
    assert "SmartISP did not answer" in response.content.decode()


def test_a_rejection_needs_a_reason(staff_client, subscriber, unpaid):
    report = report_make(subscriber)

    response = staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": "reject"})

    assert response.status_code == 400
    assert "Say why the transfer is rejected" in response.content.decode()
    assert TransferReport.objects.get().status == "review"


def test_a_rejection_is_recorded_with_who_and_when(staff_client, subscriber, staff):
    report = report_make(subscriber)

    response = staff_client.post(
        f"/staff/transfers/{report.pk}/",
        {"decision": "reject", "reason": "No such deposit in our statement."},
    )

    report.refresh_from_db()
    assert response.status_code == 303
    assert response["Location"] == "/staff/transfers/"
    assert report.status == "rejected"
    assert report.reason == "No such deposit in our statement."
    assert report.decided_by == staff
    assert abs(report.decided_at - timezone.now()) < timedelta(seconds=10)
    assert report.payment is None


def test_a_second_decision_changes_nothing(staff_client, subscriber, staff):
    report = report_make(subscriber)
    staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": "reject", "reason": "no"})

    response = staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": "approve"})

    report.refresh_from_db()
    assert report.status == "rejected" and report.payment is None
    follow = staff_client.get(response["Location"]).content.decode()
    assert "This report was already decided; nothing changed." in follow
    assert "Rejected by Ana Staff" in follow


def test_an_unknown_decision_is_refused(staff_client, subscriber):
    report = report_make(subscriber)

    response = staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": "maybe"})

    assert response.status_code == 400
    assert TransferReport.objects.get().status == "review"


def test_decisions_are_visible_in_the_admin(client, subscriber, db):
    from accounts.models import User

    admin = User.objects.create_superuser("0888888888", "admin-pass-123", name="Root")
    report_make(subscriber, status="rejected", reason="no money", decided_by=admin)
    client.force_login(admin)

    page = client.get("/admin/transfers/transferreport/").content.decode()
    detail = client.get(
        f"/admin/transfers/transferreport/{TransferReport.objects.get().pk}/change/"
    )

    assert "Root" in page and "0012345" in page
    assert detail.status_code == 200
    assert "no money" in detail.content.decode()


OTHER_BANK = {"bank": "other", "account": ""}


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Another bank or a deposit point"), ("es", "Otro banco o un punto de depósito")],
)
def test_another_bank_is_named_in_words_on_the_queue_and_the_review(
    staff_client, subscriber, unpaid, language, label
):
    report = report_make(subscriber, **OTHER_BANK)
    lang = {"HTTP_ACCEPT_LANGUAGE": language}

    queue = staff_client.get("/staff/transfers/", **lang).content.decode()
    review = staff_client.get(f"/staff/transfers/{report.pk}/", **lang).content.decode()

    assert f'{label} · <span class="transfer-ref">0012345</span>' in queue
    assert f"<dd>{label}</dd>" in review
    for page in (queue, review):
        assert ">other" not in page and "other ·" not in page


def test_another_bank_is_named_in_words_in_the_admin(client, subscriber, db):
    from accounts.models import User

    admin = User.objects.create_superuser("0888888888", "admin-pass-123", name="Root")
    report = report_make(subscriber, **OTHER_BANK)
    client.force_login(admin)

    listed = client.get("/admin/transfers/transferreport/").content.decode()
    detail = client.get(f"/admin/transfers/transferreport/{report.pk}/change/").content.decode()

    row = listed[listed.index("<tbody>") : listed.index("</tbody>")]
    assert '<td class="field-bank_shown">Another bank or a deposit point</td>' in row
    assert '<div class="readonly">Another bank or a deposit point</div>' in detail
    assert '<div class="readonly">other</div>' not in detail


def test_the_digest_sent_admin_labels_are_translated():
    from django.utils import translation

    from transfers.models import DigestSent

    fields = [DigestSent._meta.get_field(name) for name in ("day", "sent_at", "waiting")]
    with translation.override("en"):
        assert [str(f.verbose_name) for f in fields] == ["day", "sent at", "reports listed"]
    # Lazy, so the admin shows them in the operator's language once the catalogue has them.
    assert all(type(f.verbose_name).__name__ == "__proxy__" for f in fields)


@pytest.mark.parametrize("decision", ["maybe", ""])
def test_a_decision_that_is_neither_approve_nor_reject_says_so(staff_client, subscriber, decision):
    report = report_make(subscriber)

    response = staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": decision})

    assert response.status_code == 400
    assert "Choose Approve or Reject." in response.content.decode()


def test_a_malformed_post_on_a_decided_report_shows_the_decision_taken(
    staff_client, subscriber, staff
):
    report = report_make(subscriber)
    staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": "reject", "reason": "no"})

    response = staff_client.post(f"/staff/transfers/{report.pk}/", {"decision": ""})

    assert response.status_code == 303
    follow = staff_client.get(response["Location"]).content.decode()
    assert "This report was already decided; nothing changed." in follow
    assert "Rejected by Ana Staff" in follow


def test_the_same_reference_at_another_bank_is_shown_to_staff(staff_client, subscriber, unpaid):
    # "Another bank" cannot be checked by the bank-and-reference rule: a reference approved at
    # Pichincha and reported again as "another bank" may be one transfer paying twice.
    approved = report_make(subscriber, status="approved", reference="0012345")
    again = report_make(subscriber, reference="0012345", **OTHER_BANK)

    page = staff_client.get(f"/staff/transfers/{again.pk}/").content.decode()

    assert (
        f"The same reference, at Banco Pichincha, is in report {approved.pk} (approved): "
        "check it is not one transfer reported twice." in page
    )


ES = {"HTTP_ACCEPT_LANGUAGE": "es"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NO_LONGER_UNPAID = "The reported invoices are no longer all unpaid"


def test_the_pre_decision_warning_shows_while_the_report_is_under_review(
    staff_client, subscriber, smartisp
):
    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), json={"invoices": []})
    report = report_make(subscriber)

    page = staff_client.get(f"/staff/transfers/{report.pk}/").content.decode()

    assert NO_LONGER_UNPAID in page


def test_a_decided_report_has_no_pre_decision_warning(staff_client, subscriber, staff, smartisp):
    # Approved: SmartISP lists its invoices paid now, which is the point, not a warning.
    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), json={"invoices": []})
    report = report_make(subscriber, status="approved", decided_by=staff, decided_at=timezone.now())

    page = staff_client.get(f"/staff/transfers/{report.pk}/").content.decode()

    assert "Approved by Ana Staff" in page
    assert NO_LONGER_UNPAID not in page


@pytest.mark.parametrize(
    ("status", "english", "spanish_words"),
    [
        ("approved", "Approved by Ana Staff", "Aprobada por Ana Staff"),
        ("rejected", "Rejected by Ana Staff", "Rechazada por Ana Staff"),
    ],
)
def test_a_decision_is_worded_for_a_transfer_not_a_payment(
    staff_client, subscriber, staff, unpaid, status, english, spanish_words
):
    # "rejected" alone is shared with payments (masculine in Spanish); a transfer is feminine.
    report = report_make(subscriber, status=status, decided_by=staff, decided_at=timezone.now())

    page = staff_client.get(f"/staff/transfers/{report.pk}/").content.decode()
    spanish = staff_client.get(f"/staff/transfers/{report.pk}/", **ES).content.decode()

    assert english in page
    assert "Rechazado por" not in spanish and spanish_words in spanish


def test_a_report_made_just_now_is_not_zero_minutes_old(staff_client, subscriber):
    report_make(subscriber, created_at=timezone.now() - timedelta(seconds=20))

    page = staff_client.get("/staff/transfers/").content.decode()

    assert "just now" in page
    assert "0\xa0minutes" not in page and "0 minutes" not in page


def test_a_report_made_an_hour_ago_says_so(staff_client, subscriber):
    report_make(subscriber, created_at=timezone.now() - timedelta(hours=1, seconds=5))

    page = staff_client.get("/staff/transfers/").content.decode()

    assert "1\xa0hour ago" in page


REF = "BG-20261201-77"
UNBROKEN = f'<span class="transfer-ref">{REF}</span>'


def test_the_queue_row_keeps_the_reference_in_one_piece(staff_client, subscriber):
    report_make(subscriber, reference=REF)

    page = staff_client.get("/staff/transfers/").content.decode()

    assert UNBROKEN in page


def test_the_review_heading_and_facts_keep_the_reference_in_one_piece(
    staff_client, subscriber, unpaid
):
    report = report_make(subscriber, reference=REF)

    page = staff_client.get(f"/staff/transfers/{report.pk}/", **EN).content.decode()

    assert f"<h1>Transfer {UNBROKEN}</h1>" in page
    assert f"<dd>{UNBROKEN}</dd>" in page
    assert f"<title>Transfer {REF}" in page  # the tab's title stays plain text
