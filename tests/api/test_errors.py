"""Every error is an RFC 9457 problem with a stable code; nothing internal leaks;
every response carries the security headers."""

from __future__ import annotations

import importlib
import json
import logging
import re

import pytest
from werkzeug.exceptions import BadRequest

import gateway.api.validation
from gateway.api.errors import STATUS_BY_ERROR, from_gateway_error
from gateway.config import ConfigError
from gateway.domain.errors import GatewayError, InvalidInput, SchemaUnavailable, UnsupportedMessage
from gateway.domain.findings import Finding
from gateway.domain.money import InvalidAmount
from gateway.iso20022.schema_store import SchemaChecksumMismatch, SchemaSyncError
from gateway.mapping.spec import MappingError
from gateway.persistence.errors import InvalidCredentials, InvalidTransition, LimitExceeded, NotFound
from tests.api.conftest import PAIN001_03, ROOT

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json
    assert PROBLEM_MEMBERS <= body.keys()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"https://iso20022-gateway.dev/problems/{code}")
    return body


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json == {"status": "ok", "version": "0.1.0"}


def test_unknown_path_is_404(client):
    body = problem(client.get("/no/such/thing"), 404, "not_found")
    assert body["title"] == "Not Found" and "/no/such/thing" in body["detail"] and "/docs" in body["detail"]


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/validate")
    body = problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"] and "DELETE is not allowed on /validate" in body["detail"]
    assert set(problem(client.post("/health"), 405, "method_not_allowed")) >= PROBLEM_MEMBERS


@pytest.fixture
def failing_validate(monkeypatch):
    def install(exc: BaseException):
        def boom(*args, **kwargs):
            raise exc
        monkeypatch.setattr(gateway.api.validation, "validate", boom)
    return install


def test_unexpected_error_is_500_without_internals(client, failing_validate, caplog):
    failing_validate(RuntimeError("password=hunter2 at /srv/gateway/secret.py"))
    with caplog.at_level(logging.ERROR, logger="gateway.api"):
        response = client.post("/validate", data=PAIN001_03.read_bytes(), content_type="application/xml")
    body = problem(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    for leak in ("hunter2", "secret.py", "RuntimeError", "Traceback", "File "):
        assert leak not in text
    assert body["instance"].startswith("urn:uuid:")
    # ...but the operator has everything, under the id the client saw
    (record,) = [r for r in caplog.records if body["instance"] in r.getMessage()]
    assert "hunter2" in str(record.exc_info[1])


@pytest.mark.parametrize("exc, status, code, title", [
    (InvalidInput("bad", [Finding(rule="x.y", message="why")]), 422, "invalid_input", "Unusable input"),
    (UnsupportedMessage("pacs.008 is not read"), 422, "unsupported_message", "Unsupported message"),
    (SchemaUnavailable("no XSD for pain.001.001.03: run `gateway schemas sync`"), 503, "schema_unavailable",
     "Schema unavailable"),
    (GatewayError("no rule profile 'x'", code="unknown_profile"), 400, "unknown_profile", "Request refused"),
    (BadRequest("the body could not be read"), 400, "bad_request", "Bad Request"),
])
def test_error_table(client, failing_validate, exc, status, code, title):
    failing_validate(exc)
    body = problem(client.post("/validate", data=b"<x/>", content_type="application/xml"), status, code)
    assert body["title"] == title
    assert body["detail"] == (exc.message if isinstance(exc, GatewayError) else exc.description)
    if isinstance(exc, InvalidInput):
        assert body["findings"] == [{"severity": "error", "rule": "x.y", "message": "why"}]
    elif status == 422:  # a 422 always says why in findings, made from the error when it brings none
        assert body["findings"] == [{"severity": "error", "rule": code, "reason": "FF01", "message": exc.message}]
    else:
        assert "findings" not in body


def test_broken_deployment_is_a_500_that_hides_the_message(client, failing_validate, caplog):
    failing_validate(MappingError("/srv/gateway/mappings/pain.001.001.09.yaml: unknown field"))
    with caplog.at_level(logging.ERROR, logger="gateway.api"):
        response = client.post("/validate", data=b"<x/>", content_type="application/xml")
    body = problem(response, 500, "internal_error")
    assert "/srv" not in response.get_data(as_text=True)
    assert any(body["instance"] in r.getMessage() for r in caplog.records)


def test_every_gateway_error_has_a_decided_status():
    """A new error class must be given its status here, not fall through to 400 unnoticed."""
    undecided = [cls.__module__ + "." + cls.__name__ for cls in _all_gateway_errors()
                 if cls is not ConfigError and _nearest_mapped(cls) is GatewayError]
    assert not undecided, f"add these to gateway.api.errors.STATUS_BY_ERROR: {undecided}"


@pytest.mark.parametrize("exc, status, code", [
    (NotFound("no consent c-1", code="consent_not_found"), 404, "consent_not_found"),
    (InvalidTransition("a revoked consent cannot be authorised"), 409, "invalid_transition"),
    (InvalidCredentials("wrong password"), 401, "invalid_credentials"),
    (LimitExceeded("over the total"), 403, "consent_limit_exceeded"),
    (InvalidAmount("12.345 has too many decimals"), 422, "invalid_amount"),
])
def test_storage_and_domain_errors_map_to_their_status(app, exc, status, code):
    """No endpoint raises these yet; the problem they will become is fixed here."""
    with app.test_request_context("/"):
        response = from_gateway_error(exc)
    body = json.loads(response.get_data())
    assert (response.status_code, response.mimetype) == (status, "application/problem+json")
    assert (body["status"], body["code"], body["detail"]) == (status, code, exc.message)
    assert ("findings" in body) == (status == 422)


def test_subclasses_inherit_a_decision():
    assert _nearest_mapped(SchemaChecksumMismatch) is SchemaSyncError
    assert STATUS_BY_ERROR[SchemaSyncError][0] == 500


def _nearest_mapped(cls: type) -> type:
    return next(c for c in cls.__mro__ if c in STATUS_BY_ERROR)


def _all_gateway_errors() -> set[type]:
    """Every GatewayError subclass in the gateway's modules (those modules are imported first)."""
    for path in (ROOT / "gateway").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "migrations" not in path.parts and re.search(r"^class \w+\(\w+\):", text, re.MULTILINE) and "Error" in text:
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    found, todo = set(), [GatewayError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("gateway.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


@pytest.mark.parametrize("request_", [
    ("get", "/health"), ("get", "/openapi.json"), ("get", "/nowhere"), ("put", "/health"),
    ("post", "/validate"),  # 415
])
def test_security_headers_on_every_response(client, request_):
    method, path = request_
    headers = getattr(client, method)(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_security_headers_on_500(client, failing_validate):
    failing_validate(ZeroDivisionError())
    headers = client.post("/validate", data=b"<x/>", content_type="application/xml").headers
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
