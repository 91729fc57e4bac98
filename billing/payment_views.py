"""Paying an invoice: the pay button, the payment's page, and the gateway's way back."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.gateways import GatewayError, UnknownGateway, get_gateway
from billing.ledger import (
    InvoiceAlreadyPaid,
    PaymentInProgress,
    PaymentNotAllowed,
    S,
    payment_cancel_return,
    payment_return,
    payment_start,
)
from billing.models import Payment
from billing.services import invoice_find
from portal.smartisp import cache

# What a payment reference can look like (models.reference_new): anything else is no payment's.
REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,40}")


@login_required
@require_POST
def pay(request: HttpRequest, num_bill: str) -> HttpResponse:
    """Open a checkout for one of the subscriber's unpaid invoices; 303 to the gateway."""
    if request.user.smartisp_id is None:
        raise Http404("no such invoice")
    # Decide on the invoice's status as SmartISP has it now, not as cached a minute ago.
    cache.forget(request.user.smartisp_id)
    invoice = invoice_find(request.user, num_bill)
    invoice_url = reverse("billing:invoice", args=[invoice.num_bill])
    try:
        payment = payment_start(request.user, invoice)
    except InvoiceAlreadyPaid:
        messages.info(request, _("This invoice is already paid: there is nothing to pay."))
        return redirect(invoice_url)
    except PaymentInProgress as exc:
        if exc.payment is not None and exc.payment.status == S.SETTLED:
            messages.info(
                request, _("You already paid this invoice online: there is nothing to pay.")
            )
        else:
            messages.info(
                request,
                _(
                    "A payment of this invoice is already under way, so no new one was started. "
                    "Its status is shown on this page."
                ),
            )
        return redirect(invoice_url)
    except PaymentNotAllowed:
        messages.warning(request, _("This invoice cannot be paid online."))
        return redirect(invoice_url)
    except GatewayError:
        messages.error(
            request,
            _(
                "The payment service is not answering right now. Nothing was charged; "
                "please try again in a few minutes."
            ),
        )
        return redirect(invoice_url)
    return HttpResponseRedirect(payment.checkout_url, status=303)


@login_required
@require_GET
def payment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The payment's state from the ledger (never from the browser's return), polled by htmx
    until it is final; a printable receipt once it is settled."""
    payment = get_object_or_404(Payment, reference=reference, user=request.user)
    if request.GET.get("cancelled") and payment.status in (S.CREATED, S.PENDING):
        outcome = payment_cancel_return(payment)
        if outcome in ("cancelled", "failed"):
            if outcome == "cancelled":
                messages.info(request, _("You cancelled the payment. Nothing was charged."))
            else:
                messages.warning(
                    request,
                    _("The payment was declined. Nothing was charged; you can try again."),
                )
            return redirect("billing:invoice", payment.num_bills[0])
        payment.refresh_from_db()
    shown = f"{payment.status}-{payment.attempts}"
    context = {"payment": payment, "S": S, "shown": shown}
    if request.htmx:
        if request.GET.get("shown") == shown:
            # Nothing new: htmx swaps nothing on 204, so screen readers hear nothing again.
            return HttpResponse(status=204)
        return render(request, "billing/payment_detail.html#payment-status", context)
    return render(request, "billing/payment_detail.html", context)


@require_GET
def gateway_return(request: HttpRequest, gateway: str) -> HttpResponse:
    """Where gateways that add their own parameters send the browser back: confirm with the
    gateway, server to server, then go to the payment's page.

    No sign-in here: PayPhone reverses a payment left unconfirmed for 5 minutes, and a
    subscriber whose session expired while paying must not lose it. So this confirms for
    whoever comes, and answers everyone alike (a redirect to the payment's page, which needs
    sign-in and ownership), whether the reference is a payment or not.
    """
    try:
        adapter = get_gateway(gateway)
    except UnknownGateway:
        raise Http404("no such gateway") from None
    info = adapter.return_parse(request.GET)
    if info is None or not REFERENCE.fullmatch(info.reference):
        raise Http404("nothing to return to")
    payment_return(adapter.name, info)
    if not request.user.is_authenticated:
        messages.info(request, _("Sign in to see your payment."))
    return redirect("billing:payment", info.reference)
