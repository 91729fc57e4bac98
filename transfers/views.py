"""The subscriber's pages of bank transfers: report one, see its status, see its receipt.

Every report is reached through the signed-in subscriber's own reports: another subscriber's id
is the same 404 as an id that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from portal.smartisp import cache
from transfers import services
from transfers.banks import bank_accounts
from transfers.forms import TransferReportForm
from transfers.models import TransferReport
from transfers.waiting import waiting_of

# Served receipts: nothing in them runs, and only the portal's own pages may frame them.
RECEIPT_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


@login_required
@require_http_methods(["GET", "POST"])
def transfer_new(request: HttpRequest) -> HttpResponse:
    """Report a transfer or deposit; 303 to its page. A refused field keeps the others typed."""
    if request.method == "POST" and request.user.smartisp_id is not None:
        # Decide on the invoices as SmartISP has them now, not as cached a minute ago.
        cache.forget(request.user.smartisp_id)
    unpaid = services.reportable_invoices(request.user)
    waiting = waiting_of(request)  # invoices a report under review covers: not ticked at first
    accounts = bank_accounts()
    if request.method == "POST":
        form = TransferReportForm(
            request.POST, request.FILES, invoices=unpaid, accounts=accounts, waiting=waiting
        )
        if form.is_valid():
            bank, account = form.account_chosen()
            try:
                report = services.transfer_report(
                    request.user,
                    services.ReportRequest(
                        invoices=form.cleaned_data["invoices"],
                        bank=bank,
                        account=account,
                        reference=form.cleaned_data["reference"],
                        paid_on=form.cleaned_data["paid_on"],
                        amount=form.cleaned_data["amount"],
                    ),
                    form.cleaned_data["receipt"],
                )
            except services.ReportRefused as exc:
                form.add_error(exc.field, exc.message)
                return render(
                    request,
                    "transfers/new.html",
                    {"form": form, "accounts": accounts, "existing": exc.report},
                    status=400,
                )
            messages.success(request, _("Thank you: your transfer was sent for review."))
            return HttpResponseRedirect(reverse("transfers:detail", args=[report.pk]), status=303)
        return render(
            request, "transfers/new.html", {"form": form, "accounts": accounts}, status=400
        )
    form = TransferReportForm(invoices=unpaid, accounts=accounts, waiting=waiting)
    return render(request, "transfers/new.html", {"form": form, "accounts": accounts})


def own_report(request: HttpRequest, pk: int) -> TransferReport:
    return get_object_or_404(TransferReport, pk=pk, user=request.user)


@login_required
@require_GET
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = own_report(request, pk)
    return render(request, "transfers/detail.html", {"report": report})


@login_required
@require_GET
@xframe_options_sameorigin
def transfer_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt, to its owner and to staff only; never a page the browser could run."""
    if request.user.is_staff:
        report = get_object_or_404(TransferReport, pk=pk)
    else:
        report = own_report(request, pk)
    return receipt_response(report)


def receipt_response(report: TransferReport) -> HttpResponse:
    try:
        handle = report.receipt.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("receipt not found") from None
    extension = report.receipt.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        content_type=report.receipt_type,
        as_attachment=False,
        filename=f"receipt-{report.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = RECEIPT_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
