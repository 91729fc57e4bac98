"""Typed, immutable records built from SmartISP's answers, and the one parser per shape.

Follows smartisp-api-v1.txt, including its quirks: numbers sent as strings and strings as numbers,
misspelt message keys, Spanish invoice status text, an invoice whose id is 0, odd date text.
"""

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from portal.smartisp.errors import BadResponse, NotFound

T = TypeVar("T")
CENT = Decimal("0.01")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DNI_NOISE = re.compile(r"[\s.\-]")
# Credentials SmartISP sends inside its records (a client's reversibly stored `password`, a
# service's `pass_hot`, a router's login secret, `custom_token_nuvai`, ...): dropped on arrival.
_SECRET_FIELD = re.compile(
    r"(^|_)(pass|passwd|password|pwd|secret|token|api_?key|apikey|private_?key|hash|pin)(_|$)"
    r"|password|secret|token|apikey|api_key|credential",
    re.IGNORECASE,
)


def is_secret_field(name: Any) -> bool:
    """True for a field named like a credential: password, pass_hot, token, custom_token_*, ..."""
    return isinstance(name, str) and bool(_SECRET_FIELD.search(name))


def without_secrets(value: Any) -> Any:
    """`value` (decoded JSON) with every field named like a credential removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if not is_secret_field(k)}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def to_bool(value: Any) -> bool | None:
    """SmartISP's true/false as JSON booleans, 1/0 or their text; None for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    return None


def normalize_dni(value: Any) -> str:
    """A DNI as typed or sent: spaces, dots and dashes removed, leading zeros kept."""
    return _DNI_NOISE.sub("", "" if value is None else str(value))


