"""Every error the service answers is an RFC 9457 problem (``application/problem+json``).

Why one module: clients (wallets, banks' CI) branch on ``code``, so the mapping
from what went wrong to status and code must live in one place and never
depend on which blueprint raised it.

Members of every problem:

* ``type``: ``https://iso20022-gateway.dev/problems/<code>``, one absolute URI
  per code, the same on every deployment (RFC 9457 recommends absolute URIs;
  a relative one would resolve differently per host).  The same list is
  browsable offline at ``/docs#problems``.
* ``title``: fixed per code; ``status``: the HTTP status; ``detail``: this
  occurrence in plain words; ``code``: the stable machine-readable name.
* ``findings`` (validation failures): the findings, as in a validation report.
* ``instance`` (500 only): ``urn:uuid:...``, the id written to the log with the
  traceback, so support can find it without the client ever seeing internals.
* an error's ``members``, where it has them: facts a client acts on by machine
  (``subscription_id`` of ``webhook_already_subscribed``), never parsed from ``detail``.

Decisions on status codes (:data:`STATUS_BY_ERROR`, the one table; the
nearest class in an error's MRO wins, so subclasses inherit a decision):

* ``InvalidInput`` and ``InvalidAmount`` → 422: the request was understood
  (right media type, size) but its content cannot be used.  A 422 always has
  ``findings``; an error that brings none gets one made from itself.
* ``UnsupportedMessage`` → 422, not 415: 415 is about the media type of the
  body; an ISO 20022 message of a family the gateway does not read is still
  ``application/xml``, the same media type as one it reads.  415 is kept for a
  wrong ``Content-Type``.
* ``SchemaUnavailable`` → 503: the operator has to run ``gateway schemas sync``;
  the same request may succeed later.
* storage (``gateway.persistence.errors``): not found → 404 (also for another
  client's record), conflicts (already exists, invalid transition, concurrent
  update) → 409, invalid credentials → 401, consent not active or limit
  exceeded → 403 (understood, authenticated, not allowed by the consent).
* broken deployment (mapping, catalog, schema store) → 500 handled like an
  unexpected error: logged, detail withheld (their messages name files).
* any other ``GatewayError`` (unknown rule profile, bad parameter) → 400.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, current_app, json, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from gateway.api.idempotency import IdempotencyError, IdempotencyKeyReused
from gateway.connectors.base import ConnectorConfigError, ConnectorError
from gateway.consent.errors import AuthorizationRefused, InsufficientScope, InvalidToken
from gateway.consent.storage import mark_failed
from gateway.domain.errors import (
    GatewayError,
    InvalidInput,
    SchemaUnavailable,
    UnsupportedMessage,
)
from gateway.domain.findings import Finding
from gateway.domain.money import InvalidAmount
from gateway.domain.reconciliation import ReconciliationInputError
from gateway.iso20022.catalog import CatalogError
from gateway.iso20022.schema_store import SchemaSyncError
from gateway.mapping.operations import OperationSpecError
from gateway.mapping.spec import MappingError
from gateway.persistence.errors import (
    AlreadyExists,
    ConcurrentUpdate,
    ConsentNotActive,
    InvalidCredentials,
    InvalidTransition,
    LimitExceeded,
    NotFound,
)
from gateway.routing import RoutingConfigError, UnknownBank
from gateway.services.risk import RiskConfigError

PROBLEM_BASE = "https://iso20022-gateway.dev/problems/"
PROBLEM_JSON = "application/problem+json"

STATUS_BY_ERROR: dict[type[GatewayError], tuple[int, str]] = {
    InvalidInput: (422, "Unusable input"),
    InvalidAmount: (422, "Invalid amount"),
    UnsupportedMessage: (422, "Unsupported message"),
    SchemaUnavailable: (503, "Schema unavailable"),
    NotFound: (404, "Not Found"),  # the same title as a path that does not exist
    AlreadyExists: (409, "Already exists"),
    InvalidTransition: (409, "Invalid state change"),
    ConcurrentUpdate: (409, "Concurrent update"),
    InvalidCredentials: (401, "Invalid credentials"),
    ConsentNotActive: (403, "Consent not active"),
    InvalidToken: (401, "Invalid token"),
    InsufficientScope: (403, "Insufficient scope"),
    AuthorizationRefused: (400, "Authorization refused"),  # shown as a page by /oauth/authorize, not raised
    LimitExceeded: (403, "Consent limit exceeded"),
    MappingError: (500, "Internal Server Error"),
    CatalogError: (500, "Internal Server Error"),
    SchemaSyncError: (500, "Internal Server Error"),
    IdempotencyError: (400, "Idempotency key needed"),
    IdempotencyKeyReused: (422, "Idempotency key reused"),
    RoutingConfigError: (500, "Internal Server Error"),
    OperationSpecError: (500, "Internal Server Error"),
    RiskConfigError: (500, "Internal Server Error"),
    ConnectorConfigError: (500, "Internal Server Error"),
    # Raised inside the worker, never by a request: were one to reach the edge, it is a bug (500).
    ConnectorError: (500, "Internal Server Error"),
    ReconciliationInputError: (500, "Internal Server Error"),
    UnknownBank: (500, "Internal Server Error"),
    GatewayError: (400, "Request refused"),
}
"""Domain error class → (HTTP status, title); the nearest class in the MRO wins."""

HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "content_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}
"""Stable codes for protocol-level errors (werkzeug's names change between versions)."""

INTERNAL_DETAIL = "The gateway could not complete the request. The error has been logged under the instance id."


def problem(status: int, code: str, title: str, detail: str, *, headers=None, **extra) -> Response:
    """An ``application/problem+json`` response; ``extra`` become extension members."""
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code, **extra}
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON, headers=headers)


