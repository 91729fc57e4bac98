"""Billing pages (placeholder until the dashboard issue lands)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/dashboard.html")


@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    raise Http404


@login_required
def invoice_detail(request: HttpRequest, num_bill: str) -> HttpResponse:
    raise Http404
