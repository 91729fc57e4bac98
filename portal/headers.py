"""Headers every response gets from one place, whatever view (or kept page, or htmx fragment,
or error page) made it.

- PrivatePagesMiddleware: a response to a signed-in subscriber is `Cache-Control: private,
  no-store`, so invoices and personal data never stay in the cache of a phone someone shares or
  in a proxy's. Anonymous pages keep what their views set.
- PermissionsPolicyMiddleware: the browser features the portal never uses are switched off for
  every page (and any script injected into one); the camera is allowed only on the page that
  photographs a transfer receipt.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PRIVATE = "private, no-store"

# Powerful features (https://www.w3.org/TR/permissions-policy/ and the feature list at
# https://github.com/w3c/webappsec-permissions-policy/blob/main/features.md) the portal does not
# use: "()" allows them to no origin, this one included.
PERMISSIONS_DENIED = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "bluetooth",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
# Pages that need one of them, by path: the transfer report takes a photo of the receipt.
PERMISSIONS_ALLOWED_BY_PATH = {"/billing/transfers/new/": {"camera": "(self)"}}


def permissions_policy(path: str) -> str:
    allowed = PERMISSIONS_ALLOWED_BY_PATH.get(path, {})
    return ", ".join(f"{name}={allowed.get(name, '()')}" for name in PERMISSIONS_DENIED)


class PrivatePagesMiddleware:
    """After AuthenticationMiddleware: it reads who the response is for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Replaces whatever a view set: nothing shown to a signed-in subscriber is public.
            response["Cache-Control"] = PRIVATE
            if response.has_header("Expires"):
                del response["Expires"]
        return response


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", permissions_policy(request.path_info))
        return response
