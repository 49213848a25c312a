"""Generates, once per mapping, the Python code that writes a message.

Each type becomes a function ``w_<Type>(obj, buf, open_tag, close_tag)`` that
appends strings to ``buf``.  An element is opened optimistically and taken back
when nothing was written inside it, so optional groups need no look-ahead.
"""

from __future__ import annotations

from typing import Callable

from gateway.mapping import values
from gateway.mapping.codegen import Source, compile_source
from gateway.mapping.spec import MappingError, MappingSpec, Rule
from gateway.mapping.tree import Node, ordered_tree


def _formatted(rule: Rule, var: str) -> str:
    return values.FORMATTERS[rule.kind].format(var)


def _emit_leaf_rules(src: Source, node: Node) -> None:
    """Text of the element itself (rules ending at this node with a converter)."""
    for rule in node.rules:
        if rule.is_type or rule.repeated:
            continue
        src(f"v = o.{rule.field}")
        with src.block("if v is not None:"):
            src(f"b.append({_formatted(rule, 'v')})")


def _emit_element(src: Source, node: Node, open_expr: str, close_expr: str) -> None:
    attrs = node.attributes
    mark = src.fresh("m")
    if attrs:
        src("a = ''")
        for attr in attrs:
            rule = attr.rules[0]
            src(f"v = o.{rule.field}")
            with src.block("if v is not None:"):
                src(f"a += ' {attr.tag[1:]}=\"' + escape_attr({_formatted(rule, 'v')}) + '\"'")
        src(f"{mark} = len(b)")
        src(f"b.append({open_expr} + a + '>')")
    else:
        src(f"{mark} = len(b)")
        src(f"b.append({open_expr} + '>')")
    _emit_leaf_rules(src, node)
    for child in node.elements:
        _emit_child(src, child)
    empty = f"len(b) == {mark} + 1" + (" and not a" if attrs else "")
    with src.block(f"if {empty}:"):
        src(f"del b[{mark}]")
    with src.block("else:"):
        src(f"b.append({close_expr})")


def _emit_child(src: Source, node: Node) -> None:
    tag = node.tag
    typed = [r for r in node.rules if r.is_type]
    repeated = [r for r in node.rules if r.repeated and not r.is_type]
    if typed:
        rule = typed[0]
        if len(node.rules) > 1 or node.children:
            raise MappingError(f"element {tag} is mapped by type {rule.kind} and by other rules")
        call = f"w_{rule.kind}({{}}, b, '<{tag}', '</{tag}>')"
        if rule.repeated:
            with src.block(f"for v in o.{rule.field} or ():"):
                src(call.format("v"))
        else:
            src(f"v = o.{rule.field}")
            with src.block("if v is not None:"):
                src(call.format("v"))
        return
    if repeated:
        rule = repeated[0]
        with src.block(f"for v in o.{rule.field} or ():"):
            src(f"b.append('<{tag}>' + {_formatted(rule, 'v')} + '</{tag}>')")
        return
    if len(node.rules) == 1 and not node.children:
        rule = node.rules[0]
        src(f"v = o.{rule.field}")
        with src.block("if v is not None:"):
            src(f"b.append('<{tag}>' + {_formatted(rule, 'v')} + '</{tag}>')")
        return
    _emit_element(src, node, f"'<{tag}'", f"'</{tag}>'")


def writer_source(spec: MappingSpec) -> str:
    src = Source()
    for type_spec in spec.types.values():
        with src.block(f"def w_{type_spec.name}(o, b, open_tag, close_tag):"):
            written = tuple(r for r in type_spec.rules if not r.read_only)
            _emit_element(src, ordered_tree(written), "open_tag", "close_tag")
        src("")
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{spec.message.namespace}">'
    with src.block("def write_document(o):"):
        src(f"b = [{head!r}]")
        src(f"w_{spec.model}(o, b, '<{spec.document}', '</{spec.document}>')")
        src("b.append('</Document>\\n')")
        src("return ''.join(b).encode('utf-8')")
    return src.text()


def compile_writer(spec: MappingSpec) -> Callable[[object], bytes]:
    """``model object -> XML bytes`` for the spec's message (not yet schema-validated)."""
    namespace = {
        "escape_text": values.escape_text,
        "escape_attr": values.escape_attr,
        "format_decimal": values.format_decimal,
        "format_bool": values.format_bool,
    }
    compile_source(writer_source(spec), f"<writer {spec.message}>", namespace)
    return namespace["write_document"]
