"""Paying invoices: the pay buttons (one invoice, or several in one checkout), the payment's
page with "continue" and "start again", and the gateway's way back."""

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.gateways import GatewayError, UnknownGateway, get_gateway
from billing.ledger import (
    STARTED_AGAIN,
    UNFINISHED,
    InvoiceAlreadyPaid,
    PaymentInProgress,
    PaymentNotAllowed,
    S,
    payment_abandon,
    payment_cancel_return,
    payment_check,
    payment_return,
    payment_start,
)
from billing.models import Payment
from billing.services import _own, invoice_find, invoices_of
from portal import converters
from portal.smartisp import cache
from portal.smartisp.records import Invoice


@login_required
@require_POST
def pay(request: HttpRequest, num_bill: str) -> HttpResponse:
    """Open a checkout for one of the subscriber's unpaid invoices; 303 to the gateway."""
    if request.user.smartisp_id is None:
        raise Http404("no such invoice")
    # Decide on the invoice's status as SmartISP has it now, not as cached a minute ago.
    cache.forget(request.user.smartisp_id)
    invoice = invoice_find(request.user, num_bill)
    return checkout_open(request, [invoice], reverse("billing:invoice", args=[invoice.num_bill]))


@login_required
@require_POST
def pay_many(request: HttpRequest) -> HttpResponse:
    """One checkout for several of the subscriber's unpaid invoices (field `invoices`, a num_bill
    repeated), or for every unpaid invoice when none is named; 303 to the gateway.

    The invoice list's form also sends `picked`: there, no invoice ticked means nothing chosen
    (the subscriber unticked them all), not "everything"."""
    if request.user.smartisp_id is None:
        raise Http404("no such invoice")
    cache.forget(request.user.smartisp_id)
    unpaid, paid = invoices_of(request.user)
    unpaid, paid = _own(request.user, unpaid), _own(request.user, paid)
    back = reverse("billing:invoices")
    wanted = list(dict.fromkeys(request.POST.getlist("invoices")))
    by_number = {i.num_bill: i for i in unpaid}
    if not wanted and request.POST.get("picked") and unpaid:
        messages.info(request, _("Tick at least one invoice to pay."))
        # Ticked again, the boxes would make a second tap pay everything.
        return redirect(f"{back}?status=unpaid&picked=none")
    if not wanted:
        chosen = list(unpaid)
    elif any(n not in by_number for n in wanted):
        if any(n not in {i.num_bill for i in paid} and n not in by_number for n in wanted):
            raise Http404("no such invoice")  # not the subscriber's: the same 404 as none
        messages.info(
            request, _("One of those invoices is already paid. Choose again what to pay.")
        )
        return redirect(back)
    else:
        chosen = [by_number[n] for n in wanted]
    if not chosen:
        messages.info(request, _("You have no unpaid invoices: there is nothing to pay."))
        return redirect("home")
    return checkout_open(request, chosen, back)


def checkout_open(request: HttpRequest, invoices: Sequence[Invoice], back: str) -> HttpResponse:
    """Start the checkout of `invoices` and send the browser to it, or back to `back` (or to a
    payment of theirs the subscriber left unfinished) with a message saying why not."""
    try:
        try:
            payment = payment_start(request.user, invoices)
        except PaymentInProgress as exc:
            unfinished = exc.payment
            if unfinished is None or unfinished.status not in UNFINISHED:
                raise
            if set(unfinished.num_bills) == {i.num_bill for i in invoices}:
                # The same invoices: continue that checkout, or start again, from its page.
                return redirect("billing:payment", unfinished.reference)
            # Other invoices now (say, everything owed): the unfinished one gives way.
            if payment_abandon(unfinished) == "paid":
                return redirect("billing:payment", unfinished.reference)
            payment = payment_start(request.user, invoices)
    except InvoiceAlreadyPaid:
        messages.info(request, _("This invoice is already paid: there is nothing to pay."))
        return redirect(back)
    except PaymentInProgress as exc:
        if exc.payment is not None and exc.payment.status == S.SETTLED:
            messages.info(
                request, _("You already paid this invoice online: there is nothing to pay.")
            )
        elif exc.payment is not None and exc.payment.status == S.CAPTURED:
            messages.info(
                request,
                _("We already received your payment of this invoice: it is being recorded."),
            )
        else:
            messages.info(
                request,
                _(
                    "A payment of this invoice is already under way, so no new one was started. "
                    "Its status is shown on this page."
                ),
            )
        return redirect(back)
    except PaymentNotAllowed:
        messages.warning(request, _("This invoice cannot be paid online."))
        return redirect(back)
    except GatewayError:
        messages.error(
            request,
            _(
                "The payment service is not answering right now. Nothing was charged; "
                "please try again in a few minutes."
            ),
        )
        return redirect(back)
    return HttpResponseRedirect(payment.checkout_url, status=303)


