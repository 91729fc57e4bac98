"""/billing/transfers/new/: the subscriber reports a transfer of their unpaid invoices."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.transfers.conftest import stored_files
from tests.transfers.helpers import (
    pdf_bytes,
    pdf_with_escaped_javascript,
    photo_bytes,
    png_bomb,
    report_data,
    report_make,
    upload,
)
from transfers.models import TransferReport

URL = "/billing/transfers/new/"


def test_the_form_offers_every_unpaid_invoice_ticked_with_the_total(subscriber_client, unpaid):
    response = subscriber_client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="invoices" value="3112" checked' in page
    assert 'name="invoices" value="4624" checked' in page
    assert "$351.51" in page
    assert "Banco Pichincha" in page and "2201234567" in page
    assert 'accept="image/*,application/pdf" capture="environment"' in page
    assert 'enctype="multipart/form-data"' in page


def test_an_invoice_a_report_under_review_covers_is_not_ticked_and_links_to_it(
    subscriber_client, subscriber, unpaid
):
    waiting = report_make(
        subscriber,
        invoices=[{"num_bill": "3112", "invoice_id": 0, "total": "330.00"}],
        amount="330.00",
    )

    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'data-amount="330.00" name="invoices" value="3112">' in page
    assert 'name="invoices" value="4624" checked' in page
    assert "Total to pay: <strong" in page and "$21.51" in page and "$351.51" not in page
    assert "Transfer under review." in page
    assert f'href="/billing/transfers/{waiting.pk}/"' in page


def test_a_report_is_kept_with_its_receipt_under_a_random_name(subscriber_client, unpaid, media):
    response = subscriber_client.post(URL, report_data())

    report = TransferReport.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/billing/transfers/{report.pk}/"
    assert report.status == "review"
    assert report.num_bills == ["3112", "4624"]
    assert str(report.amount) == "351.51"
    assert report.bank == "Banco Pichincha" and report.account == "2201234567"
    assert report.reference == "0012345"
    assert report.receipt_type == "image/jpeg"
    assert report.receipt.name.startswith("receipts/") and "receipt" not in report.receipt.name[9:]
    [stored] = stored_files(media)
    assert stored.name == report.receipt.name.split("/")[-1]


def test_a_pdf_receipt_is_kept(subscriber_client, unpaid):
    receipt = upload(pdf_bytes(), name="comprobante.pdf", content_type="application/pdf")

    response = subscriber_client.post(URL, report_data(receipt=receipt))

    assert response.status_code == 303
    assert TransferReport.objects.get().receipt_type == "application/pdf"


def test_one_invoice_of_two_can_be_reported(subscriber_client, unpaid):
    response = subscriber_client.post(URL, report_data(invoices=["4624"], amount="21,51"))

    assert response.status_code == 303
    assert TransferReport.objects.get().num_bills == ["4624"]


def test_an_amount_that_is_not_the_total_is_refused_and_nothing_is_kept(
    subscriber_client, unpaid, media
):
    response = subscriber_client.post(URL, report_data(amount="300.00", reference="ABC-778899"))

    page = response.content.decode()
    assert response.status_code == 400
    assert "The amount must be the total of the invoices chosen, $351.51." in page
    assert 'value="ABC-778899"' in page  # what the subscriber typed stays
    assert 'value="300.00"' in page
    assert TransferReport.objects.count() == 0
    assert stored_files(media) == []


def test_a_refused_file_keeps_everything_else_typed(subscriber_client, unpaid, media):
    liar = upload(b"MZ\x90\x00 an executable", name="foto.jpg", content_type="image/jpeg")
    data = report_data(invoices=["4624"], amount="21.51", reference="99887766", receipt=liar)

    response = subscriber_client.post(URL, data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "not a photo (JPEG, PNG or WebP) or a PDF" in page
    assert 'value="99887766"' in page and 'value="21.51"' in page
    assert 'value="4624" checked' in page and 'value="3112" checked' not in page
    assert f'value="{data["paid_on"]}"' in page
    assert 'value="2201234567" id="id_bank_0" required checked' in page
    assert TransferReport.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("content", "name", "content_type", "message"),
    [
        pytest.param(png_bomb(), "photo.png", "image/png", "too large", id="decompression-bomb"),
        pytest.param(
            pdf_bytes(javascript=True), "receipt.pdf", "application/pdf", "scripts", id="pdf-js"
        ),
        pytest.param(
            pdf_with_escaped_javascript(),
            "receipt.pdf",
            "application/pdf",
            "scripts",
            id="pdf-js-escaped",
        ),
    ],
)
def test_a_hostile_file_through_the_form_is_refused_keeping_the_rest_and_storing_nothing(
    subscriber_client, unpaid, media, content, name, content_type, message
):
    hostile = upload(content, name=name, content_type=content_type)
    data = report_data(invoices=["4624"], amount="21,51", reference="BG 5566-77", receipt=hostile)

    response = subscriber_client.post(URL, data)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="notice notice-error" id="form-errors" tabindex="-1" role="alert"' in page
    errors = page[page.index('id="receipt-errors"') :]
    assert message in errors[: errors.index("</ul>")]
    assert 'value="BG 5566-77"' in page and 'value="21,51"' in page
    assert 'value="4624" checked' in page and 'value="3112" checked' not in page
    assert f'value="{data["paid_on"]}"' in page
    assert 'value="2201234567" id="id_bank_0" required checked' in page
    assert TransferReport.objects.count() == 0
    assert stored_files(media) == []


def test_a_date_in_the_future_is_refused(subscriber_client, unpaid):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = subscriber_client.post(URL, report_data(paid_on=tomorrow))

    assert response.status_code == 400
    assert "The date cannot be in the future." in response.content.decode()


def test_another_subscribers_invoice_cannot_be_reported(subscriber_client, unpaid):
    response = subscriber_client.post(URL, report_data(invoices=["9999"], amount="10.00"))

    assert response.status_code == 400
    assert "Choose among your unpaid invoices." in response.content.decode()
    assert TransferReport.objects.count() == 0


def test_a_missing_receipt_is_asked_for(subscriber_client, unpaid):
    response = subscriber_client.post(URL, report_data(receipt=None))

    assert response.status_code == 400
    assert "Add the photo or PDF of the receipt." in response.content.decode()


def test_a_bank_reference_already_approved_is_refused(subscriber_client, subscriber, unpaid):
    report_make(subscriber, status="approved", reference="0012345", invoices=[])

    response = subscriber_client.post(URL, report_data(reference="00-12 345"))

    assert response.status_code == 400
    assert "This bank reference was already recorded as a payment." in response.content.decode()
    assert TransferReport.objects.count() == 1


def test_reporting_the_same_transfer_twice_points_to_the_first(
    subscriber_client, subscriber, unpaid
):
    first = report_make(subscriber, reference="0012345")

    response = subscriber_client.post(URL, report_data())

    page = response.content.decode()
    assert response.status_code == 400
    assert "You already reported this transfer: it is under review." in page
    assert f'href="/billing/transfers/{first.pk}/"' in page


def test_an_invoice_paid_online_meanwhile_cannot_be_reported(subscriber_client, subscriber, unpaid):
    from tests.billing.payment_helpers import payment_make

    payment_make(subscriber, "captured")  # invoice 4624, captured by the gateway

    response = subscriber_client.post(URL, report_data())

    assert response.status_code == 400
    assert "Invoice 4624 is already paid or being paid online." in response.content.decode()


@pytest.mark.parametrize("length", [41, 10_000])
def test_a_reference_too_long_is_refused_clearly(subscriber_client, unpaid, media, length):
    response = subscriber_client.post(URL, report_data(reference="7" * length))

    assert response.status_code == 400
    assert "The reference has at most 40 characters." in response.content.decode()
    assert TransferReport.objects.count() == 0 and stored_files(media) == []


def test_a_six_megabyte_upload_is_refused_and_nothing_kept(subscriber_client, unpaid, media):
    big = upload(photo_bytes("PNG", (10, 10)) + b"\x00" * (6 * 1024 * 1024), name="big.png")

    response = subscriber_client.post(URL, report_data(receipt=big))

    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert TransferReport.objects.count() == 0 and stored_files(media) == []


def test_nothing_to_report_says_so(subscriber_client, smartisp):
    import responses

    from tests.conftest import api

    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), json={"invoices": []})

    response = subscriber_client.get(URL)

    assert response.status_code == 200
    assert "You have no unpaid invoices: there is nothing to report." in response.content.decode()


def test_smartisp_down_gives_the_readable_503(subscriber_client, smartisp):
    import responses

    from tests.conftest import api

    smartisp.upsert(responses.GET, api("InvoiceClientStatus3/1"), status=503, body="down")

    response = subscriber_client.get(URL)

    assert response.status_code == 503


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_invoice_paid_since_the_form_was_opened_is_refused(subscriber_client, unpaid):
    import copy

    import responses

    from tests.conftest import api, example_json

    subscriber_client.get(URL)  # both invoices unpaid, and cached
    still = copy.deepcopy(example_json("InvoiceClientStatus3"))
    still["invoices"] = [i for i in still["invoices"] if i["num_bill"] != "4624"]
    unpaid.upsert(responses.GET, api("InvoiceClientStatus3/1"), json=still)

    response = subscriber_client.post(URL, report_data())

    assert response.status_code == 400
    assert "Choose among your unpaid invoices." in response.content.decode()


# -- a refused form opens at its errors; the total follows the ticks -----------------------------


def before_first_field(page: str, first_field: str) -> bool:
    """The focusable, announced error summary comes before the form's first field."""
    summary = page.find('id="form-errors"')
    tag = page[page.rfind("<", 0, summary) : page.find(">", summary)]
    return (
        summary != -1
        and summary < page.find(f'name="{first_field}"')
        and 'tabindex="-1"' in tag
        and 'role="alert"' in tag
    )


