"""One-time codes by phone: the way in for subscribers SmartISP holds no email for (DESIGN.md
sections 5 and 10).

The request only counts and enqueues (`code_request`): the SmartISP lookup and the send run on
the task worker (`code_send`), so the page answers the same, in the same time, whatever the DNI.
A code is 6 digits, lives 10 minutes, allows 5 tries, is kept only as a keyed hash, and an account
has at most one (a new one replaces it). A subscriber with an email and no readable phone gets
the email link instead; one with neither gets nothing, and the page says the same.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import services
from accounts.models import Channel, PhoneCode, User
from messaging import service as messaging
from messaging.errors import MessagingError
from messaging.phones import phone_e164
from portal.smartisp.client import get_client
from portal.smartisp.errors import BadResponse, NotFound, Unauthorized, Unavailable
from portal.smartisp.records import normalize_dni

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
# A new code per DNI at most once a minute and 5 an hour; per IP, enough for a shared office
# connection, too few to walk through DNIs.
CODE_INTERVAL_SECONDS = 60
CODES_PER_HOUR = 5
CODES_PER_IP_PER_HOUR = 30
# Wrong codes from one address in an hour, over every DNI: guessing across many accounts stops.
WRONG_CODES_PER_IP_PER_HOUR = 50
# How long "the phone channel had trouble" is shown on the code page after a failed send.
TROUBLE_SECONDS = 10 * 60
_TROUBLE_KEY = "accounts:code:trouble"


class CodeLimited(Exception):
    """Too many codes asked for: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int, *, per_minute: bool) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.per_minute = per_minute


def _key(kind: str, value: str) -> str:
    return f"accounts:code:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _count(key: str, window: int) -> int:
    """A fixed window from the first count: `add` starts it, `incr` never extends it."""
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return 1


# -- in the request -------------------------------------------------------------------------------


def code_request(request: HttpRequest, dni: str, *, language: str) -> None:
    """Count this ask and queue the send. Raises CodeLimited over a limit.

    Known or not, with a phone or not: the same cache calls and one enqueued task.
    """
    dni = normalize_dni(dni)
    ip = get_client_ip_address(request) or "-"
    if not cache.add(_key("dni-minute", dni), 1, CODE_INTERVAL_SECONDS):
        raise CodeLimited(CODE_INTERVAL_SECONDS, per_minute=True)
    if _count(_key("dni-hour", dni), 3600) > CODES_PER_HOUR:
        raise CodeLimited(3600, per_minute=False)
    if _count(_key("ip-hour", ip), 3600) > CODES_PER_IP_PER_HOUR:
        raise CodeLimited(3600, per_minute=False)
    # A new code gets a fresh set of tries, for every DNI alike.
    cache.delete(_key("tries", dni))

    from accounts import code_tasks

    transaction.on_commit(lambda: code_tasks.code_send.enqueue(dni, language))


def phone_trouble() -> bool:
    """Whether a recent send failed (provider or SmartISP down): the code page says so to
    everyone, since it cannot say whose code it was.

    The cache flag is seen by every process only with a shared cache (Redis); the latest
    finished send of the last minutes, in the database, is seen everywhere.
    """
    if cache.get(_TROUBLE_KEY):
        return True
    cutoff = timezone.now() - timedelta(seconds=TROUBLE_SECONDS)
    latest = (
        PhoneCode.objects.filter(created_at__gte=cutoff)
        .exclude(sent_at=None, failure="")
        .order_by("-created_at")
        .values_list("failure", flat=True)
        .first()
    )
    return bool(latest)


# -- on the task worker ---------------------------------------------------------------------------


def _digest(salt: str, code: str) -> str:
    return salted_hmac(f"accounts.codes:{salt}", code, algorithm="sha256").hexdigest()


