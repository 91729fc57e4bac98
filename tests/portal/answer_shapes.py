"""Shapes of SmartISP answers the reference leaves open (smartisp-field-notes.md), for tests that
drive pages through them: whole answers that replace any endpoint's, and mutations of the
reference's own answers (keys dropped, values nulled, numbers as strings and back)."""

import contextlib
import json
from typing import Any

# Where Laravel sends a request without a valid key; tests answer it with SIGN_IN_PAGE.
SIGN_IN_URL = "http://smartisp.test/login"

NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>Not Found</title></head><body>404</body></html>"
SERVER_ERROR_PAGE = "<!DOCTYPE html><html><body><h1>500 | Server Error</h1></body></html>"
MAINTENANCE_PAGE = "<!DOCTYPE html><html><body><h1>503 | Service Unavailable</h1></body></html>"
EXPIRED_PAGE = "<!DOCTYPE html><html><body><h1>419 | Page Expired</h1></body></html>"
FORBIDDEN_PAGE = "<!DOCTYPE html><html><body><h1>403 | Forbidden</h1></body></html>"
SIGN_IN_PAGE = (
    '<!DOCTYPE html><html><body><form method="POST" action="/login">'
    '<input name="email"><input name="password" type="password"></form></body></html>'
)

# Shapes that replace the whole answer, whatever the endpoint.
WHOLE_ANSWERS: dict[str, dict[str, Any]] = {
    "success-false": {"json": {"success": False, "message": "No se encontraron datos"}},
    "empty-object": {"json": {}},
    "404-json": {"status": 404, "json": {"message": "Not Found"}},
    "404-html": {"status": 404, "body": NOT_FOUND_PAGE, "content_type": "text/html"},
    "500-html": {"status": 500, "body": SERVER_ERROR_PAGE, "content_type": "text/html"},
    "503-html": {"status": 503, "body": MAINTENANCE_PAGE, "content_type": "text/html"},
    "419": {"status": 419, "body": EXPIRED_PAGE, "content_type": "text/html"},
    "429": {
        "status": 429,
        "json": {"message": "Too Many Attempts."},
        "headers": {"Retry-After": "7"},
    },
    "401": {"status": 401, "json": {"message": "Unauthenticated."}},
    "403-html": {"status": 403, "body": FORBIDDEN_PAGE, "content_type": "text/html"},
    "200-unauthenticated": {"json": {"message": "Unauthenticated."}},
    # Laravel sends a request without a valid key to its sign-in page (SIGN_IN_URL answers it).
    "redirect-to-sign-in": {"status": 302, "headers": {"Location": SIGN_IN_URL}, "body": ""},
}
# Shapes of the reference's own answer, with its list or record emptied.
BODY_SHAPES = ("reference", "empty-list", "null")
SHAPES = (*BODY_SHAPES, *WHOLE_ANSWERS)
MUTATIONS = ("drop", "null", "number-as-string", "string-as-number", "empty-list")


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into `value` (dict keys and list indexes), parents before children."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += leaves(inner, (*path, index))
    return found


def mutate(body: Any, mutations: list[tuple[int, str]]) -> Any:
    """`body` with each (position, how) applied to the position-th path, modulo their count."""
    for position, how in mutations:
        paths = leaves(body)
        if not paths:
            return body
        *parent_path, last = paths[position % len(paths)]
        parent = body
        for step in parent_path:
            parent = parent[step]
        value = parent[last]
        if how == "drop" and isinstance(parent, dict):
            del parent[last]
        elif how == "null":
            parent[last] = None
        elif (
            how == "number-as-string"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            parent[last] = str(value)
        elif how == "string-as-number" and isinstance(value, str):
            with contextlib.suppress(ValueError):
                parent[last] = json.loads(value.strip() or "x")
        elif how == "empty-list" and isinstance(value, list | dict):
            parent[last] = []
    return body
