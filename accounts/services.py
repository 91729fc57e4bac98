"""Portal accounts' business rules: email-link access, the SmartISP check at sign-in, the profile.

SmartISP has no endpoint to check a password, so the portal owns the credentials and proves who
someone is through the email address SmartISP holds for their DNI. A subscriber's identity is the
SmartISP client id get-user returned for the DNI they typed (never a DNI read back from SmartISP).
"""

import logging

from django.contrib.auth.hashers import make_password
from django.core.cache import cache as django_cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts import emails
from accounts.models import User
from portal.smartisp import cache
from portal.smartisp.client import get_client
from portal.smartisp.errors import BadResponse, NotFound, Unauthorized, Unavailable
from portal.smartisp.records import Client, normalize_dni

logger = logging.getLogger(__name__)

# Link emails per DNI per window: enough for a lost email, too few to flood someone's inbox.
LINK_EMAILS_PER_WINDOW = 3
LINK_EMAIL_WINDOW_SECONDS = 30 * 60


class SubscriberGone(Exception):
    """SmartISP no longer knows this subscriber (or their DNI now belongs to another client)."""


def _usable_email(address: str) -> str:
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def account_access_email(dni: str, *, language: str) -> None:
    """Email a one-time link to the address SmartISP holds for `dni`: an activation link when the
    account has no password yet, a reset link when it has one. Silently nothing when SmartISP
    does not know the DNI or holds no email: callers answer the same whatever happened.

    Raises Unavailable, Unauthorized or BadResponse when SmartISP cannot answer.
    """
    dni = normalize_dni(dni)
    try:
        record = get_client().user_get(dni)
    except NotFound:
        logger.info("access link asked for a DNI SmartISP does not know")
        return
    client = record.client
    if not _usable_email(client.email):
        logger.info("access link asked for SmartISP client %s, who has no email", client.id)
        return
    user = _account_for(dni, client, language)
    if user is None:
        return
    if not _link_email_allowed(dni):
        logger.warning("access link for account %s not sent: too many in the window", user.pk)
        return
    kind = emails.RESET if user.has_usable_password() else emails.ACTIVATION
    link_email_queue(user, kind, language=language)


def link_email_queue(user: User, kind: str, *, language: str) -> None:
    """Have the task worker send the link, once this request's writes are committed: the page
    answers without waiting for the mail relay, in the same time for every DNI."""
    from accounts import tasks

    pk = user.pk
    transaction.on_commit(lambda: tasks.link_email_send.enqueue(pk, kind, language))


def _account_for(dni: str, client: Client, language: str) -> User | None:
    """The portal account for `dni`, created or brought up to date from SmartISP's record.

    None for accounts an operator switched off and for staff logins: no link for them.
    """
    defaults = {
        "smartisp_id": client.id,
        "name": client.name,
        "email": client.email,
        "language": language,
        "password": make_password(None),  # unusable until the link sets one
    }
    try:
        with transaction.atomic():
            user, created = User.objects.select_for_update().get_or_create(
                dni=dni, defaults=defaults
            )
            if created:
                logger.info("portal account %s created for SmartISP client %s", user.pk, client.id)
                return user
            if user.is_staff or not user.is_active:
                return None
            if user.smartisp_id != client.id:
                # The DNI now belongs to another SmartISP client: only a fresh proof through
                # that client's email may open the account again.
                logger.warning(
                    "account %s: DNI moved from SmartISP client %s to %s",
                    user.pk,
                    user.smartisp_id,
                    client.id,
                )
                user.set_unusable_password()
                user.smartisp_id = client.id
            user.name = client.name or user.name
            user.email = client.email
            user.language = user.language or language
            user.save()
            return user
    except IntegrityError:
        # Two requests for the same new DNI at once: the other one created it.
        return User.objects.filter(dni=dni, is_active=True, is_staff=False).first()


def _link_email_allowed(dni: str) -> bool:
    key = f"accounts:link-emails:{dni}"
    if django_cache.add(key, 1, LINK_EMAIL_WINDOW_SECONDS):
        return True
    try:
        return django_cache.incr(key) <= LINK_EMAILS_PER_WINDOW
    except ValueError:
        return django_cache.add(key, 1, LINK_EMAIL_WINDOW_SECONDS)


def account_signin_check(user: User) -> None:
    """Before a subscriber signs in: SmartISP must still know their DNI as the same client.

    Raises SubscriberGone when it does not. When SmartISP cannot answer, the sign-in goes ahead:
    the account was verified when it was activated, and every page that needs SmartISP says so
    itself. Refreshes the name and email the portal keeps. Staff skip the check.
    """
    if user.is_staff:
        return
    try:
        record = get_client().user_get(user.dni)
    except NotFound:
        logger.info("sign-in refused: SmartISP no longer knows account %s", user.pk)
        raise SubscriberGone from None
    except (Unavailable, Unauthorized, BadResponse) as exc:
        logger.warning("sign-in of account %s not checked with SmartISP: %s", user.pk, exc)
        return
    client = record.client
    if user.smartisp_id is None or client.id != user.smartisp_id:
        logger.warning(
            "sign-in refused: account %s is SmartISP client %s, the DNI now gives %s",
            user.pk,
            user.smartisp_id,
            client.id,
        )
        raise SubscriberGone
    name = client.name or user.name
    email = _usable_email(client.email)
    if (name, email) != (user.name, user.email):
        user.name, user.email = name, email
        user.save(update_fields=["name", "email"])
    # The dashboard comes next and needs this same record.
    cache.remember(client.id, "user", lambda: record)


def account_signed_in(user: User, *, language: str) -> None:
    """Remember the language the subscriber uses, for the emails sent outside a request."""
    if language and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def account_contact(user: User) -> Client | None:
    """The subscriber's contact data as SmartISP holds it; None when it has no record for them.

    Raises Unavailable, Unauthorized or BadResponse when SmartISP cannot answer.
    """
    if user.smartisp_id is None:
        return None
    try:
        record = cache.user_record(user.smartisp_id, user.dni)
    except NotFound:
        return None
    if record.client.id != user.smartisp_id:
        return None
    return record.client


def account_demo_ensure(dni: str, password: str) -> User:
    """A ready, active portal account for the subscriber SmartISP knows by `dni` (for `make demo`).

    Raises NotFound when SmartISP does not know the DNI, Unavailable when it cannot answer.
    """
    dni = normalize_dni(dni)
    client = get_client().user_get(dni).client
    user, _ = User.objects.update_or_create(
        dni=dni,
        defaults={
            "smartisp_id": client.id,
            "name": client.name,
            "email": _usable_email(client.email),
            "is_active": True,
        },
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
