"""Template context every page needs: the provider's name, contact, colours and id's name."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_SUPPORT_CONTACT": settings.PORTAL_SUPPORT_CONTACT,
        "PORTAL_PRIMARY_COLOR": settings.PORTAL_PRIMARY_COLOR,
        "PORTAL_LOGO": settings.PORTAL_LOGO,
        # Sign-in pages offer a code by WhatsApp or SMS only when a phone backend is set.
        "MESSAGING_ENABLED": bool(settings.MESSAGING_BACKEND),
        # What the national id is called ("cédula", "DNI", "CURP"), as the provider wrote it.
        "PORTAL_ID_LABEL": settings.PORTAL_ID_LABEL,
    }
