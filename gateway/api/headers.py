"""Security headers on every response, error responses included.

Why here and not per view: a header that only some views remember is a header
an attacker finds missing on the one view that forgot.  Views may set a
stricter or more specific value first (the docs page sets its own CSP, which
needs the hash of its inline stylesheet); these are defaults, never removed.
"""

from __future__ import annotations

from flask import Flask, Response

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""API answers are data, never pages: nothing may load, nothing may frame them."""

DEFAULTS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": API_CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # reports, tokens and consents must not sit in shared caches
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    # Not ``headers.setdefault``: for a header that is missing (most of them, on most answers)
    # werkzeug raises and catches a KeyError inside, which made this a fifth of a bare request.
    present = {name.lower() for name, _ in response.headers}
    for name, value in DEFAULTS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


def install(app: Flask) -> None:
    app.after_request(add_security_headers)
