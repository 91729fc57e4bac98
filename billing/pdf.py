"""The invoice and a payment's receipt as PDF downloads (DESIGN.md section 5), drawn by WeasyPrint
from the same partials as the HTML pages, with the provider's name, logo and colour.

Ownership is checked exactly as the HTML pages check it: another subscriber's invoice or payment
is the same 404 as one that does not exist."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from billing import services
from billing.ledger import S
from billing.models import Payment


def _logo_path() -> Path | None:
    if not settings.PORTAL_LOGO:
        return None
    found = finders.find(settings.PORTAL_LOGO)
    if found is None and settings.STATIC_ROOT:
        candidate = Path(settings.STATIC_ROOT) / settings.PORTAL_LOGO
        found = str(candidate) if candidate.is_file() else None
    return Path(found).resolve() if found else None


def _fetcher(allowed: Path | None):
    """WeasyPrint may read the logo and nothing else: no network, no other file."""
    from weasyprint.urls import URLFetcher

    class LogoOnly(URLFetcher):
        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            if allowed is None or parts.scheme != "file" or Path(unquote(parts.path)) != allowed:
                raise ValueError(f"not fetched for a PDF: {url}")
            return super().fetch(url, headers)

    return LogoOnly(allowed_protocols=["file"], fail_on_errors=False)


def pdf_render(request: HttpRequest, template: str, context: dict, filename: str) -> HttpResponse:
    """`template` (HTML) as a PDF attachment named `filename`."""
    from weasyprint import HTML  # imported here: it loads Pango, which only these pages need

    logo = _logo_path()
    html = render_to_string(
        template, {**context, "logo_url": logo.as_uri() if logo else ""}, request=request
    )
    # Links in the page (an invoice's number) point at the portal, not at a file of this disk.
    base_url = settings.PORTAL_URL.rstrip("/") + "/"
    document = HTML(string=html, url_fetcher=_fetcher(logo), base_url=base_url)
    response = HttpResponse(document.write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, num_bill: str) -> HttpResponse:
    sheet = services.invoice_sheet_get(request.user, num_bill)
    name = _("invoice-%(num)s.pdf") % {"num": sheet.invoice.num_bill}
    context = {"sheet": sheet, "invoice": sheet.invoice}
    return pdf_render(request, "billing/pdf/invoice.html", context, name)


@login_required
@require_GET
def payment_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.prefetch_related("items"), reference=reference, user=request.user
    )
    if payment.status != S.SETTLED:
        raise Http404("no receipt yet")  # a receipt says the payment is recorded
    name = _("receipt-%(num)s.pdf") % {"num": payment.reference}
    context = {"payment": payment, "items": payment.invoices()}
    return pdf_render(request, "billing/pdf/receipt.html", context, name)
