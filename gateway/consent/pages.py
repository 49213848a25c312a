"""Rendering of the account holder's HTML pages (``authorize.py``, ``signin.py``).

Pages carry their own Content-Security-Policy: the inline stylesheet by hash,
no scripts, no framing, and forms may only post here, or (the consent form,
whose answer is a redirect) to the application's registered redirect URI.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Response, render_template
from markupsafe import Markup

from gateway.consent import csrf

HERE = Path(__file__).resolve().parent
CSS = (HERE / "templates" / "pages.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()


def csp(form_targets: str = "'self'") -> str:
    return (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; form-action {form_targets}; "
            "frame-ancestors 'none'; base-uri 'none'")


def page(template: str, status: int = 200, *, form_targets: str = "'self'", headers: dict | None = None,
         **context) -> Response:
    html = render_template(template, css=Markup(CSS), csrf_field=csrf.FIELD, csrf_token=csrf.token(), **context)
    return Response(html, status=status, mimetype="text/html",
                    headers={"Content-Security-Policy": csp(form_targets), **(headers or {})})


def error_page(status: int, title: str, message: str) -> Response:
    return page("error.html", status, title=title, message=message)
