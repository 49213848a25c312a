"""Generates the Python code that reads a message family into the canonical model.

One reader serves every version of a family: the file's own version's rules come
first (priority 0), the other versions' rules are fall-backs, so that a file
using an older version's element shapes under a newer namespace still reads —
and each fall-back that was needed is reported as a deviation.  Element order is
not enforced (that is the XSD's job in ``validate``).
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from typing import Callable

from gateway.mapping import values
from gateway.mapping.codegen import Source, compile_source
from gateway.mapping.context import ReadContext
from gateway.mapping.spec import MappingSpec
from gateway.mapping.tree import Candidate, Node, merged_tree


def _var(candidate: Candidate) -> str:
    return f"f_{candidate.rule.field}_{candidate.priority}"


def _candidates(specs: list[MappingSpec], type_name: str) -> list[Candidate]:
    seen: set[tuple] = set()
    out: list[Candidate] = []
    for priority, spec in enumerate(specs):
        type_spec = spec.types.get(type_name)
        for rule in type_spec.rules if type_spec else ():
            key = (rule.path, rule.field, rule.kind, rule.repeated)
            if key not in seen:
                seen.add(key)
                origin = f"{'/'.join(rule.path) or '.'} ({spec.message})"
                out.append(Candidate(rule, priority, origin))
    return out


class _ReaderBuilder:
    def __init__(self, namespace: str) -> None:
        self.src = Source()
        self.ns = "{%s}" % namespace if namespace else ""

    def tag(self, local: str) -> str:
        return repr(self.ns + local)

    def read_value(self, candidate: Candidate, text_expr: str, el: str) -> None:
        rule, var = candidate.rule, _var(candidate)
        src = self.src
        src(f"v = {text_expr}")
        with src.block("if v is not None:"):
            src("v = v.strip() or None")
            if rule.kind == "str":
                value = "v"
            else:
                value = f"convert(read_{rule.kind}, {rule.kind!r}, v, ctx, {el}) if v is not None else None"
            if rule.repeated:
                with src.block("if v is not None:"):
                    src(f"{var}.append({value})")
            else:
                src(f"{var} = {value}")

    def node_body(self, node: Node, el: str, depth: int) -> None:
        for attr in node.attributes:
            for candidate in attr.rules:
                self.read_value(candidate, f"{el}.get({attr.tag[1:]!r})", el)
        for candidate in node.rules:
            rule = candidate.rule
            if rule.is_type:
                call = f"r_{rule.kind}({el}, ctx)"
                self.src(f"{_var(candidate)}.append({call})" if rule.repeated else f"{_var(candidate)} = {call}")
            else:
                self.read_value(candidate, f"{el}.text", el)
        elements = node.elements
        if not elements:
            return
        child, tag = f"c{depth}", f"t{depth}"
        with self.src.block(f"for {child} in {el}:"):
            self.src(f"{tag} = {child}.tag")
            keyword = "if"
            for sub in elements:
                with self.src.block(f"{keyword} {tag} == {self.tag(sub.tag)}:"):
                    self.node_body(sub, child, depth + 1)
                keyword = "elif"

    def pick(self, type_name: str, field_name: str, candidates: list[Candidate]) -> str:
        """Emit the choice between versions' rules for one field; returns the variable holding it."""
        ordered = sorted(candidates, key=lambda c: c.priority)
        first = _var(ordered[0])
        if len(ordered) == 1:
            return first
        result = f"p_{field_name}"
        self.src(f"{result} = {first}")
        for candidate in ordered[1:]:
            with self.src.block(f"if not {result} and {_var(candidate)}:" if candidate.rule.repeated
                                else f"if {result} is None and {_var(candidate)} is not None:"):
                self.src(f"{result} = {_var(candidate)}")
                self.src(f"ctx.foreign(e, {type_name + '.' + field_name!r}, {candidate.origin!r})")
        return result

    def type_function(self, type_name: str, model: type, candidates: list[Candidate], defaults: dict) -> None:
        src = self.src
        with src.block(f"def r_{type_name}(e, ctx):"):
            variables = {_var(c): c.rule.repeated for c in candidates}
            for var, repeated in variables.items():
                src(f"{var} = {'[]' if repeated else 'None'}")
            self.node_body(merged_tree(candidates), "e", 1)
            by_field: dict[str, list[Candidate]] = {}
            for c in candidates:
                by_field.setdefault(c.rule.field, []).append(c)
            args = []
            for field in dataclasses.fields(model):
                if field.name in by_field:
                    var = self.pick(type_name, field.name, by_field[field.name])
                    repeated = by_field[field.name][0].rule.repeated
                    args.append(f"{field.name}=tuple({var})" if repeated else f"{field.name}={var}")
                elif field.name in defaults:
                    args.append(f"{field.name}=DEFAULTS[{field.name!r}]")
                elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                    args.append(f"{field.name}=None")
            src(f"return {model.__name__}({', '.join(args)})")
        src("")


def _typed_defaults(model: type, defaults: dict) -> dict:
    hints = typing.get_type_hints(model)
    out = {}
    for name, value in defaults.items():
        hint = hints.get(name)
        out[name] = hint(value) if isinstance(hint, type) and issubclass(hint, Enum) else value
    return out


@dataclasses.dataclass(frozen=True)
class Reader:
    """Generated readers of one family under one namespace: ``types['Entry'](element, ctx)``."""

    root_type: str
    types: dict[str, Callable[[object, ReadContext], object]]
    source: str

    def read(self, element, ctx: ReadContext):
        return self.types[self.root_type](element, ctx)


def compile_reader(specs: list[MappingSpec], namespace: str) -> Reader:
    """``specs[0]`` is the version the file claims (or the best guess); the rest are fall-backs."""
    own = specs[0]
    builder = _ReaderBuilder(namespace)
    env: dict = {"convert": convert, "DEFAULTS": {}}
    names = list(dict.fromkeys(name for spec in specs for name in spec.types))
    for name in names:
        model = next(s.types[name].model for s in specs if name in s.types)
        env[model.__name__] = model
        defaults = own.defaults if name == own.model else {}
        if defaults:
            env["DEFAULTS"] = _typed_defaults(model, defaults)
        builder.type_function(name, model, _candidates(specs, name), defaults)
    for kind, reader in values.READERS.items():
        env[f"read_{kind}"] = reader
    source = builder.src.text()
    compile_source(source, f"<reader {own.message.family} {namespace or 'no namespace'}>", env)
    return Reader(own.model, {name: env[f"r_{name}"] for name in names}, source)


def convert(reader, kind: str, text: str, ctx: ReadContext, element):
    try:
        return reader(text)
    except (ValueError, ArithmeticError):
        ctx.bad_value(element, text, kind)
        return None
