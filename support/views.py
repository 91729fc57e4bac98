"""Support ticket pages (placeholder until the support issue lands)."""

from django.http import Http404, HttpRequest, HttpResponse


def ticket_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def ticket_new(request: HttpRequest) -> HttpResponse:
    raise Http404


def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    raise Http404


def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    raise Http404


def ticket_resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    raise Http404
