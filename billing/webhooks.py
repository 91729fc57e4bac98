"""Gateway webhooks (placeholder)."""

from django.http import Http404, HttpRequest, HttpResponse


def webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    raise Http404
