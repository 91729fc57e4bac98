"""Paying an invoice: checkout, payment state, the gateway return (placeholder)."""

from django.http import Http404, HttpRequest, HttpResponse


def pay(request: HttpRequest, num_bill: str) -> HttpResponse:
    raise Http404


def payment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    raise Http404


def gateway_return(request: HttpRequest, gateway: str) -> HttpResponse:
    raise Http404
