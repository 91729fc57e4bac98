"""Billing pages: the dashboard, the invoice lists and one printable invoice.

SmartISP failures are left to propagate: portal.middleware turns them into the 503 page or fragment.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from billing import services
from billing.ledger import payments_stamp
from portal.pagecache import kept_page
from transfers.waiting import waiting_of

TABS = ("unpaid", "paid")


def _payments_stamp(request: HttpRequest):
    """What a kept dashboard or invoice page (which say whether a payment is under way or done)
    is checked against besides the SmartISP cache generation.

    Every save of a payment starts a new generation (ledger.payment_saved). With a shared cache
    every process sees it, and nothing more is needed. With one cache per process, a payment the
    task worker moved is not seen there: the ledger itself is asked (one query), and with no
    payment at all the payment-state tag then needs no query of its own."""
    if settings.CACHE_SHARED:
        return None
    stamp = payments_stamp(request.user.smartisp_id)
    request.has_payments = stamp[0] > 0
    return stamp


@login_required
@require_GET
@kept_page(_payments_stamp)
def dashboard(request: HttpRequest) -> HttpResponse:
    overview = services.dashboard_get(request.user, waiting=waiting_of(request))
    return render(request, "billing/dashboard.html", {"overview": overview})


@login_required
@require_GET
@kept_page(_payments_stamp)
def invoice_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("status", TABS[0])
    if tab not in TABS:
        tab = TABS[0]
    lists = services.invoices_list(request.user)
    context = {
        "tab": tab,
        "invoices": lists.paid if tab == "paid" else lists.unpaid,
        "counts": {"unpaid": len(lists.unpaid), "paid": len(lists.paid)},
        "paid_now": lists.paid_now,
        # After "Pay the selected" with nothing ticked (pay_many): the boxes stay unticked.
        "picked_none": request.GET.get("picked") == "none",
    }
    template = "billing/invoice_list.html"
    # A history restore asks for the whole page even though it comes from htmx.
    if request.htmx and not request.htmx.history_restore_request:
        template += "#invoice-tabs"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
@kept_page(_payments_stamp)
def invoice_detail(request: HttpRequest, num_bill: str) -> HttpResponse:
    sheet = services.invoice_sheet_get(request.user, num_bill)
    return render(
        request, "billing/invoice_detail.html", {"sheet": sheet, "invoice": sheet.invoice}
    )
