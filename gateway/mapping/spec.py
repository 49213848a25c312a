"""The mapping file format.

::

    message: pain.001.001.09          # which message version this file maps
    document: CstmrCdtTrfInitn        # the one child of <Document>
    model: PaymentBatch               # the canonical type of that child
    extends: pain.001.001.09          # (bank variants) start from another mapping
    defaults: {kind: statement}       # model fields the message does not carry
    types:
      CreditTransfer:                 # a type named like its gateway.domain class,
        - PmtId/EndToEndId: end_to_end_id          # or "Name(Class)" to reuse a class,
                                                   # or "Name(module.Class)" for a class of
                                                   # gateway.domain.<module> the package does not re-export
        - Amt/InstdAmt: amount Money               # a nested type, read and written by its own rules
        - RmtInf/Ustrd*: remittance_lines          # '*' marks a repeated element
      Money:
        - "@Ccy": currency                         # an attribute of the element itself
        - ".": value decimal                       # the element's own text

A rule ending in ``read-only`` is read but never written (the other branch of a
choice, e.g. ReqdExctnDt/DtTm beside ReqdExctnDt/Dt).
The order of the rules is the document order the XSD demands; rules that share
a path prefix and follow each other share the element.  A value is ``str`` unless
its rule names a converter (int, decimal, date, datetime, bool) or a type.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import gateway.domain as domain
from gateway.domain.errors import GatewayError
from gateway.domain.messages import MessageType

CONVERTERS = ("str", "int", "decimal", "date", "datetime", "bool")
_MODULE = re.compile(r"[a-z_][a-z0-9_]*")


class MappingError(GatewayError):
    """A mapping file that cannot be used; says which file and rule."""

    code = "mapping_invalid"


@dataclass(frozen=True, slots=True)
class Rule:
    path: tuple[str, ...]
    """Element names below the type's element; ``("@Ccy",)`` for an attribute, ``()`` for own text."""
    field: str
    kind: str
    """A converter name, or the name of a type in the same mapping."""
    repeated: bool = False
    read_only: bool = False
    """Read when present, never written: another shape of a field the writer writes elsewhere."""

    @property
    def is_attribute(self) -> bool:
        return bool(self.path) and self.path[-1].startswith("@")

    @property
    def is_type(self) -> bool:
        return self.kind not in CONVERTERS


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    model: type
    rules: tuple[Rule, ...]


@dataclass(slots=True)
class MappingSpec:
    message: MessageType
    document: str
    model: str
    types: dict[str, TypeSpec] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    source: str = ""
    _repeated: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def root(self) -> TypeSpec:
        return self.types[self.model]

    def repeated_tags(self) -> frozenset[str]:
        """Element names the message repeats (PmtInf, CdtTrfTxInf, Ntry...): their XPaths carry positions.
        Worked out once: every built message asks, to locate XSD findings it usually does not have."""
        if self._repeated is None:
            self._repeated = frozenset(r.path[-1] for t in self.types.values() for r in t.rules
                                       if r.repeated and r.path)
        return self._repeated


def parse_rule(entry: object, where: str) -> Rule:
    if not isinstance(entry, dict) or len(entry) != 1:
        raise MappingError(f"{where}: each rule is one 'path: field [type]' pair, got {entry!r}")
    (raw_path, target), = entry.items()
    words = str(target).split()
    read_only = words[-1:] == ["read-only"]
    words = words[:-1] if read_only else words
    if not 1 <= len(words) <= 2:
        raise MappingError(f"{where}: '{raw_path}: {target}' must be 'field [type] [read-only]'")
    raw_path = str(raw_path).strip()
    repeated = raw_path.endswith("*")
    raw_path = raw_path.rstrip("*")
    path = () if raw_path in ("", ".") else tuple(raw_path.split("/"))
    if any(not p or (p.startswith("@") and i != len(path) - 1) for i, p in enumerate(path)):
        raise MappingError(f"{where}: bad path {raw_path!r}")
    return Rule(path=path, field=words[0], kind=words[1] if len(words) == 2 else "str", repeated=repeated,
                read_only=read_only)


def _domain_class(model_name: str) -> object:
    """``Money`` from gateway.domain, or ``returns.PaymentReturn`` from gateway.domain.returns:
    a new part of the canonical model can be mapped before the package re-exports it."""
    module_name, _, class_name = model_name.rpartition(".")
    if not module_name:
        return getattr(domain, model_name, None)
    if not _MODULE.fullmatch(module_name):
        return None
    qualified = f"{domain.__name__}.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise  # the module exists but is broken: that is not the mapping's fault
        return None
    return getattr(module, class_name, None)


def _type_spec(key: str, rules: list, where: str) -> TypeSpec:
    name, _, model_name = key.partition("(")
    model_name = model_name.rstrip(")") or name
    model = _domain_class(model_name)
    if not (isinstance(model, type) and dataclasses.is_dataclass(model)):
        raise MappingError(f"{where}: type {key!r} names no class of gateway.domain")
    spec = TypeSpec(name=name, model=model, rules=tuple(parse_rule(r, f"{where}.{name}") for r in rules))
    fields = {f.name for f in dataclasses.fields(model)}
    for rule in spec.rules:
        if rule.field not in fields:
            raise MappingError(f"{where}.{name}: {model_name} has no field {rule.field!r}")
    return spec


def _check_references(spec: MappingSpec) -> None:
    for t in spec.types.values():
        for rule in t.rules:
            if rule.is_type and rule.kind not in spec.types:
                raise MappingError(f"{spec.source}.{t.name}: unknown type or converter {rule.kind!r}")
    if spec.model not in spec.types:
        raise MappingError(f"{spec.source}: model {spec.model!r} has no rules")


def load_spec(path: Path, *, lookup: typing.Callable[[str], MappingSpec] | None = None) -> MappingSpec:
    """Read one mapping file; ``lookup`` resolves ``extends`` to an already loaded spec."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    where = path.name
    base: MappingSpec | None = None
    if "extends" in data:
        if lookup is None:
            raise MappingError(f"{where}: 'extends' needs the registry")
        base = lookup(str(data["extends"]))
    try:
        message = MessageType.parse(str(data.get("message") or (base and base.message)))
    except ValueError as exc:
        raise MappingError(f"{where}: {exc}") from exc
    spec = MappingSpec(
        message=message,
        document=str(data.get("document") or (base and base.document) or ""),
        model=str(data.get("model") or (base and base.model) or ""),
        types=dict(base.types) if base else {},
        defaults={**(base.defaults if base else {}), **(data.get("defaults") or {})},
        source=where,
    )
    for key, rules in (data.get("types") or {}).items():
        type_spec = _type_spec(str(key), list(rules or []), where)
        spec.types[type_spec.name] = type_spec
    _check_references(spec)
    return spec
