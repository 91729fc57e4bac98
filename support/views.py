"""Support ticket pages: the list, one conversation, a new ticket, a reply, resolving.

Writes keep what the subscriber typed when SmartISP cannot be reached (the form comes back with
the text and a message); every other SmartISP failure is left to portal.middleware's 503 page.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.pagecache import kept_page
from portal.smartisp import BadResponse, Rejected, Unauthorized, Unavailable
from portal.smartisp.records import Ticket
from support import labels, services
from support.forms import ReplyForm, TicketForm

logger = logging.getLogger(__name__)

# The outcome of a write that failed this way is unknown: it may or may not have reached SmartISP.
NOT_CONFIRMED = (Unavailable, Unauthorized, BadResponse)
MAX_PAGE = 100_000


def _page_number(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@login_required
@kept_page()
def ticket_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = _page_number(request.GET.get("page"))
    if status and (len(status) > 40 or not status.replace("_", "").isalpha()):
        status = ""
    listing = services.ticket_list(request.user, status=status, page=page)
    waiting = [t for t in listing.page.items if t.status == labels.WAITING_ON_CUSTOMER]
    return render(
        request,
        "support/ticket_list.html",
        {
            "tickets": listing.page.items,
            "pagination": listing.page.pagination,
            "statuses": listing.meta.statuses,
            "status": status,
            "waiting_count": len(waiting),
        },
    )


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = services.ticket_find(request.user, ticket_id)
    return _render_ticket(request, ticket, ReplyForm())


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    form: ReplyForm,
    *,
    status: int = 200,
    reply_sent: bool = False,
    notice: str = "",
) -> HttpResponse:
    template = "support/ticket_detail.html"
    if request.htmx:
        template += "#ticket-body"
    context = {
        "ticket": ticket,
        "conversation": [
            (a, services.answer_is_mine(request.user, a, ticket)) for a in ticket.answers
        ],
        "form": form,
        "reply_sent": reply_sent,
        "notice": notice,
        "is_resolved": ticket.status == labels.RESOLVED,
    }
    return render(request, template, context, status=status)


def _render_reply_form(
    request: HttpRequest, ticket_id: int, form: ReplyForm, *, status: int
) -> HttpResponse:
    """Only the reply form, with the text kept: htmx swaps it in place of the form, leaving the
    conversation on screen; without htmx it is a page of its own (the ticket could not be read)."""
    context = {"ticket_id": ticket_id, "form": form, "enhance": bool(request.htmx)}
    if request.htmx:
        response = render(request, "support/reply_form.html", context)
        response["HX-Retarget"] = "#reply-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "support/reply_unconfirmed.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    types, priorities = services.ticket_choices()
    if request.method != "POST":
        subject = request.GET.get("subject", "")[: TicketForm.base_fields["subject"].max_length]
        form = TicketForm(initial={"subject": subject}, types=types, priorities=priorities)
        return render(request, "support/ticket_new.html", {"form": form})

    form = TicketForm(request.POST, types=types, priorities=priorities)
    if not form.is_valid():
        return render(request, "support/ticket_new.html", {"form": form})
    submission = services.submission_claim(request.user, form.submission_token)
    if submission.state == "done":
        return redirect(submission.result)
    if submission.state == "pending":
        messages.info(request, _("Your ticket is already being sent. It will appear here shortly."))
        return redirect("support:tickets")

    data = form.cleaned_data
    try:
        created = services.ticket_open(
            request.user,
            subject=data["subject"],
            message=data["message"],
            type=data["type"],
            priority=data["priority"],
            section=data["section"],
        )
    except Rejected as exc:
        services.submission_release(submission)
        form.add_rejection(exc)
        return render(request, "support/ticket_new.html", {"form": form}, status=422)
    except NOT_CONFIRMED as exc:
        services.submission_release(submission)
        logger.warning("new ticket not confirmed by SmartISP: %s", exc)
        return render(
            request, "support/ticket_new.html", {"form": form, "unconfirmed": True}, status=503
        )

    target = reverse("support:ticket", args=[created.id])
    services.submission_finish(submission, target)
    if created.cun:
        messages.success(
            request, _("Your ticket no. %(cun)s was sent to support.") % {"cun": created.cun}
        )
    else:
        messages.success(request, _("Your ticket was sent to support."))
    return redirect(target)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    form = ReplyForm(request.POST)
    try:
        ticket = services.ticket_find(request.user, ticket_id)
    except NOT_CONFIRMED as exc:
        # Ownership cannot be checked, so nothing is sent; the text goes back to the subscriber.
        logger.warning("ticket %s could not be read to reply: %s", ticket_id, exc)
        form.is_valid()
        form.add_error(
            None,
            _(
                "We cannot reach the support system right now. Your reply was not sent: "
                "it is kept below, please send it again in a minute."
            ),
        )
        return _render_reply_form(request, ticket_id, form, status=503)

    if not form.is_valid():
        return _reply_failed(request, ticket, form, status=200)
    submission = services.submission_claim(request.user, form.submission_token)
    if submission.is_repeat:
        notice = (
            _("Your reply is already being sent.")
            if submission.state == "pending"
            else _("This reply was already sent.")
        )
        if request.htmx:
            return _render_ticket(request, ticket, ReplyForm(), notice=notice)
        if submission.state == "pending":
            messages.info(request, notice)
        return redirect("support:ticket", ticket_id=ticket.id)

    try:
        updated = services.ticket_reply(request.user, ticket, form.cleaned_data["message"])
    except Rejected as exc:
        services.submission_release(submission)
        form.add_rejection(exc)
        return _reply_failed(request, ticket, form, status=422)
    except NOT_CONFIRMED as exc:
        services.submission_release(submission)
        logger.warning("reply to ticket %s not confirmed by SmartISP: %s", ticket_id, exc)
        form.add_error(
            None,
            _(
                "We could not confirm that your reply reached support. It is kept below: "
                "check the conversation in a minute and send it again only if it is not there."
            ),
        )
        return _reply_failed(request, ticket, form, status=503)

    services.submission_finish(submission, reverse("support:ticket", args=[ticket.id]))
    if request.htmx:
        return _render_ticket(request, updated, ReplyForm(), reply_sent=True)
    messages.success(request, _("Your reply was sent."))
    return redirect("support:ticket", ticket_id=ticket.id)


def _reply_failed(
    request: HttpRequest, ticket: Ticket, form: ReplyForm, *, status: int
) -> HttpResponse:
    if request.htmx:
        return _render_reply_form(request, ticket.id, form, status=status)
    return _render_ticket(request, ticket, form, status=status)


@login_required
@require_POST
def ticket_resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = services.ticket_find(request.user, ticket_id)
    if ticket.status == labels.RESOLVED:
        messages.info(request, _("This ticket is already resolved."))
        return redirect("support:ticket", ticket_id=ticket.id)
    if request.POST.get("confirm") != "1":
        return render(request, "support/ticket_resolve.html", {"ticket": ticket})
    try:
        services.ticket_resolve(request.user, ticket)
    except (Rejected, *NOT_CONFIRMED) as exc:
        logger.warning("resolving ticket %s failed: %s", ticket_id, exc)
        status = 422 if isinstance(exc, Rejected) else 503
        context = {"ticket": ticket, "failed": True}
        return render(request, "support/ticket_resolve.html", context, status=status)
    messages.success(
        request, _("Ticket marked as resolved. If the problem comes back, reply to reopen it.")
    )
    return redirect("support:ticket", ticket_id=ticket.id)
