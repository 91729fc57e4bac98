"""Invoice and receipt PDFs: real PDFs (header, pages, text) with the invoice's number, concept and
amount, the provider's name; owned exactly as the HTML pages are (404 for another's)."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from billing.models import PaymentStatus
from tests.billing import payment_helpers
from tests.billing.payment_helpers import TXN, payment_make
from tests.conftest import api, example

clock = payment_helpers.clock  # the fixture

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ES = {"HTTP_ACCEPT_LANGUAGE": "es"}


@pytest.fixture
def invoices(smartisp):
    smartisp.get(api("InvoiceClientStatus3/1"), body=example("InvoiceClientStatus3"))
    smartisp.get(api("InvoiceClientStatus1/1"), body=example("InvoiceClientStatus1"))
    smartisp.get(api("get-user/2100454590"), body=example("get-user"))
    return smartisp


def pdf_text(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_invoice_pdf_is_a_one_page_pdf_with_number_concept_and_amount(
    subscriber_client, invoices, settings
):
    settings.PORTAL_NAME = "Red Andina"
    response = subscriber_client.get("/billing/invoices/3112/pdf/", **ES)

    reader, text = pdf_text(response)
    assert len(reader.pages) == 1
    assert "Factura 3112" in text
    assert "$330,00" in text  # the total, in Spanish
    assert "sqws" in text  # SmartISP's note: what the invoice is for
    assert "Red Andina" in text  # the provider (PORTAL_NAME in the test settings)
    assert response["Content-Disposition"] == 'attachment; filename="factura-3112.pdf"'
    assert "no-store" in response["Cache-Control"]


def test_invoice_pdf_in_english(subscriber_client, invoices):
    _, text = pdf_text(subscriber_client.get("/billing/invoices/4624/pdf/", **EN))

    assert "Invoice 4624" in text and "$21.51" in text and "Overdue" in text


def test_another_subscribers_invoice_pdf_is_404(client, other_subscriber, invoices):
    smartisp = invoices
    smartisp.get(api("InvoiceClientStatus3/1057"), json={"invoices": []})
    smartisp.get(api("InvoiceClientStatus1/1057"), json={"invoices": []})
    client.force_login(other_subscriber)

    assert client.get("/billing/invoices/3112/pdf/").status_code == 404
    assert client.get("/billing/invoices/no-such/pdf/").status_code == 404


def test_invoice_pdf_needs_sign_in(client, db):
    response = client.get("/billing/invoices/3112/pdf/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_receipt_pdf_has_the_reference_invoice_and_amount(subscriber_client, subscriber, clock):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)

    reader, text = pdf_text(
        subscriber_client.get(f"/billing/payments/{settled.reference}/pdf/", **EN)
    )

    assert len(reader.pages) == 1
    assert "Receipt" in text
    assert settled.reference in text.replace("\n", "")
    assert "4624" in text and "$21.51" in text and TXN in text
    assert "10 Mar 2026" in text


def test_receipt_pdf_of_another_subscriber_or_not_settled_is_404(
    subscriber, other_subscriber, clock
):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)
    pending = payment_make(
        subscriber, PaymentStatus.PENDING, session_id="cs_other", invoice_id=9, num_bill="9"
    )
    mine, theirs = Client(), Client()
    mine.force_login(subscriber)
    theirs.force_login(other_subscriber)

    assert theirs.get(f"/billing/payments/{settled.reference}/pdf/").status_code == 404
    assert mine.get(f"/billing/payments/{pending.reference}/pdf/").status_code == 404


def test_invoice_and_receipt_pages_link_their_pdfs(subscriber_client, subscriber, invoices, clock):
    settled = payment_make(subscriber, PaymentStatus.SETTLED)

    invoice = subscriber_client.get("/billing/invoices/3112/", **EN).content.decode()
    receipt = subscriber_client.get(
        f"/billing/payments/{settled.reference}/", **EN
    ).content.decode()

    assert 'href="/billing/invoices/3112/pdf/" download>Download PDF' in invoice
    assert f'href="/billing/payments/{settled.reference}/pdf/" download>Download PDF' in receipt


def test_invoice_pdf_carries_the_providers_logo(subscriber_client, invoices, settings):
    settings.PORTAL_LOGO = "icons/icon-192.png"

    reader, _ = pdf_text(subscriber_client.get("/billing/invoices/3112/pdf/"))

    assert len(reader.pages[0].images) == 1


def test_the_receipt_pdfs_invoice_links_open_the_portal_not_a_local_file(
    subscriber_client, subscriber, clock
):
    payment = payment_make(subscriber, PaymentStatus.SETTLED)

    reader, _ = pdf_text(subscriber_client.get(f"/billing/payments/{payment.reference}/pdf/"))

    links = [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    ]
    assert links == ["http://testserver/billing/invoices/4624/"]
