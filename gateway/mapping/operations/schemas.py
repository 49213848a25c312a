"""The JSON Schemas of the operations (``schemas/operations/*.json``, draft 2020-12).

Every file is its own resource with ``$id`` ``urn:gateway:operations:<file stem>``;
shared words live in ``common.json`` and are referenced by absolute URN, so the
files load into one ``referencing`` registry and also bundle into one
self-contained document (``bundle``) for the OpenAPI description.

Findings name the field: a JSON Schema error's instance path, plus the missing
property for ``required`` and the unknown one for ``additionalProperties``.  Their
words come from the schema's own ``x-messages`` (per keyword) where the validator's
would be cryptic (a regular expression, a ``not``), and their ISO 20022 reason
from the innermost ``x-reason`` on the way to the failing keyword (AC01 for an
IBAN, AM12 for an amount...), FF01 when none says.  ``format`` iban, bic and
iso4217 are asserted here with the registries the rest of the gateway uses, so a
mistyped IBAN is refused with the same words as in a pain.001; ``creditor-reference``
checks an ISO 11649 reference's check digits (RF...) and passes any other reference.

Two validators run the same inlined schema.  ``jsonschema-rs`` gives the verdict: a
valid request, the common case, is passed in a few microseconds instead of the ~80 of
the pure-Python ``jsonschema`` (about a tenth of an accepted ``pay``, measured with
callgrind).  Only a request it refuses goes through ``jsonschema``, whose errors carry
what the findings are made of (the failing subschema's ``x-messages``, the format
check's own words).  ``jsonschema`` has the last word: a request the fast validator
refuses and ``jsonschema`` passes (a format the fast one asserts and this module
does not) is valid; the reverse, the fast one passing what ``jsonschema`` refuses, is
what ``tests/mapping/test_schema_verdicts.py`` looks for.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gateway.domain.findings import Finding
from gateway.domain.money import minor_units
from gateway.domain.rules.identifiers import bic_problem, creditor_reference_problem, iban_problem
from gateway.mapping.operations.errors import OperationSpecError
from gateway.mapping.operations.planned import Location

ID_PREFIX = "urn:gateway:operations:"
DEFAULT_REASON = "FF01"
RULE = "operation.schema"
FORMAT_RULE = "operation.format"


def schema_id(name: str) -> str:
    return f"{ID_PREFIX}{name}"


def _formats() -> FormatChecker:
    checker = FormatChecker(formats=("date",))

    @checker.checks("iban", raises=ValueError)
    def _iban(value: object) -> bool:
        if isinstance(value, str) and (problem := iban_problem(value)):
            raise ValueError(problem)
        return True

    @checker.checks("bic", raises=ValueError)
    def _bic(value: object) -> bool:
        if isinstance(value, str) and (problem := bic_problem(value)):
            raise ValueError(problem)
        return True

    @checker.checks("creditor-reference", raises=ValueError)
    def _creditor_reference(value: object) -> bool:
        if isinstance(value, str) and (problem := creditor_reference_problem(value)):
            raise ValueError(problem)
        return True

    @checker.checks("iso4217", raises=ValueError)
    def _currency(value: object) -> bool:
        if isinstance(value, str) and minor_units(value) is None:
            raise ValueError(f"{value} is not an ISO 4217 currency code")
        return True

    return checker


FORMATS = _formats()
FAST_FORMATS = {
    "iban": lambda value: iban_problem(value) is None,
    "bic": lambda value: bic_problem(value) is None,
    "creditor-reference": lambda value: creditor_reference_problem(value) is None,
    "iso4217": lambda value: minor_units(value) is not None,
}
"""The same format checks for jsonschema-rs, which calls them with strings only and wants a bool."""


@cache
def _ecma_pattern(pattern: str) -> re.Pattern[str]:
    """JSON Schema patterns are ECMA-262, where ``$`` ends the string; Python's ``$`` also
    matches before a final newline, which would let "EUR\\n" or "12.50\\n" through."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: object, schema: dict) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


