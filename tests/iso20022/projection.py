"""What of a canonical object a message version carries: the fields its mapping names.

Round-trip tests compare against this projection, so a field a version has no
element for (LEI in pain.001.001.03, say) is not expected to survive it."""

from __future__ import annotations

import dataclasses

from gateway.mapping.spec import MappingSpec


def project(obj, spec: MappingSpec, type_name: str | None = None):
    type_name = type_name or spec.model
    rules = {r.field: r for r in spec.types[type_name].rules}
    changes = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        rule = rules.get(field.name)
        if rule is None:
            if field.name in spec.defaults:
                continue
            default = () if isinstance(value, tuple) else None
            if value != default:
                changes[field.name] = default
        elif rule.is_type and value is not None:
            changes[field.name] = (tuple(project(v, spec, rule.kind) for v in value) if rule.repeated
                                   else project(value, spec, rule.kind))
    projected = dataclasses.replace(obj, **changes)
    # An object left with no value is not written at all.
    if type_name != spec.model and all(getattr(projected, f.name) in (None, ()) for f in dataclasses.fields(projected)):
        return None
    return projected
