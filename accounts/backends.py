"""Authentication backend that enforces the IP-wide failure limit on every sign-in form."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts import lockout


class IPLockoutBackend:
    """Refuses any sign-in from an IP over AXES_IP_FAILURE_LIMIT (axes has one limit: the pair's).

    Listed first in AUTHENTICATION_BACKENDS, so it also guards the admin's login form. It signs
    nobody in; it only says no. It has no `get_user` on purpose: Django then never picks it as
    a session's backend (force_login and login() take the first backend that has one).
    """

    def authenticate(self, request: HttpRequest | None, **credentials: object) -> None:
        if request is not None and lockout.ip_locked_until(request):
            setattr(request, lockout.IP_LOCKED_FLAG, True)
            # Axes's middleware answers with the 429 page, and its handler records nothing more.
            request.axes_locked_out = True
            raise PermissionDenied
        return None
