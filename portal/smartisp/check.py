"""The connection check an ISP runs when pointing the portal at their SmartISP (smartisp_check).

Read-only: it calls every read endpoint the portal uses, through the portal's own client (so it
judges each answer exactly as the pages will), and reports for each one whether SmartISP answered,
with what status, how fast, and whether the answer's shape was recognised. docs/smartisp.md says
what each result means and what to do about it.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.smartisp.client import SmartISPClient, last_exchange, odd_answers_noted
from portal.smartisp.errors import (
    KEY_REFUSED,
    BadResponse,
    NotFound,
    Rejected,
    SmartISPError,
    Unauthorized,
    Unavailable,
)


class Verdict(enum.Enum):
    OK = "ok"  # answered in a shape the reference shows
    NOTE = "note"  # answered in a shape the reference does not show, which the portal reads
    MISSING = "missing"  # an optional endpoint this install lacks: the portal copes without it
    FAIL = "FAIL"  # the portal cannot use this answer


@dataclass
class Result:
    endpoint: str
    verdict: Verdict
    status: int | None
    milliseconds: float | None
    detail: str
    key_refused: bool = False


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    @property
    def key_refused(self) -> bool:
        return any(r.key_refused for r in self.results)

    @property
    def failed(self) -> bool:
        return any(r.verdict is Verdict.FAIL for r in self.results)


# Endpoints whose absence the portal survives (the dashboard and ticket pages say what is missing).
OPTIONAL = frozenset({"clients", "tickets/meta", "plans"})


def _probe(
    endpoint: str, call: Callable[[], Any], describe: Callable[[Any], str]
) -> tuple[Result, Any]:
    last_exchange(forget=True)
    value = None
    with odd_answers_noted() as odd:
        try:
            value = call()
        except Unauthorized:
            verdict, detail, refused = Verdict.FAIL, KEY_REFUSED, True
        except NotFound as exc:
            refused = False
            if endpoint.split("?")[0] in OPTIONAL and exc.status == 404:
                verdict, detail = Verdict.MISSING, "this SmartISP lacks the endpoint (HTTP 404)"
            else:
                verdict, detail = Verdict.FAIL, f"not found: {exc.message}"
        except Unavailable as exc:
            verdict, refused = Verdict.FAIL, False
            detail = f"unreachable or failing: {exc.message}"
            if exc.retry_after is not None:
                detail += f" (Retry-After {exc.retry_after} s)"
        except (BadResponse, Rejected) as exc:
            verdict, detail, refused = Verdict.FAIL, f"unexpected answer: {exc.message}", False
        else:
            verdict, detail, refused = Verdict.OK, describe(value), False
    if verdict is Verdict.OK and odd:
        verdict = Verdict.NOTE
        detail += "; read from an answer the reference does not show: " + "; ".join(
            shape for _, _, shape in odd
        )
    elif odd and verdict is not Verdict.OK:
        detail += " [" + "; ".join(shape for _, _, shape in odd) + "]"
    exchange = last_exchange()
    result = Result(endpoint, verdict, exchange.status, exchange.milliseconds, detail, refused)
    return result, value


def check_run(isp: SmartISPClient, dni: str | None = None) -> Report:
    """Every read endpoint the portal uses; with `dni`, that subscriber's own ones too."""
    report = Report()

    def run(endpoint: str, call: Callable[[], Any], describe: Callable[[Any], str]) -> Any:
        result, value = _probe(endpoint, call, describe)
        report.results.append(result)
        return value

    run(
        "tickets/meta",
        isp.tickets_meta,
        lambda m: (
            f"{len(m.statuses)} statuses, {len(m.types)} types, {len(m.priorities)} priorities"
        ),
    )
    run("plans", isp.plans_list, lambda plans: f"{len(plans)} plans")
    run(
        "clients",
        lambda: isp.clients_list(per_page=1),
        lambda page: f"{page.pagination.total} clients",
    )
    run(
        "tickets",
        lambda: isp.tickets_list(per_page=1),
        lambda page: f"{page.pagination.total} tickets",
    )
    if report.key_refused or not dni:
        return report

    record = run(
        "get-user/{dni}",
        lambda: isp.user_get(dni),
        lambda rec: f"client id {rec.client.id}, {len(rec.invoices)} invoices in the record",
    )
    if record is None:
        return report
    client_id = record.client.id

    def services(page) -> str:
        for entry in page.items:
            if entry.client.id == client_id:
                return f"client id {client_id} found with {len(entry.services)} services"
        return f"client id {client_id} not among {len(page.items)} results: no service shown"

    run(
        "clients?search={dni}",
        lambda: isp.clients_list(search=dni, per_page=100),
        services,
    )
    unpaid = run(
        "InvoiceClientStatus3/{id}",
        lambda: isp.invoices_unpaid(client_id),
        lambda invoices: f"{len(invoices)} unpaid invoices",
    )
    paid = run(
        "InvoiceClientStatus1/{id}",
        lambda: isp.invoices_paid(client_id),
        lambda invoices: f"{len(invoices)} paid invoices",
    )
    invoices = [*(unpaid or []), *(paid or []), *record.invoices]
    if invoices:
        num_bill = invoices[0].num_bill
        run(
            "getInvoiceCliente/{num_bill}",
            lambda: isp.invoice_get(num_bill),
            lambda found: (
                "invoice belongs to this client"
                if found.invoice.client_id in (None, client_id)
                else f"invoice reads as client {found.invoice.client_id}'s"
            ),
        )
    tickets = run(
        "tickets?client_id={id}",
        lambda: isp.tickets_list(client_id=client_id),
        lambda page: f"{len(page.items)} tickets",
    )
    if tickets is not None and tickets.items:
        ticket_id = tickets.items[0].id
        run(
            "tickets/{id}",
            lambda: isp.ticket_get(ticket_id),
            lambda t: f"{len(t.answers)} answers",
        )
    return report


__all__ = ["Report", "Result", "SmartISPError", "Verdict", "check_run"]