def code_send(dni: str, language: str) -> str:
    """Look the DNI up in SmartISP and send a fresh code to its phone. Returns what happened
    (for the task's result and the tests); the subscriber never sees it."""
    dni = normalize_dni(dni)
    try:
        record = get_client().user_get(dni)
    except NotFound:
        logger.info("code asked for a DNI SmartISP does not know")
        return "unknown"
    except (Unavailable, Unauthorized, BadResponse) as exc:
        logger.warning("code not sent, SmartISP failed: %s", exc)
        cache.set(_TROUBLE_KEY, True, TROUBLE_SECONDS)
        return "smartisp unavailable"
    client = record.client
    phone = phone_e164(client.phone)
    if not phone or not messaging.phone_channel_enabled():
        if services._usable_email(client.email):
            # Email is the only channel on file (DESIGN.md section 10): the link goes there.
            try:
                services.account_access_email(dni, language=language)
            except (Unavailable, Unauthorized, BadResponse) as exc:
                logger.warning("code asked, link not sent, SmartISP failed: %s", exc)
                return "smartisp unavailable"
            return "email"
        logger.info("code asked for SmartISP client %s, who has no usable phone", client.id)
        return "no channel"
    user = services._account_for(dni, client, language)
    if user is None:
        return "no account"

    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    now = timezone.now()
    with transaction.atomic():
        PhoneCode.objects.filter(user=user).delete()
        row = PhoneCode.objects.create(
            user=user,
            digest=_digest(salt, code),
            salt=salt,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        if user.phone != phone:
            user.phone = phone
            user.save(update_fields=["phone"])
    # No transaction is held across the provider's call.
    try:
        sent = messaging.send_code(phone, code, user.language or language)
    except MessagingError as exc:
        logger.warning("code of account %s not sent: %s", user.pk, exc)
        PhoneCode.objects.filter(pk=row.pk).update(failure=str(exc)[:300])
        cache.set(_TROUBLE_KEY, True, TROUBLE_SECONDS)
        return "failed"
    PhoneCode.objects.filter(pk=row.pk).update(channel=sent.channel, sent_at=timezone.now())
    cache.delete(_TROUBLE_KEY)
    logger.info("code of account %s sent by %s", user.pk, sent.channel)
    return "sent"


# -- checking a code ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    user: User | None = None
    too_many: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


def code_verify(request: HttpRequest, dni: str, code: str) -> CodeCheck:
    """Check `code` for `dni`. A right one is used up and gives the account; the channel it
    came by becomes the account's channel for notices."""
    dni = normalize_dni(dni)
    code = "".join(ch for ch in str(code) if ch.isdigit())
    wrong_key = _key("ip-wrong", get_client_ip_address(request) or "-")
    if (cache.get(wrong_key) or 0) >= WRONG_CODES_PER_IP_PER_HOUR:
        return CodeCheck(too_many=True)
    check = _code_check(dni, code)
    if not check.ok:
        _count(wrong_key, 3600)
    return check


def _code_check(dni: str, code: str) -> CodeCheck:
    # Counted for every DNI alike, so "too many tries" says nothing about who exists.
    if _count(_key("tries", dni), int(CODE_LIFETIME.total_seconds())) > CODE_TRIES:
        return CodeCheck(too_many=True)
    row = (
        PhoneCode.objects.select_related("user")
        .filter(user__dni=dni, user__is_active=True, user__is_staff=False)
        .first()
    )
    expected = row.digest if row else ""
    given = _digest(row.salt if row else "none", code)
    if row is None or row.expires_at <= timezone.now():
        return CodeCheck()
    # The row's own count holds even if the cache forgot: 5 tries per code, then it is dead.
    if not PhoneCode.objects.filter(pk=row.pk, tries__lt=CODE_TRIES).update(tries=F("tries") + 1):
        return CodeCheck(too_many=True)
    if not constant_time_compare(expected, given):
        return CodeCheck()
    if not PhoneCode.objects.filter(pk=row.pk).delete()[0]:
        return CodeCheck()  # used at the same moment by another request
    user = row.user
    channel = row.channel or _default_channel()
    if user.channel != channel:
        user.channel = channel
        user.save(update_fields=["channel"])
    cache.delete(_key("tries", dni))
    return CodeCheck(user=user)


def _default_channel() -> str:
    # A code that arrived though its send was not confirmed (a timeout after the provider took it).
    return {"twilio": Channel.SMS, "console": Channel.CONSOLE}.get(
        settings.MESSAGING_BACKEND, Channel.WHATSAPP
    )
