"""The activation and password-reset emails: plain text and HTML, in the subscriber's language,
with exactly one link, into /accounts/…, built from PORTAL_URL."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tokens import activation_token, reset_token

logger = logging.getLogger(__name__)

ACTIVATION = "activation"
RESET = "reset"
_LINKS = {
    ACTIVATION: ("accounts:activate_confirm", activation_token),
    RESET: ("accounts:password_reset_confirm", reset_token),
}


def link_build(user: User, kind: str) -> str:
    """The one-time link of `kind` for `user`, absolute, from PORTAL_URL."""
    url_name, generator = _LINKS[kind]
    path = reverse(
        url_name,
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": generator.make_token(user),
        },
    )
    return settings.PORTAL_URL + path


def link_email_send(user: User, kind: str, *, language: str) -> bool:
    """Email `user` a one-time link of `kind`; False (logged) when the mail server refused it.

    A failure must not show: the page answers the same whoever asked (no enumeration).
    """
    context = {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_SUPPORT_CONTACT": settings.PORTAL_SUPPORT_CONTACT,
        "name": user.name,
        "link": link_build(user, kind),
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    with translation.override(user.language or language):
        subject = render_to_string(f"accounts/email/{kind}_subject.txt", context)
        text = render_to_string(f"accounts/email/{kind}.txt", context)
        html = render_to_string(f"accounts/email/{kind}.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=[user.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("could not send the %s email of account %s", kind, user.pk)
        return False
    logger.info("sent the %s email of account %s", kind, user.pk)
    return True
