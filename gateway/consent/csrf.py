"""CSRF protection of the holder's forms: a random per-session token.

The token lives in Flask's session, whose cookie is signed with the service's
secret key (so it cannot be forged or swapped), and is repeated in a hidden
field of every form; a POST whose field does not match the session's token is
refused before anything else is looked at.  Together with ``SameSite=Lax``
cookies this needs no new dependency.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
_KEY = "csrf"


def token() -> str:
    """This session's token (created on first use)."""
    value = session.get(_KEY)
    if not value:
        value = session[_KEY] = secrets.token_urlsafe(32)
    return value


def valid() -> bool:
    """True if the form's token is this session's (constant-time)."""
    sent, expected = request.form.get(FIELD, ""), session.get(_KEY, "")
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())
