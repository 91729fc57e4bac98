"""The signed-in subscriber's billing as pages show it: invoices (own lists only), the dashboard."""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.http import Http404
from django.utils import timezone

from accounts.models import User
from billing.ledger import invoices_oldest_first, invoices_paid_now
from portal.smartisp import cache
from portal.smartisp.errors import SmartISPError
from portal.smartisp.parallel import gather
from portal.smartisp.records import Client, Invoice, Plan, Service, Ticket

logger = logging.getLogger(__name__)

# A cut-off this close (or already past) is worth a warning on the dashboard.
CUTOFF_WARNING_DAYS = 7
DASHBOARD_TICKETS = 3


def invoices_of(user: User) -> tuple[list[Invoice], list[Invoice]]:
    """(unpaid, paid) for this subscriber, fetched in parallel and cached briefly."""
    client_id = user.smartisp_id
    if client_id is None:
        return [], []
    results = gather(
        unpaid=lambda: cache.unpaid_invoices(client_id),
        paid=lambda: cache.paid_invoices(client_id),
    )
    return results["unpaid"], results["paid"]


def invoice_find(user: User, num_bill: str) -> Invoice:
    """The subscriber's invoice `num_bill`; another subscriber's is the same 404 as none."""
    unpaid, paid = invoices_of(user)
    return invoice_pick(user, num_bill, (*unpaid, *paid))


def invoice_pick(user: User, num_bill: str, invoices: Iterable[Invoice]) -> Invoice:
    """`num_bill` among lists already fetched for `user`, with the same ownership check."""
    for invoice in invoices:
        if invoice.num_bill == num_bill and invoice.client_id in (None, user.smartisp_id):
            return invoice
    raise Http404("no such invoice")


def _own(user: User, invoices: Iterable[Invoice]) -> list[Invoice]:
    # SmartISP's per-client lists are trusted but verified: nobody else's invoice ever shows.
    return [i for i in invoices if i.client_id in (None, user.smartisp_id)]


# -- what the ledger knows before SmartISP does (issue 14) --------------------------------------


def unpaid_split(user: User, unpaid: Iterable[Invoice]) -> tuple[list[Invoice], list[Invoice]]:
    """(still owed, paid now): SmartISP's unpaid invoices without those whose payment the
    gateway captured, which every page shows as paid (being recorded) from that moment."""
    paid_now = invoices_paid_now(user.smartisp_id)
    owed = [i for i in unpaid if i.id not in paid_now]
    return owed, [i for i in unpaid if i.id in paid_now]


def cutoff_of(owed: Iterable[Invoice]) -> date | None:
    """The day the service can be cut off: the earliest cut-off of an invoice still owed. The one
    place it is computed; the dashboard and every invoice page show this date."""
    cutoffs = [i.cortado_date for i in owed if i.cortado_date]
    return min(cutoffs) if cutoffs else None


def invoices_newest_first(invoices: Iterable[Invoice]) -> list[Invoice]:
    return sorted(
        invoices,
        key=lambda i: (i.release_date or i.period or date.min, i.id),
        reverse=True,
    )


def invoice_next_order(unpaid: Iterable[Invoice]) -> list[Invoice]:
    """Unpaid invoices in the order they fall due; undated ones last."""
    return sorted(
        unpaid,
        key=lambda i: (i.expiration_date is None, i.expiration_date or date.max, i.id),
    )


def invoice_next(unpaid: Iterable[Invoice]) -> Invoice | None:
    """The unpaid invoice that falls due first (DESIGN.md section 8)."""
    dated = invoice_next_order(unpaid)
    return dated[0] if dated else None


@dataclass(frozen=True)
class InvoiceLists:
    unpaid: list[Invoice]
    paid: list[Invoice]  # with those paid now, not recorded in SmartISP yet
    paid_now: frozenset[int] = frozenset()  # their ids


