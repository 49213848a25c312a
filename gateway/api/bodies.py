"""Reading request bodies safely, once, for every blueprint: JSON documents and XML messages.

Refused with a finding (422 ``invalid_json``): bytes that are not UTF-8 JSON, a
key repeated in one object (which value would win differs between parsers, so
a signature or a limit check could be fooled), ``NaN``/``Infinity`` (not
JSON), and nesting deeper than :data:`MAX_DEPTH`.  A wrong ``Content-Type`` is
415.  The size limit is Flask's ``MAX_CONTENT_LENGTH`` (413) before any of this, with or
without a ``Content-Length`` (see :func:`raw_body`).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding

MAX_DEPTH = 32
XML_TYPES = ("application/xml", "text/xml")


def json_body() -> Any:
    """The request's JSON document (parsed once per request)."""
    if "json_body" not in g:
        g.json_body = _parse()
    return g.json_body


def raw_body() -> bytes:
    """The body's bytes (read once).  A body without Content-Length (chunked; gunicorn passes it with
    ``wsgi.input_terminated``) is read by werkzeug up to ``MAX_CONTENT_LENGTH`` and silently cut
    there, which would turn an oversized document into a truncated one (422 for broken XML or
    JSON); one byte more left in the input means it was cut, and that is 413."""
    data = request.get_data(cache=True)
    if "body_checked" not in g:
        g.body_checked = True
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if (request.content_length is None and limit is not None and len(data) >= limit
                and request.environ.get("wsgi.input_terminated") and request.environ["wsgi.input"].read(1)):
            raise RequestEntityTooLarge(f"the body is over the limit of {limit} bytes")
    return data


def xml_body() -> bytes:
    """An ISO 20022 document's bytes.  The size limit is checked against ``Content-Length``
    before a byte is read, and for a chunked body by :func:`raw_body` (413 either way)."""
    if request.mimetype not in XML_TYPES:
        raise UnsupportedMediaType(f"send the document as Content-Type: application/xml (or text/xml), "
                                   f"not {request.mimetype or 'no Content-Type'}")
    limit = current_app.config["GATEWAY_SETTINGS"].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the document has {request.content_length} bytes; the limit is {limit}")
    return raw_body()


def _parse() -> Any:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"send Content-Type: application/json, not {request.mimetype or 'no Content-Type'}")
    try:
        document = json.loads(raw_body().decode("utf-8"), object_pairs_hook=_no_repeated_keys,
                              parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _refuse(str(exc)) from None
    except RecursionError:
        raise _refuse(f"the document is nested too deeply (more than {MAX_DEPTH} levels)") from None
    if _depth(document) > MAX_DEPTH:
        raise _refuse(f"the document is nested too deeply (more than {MAX_DEPTH} levels)")
    return document


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"the key {repeated[0]!r} appears twice in one object")
    return dict(pairs)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children), default=level)


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(f"the body is not usable JSON: {message}",
                        [Finding(rule="json", reason="FF01", message=message)], code="invalid_json")
