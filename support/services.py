"""Support tickets of the signed-in subscriber: finding them, opening, replying, resolving.

Every ticket reached by id is checked to be the subscriber's; a double-sent form is applied once.
"""

import logging
import unicodedata
import uuid
from dataclasses import dataclass, replace

from django.core.cache import cache as django_cache
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from portal.smartisp import NotFound, SmartISPError, get_client
from portal.smartisp import cache as smartisp_cache
from portal.smartisp.parallel import gather
from portal.smartisp.records import CreatedTicket, Page, Ticket, TicketAnswer, TicketMeta
from support import labels

logger = logging.getLogger(__name__)

SUBMISSION_PENDING_SECONDS = 600
SUBMISSION_DONE_SECONDS = 24 * 3600


def client_id_of(user: User) -> int:
    """The subscriber's SmartISP client id; an account without one has no tickets to reach."""
    if user.smartisp_id is None:
        raise Http404("account without a SmartISP client")
    return int(user.smartisp_id)


def author_name(user: User) -> str:
    """The name sent as author of the subscriber's tickets and replies (DESIGN.md section 6)."""
    return (user.name or user.get_full_name()).strip()


def _comparable(name: str) -> str:
    """A name as people and SmartISP write it: case, accents and spacing do not count."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def answer_is_mine(user: User, answer: TicketAnswer, ticket: Ticket | None = None) -> bool:
    """Whether the subscriber wrote `answer` (the rule is in docs/smartisp.md).

    SmartISP's answers carry only an author name (`user`). An answer is the subscriber's when that
    name is the one the portal sends with their tickets and replies, or the client's name as
    SmartISP holds it (what an answer sent with from=client may come back with). Everything else
    (an agent's name, a section such as "tecnico", an empty author) is support's. When the
    ticket's agent has the same name as the subscriber, their answers cannot be told apart and
    read as support's: a message shown as support's is better than one put in the subscriber's
    mouth.
    """
    author = _comparable(answer.author)
    if not author:
        return False
    if ticket is not None and ticket.agent_name and _comparable(ticket.agent_name) == author:
        return False
    names = {author_name(user), user.name, ticket.client_name if ticket else ""}
    return author in {_comparable(n) for n in names if n and n.strip()}


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketListing:
    page: Page[Ticket]
    meta: TicketMeta


def ticket_list(user: User, *, status: str = "", page: int = 1) -> TicketListing:
    """One page of the subscriber's tickets, newest activity first, and the status catalogue.

    SmartISP filters by client_id; the filter is trusted but verified, so a ticket of anyone else
    never shows. The order is applied within the page SmartISP returned.
    """
    client_id = client_id_of(user)
    found = gather(
        page=lambda: smartisp_cache.tickets(client_id, status=status, page=page),
        meta=_meta_or_default,
    )
    listed: Page[Ticket] = found["page"]
    own = [t for t in listed.items if t.client_id == client_id]
    if len(own) != len(listed.items):
        logger.warning("SmartISP listed tickets of other clients for client %s", client_id)
    own.sort(key=_last_activity, reverse=True)
    return TicketListing(
        page=Page(items=tuple(own), pagination=listed.pagination), meta=found["meta"]
    )


def _meta_or_default() -> TicketMeta:
    # tickets/meta is optional (some installs lack it): the reference's statuses stand in.
    try:
        return smartisp_cache.ticket_meta()
    except SmartISPError as exc:
        logger.warning("ticket catalogue unavailable, listing the reference's statuses: %s", exc)
        return TicketMeta(statuses=tuple(labels.STATUS_LABELS), types=(), priorities=())


def _last_activity(ticket: Ticket) -> tuple[float, int]:
    when = ticket.updated_at or ticket.created_at
    return (when.timestamp() if when else 0.0, ticket.id)


def ticket_find(user: User, ticket_id: int) -> Ticket:
    """The ticket, fresh from SmartISP; another subscriber's is the same 404 as a missing one."""
    client_id = client_id_of(user)
    try:
        ticket = get_client().ticket_get(ticket_id)
    except NotFound:
        raise Http404("no such ticket") from None
    if ticket.client_id != client_id:
        raise Http404("no such ticket")
    return ticket


def ticket_choices() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(types, priorities) a subscriber may pick: our subset of what SmartISP's catalogue allows.

    When the catalogue cannot be read, the subset alone is offered, so a typed ticket is never
    lost to a catalogue lookup; SmartISP still validates what is sent.
    """
    try:
        meta = smartisp_cache.ticket_meta()
    except SmartISPError as exc:
        logger.warning("ticket catalogue unavailable, offering the default subset: %s", exc)
        return labels.SUBSCRIBER_TYPES, labels.SUBSCRIBER_PRIORITIES
    types = tuple(t for t in labels.SUBSCRIBER_TYPES if t in meta.types)
    priorities = tuple(p for p in labels.SUBSCRIBER_PRIORITIES if p in meta.priorities)
    return types or labels.SUBSCRIBER_TYPES, priorities or labels.SUBSCRIBER_PRIORITIES


# -- writing -------------------------------------------------------------------------------------


def ticket_open(
    user: User, *, subject: str, message: str, type: str, priority: str, section: str = ""
) -> CreatedTicket:
    """Create a ticket for the subscriber, authored under their name."""
    client_id = client_id_of(user)
    try:
        return get_client().ticket_create(
            client_id=client_id,
            subject=subject,
            message=message,
            type=type,
            priority=priority,
            section=section or None,
            author=author_name(user),
        )
    finally:
        # Also after a failure: a write that timed out may have landed, and the list must show it.
        smartisp_cache.forget(client_id)


def ticket_reply(user: User, ticket: Ticket, message: str) -> Ticket:
    """Add the subscriber's reply; return the conversation as it stands afterwards.

    SmartISP marks a ticket answered with from=client as waiting for support. A ticket the
    subscriber had resolved must reopen too; the reference does not say a reply does that to a
    resolved ticket, so when the fresh ticket still reads resolved we set the status ourselves.
    """
    client, client_id, author = get_client(), client_id_of(user), author_name(user)
    try:
        client.ticket_reply(ticket.id, message=message, sender="client", author=author)
    except NotFound:
        raise Http404("no such ticket") from None
    finally:
        smartisp_cache.forget(client_id)
    try:
        fresh = client.ticket_get(ticket.id)
        if fresh.status == labels.RESOLVED:
            client.ticket_update(ticket.id, status=labels.WAITING_ON_AGENT)
            smartisp_cache.forget(client_id)
            fresh = replace(fresh, status=labels.WAITING_ON_AGENT)
        return fresh
    except SmartISPError as exc:
        # The reply is in; only the refreshed view failed. Show what we know it now holds.
        logger.warning("ticket %s replied, but could not be re-read: %s", ticket.id, exc)
        sent = TicketAnswer(id=0, message=message, author=author, created_at=timezone.now())
        return replace(ticket, answers=(*ticket.answers, sent), status=labels.WAITING_ON_AGENT)


def ticket_resolve(user: User, ticket: Ticket) -> None:
    """Mark the subscriber's ticket resolved (PATCH status=resolved)."""
    try:
        get_client().ticket_update(ticket.id, status=labels.RESOLVED)
    except NotFound:
        raise Http404("no such ticket") from None
    finally:
        smartisp_cache.forget(client_id_of(user))


# -- one submission, one write -------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A form's claim on its one-time `submission_id`.

    state: "claimed" (this request makes the call), "pending" (an earlier request with the same
    id is still sending), "done" (already sent; `result` is where it led), or "untracked" (the form
    carried no id: nothing to deduplicate against).
    """

    key: str
    state: str
    result: str = ""

    @property
    def is_repeat(self) -> bool:
        return self.state in ("pending", "done")


_PENDING = "pending"
_DONE = "done:"


def submission_claim(user: User, token: uuid.UUID | None) -> Submission:
    """Claim the form's id atomically: only the first of several identical POSTs gets to send."""
    if token is None:
        return Submission(key="", state="untracked")
    key = f"support:submit:{user.pk}:{token}"
    if django_cache.add(key, _PENDING, SUBMISSION_PENDING_SECONDS):
        return Submission(key=key, state="claimed")
    value = django_cache.get(key)
    if isinstance(value, str) and value.startswith(_DONE):
        return Submission(key=key, state="done", result=value.removeprefix(_DONE))
    return Submission(key=key, state="pending")


def submission_finish(submission: Submission, result: str) -> None:
    """Record where the sent form led, so a repeat goes there instead of sending again."""
    if submission.key:
        django_cache.set(submission.key, _DONE + result, SUBMISSION_DONE_SECONDS)


def submission_release(submission: Submission) -> None:
    """Give the id back after a failed send, so the same form can be sent again."""
    if submission.key and submission.state == "claimed":
        django_cache.delete(submission.key)