def invoices_list(user: User) -> InvoiceLists:
    """Both lists of the invoices page, newest first."""
    unpaid, paid = invoices_of(user)
    owed, paid_now = unpaid_split(user, _own(user, unpaid))
    recorded = {i.id for i in paid}
    return InvoiceLists(
        unpaid=invoices_newest_first(owed),
        paid=invoices_newest_first(
            [*_own(user, paid), *(i for i in paid_now if i.id not in recorded)]
        ),
        paid_now=frozenset(i.id for i in paid_now),
    )


@dataclass(frozen=True)
class InvoiceSheet:
    """One invoice as the printable page shows it."""

    invoice: Invoice
    subscriber_name: str
    subscriber_no: str
    paid_now: bool = False  # the gateway captured its payment; SmartISP is being told
    cutoff: date | None = None  # the service's cut-off while this invoice is owed (cutoff_of)


def invoice_sheet_get(user: User, num_bill: str) -> InvoiceSheet:
    """The invoice (own lists only) and the subscriber's record, fetched in parallel."""
    client_id = user.smartisp_id
    if client_id is None:
        raise Http404("no such invoice")
    found = gather(
        unpaid=lambda: cache.unpaid_invoices(client_id),
        paid=lambda: cache.paid_invoices(client_id),
        client=lambda: _client_or_none(client_id, user.dni),
    )
    invoice = invoice_pick(user, num_bill, (*found["unpaid"], *found["paid"]))
    client: Client | None = found["client"]
    owed, paid_now = unpaid_split(user, _own(user, found["unpaid"]))
    return InvoiceSheet(
        invoice=invoice,
        subscriber_name=user.name or invoice.client_name or (client.name if client else ""),
        subscriber_no=client.subscriber_no if client else "",
        paid_now=any(i.id == invoice.id for i in paid_now),
        cutoff=cutoff_of(owed) if any(i.id == invoice.id for i in owed) else None,
    )


def _client_or_none(client_id: int, dni: str) -> Client | None:
    # Only the subscriber number comes from here: an invoice prints fine without it.
    try:
        return cache.user_record(client_id, dni).client
    except SmartISPError as exc:
        logger.warning("subscriber record of client %s unavailable: %s", client_id, exc)
        return None


@dataclass(frozen=True)
class ServiceLine:
    service: Service
    download_mbps: int | None


@dataclass(frozen=True)
class Dashboard:
    services: tuple[ServiceLine, ...]
    unpaid: list[Invoice]  # still owed: without those paid now
    total_due: Decimal
    next_invoice: Invoice | None
    next_overdue: bool
    cutoff: date | None  # the earliest cut-off of an unpaid invoice, shown when at risk
    cutoff_passed: bool
    at_risk: bool  # something is still owed and the service is suspended or can be cut off soon
    suspended: bool
    tickets: tuple[Ticket, ...] | None  # None: SmartISP did not answer for tickets
    # SmartISP did not answer the client search the services come from (some installs lack it):
    # the invoices and the Pay button still show; only the service card says so.
    services_unavailable: bool = False
    paid_now: tuple[Invoice, ...] = ()  # captured, being recorded in SmartISP
    # Owed invoices a transfer report under review covers, and those reports: the pay-all
    # button leaves them out (a card can still pay them, from the invoice list).
    under_review: tuple[Invoice, ...] = ()
    reviews: tuple = ()  # their transfers.models.TransferReport, in the order they fall due

    @property
    def all_paid(self) -> bool:
        return not self.unpaid

    @property
    def reconnecting(self) -> bool:
        """Suspended with nothing owed: the payment is in, SmartISP has yet to reconnect."""
        return self.suspended and self.all_paid

    @property
    def payable(self) -> list[Invoice]:
        """What the pay-all button pays: every owed invoice not under review."""
        waiting = {i.num_bill for i in self.under_review}
        return [i for i in self.unpaid if i.num_bill not in waiting]

    @property
    def payable_total(self) -> Decimal:
        return sum((i.total_pay for i in self.payable), Decimal("0.00"))


