"""Query parameters of the list endpoints, read one way everywhere.

Why strict: a ``limit=many`` or ``status=lost`` that silently becomes "the default" or "no filter"
answers a question the client did not ask; a 400 ``invalid_parameter`` naming the parameter is
what the OpenAPI document promises (``minimum``/``maximum``/``enum``).

Cursors are opaque to clients (base64url of the sort key of the last row shown), so that a
page boundary is a position in the sort order, not an id that happens to sort the same way.
"""

from __future__ import annotations

import base64
import binascii

from flask import request

from gateway.domain.errors import GatewayError


def InvalidParameter(message: str) -> GatewayError:  # raised like an exception class, hence the name
    """400 ``invalid_parameter``, the code ``/validate``, ``/ledger`` and the statements use too."""
    return GatewayError(message, code="invalid_parameter")


def single(name: str) -> str | None:
    """The parameter's one value (None when absent); given twice, which one was meant is unknown: 400."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(f"{name} is given {len(values)} times; give it once")
    return values[0] if values else None


def limit(default: int, maximum: int) -> int:
    text = single("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise InvalidParameter(f"limit must be a whole number from 1 to {maximum}, not {text!r}")
    return int(text)


def choice(name: str, allowed: tuple[str, ...]) -> str | None:
    text = single(name)
    if text is not None and text not in allowed:
        raise InvalidParameter(f"{name} must be one of {', '.join(allowed)}, not {text!r}")
    return text


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\n".join(parts).encode()).decode().rstrip("=")


def decode_cursor(name: str, count: int) -> tuple[str, ...] | None:
    """The ``count`` parts of the cursor in parameter ``name``; None when absent; 400 when not one of ours."""
    text = single(name)
    if text is None:
        return None
    try:
        parts = tuple(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split("\n"))
    except (binascii.Error, ValueError):
        parts = ()
    if len(parts) != count:
        raise InvalidParameter(f"{name} must be the `next` of a previous page, not {text!r}")
    return parts