class SchemaStore:
    """All schemas of one directory, checked against the 2020-12 metaschema at load."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.schemas: dict[str, dict[str, Any]] = {}
        for path in sorted(directory.glob("*.json")):
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
                Draft202012Validator.check_schema(schema)
            except (ValueError, SchemaError) as exc:
                raise OperationSpecError(f"{path.name}: not a valid JSON Schema: {exc}") from None
            if schema.get("$id") != schema_id(path.stem):
                raise OperationSpecError(f"{path.name}: $id must be {schema_id(path.stem)!r}, "
                                         f"got {schema.get('$id')!r}")
            self.schemas[path.stem] = schema
        self.registry = Registry().with_resources(
            (schema["$id"], Resource(contents=schema, specification=DRAFT202012)) for schema in self.schemas.values())
        self._validators: dict[str, Any] = {}
        self._verdicts: dict[str, Any] = {}

    def schema(self, name: str) -> dict[str, Any]:
        try:
            return self.schemas[name]
        except KeyError:
            raise OperationSpecError(f"no schema {name}.json in {self.directory}") from None

    def validator(self, name: str) -> Any:
        """A validator for schema ``name`` with its $refs inlined: looking every $ref up in the
        registry again for each payment of a 10,000-payment payout cost about a third of the time."""
        if name not in self._validators:
            resolver = self.registry.resolver(base_uri=schema_id(name))
            self._validators[name] = Validator(_inline(self.schema(name), resolver), format_checker=FORMATS)
        return self._validators[name]

    def passes(self, name: str, instance: object) -> bool:
        """The fast verdict (see the module docstring): True only if ``instance`` is valid."""
        if name not in self._verdicts:
            self._verdicts[name] = jsonschema_rs.Draft202012Validator(
                self.validator(name).schema, formats=FAST_FORMATS, validate_formats=True)
        try:
            return self._verdicts[name].is_valid(instance)
        except (ValueError, OverflowError):  # a value it cannot take (not from JSON): ask jsonschema
            return False

    def findings(self, name: str, instance: object) -> list[Finding]:
        """Every way ``instance`` breaks schema ``name``, as findings ordered by location."""
        if self.passes(name, instance):
            return []
        findings = [finding for error in self.validator(name).iter_errors(instance)
                    for finding in self._to_findings(name, error)]
        # A registry check (format) presumes the shape; a value of the wrong shape gets the shape's finding only.
        shaped = {f.location for f in findings if f.rule != FORMAT_RULE}
        findings = [f for f in findings if f.rule != FORMAT_RULE or f.location not in shaped]
        return sorted(findings, key=lambda f: natural_order(f.location))

    def _to_findings(self, name: str, error: ValidationError) -> Iterable[Finding]:
        location: Location = tuple(error.absolute_path)
        reason = self._reason(name, error) or DEFAULT_REASON
        words = (error.schema.get("x-messages", {}) if isinstance(error.schema, dict) else {}).get(error.validator)
        value = error.instance if isinstance(error.instance, str) else None

        if error.validator == "required":
            missing = next((p for p in error.validator_value if p not in error.instance
                            and error.message.startswith(repr(p))), None)
            if missing is not None:  # CH21 "mandatory element is missing"
                return [Finding(rule=RULE, reason="CH21", message=words or f"{missing} is required",
                                location=location + (missing,))]
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            extras = [key for key in error.instance if key not in known]
            return [Finding(rule=RULE, reason=DEFAULT_REASON, location=location + (key,),
                            message=f"unknown field {key!r} (known here: {', '.join(known)})") for key in extras]
        if error.validator == "format":  # the registry's own words: which check digit, which length
            message = words or (str(error.cause) if error.cause is not None else error.message)
            return [Finding(rule=FORMAT_RULE, reason=reason, message=message, location=location, value=value)]
        return [Finding(rule=RULE, reason=reason, message=words or error.message, location=location, value=value)]

    def _reason(self, name: str, error: ValidationError) -> str | None:
        """The innermost ``x-reason`` on the schema path to the failing keyword (in the inlined
        schema the validator ran, where a $ref's target and siblings are one node)."""
        node: Any = self.validator(name).schema
        reason = node.get("x-reason")
        for segment in error.absolute_schema_path:
            if (isinstance(node, dict) and segment in node) or (
                    isinstance(node, list) and isinstance(segment, int) and segment < len(node)):
                node = node[segment]
            else:
                break
            if isinstance(node, dict) and "x-reason" in node:
                reason = node["x-reason"]
        return reason

    def bundle(self, name: str) -> dict[str, Any]:
        """Schema ``name`` with every schema it references embedded under ``$defs`` by
        their own ``$id`` (a 2020-12 compound document): valid on its own, without the registry."""
        root = copy.deepcopy(self.schema(name))
        wanted = [other for other in self._referenced(name) if other != name]
        if wanted:
            root.setdefault("$defs", {})
            for other in wanted:
                embedded = copy.deepcopy(self.schemas[other])
                embedded.pop("$schema", None)
                root["$defs"][f"operations-{other}"] = embedded
        return root

    def _referenced(self, name: str) -> list[str]:
        """``name`` and every schema it reaches through absolute ``$ref``s, in discovery order."""
        seen = [name]
        for current in seen:
            for ref in _refs(self.schema(current)):
                if ref.startswith(ID_PREFIX):
                    other = ref[len(ID_PREFIX):].split("#", 1)[0]
                    if other not in seen:
                        self.schema(other)
                        seen.append(other)
        return seen


_ANNOTATIONS = frozenset({"title", "description", "x-reason", "$comment", "examples", "default"})


def _inline(node: Any, resolver: Any) -> Any:
    """``node`` with every $ref replaced by its target (the operation schemas are not recursive).

    A $ref's siblings are merged into the target when they add keywords it lacks
    (``{"$ref": text, "maxLength": 140}``), which is what 2020-12 means by them; the
    referring side's annotations and messages win.  Were an assertion keyword on
    both sides, both are kept under ``allOf``."""
    if isinstance(node, list):
        return [_inline(value, resolver) for value in node]
    if not isinstance(node, dict):
        return node
    if "$ref" not in node:
        return {key: _inline(value, resolver) for key, value in node.items()}
    resolved = resolver.lookup(node["$ref"])
    target = _inline(resolved.contents, resolved.resolver)
    siblings = {key: _inline(value, resolver) for key, value in node.items() if key != "$ref"}
    if not isinstance(target, dict):
        return {"allOf": [target], **siblings}
    clash = [key for key in siblings if key in target and key not in _ANNOTATIONS and key != "x-messages"]
    if clash:
        return {"allOf": [target], **siblings}
    merged = {key: value for key, value in target.items() if key not in ("$id", "$schema")}
    merged.update({key: value for key, value in siblings.items() if key != "x-messages"})
    if "x-messages" in siblings:
        merged["x-messages"] = {**target.get("x-messages", {}), **siblings["x-messages"]}
    return merged


def _refs(node: object) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def natural_order(location: Location) -> tuple:
    """Sort key: payments[2] before payments[10], and a list's positions before named fields."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in location)