@login_required
@require_POST
def payment_restart(request: HttpRequest, reference: str) -> HttpResponse:
    """ "Start again": the unfinished checkout is expired at the gateway, and a new one opens for
    those of its invoices still unpaid; 303 to the gateway."""
    payment = get_object_or_404(Payment, reference=reference, user=request.user)
    if payment.status not in (*UNFINISHED, S.FAILED):
        return redirect("billing:payment", payment.reference)
    if payment_abandon(payment) == "paid":
        return redirect("billing:payment", payment.reference)
    cache.forget(request.user.smartisp_id)
    unpaid, _paid = invoices_of(request.user)
    wanted = set(payment.num_bills)
    chosen = [i for i in _own(request.user, unpaid) if i.num_bill in wanted]
    if not chosen:
        messages.info(request, _("Those invoices are paid already: there is nothing to pay."))
        return redirect("home")
    return checkout_open(request, chosen, reverse("billing:invoices"))


@login_required
@require_GET
def payment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The payment's state from the ledger (never from the browser's return), polled by htmx
    until it is final; a printable receipt once it is settled."""
    payment = get_object_or_404(
        Payment.objects.prefetch_related("items"), reference=reference, user=request.user
    )
    gateway_silent = False
    if request.GET.get("cancelled") and payment.status in (S.CREATED, S.PENDING):
        outcome = payment_cancel_return(payment)
        if outcome == "failed":
            messages.warning(
                request, _("The payment was declined. Nothing was charged; you can try again.")
            )
        if outcome in ("cancelled", "failed"):
            return redirect("billing:payment", payment.reference)
        gateway_silent = outcome == "unknown"
        payment.refresh_from_db()
    elif payment.status == S.PENDING and not request.htmx:
        # Only the gateway knows whether a card was entered: ask it, never assume.
        try:
            payment_check(payment, source="payment page")
        except GatewayError:
            gateway_silent = True
        payment.refresh_from_db()
    shown = f"{payment.status}-{payment.attempts}"
    context = {
        "payment": payment,
        "items": payment.invoices(),
        "S": S,
        "shown": shown,
        "gateway_silent": gateway_silent,
        "can_continue": payment_can_continue(payment),
    }
    if request.htmx:
        if request.GET.get("shown") == shown:
            # Nothing new: htmx swaps nothing on 204, so screen readers hear nothing again.
            return HttpResponse(status=204)
        return render(request, "billing/payment_detail.html#payment-status", context)
    return render(request, "billing/payment_detail.html", context)


def payment_can_continue(payment: Payment) -> bool:
    """Whether "continue" can take the subscriber back to the same checkout: it is unfinished,
    and young enough that the gateway still holds it open (the reconciler gives up after an
    hour, Stripe after a day)."""
    from billing.reconcile import ABANDONED_AFTER

    return (
        payment.status in UNFINISHED
        and bool(payment.checkout_url)
        and payment.created_at > timezone.now() - ABANDONED_AFTER
        and not payment.transitions.filter(note__startswith=STARTED_AGAIN).exists()
    )


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
    if info is None or not converters.return_valid(info):
        raise Http404("nothing to return to")
    payment_return(adapter.name, info)
    if not request.user.is_authenticated:
        messages.info(request, _("Sign in to see your payment."))
    return redirect("billing:payment", info.reference)