def dashboard_get(
    user: User, *, today: date | None = None, waiting: Mapping[str, object] | None = None
) -> Dashboard:
    """Everything the dashboard shows, from SmartISP calls made in parallel; `waiting` is the
    subscriber's transfer reports under review by num_bill (transfers.waiting.waiting_of).

    Billing data failing raises (the page becomes the 503 page); services (the client search),
    tickets and the plan catalogue (for speeds) are secondary: without them the page still
    renders, and only the part that is missing says so.
    """
    today = today or timezone.localdate()
    client_id = user.smartisp_id
    if client_id is None:
        services: tuple[Service, ...] = ()
        unpaid: list[Invoice] = []
        tickets: tuple[Ticket, ...] | None = ()
        plans: list[Plan] = []
    else:
        found = gather(
            services=lambda: _services_or_none(client_id, user.dni),
            unpaid=lambda: cache.unpaid_invoices(client_id),
            tickets=lambda: _tickets_or_none(client_id),
            plans=_plans_or_empty,
        )
        services, unpaid, tickets, plans = (
            found["services"] or (),
            _own(user, found["unpaid"]),
            found["tickets"],
            found["plans"],
        )
    unpaid, paid_now = unpaid_split(user, unpaid)
    waiting = waiting or {}
    under_review = tuple(i for i in invoice_next_order(unpaid) if i.num_bill in waiting)
    speeds = {p.id: p.download_mbps for p in plans if p.download_kbps}
    lines = tuple(ServiceLine(s, s.download_mbps or speeds.get(s.plan_id or -1)) for s in services)
    next_invoice = invoice_next(unpaid)
    cutoff = cutoff_of(unpaid)
    suspended = any(not s.is_active for s in services)
    # Nothing owed: a suspension is waiting for SmartISP to reconnect, not for a payment.
    at_risk = bool(unpaid) and (
        suspended or (cutoff is not None and cutoff <= today + timedelta(days=CUTOFF_WARNING_DAYS))
    )
    return Dashboard(
        services=lines,
        unpaid=unpaid,
        total_due=sum((i.total_pay for i in unpaid), Decimal("0.00")),
        next_invoice=next_invoice,
        next_overdue=bool(
            next_invoice and next_invoice.expiration_date and next_invoice.expiration_date < today
        ),
        cutoff=cutoff,
        cutoff_passed=cutoff is not None and cutoff <= today,
        at_risk=at_risk,
        suspended=suspended,
        tickets=_latest_own(client_id, tickets) if tickets is not None else None,
        services_unavailable=client_id is not None and found["services"] is None,
        paid_now=tuple(invoices_oldest_first(paid_now)),
        under_review=under_review,
        reviews=tuple(dict.fromkeys(waiting[i.num_bill] for i in under_review)),
    )


def _services_or_none(client_id: int, dni: str) -> tuple[Service, ...] | None:
    try:
        return cache.services(client_id, dni)
    except SmartISPError as exc:
        logger.warning(
            "services of client %s unavailable for the dashboard: %s", client_id, type(exc).__name__
        )
        return None


def _tickets_or_none(client_id: int) -> tuple[Ticket, ...] | None:
    try:
        return cache.tickets(client_id).items
    except SmartISPError as exc:
        logger.warning("tickets of client %s unavailable for the dashboard: %s", client_id, exc)
        return None


def _plans_or_empty() -> list[Plan]:
    # The client list names each service's plan but not its speed; the catalogue has it.
    try:
        return cache.plans()
    except SmartISPError as exc:
        logger.warning("plan catalogue unavailable for the dashboard: %s", exc)
        return []


def _latest_own(client_id: int | None, tickets: Iterable[Ticket]) -> tuple[Ticket, ...]:
    own = [t for t in tickets if t.client_id == client_id]

    def latest(ticket: Ticket) -> tuple[float, int]:
        when = ticket.updated_at or ticket.created_at
        return (when.timestamp() if when else 0.0, ticket.id)

    return tuple(sorted(own, key=latest, reverse=True)[:DASHBOARD_TICKETS])