def status_of(exc: GatewayError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    raise AssertionError("GatewayError is in the table")  # pragma: no cover


def from_gateway_error(exc: GatewayError) -> Response:
    status, title = status_of(exc)
    if status == 500:
        return from_unexpected(exc)
    findings = getattr(exc, "findings", None)
    if status == 422 and not findings:
        findings = [Finding(rule=exc.code, reason="FF01", message=exc.message)]
    extra = {**getattr(exc, "members", {}), **({"findings": [f.to_dict() for f in findings]} if findings else {})}
    return problem(status, exc.code, title, exc.message, headers=getattr(exc, "headers", None), **extra)


def from_http_exception(exc: HTTPException) -> Response | HTTPException:
    if exc.code is None or exc.code < 400:  # redirects (e.g. a trailing slash) are not problems
        return exc
    code = HTTP_CODES.get(exc.code) or re.sub(r"\W+", "_", exc.name.lower()).strip("_")
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]  # keeps Allow on 405
    return problem(exc.code, code, exc.name, _detail(exc), headers=headers)


def _detail(exc: HTTPException) -> str:
    """werkzeug's stock sentences, made specific for the two every client meets."""
    if exc.description != type(exc).description:  # a view said something precise
        return exc.description or exc.name
    if exc.code == 404:
        return f"no endpoint at {request.path}; the endpoints are listed at /docs"
    if exc.code == 405:
        allowed = ", ".join(getattr(exc, "valid_methods", None) or [])
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
    return exc.description or exc.name


def from_unexpected(exc: Exception) -> Response:
    """500 without internals; the traceback goes to the log under the instance id."""
    instance = f"urn:uuid:{uuid.uuid4()}"
    current_app.logger.error("unhandled error, instance %s", instance, exc_info=exc)
    return problem(500, "internal_error", "Internal Server Error", INTERNAL_DETAIL, instance=instance)


def install(app: Flask) -> None:
    """More specific handlers win: domain errors, then HTTP errors, then anything else (500).
    An error answered here means the request failed: its database work is rolled back."""
    def failing(handler):
        def handle(exc):
            if not (isinstance(exc, HTTPException) and (exc.code or 500) < 400):
                mark_failed()
            return handler(exc)
        return handle

    app.register_error_handler(GatewayError, failing(from_gateway_error))
    # A unique key or a version check that lost a race at a flush in the middle of a request
    # (two requests using one consent, one EndToEndId, one MsgId at once): the same 409 as when it
    # happens at the commit (gateway.consent.storage), never a 500.
    app.register_error_handler(StaleDataError, failing(lambda _exc: from_gateway_error(
        ConcurrentUpdate("the record was changed by another request; retry"))))
    app.register_error_handler(IntegrityError, failing(lambda _exc: from_gateway_error(
        ConcurrentUpdate("another request stored the same thing at the same time; retry to see its result"))))
    app.register_error_handler(HTTPException, failing(from_http_exception))
    app.register_error_handler(Exception, failing(from_unexpected))
