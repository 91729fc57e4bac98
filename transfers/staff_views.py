"""Staff review of reported transfers: the queue, and one report beside its receipt.

Staff only (`is_staff`); anyone else signed in gets the same 404 as a page that does not exist.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from transfers import services
from transfers.forms import DecisionForm
from transfers.models import TransferReport, TransferStatus


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise Http404("no such page")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "transfers/staff_queue.html", {"reports": services.staff_queue()})


OUTCOME_MESSAGES = {
    "approved": (messages.SUCCESS, _("Approved: the payment is being recorded in SmartISP.")),
    "rejected": (messages.SUCCESS, _("Rejected: the subscriber is told why.")),
    "already decided": (messages.INFO, _("This report was already decided; nothing changed.")),
    "duplicate": (
        messages.ERROR,
        _("Not approved: a transfer with this bank and reference was already approved."),
    ),
    "invoice taken": (
        messages.ERROR,
        _(
            "Not approved: one of its invoices is already paid or being paid another way. "
            "Reject this report, or check the payment in the admin."
        ),
    ),
}


@staff_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(TransferReport.objects.select_related("user", "decided_by"), pk=pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and report.status != TransferStatus.REVIEW:
        # Decided already: whatever this form says, the page to show is the decision taken.
        level, text = OUTCOME_MESSAGES["already decided"]
        messages.add_message(request, level, text)
        return HttpResponseRedirect(reverse("staff_transfers:review", args=[report.pk]), status=303)
    if request.method == "POST":
        if form.is_valid():
            decided = services.transfer_decide(
                report.pk, form.cleaned_data["decision"], form.cleaned_data["reason"], request.user
            )
            level, text = OUTCOME_MESSAGES[decided.outcome]
            messages.add_message(request, level, text)
            if decided.outcome in ("approved", "rejected"):
                return HttpResponseRedirect(reverse("staff_transfers:queue"), status=303)
            return HttpResponseRedirect(
                reverse("staff_transfers:review", args=[report.pk]), status=303
            )
        status = 400
    else:
        status = 200
    context = {"view": services.staff_view(report), "report": report, "form": form}
    return render(request, "transfers/staff_review.html", context, status=status)
