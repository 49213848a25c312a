"""The OpenAPI document, the page that shows it, and the checker that holds every
response of the suite to it."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from jsonschema import Draft202012Validator
from lxml import html
from werkzeug.datastructures import Headers

from gateway import __version__
from gateway.api.errors import HTTP_CODES
from gateway.domain.findings import Finding, Severity
from gateway.iso20022 import ValidationReport
from tests.api.openapi_check import SECURITY_HEADERS, ResponseChecker, openapi_path

AUTOMATIC = {"HEAD", "OPTIONS"}  # Flask answers these for every route


def test_openapi_json_is_the_document(client, spec):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == spec
    assert spec["openapi"].startswith("3.1") and spec["info"]["version"] == __version__


def test_every_route_is_documented_and_every_documented_operation_exists(app, spec):
    routed = {(openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules() for method in rule.methods - AUTOMATIC}
    documented = {(path, method) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "put", "post", "delete", "patch")}
    assert routed == documented


SCHEMA_KEYWORDS = {"$ref", "type", "description", "required", "properties", "additionalProperties", "items",
                   "allOf", "oneOf", "anyOf", "not", "enum", "const", "format", "pattern", "minimum", "maximum",
                   "exclusiveMinimum", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "examples",
                   "contentMediaType", "title", "$defs", "if", "then", "else", "dependentRequired", "dependentSchemas",
                   "minProperties", "maxProperties", "propertyNames", "patternProperties"}
"""JSON Schema 2020-12 keywords the documents use; ``x-`` keys are vendor extensions (the operation
schemas' ``x-messages``: the plain words of each refusal)."""


def test_component_schemas_are_valid_json_schema(spec):
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_schemas_use_only_known_keywords(spec):
    """JSON Schema ignores unknown keywords, so a YAML slip (a comma in a flow mapping
    turning half a description into a key) would pass check_schema unnoticed."""
    def walk(schema: dict, where: str):
        unknown = {k for k in schema if k not in SCHEMA_KEYWORDS and not k.startswith("x-")}
        assert not unknown, f"{where}: {unknown}"
        for key in ("properties", "$defs"):
            for name, sub in schema.get(key, {}).items():
                walk(sub, f"{where}.{name}")
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in schema.get(key, []):
                walk(sub, where)
        for key in ("items", "not", "if", "then", "else"):
            if isinstance(schema.get(key), dict):
                walk(schema[key], f"{where}.{key}")

    for name, schema in spec["components"]["schemas"].items():
        walk(schema, name)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"], f"{method} {path} {parameter['name']}")


def test_schemas_describe_what_the_code_produces(spec):
    """Every field a Finding or a report can have is documented (additionalProperties is false)."""
    checker = ResponseChecker(spec)
    finding = Finding(rule="iban.checksum", message="m", severity=Severity.WARNING, reason="AC01",
                      location=("a", 0, "b"), xpath="/Document/A", line=3, value="v")
    report = ValidationReport("pain.001", None, [finding], source="file.xml")
    assert set(report.to_dict()["findings"][0]) == set(spec["components"]["schemas"]["Finding"]["properties"])
    validator = checker._validator("#/components/schemas/ValidationReport")
    assert not list(validator.iter_errors(report.to_dict()))


def test_problem_codes_are_listed(spec):
    listed = {t["code"] for t in spec["x-problem-types"]}
    assert set(HTTP_CODES.values()) <= listed
    assert {"invalid_input", "unsupported_message", "schema_unavailable", "invalid_parameter",
            "unknown_profile"} <= listed


# --- the page ----------------------------------------------------------------------------------

@pytest.fixture
def page(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response


def test_docs_page_shows_every_operation_schema_and_problem(page, spec):
    tree = html.fromstring(page.data)
    text = tree.text_content()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            section = tree.get_element_by_id(f"op-{operation['operationId']}")
            assert method.upper() in section.text_content() and path in section.text_content()
            for parameter in operation.get("parameters", []):
                assert parameter["name"] in section.text_content()
            for status in operation["responses"]:
                assert status in section.text_content()
    for name in spec["components"]["schemas"]:
        assert tree.get_element_by_id(f"schema-{name}") is not None
    for problem in spec["x-problem-types"]:
        assert tree.get_element_by_id(f"problem-{problem['code']}") is not None
    assert "application/problem+json" in text and __version__ in text


def test_docs_page_links_resolve_inside_the_page(page):
    tree = html.fromstring(page.data)
    ids = {e.get("id") for e in tree.iter() if e.get("id")}
    for link in tree.iter("a"):
        href = link.get("href")
        assert href == "openapi.json" or href[1:] in ids, href


def test_docs_page_needs_nothing_from_outside(page):
    """No CDN, no script: the page works offline and under a CSP that allows neither."""
    tree = html.fromstring(page.data)
    assert not list(tree.iter("script", "link", "img", "iframe"))
    assert not [e for e in tree.iter() for a in ("src", "srcset") if e.get(a)]
    assert not [value for e in tree.iter() for value in e.attrib.values() if "//" in value]
    style = "".join(e.text_content() for e in tree.iter("style"))
    assert "url(" not in style and "@import" not in style


def test_docs_page_csp_allows_exactly_its_stylesheet(page):
    csp = page.headers["Content-Security-Policy"]
    style = re.search(rb"<style>(.*?)</style>", page.data, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp


# --- the checker itself: it must catch what it exists to catch ------------------------------------

HEALTH_OK = b'{"status": "ok", "version": "0.1.0"}'


def headers(**extra) -> Headers:
    return Headers({**SECURITY_HEADERS, **extra})


@pytest.mark.parametrize("method, rule, status, media, body, hdrs, expected", [
    ("GET", "/health", 200, "application/json", b'{"status": "ok"}', headers(), "'version' is a required property"),
    ("GET", "/health", 200, "application/json", b'{"status": "ok", "version": "1", "x": 1}', headers(),
     "Additional properties"),
    ("GET", "/health", 201, "application/json", HEALTH_OK, headers(), "status 201 is not documented"),
    ("GET", "/health", 200, "text/plain", HEALTH_OK, headers(), "text/plain is not documented"),
    ("GET", "/secret", 200, "application/json", HEALTH_OK, headers(), "not in the OpenAPI document"),
    ("GET", "/health", 200, "application/json", HEALTH_OK, Headers({"X-Frame-Options": "DENY"}),
     "header X-Content-Type-Options"),
    ("GET", None, 404, "application/problem+json",
     (b'{"type": "https://iso20022-gateway.dev/problems/lost", "title": "Not Found", "status": 404, '
      b'"detail": "d", "code": "lost"}'), headers(), "'lost' is not listed"),
    ("GET", None, 404, "application/problem+json", b'{"title": "Not Found", "status": 404}', headers(),
     "'type' is a required property"),
    ("POST", "/validate", 422, "application/problem+json",
     (b'{"type": "https://iso20022-gateway.dev/problems/invalid_input", "title": "Unusable input", "status": 422, '
      b'"detail": "d", "code": "invalid_input"}'), headers(), "'findings' is a required property"),
    ("POST", "/validate", 400, "application/problem+json",
     (b'{"type": "https://iso20022-gateway.dev/problems/unknown_profile", "title": "Bad", "status": 400, '
      b'"detail": "d", "code": "unknown_profile"}'), headers(), "title is 'Bad'"),
])
def test_checker_catches_mismatches(spec, method, rule, status, media, body, hdrs, expected):
    found = ResponseChecker(spec).check(method, rule, status, media, body, hdrs)
    assert any(expected in message for message in found), found


def test_checker_accepts_a_matching_response(spec):
    assert ResponseChecker(spec).check("GET", "/health", 200, "application/json", HEALTH_OK, headers()) == []


def test_demo_callback_shows_the_code_in_development_only(tmp_path, spec):
    """The demo wallet's registered redirect URI answers in development (with the code and the
    exchange command) and does not exist in production."""
    from gateway.api import create_app
    from gateway.config import Settings
    from tests.api.conftest import checked_client

    url = f"sqlite:///{tmp_path / 'g.db'}"
    for client in checked_client(create_app(Settings.load(env={}), database_url=url), spec):
        page = client.get("/demo/callback?code=abc123&state=xyz").get_data(as_text=True)
        assert 'id="code">abc123<' in page and 'id="state">xyz<' in page
        assert "grant_type=authorization_code" in page and "code_verifier" in page
    production = Settings.load(env={"GATEWAY_PROFILE": "production", "GATEWAY_SECRET_KEY": "s" * 40,
                                    "GATEWAY_DATABASE_URL": url})
    from gateway.persistence import migrate
    migrate.upgrade(url)
    assert "/demo/callback" not in {r.rule for r in create_app(production).url_map.iter_rules()}
