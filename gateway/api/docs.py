"""``GET /openapi.json`` and ``GET /docs``: the API described by ``openapi.yaml``.

Why a server-rendered page and not Swagger UI: the gateway runs on machines
without internet access and under a CSP that allows no scripts, so the page is
plain HTML rendered from the same document with Jinja, with its stylesheet
inline and allowed by hash.  The YAML file is the single source; the version
is filled in from :data:`gateway.__version__` so the two never disagree.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from functools import lru_cache
from pathlib import Path

import yaml
from flask import Blueprint, Response, render_template
from markupsafe import Markup, escape

from gateway import __version__
from gateway.mapping.operations import (
    OPERATIONS,
    payment_schema,
    request_schema,
    response_schema,
)

HERE = Path(__file__).resolve().parent
SPEC_PATH = HERE / "openapi.yaml"
CSS = (HERE / "templates" / "docs.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
DOCS_CSP = (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")
"""The page's one inline stylesheet is allowed by its hash; nothing else may load."""
METHODS = ("get", "put", "post", "delete", "patch")

bp = Blueprint("docs", __name__)


PARTS = sorted(HERE.glob("openapi-*.yaml"))
"""Further parts of the document (``openapi-payments.yaml``...), one per area, merged in name order."""


@lru_cache(maxsize=1)
def _spec() -> dict:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    for part in PARTS:
        _merge(spec, yaml.safe_load(part.read_text(encoding="utf-8")))
    _inline_schemas(spec, operation_schemas())
    spec["info"]["version"] = __version__
    return spec


def _merge(spec: dict, part: dict) -> None:
    """Add a part's tags, paths, components and problem types; a name defined twice is a bug."""
    spec["tags"] += part.get("tags", [])
    spec["x-problem-types"] += part.get("x-problem-types", [])
    for section, values in [("paths", part.get("paths", {}))] + [
            (f"components.{name}", values) for name, values in part.get("components", {}).items()]:
        target = spec
        for key in section.split("."):
            target = target.setdefault(key, {})
        clash = set(target) & set(values)
        assert not clash, f"defined twice in the OpenAPI parts: {section} {sorted(clash)}"
        target.update(values)
    for flow, scopes in part.get("x-scopes", {}).items():
        spec["components"]["securitySchemes"]["bearer"]["flows"][flow]["scopes"].update(scopes)
    codes = [t["code"] for t in spec["x-problem-types"]]
    assert len(codes) == len(set(codes)), f"problem codes listed twice: {sorted({c for c in codes if codes.count(c) > 1})}"


def operation_schemas() -> dict[str, dict]:
    """The wallet operations' JSON Schemas (schemas/operations), the single source of both the
    request validation and this document."""
    named = {"Payment": payment_schema(), "OperationAccepted": response_schema()}
    for operation in OPERATIONS:
        named["".join(w.capitalize() for w in operation.split("-")) + "Request"] = request_schema(operation)
    return named


def _inline_schemas(spec: dict, named: dict[str, dict]) -> None:
    """Put bundled JSON Schemas under components/schemas, their ``urn:`` references rewritten to
    local pointers (an OpenAPI document is one resource; tools do not follow embedded $ids)."""
    schemas = spec["components"]["schemas"]
    where: dict[str, str] = {}
    for name, schema in named.items():
        where.setdefault(schema["$id"], f"#/components/schemas/{name}")
        for key, sub in schema.get("$defs", {}).items():
            if "$id" in sub:
                where.setdefault(sub["$id"], f"#/components/schemas/{name}/$defs/{key}")

    def rewrite(node):
        if isinstance(node, dict):
            out = {k: rewrite(v) for k, v in node.items() if k not in ("$id", "$schema")}
            ref = out.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                base, _, fragment = ref.partition("#")
                out["$ref"] = where[base] + fragment
            return out
        return [rewrite(v) for v in node] if isinstance(node, list) else node

    for name, schema in named.items():
        assert name not in schemas, f"components/schemas/{name} is defined twice"
        schemas[name] = rewrite(schema)


def load_spec() -> dict:
    """The OpenAPI document as a dict (a copy: callers may change it)."""
    return copy.deepcopy(_spec())


@bp.get("/openapi.json")
def openapi_json():
    return _spec()


@bp.get("/docs")
def docs_page():
    spec = _spec()
    html = render_template("docs.html", spec=spec, css=Markup(CSS), operations=_operations(spec),
                           schema_type=schema_type, prose=prose, resolve=lambda ref: _resolve(spec, ref))
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": DOCS_CSP})


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(path, method.upper(), item[method])
            for path, item in spec["paths"].items() for method in METHODS if method in item]


def _resolve(spec: dict, node: dict) -> dict:
    """Follow local ``$ref``s (``#/components/responses/BadRequest``) to the object they name."""
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def schema_type(schema: dict) -> Markup:
    """A schema in a few words: ``array of Finding``, ``string (date)``, ``string | null``, ``one of a, b``."""
    if "$ref" in schema:
        parts = schema["$ref"].removeprefix("#/components/schemas/").split("/")
        if len(parts) == 1:
            return Markup('<a href="#schema-{0}">{0}</a>').format(parts[0])
        # A definition inside a component (the inlined operation schemas' $defs): link the component.
        return Markup('<a href="#schema-{0}">{1}</a>').format(parts[0], parts[-1])
    if "allOf" in schema:
        return Markup(" + ").join(schema_type(part) for part in schema["allOf"])
    if "const" in schema:
        return Markup("<code>{}</code>").format(schema["const"])
    if "enum" in schema:
        return Markup("one of ") + Markup(", ").join(Markup("<code>{}</code>").format(v) for v in schema["enum"])
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if kinds == ["array"]:
        return Markup("array of ") + schema_type(schema.get("items", {}))
    text = " | ".join(kinds)
    if "format" in schema:
        text += f" ({schema['format']})"
    return escape(text)


def prose(text: str | None) -> Markup:
    """The spec's descriptions use Markdown backticks; they become <code>, the rest is escaped."""
    parts = re.split(r"`([^`]*)`", str(escape(text or "")))
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))
