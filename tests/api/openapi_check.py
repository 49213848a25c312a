"""Checks a real HTTP response against the OpenAPI document.

Used by the ``client`` fixture on every response the suite receives, and by the
live-server test on what gunicorn sends, so the document cannot drift from what
the service answers: an undocumented path, method, status or media type, or a
body that does not match its schema, is a failure of the test that caused it.
Also checks what every response must carry whatever its route: the security
headers, and for problems a ``code`` listed in ``x-problem-types`` with the
status and title listed there.
"""

from __future__ import annotations

import json
import re

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:gateway:openapi"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def pointer(*parts: str) -> str:
    """A JSON pointer into the document: ``pointer("paths", "/validate")`` is ``#/paths/~1validate``."""
    return "#/" + "/".join(map(_escape, parts))


def openapi_path(rule: str) -> str:
    """Flask's ``/consents/<int:id>`` is OpenAPI's ``/consents/{id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


class ResponseChecker:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.registry = Registry().with_resource(BASE, Resource(spec, specification=DRAFT202012))
        self.problem_types = {t["code"]: t for t in spec["x-problem-types"]}
        self.seen: list[tuple[str, str | None, int]] = []

    def _validator(self, where: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": BASE + where}, registry=self.registry,
                                    format_checker=Draft202012Validator.FORMAT_CHECKER)

    def _response(self, rule: str | None, method: str, status: int) -> tuple[dict, str] | str:
        """The documented response object and its JSON pointer, or why there is none."""
        path = openapi_path(rule) if rule else None
        operation = self.spec["paths"].get(path, {}).get(method.lower()) if path else None
        if operation is None:
            if status in (404, 405):  # no route, or not this method: documented by the Problem schema
                return {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}, ""
            return f"{method} {path or '(no route)'} is not in the OpenAPI document"
        responses = operation["responses"]
        key = str(status) if str(status) in responses else "default" if "default" in responses else None
        if key is None:
            return f"{method} {path}: status {status} is not documented (documented: {', '.join(responses)})"
        where = pointer("paths", path, method.lower(), "responses", key)
        node = responses[key]
        while "$ref" in node:
            where = node["$ref"]
            node = self.registry.resolver(BASE).lookup(BASE + where).contents
        return node, where

    def check(self, method: str, rule: str | None, status: int, content_type: str, body: bytes,
              headers) -> list[str]:
        """Everything wrong with one response (an empty list when it matches)."""
        self.seen.append((method, rule, status))
        problems = [f"header {name} is {headers.get(name)!r}, expected {value!r}"
                    for name, value in SECURITY_HEADERS.items() if headers.get(name) != value]
        found = self._response(rule, method, status)
        if isinstance(found, str):
            return problems + [found]
        response, where = found
        media = content_type.split(";")[0].strip()
        content = response.get("content", {})
        if not content and not body and not media:  # documented without a body (204), sent without one
            return problems
        if media not in content:
            return problems + [f"{method} {rule} {status}: {media} is not documented ({', '.join(content)})"]
        if not media.endswith(("/json", "+json")):
            return problems + ([] if body else [f"{method} {rule} {status}: empty {media} body"])
        try:
            data = json.loads(body)
        except ValueError as exc:
            return problems + [f"{method} {rule} {status}: body is not JSON: {exc}"]
        schema = f"{where}/content/{_escape(media)}/schema" if where else "#/components/schemas/Problem"
        problems += [f"{method} {rule} {status}: {'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
                     for e in self._validator(schema).iter_errors(data)]
        if media == "application/problem+json":
            problems += self._problem_type(data, status)
        return problems

    def _problem_type(self, data: dict, status: int) -> list[str]:
        listed = self.problem_types.get(data.get("code"))
        if listed is None:
            return [f"problem code {data.get('code')!r} is not listed in x-problem-types"]
        wrong = [f"problem {data['code']}: {k} is {data.get(k)!r}, x-problem-types says {listed[k]!r}"
                 for k in ("status", "title") if data.get(k) != listed[k]]
        if status != data.get("status"):
            wrong.append(f"problem {data['code']}: HTTP status {status} but body status {data.get('status')}")
        return wrong