def test_a_refused_report_opens_at_its_error_summary(subscriber_client, unpaid, media):
    opened = subscriber_client.get(URL).content.decode()
    refused = subscriber_client.post(URL, report_data(amount="300.00"))

    # app.js focuses #form-errors, which brings it into view; only a refused answer has one.
    assert 'id="form-errors"' not in opened
    assert before_first_field(refused.content.decode(), "invoices")


def test_a_rejection_without_reason_opens_at_the_decision_forms_errors(
    staff_client, subscriber, unpaid
):
    report = report_make(subscriber)
    url = f"/staff/transfers/{report.pk}/"

    opened = staff_client.get(url).content.decode()
    refused = staff_client.post(url, {"decision": "reject"}).content.decode()

    assert 'id="form-errors"' not in opened
    assert before_first_field(refused, "reason")
    assert "Please check the fields marked below." in refused


def test_each_invoice_box_carries_its_amount_for_the_total_script(subscriber_client, unpaid):
    page = subscriber_client.get(URL, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert 'data-amount="330.00" name="invoices" value="3112" checked' in page
    assert 'data-amount="21.51" name="invoices" value="4624" checked' in page
    # The script writes money as the server does in this language: "$1234,56" in Spanish.
    assert 'data-pick-total data-money-sample="$1234,56">$351,51</strong>' in page
    assert '<script src="/static/js/pick-total.js" defer></script>' in page