def message_of(body: dict[str, Any]) -> str:
    """SmartISP spells its message key three ways."""
    for key in ("message", "mesnage", "mensage", "mensaje"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def to_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadResponse(f"expected a number, got {value!r}")
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def to_id(value: Any, what: str) -> int:
    """A record's id. 0 is a real id (the reference shows one), so a missing id is an error,
    never a silent 0."""
    number = to_int(value)
    if number is None:
        raise BadResponse(f"{what} without an id")
    return number


def to_decimal(value: Any, default: Decimal | None = Decimal("0.00")) -> Decimal | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise BadResponse(f"expected an amount, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise BadResponse(f"expected an amount, got {value!r}") from exc
    if not amount.is_finite():
        raise BadResponse(f"expected an amount, got {value!r}")
    return amount


def to_str(value: Any) -> str:
    return "" if value is None else str(value)


def to_date(value: Any) -> date | None:
    """`2024-04-30`, `2024-04-30 10:00:00`, `18-10-2024` or `03/21/2024`; None when empty."""
    if not value:
        return None
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%m/%d/%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise BadResponse(f"expected a date, got {value!r}")


def to_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 with zone, a naive `2024-04-02 19:00:15` (SmartISP's own zone) or the ticket
    answers' `" May 30, 2026 13:30:50"`. Always returns an aware datetime."""
    if not value:
        return None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        match = re.fullmatch(
            r"([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}):(\d{2})", text
        )
        if not match or match.group(1).lower() not in _MONTHS:
            raise BadResponse(f"expected a date and time, got {value!r}") from None
        mon, day, year, hh, mm, ss = match.groups()
        parsed = datetime(int(year), _MONTHS[mon.lower()], int(day), int(hh), int(mm), int(ss))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadResponse(f"expected an object for {what}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadResponse(f"expected a list for {what}")
    return value


def records_of(value: Any, what: str) -> list[Any]:
    """A list of records as PHP may send it: a list, null, or an object keyed "0", "1", ... (an
    array that lost its order); an empty object is an empty list."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.values())
    return _list(value, what)


def is_empty_record(value: Any) -> bool:
    """null, "", [] or {}: how PHP says a record is not there."""
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True)
class Plan:
    id: int
    name: str
    download_kbps: int
    upload_kbps: int
    cost: Decimal
    iva: Decimal

    @property
    def download_mbps(self) -> int:
        return self.download_kbps // 1024


def parse_plan(raw: Any) -> Plan:
    raw = _dict(raw, "plan")
    return Plan(
        id=to_id(raw.get("id"), "plan"),
        name=to_str(raw.get("name")),
        download_kbps=to_int(raw.get("download")) or 0,
        upload_kbps=to_int(raw.get("upload")) or 0,
        cost=to_decimal(raw.get("cost")),
        iva=to_decimal(raw.get("iva")),
    )


@dataclass(frozen=True)
class Router:
    """A router; SmartISP also sends its login and password, which the portal never keeps."""

    id: int
    name: str
    model: str
    location: str
    status: str
    clients: int


def parse_router(raw: Any) -> Router:
    raw = _dict(raw, "router")
    return Router(
        id=to_id(raw.get("id"), "router"),
        name=to_str(raw.get("name")),
        model=to_str(raw.get("model")),
        location=to_str(raw.get("location")),
        status=to_str(raw.get("status")),
        clients=to_int(raw.get("clients")) or 0,
    )


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    dni: str
    email: str
    phone: str
    address: str
    subscriber_no: str
    balance: Decimal


def parse_client(raw: Any) -> Client:
    raw = _dict(raw, "client")
    return Client(
        id=to_id(raw.get("id"), "client"),
        name=to_str(raw.get("name")).strip(),
        # A DNI sent as a JSON number has lost its leading zeros: never match on this one.
        dni=to_str(raw.get("dni")).strip(),
        email=to_str(raw.get("email")).strip(),
        phone=to_str(raw.get("phone")),
        address=to_str(raw.get("address")),
        subscriber_no=to_str(raw.get("subscriber_no")),
        balance=to_decimal(raw.get("balance")),
    )


@dataclass(frozen=True)
class Service:
    id: int
    client_id: int | None
    status: str  # "ac" active, "de" suspended
    online: str  # "on", "off", or SmartISP's "ver" (unknown)
    ip: str
    plan_id: int | None
    plan_name: str
    plan_download_kbps: int | None
    router_name: str

    @property
    def is_active(self) -> bool:
        return self.status == "ac"

    @property
    def is_online(self) -> bool | None:
        return {"on": True, "off": False}.get(self.online)

    @property
    def download_mbps(self) -> int | None:
        return self.plan_download_kbps // 1024 if self.plan_download_kbps else None


def parse_service(raw: Any) -> Service:
    raw = _dict(raw, "service")
    plan = raw.get("plan") if isinstance(raw.get("plan"), dict) else {}
    router = raw.get("router") if isinstance(raw.get("router"), dict) else {}
    plan_id = to_int(raw.get("plan_id"))
    return Service(
        id=to_id(raw.get("id"), "service"),
        client_id=to_int(raw.get("client_id")),
        status=to_str(raw.get("status")),
        online=to_str(raw.get("online")),
        ip=to_str(raw.get("ip")),
        plan_id=plan_id if plan_id is not None else to_int(plan.get("id")),
        plan_name=to_str(plan.get("name")),
        plan_download_kbps=to_int(plan.get("download")),
        router_name=to_str(router.get("name")),
    )


@dataclass(frozen=True)
class ClientWithServices:
    client: Client
    services: tuple[Service, ...]


def parse_client_with_services(raw: Any) -> ClientWithServices:
    raw = _dict(raw, "client")
    services = raw.get("service") or raw.get("services") or []
    return ClientWithServices(
        client=parse_client(raw),
        services=tuple(parse_service(s) for s in _list(services, "services")),
    )


class InvoiceStatus(enum.Enum):
    PAID = "paid"
    UNPAID = "unpaid"
    OTHER = "other"


_PAID_WORDS = {"1", "pagada", "pagado", "paid"}
_UNPAID_WORDS = {"3", "no pagado", "no pagada", "unpaid", "pendiente"}


def parse_invoice_status(value: Any) -> InvoiceStatus:
    """SmartISP sends 1 / 3 in some answers and "Pagada" / "No pagado" in others."""
    word = str(value).strip().lower()
    if word in _PAID_WORDS:
        return InvoiceStatus.PAID
    if word in _UNPAID_WORDS:
        return InvoiceStatus.UNPAID
    return InvoiceStatus.OTHER


@dataclass(frozen=True)
class Invoice:
    id: int  # 0 is a real id
    num_bill: str
    period: date | None
    start_date: date | None
    release_date: date | None
    expiration_date: date | None
    cortado_date: date | None
    paid_on: date | None
    cost: Decimal
    iva_rate: Decimal
    total_pay: Decimal
    status: InvoiceStatus
    client_id: int | None
    client_name: str
    service: Service | None = None
    note: str = ""
    memo: str = ""  # what the invoice is for, as typed when it was made (CreateInvoice's memo)

    @property
    def is_paid(self) -> bool:
        return self.status is InvoiceStatus.PAID

    @property
    def is_unpaid(self) -> bool:
        return self.status is InvoiceStatus.UNPAID

    @property
    def iva_amount(self) -> Decimal:
        return (self.cost * self.iva_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def subtotal(self) -> Decimal:
        return self.total_pay - self.iva_amount


def parse_invoice(raw: Any) -> Invoice:
    raw = _dict(raw, "invoice")
    invoice_id = to_int(raw.get("id"))
    if invoice_id is None or raw.get("num_bill") in (None, ""):
        raise BadResponse("invoice without id or num_bill")
    # getInvoiceCliente sends the client's name in client_id.
    client_id = to_int(raw.get("client_id"))
    nested = raw.get("client") if isinstance(raw.get("client"), dict) else {}
    client_name = to_str(nested.get("name"))
    if client_id is None and isinstance(raw.get("client_id"), str):
        client_name = client_name or raw["client_id"]
    if client_id is None and nested:
        client_id = to_int(nested.get("id"))
    service = raw.get("service")
    return Invoice(
        id=invoice_id,
        num_bill=str(raw["num_bill"]),
        period=to_date(raw.get("period")),
        start_date=to_date(raw.get("start_date")),
        release_date=to_date(raw.get("release_date")),
        expiration_date=to_date(raw.get("expiration_date")),
        cortado_date=to_date(raw.get("cortado_date")),
        paid_on=to_date(raw.get("paid_on")),
        cost=to_decimal(raw.get("cost")),
        iva_rate=to_decimal(raw.get("iva")),
        total_pay=to_decimal(raw.get("total_pay")),
        status=parse_invoice_status(raw.get("status")),
        client_id=client_id,
        client_name=client_name,
        service=parse_service(service) if isinstance(service, dict) else None,
        note=to_str(raw.get("note")).strip(),
        memo=to_str(raw.get("memo")).strip(),
    )


@dataclass(frozen=True)
class UserRecord:
    """get-user: the client and the invoices SmartISP keeps for them."""

    client: Client
    invoices: tuple[Invoice, ...]


def parse_user_record(body: Any) -> UserRecord:
    body = _dict(body, "get-user")
    if is_empty_record(body.get("user")):
        # An unknown DNI may come back as `"user": null`, `[]` or no user at all.
        raise NotFound("SmartISP has no client with this DNI")
    invoices = body.get("invoices") or {}
    listed = invoices.get("invoices_smartISP") if isinstance(invoices, dict) else None
    return UserRecord(
        client=parse_client(body.get("user")),
        invoices=tuple(parse_invoice(i) for i in records_of(listed, "invoices_smartISP")),
    )


@dataclass(frozen=True)
class InvoiceWithClient:
    """getInvoiceCliente: one invoice and its client."""

    invoice: Invoice
    client: Client | None


def parse_invoice_with_client(body: Any) -> InvoiceWithClient:
    body = _dict(body, "getInvoiceCliente")
    if is_empty_record(body.get("BillCustomer")):
        raise NotFound("SmartISP has no invoice with this number")
    raw = dict(_dict(body.get("BillCustomer"), "BillCustomer"))
    raw.setdefault("status", body.get("estatus"))
    client = parse_client(body["Client"]) if isinstance(body.get("Client"), dict) else None
    invoice = parse_invoice(raw)
    if client and invoice.client_id is None:
        invoice = replace(invoice, client_id=client.id, client_name=client.name)
    return InvoiceWithClient(invoice=invoice, client=client)


@dataclass(frozen=True)
class CreatedInvoice:
    id: int
    num_bill: str
    message: str


@dataclass(frozen=True)
class TicketAnswer:
    id: int
    message: str
    author: str
    created_at: datetime | None


@dataclass(frozen=True)
class Ticket:
    id: int
    subject: str
    section: str
    status: str
    type: str
    priority: str
    client_id: int | None
    client_name: str
    agent_name: str
    cun: str
    created_at: datetime | None
    updated_at: datetime | None
    answers_count: int | None
    answers: tuple[TicketAnswer, ...] = field(default_factory=tuple)

    @property
    def replies(self) -> int:
        return self.answers_count if self.answers_count is not None else len(self.answers)


def parse_ticket(raw: Any, tz: ZoneInfo) -> Ticket:
    raw = _dict(raw, "ticket")
    client = raw.get("client") if isinstance(raw.get("client"), dict) else {}
    agent = raw.get("user") if isinstance(raw.get("user"), dict) else {}
    answers = records_of(raw.get("answers"), "answers")
    client_id = to_int(raw.get("client_id"))
    return Ticket(
        id=to_id(raw.get("id"), "ticket"),
        subject=to_str(raw.get("subject")),
        section=to_str(raw.get("section")),
        status=to_str(raw.get("status")),
        type=to_str(raw.get("type")),
        priority=to_str(raw.get("priority")),
        client_id=client_id if client_id is not None else to_int(client.get("id")),
        client_name=to_str(client.get("name")),
        agent_name=to_str(agent.get("name")),
        cun=to_str(raw.get("ticket_cun_number")),
        created_at=to_datetime(raw.get("created_at"), tz),
        updated_at=to_datetime(raw.get("updated_at"), tz),
        answers_count=to_int(raw.get("answers_count")),
        answers=tuple(
            TicketAnswer(
                id=to_id(a.get("id"), "ticket answer"),
                message=to_str(a.get("message") or a.get("mesnage") or a.get("mensage")),
                author=to_str(a.get("user")),
                created_at=to_datetime(a.get("created_at"), tz),
            )
            for a in answers
            if isinstance(a, dict)
        ),
    )


@dataclass(frozen=True)
class TicketMeta:
    statuses: tuple[str, ...]
    types: tuple[str, ...]
    priorities: tuple[str, ...]


def parse_ticket_meta(body: Any) -> TicketMeta:
    data = _dict(_dict(body, "tickets/meta").get("data"), "tickets/meta data")
    return TicketMeta(
        statuses=tuple(str(s) for s in _list(data.get("status", []), "status")),
        types=tuple(str(s) for s in _list(data.get("type", []), "type")),
        priorities=tuple(str(s) for s in _list(data.get("priority", []), "priority")),
    )


@dataclass(frozen=True)
class CreatedTicket:
    id: int
    cun: str
    status: str
    client_id: int | None


@dataclass(frozen=True)
class Pagination:
    total: int
    per_page: int
    current_page: int
    last_page: int

    @property
    def has_next(self) -> bool:
        return self.current_page < self.last_page

    @property
    def has_previous(self) -> bool:
        return self.current_page > 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    pagination: Pagination


def parse_pagination(raw: Any, count: int) -> Pagination:
    raw = raw if isinstance(raw, dict) else {}
    return Pagination(
        total=to_int(raw.get("total")) or count,
        per_page=to_int(raw.get("per_page")) or max(count, 1),
        current_page=to_int(raw.get("current_page")) or 1,
        last_page=to_int(raw.get("last_page")) or 1,
    )
