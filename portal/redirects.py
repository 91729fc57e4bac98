"""Redirects to an address a user gave (`next`): one check for every view that follows one.

Django's url_has_allowed_host_and_scheme decides whether the address stays on this site; only its
path and query are then used, so the redirect can never name another host, a scheme, or (as a
bare word handed to `redirect()` would) a URL pattern.
"""

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.i18n import set_language as django_set_language


def next_path(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` as a path (and query) on this site; "" when it is anything else."""
    if not candidate or not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(candidate)
    path = parts.path
    # A path only: "foo" is not one, and "//host" or "/\host" would be read as a host.
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return ""
    return f"{path}?{parts.query}" if parts.query else path


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, with its `next` through `next_path` (the page it came from, or
    the site root) instead of Django's own check and its fall-back to the Referer."""
    if request.method == "POST":
        data = request.POST.copy()
        data["next"] = next_path(request, data.get("next")) or "/"
        request.POST = data
    else:
        query = request.GET.copy()
        query["next"] = next_path(request, query.get("next")) or "/"
        request.GET = query
    return django_set_language(request)
