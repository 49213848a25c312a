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

HERE = Path(__file__).resolve().parent
SPEC_PATH = HERE / "openapi.yaml"
CSS = (HERE / "templates" / "docs.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
DOCS_CSP = (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")
"""The page's one inline stylesheet is allowed by its hash; nothing else may load."""
METHODS = ("get", "put", "post", "delete", "patch")

bp = Blueprint("docs", __name__)


@lru_cache(maxsize=1)
def _spec() -> dict:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    spec["info"]["version"] = __version__
    return spec


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
        name = schema["$ref"].rsplit("/", 1)[-1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
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
