"""The words of a code sent as plain text (SMS, console), in the subscriber's language.

WhatsApp's authentication templates carry Meta's own fixed words; SMS needs ours. Short on
purpose: one SMS segment, and Movistar Ecuador does not join longer ones.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

CODE_MINUTES = 10


def code_text(code: str, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return _("%(code)s is your %(portal)s code. It expires in %(minutes)s minutes.") % {
            "code": code,
            "portal": settings.PORTAL_NAME,
            "minutes": CODE_MINUTES,
        }
