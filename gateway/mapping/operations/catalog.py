"""The operations the gateway offers: every ``mappings/operations/*.yaml`` with its
``schemas/operations/<operation>.json``, loaded once and checked against each other.

A spec that names a request field its schema does not have (``consent: debtr_iban``)
is refused at load, not discovered when the first request arrives.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from gateway.domain.findings import Finding
from gateway.mapping.operations.errors import OperationSpecError, UnknownOperation
from gateway.mapping.operations.schemas import SchemaStore
from gateway.mapping.operations.spec import OperationSpec, load_spec

ROOT = Path(__file__).resolve().parents[3]
SPEC_DIR = ROOT / "mappings" / "operations"
SCHEMA_DIR = ROOT / "schemas" / "operations"


class OperationCatalog:
    def __init__(self, spec_dir: Path = SPEC_DIR, schema_dir: Path = SCHEMA_DIR) -> None:
        self.schemas = SchemaStore(schema_dir)
        self.specs: dict[str, OperationSpec] = {}
        for path in sorted(spec_dir.glob("*.yaml")):
            spec = load_spec(path)
            _check_fields(spec, self.schemas.schema(spec.name), path.name)
            self.specs[spec.name] = spec
        if not self.specs:
            raise OperationSpecError(f"no operation specs in {spec_dir}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.specs)

    def spec(self, operation: str) -> OperationSpec:
        spec = self.specs.get(operation) if isinstance(operation, str) else None
        if spec is None:
            message = f"{operation!r} is not an operation; the operations are {', '.join(self.names)}"
            raise UnknownOperation(message, [Finding(rule="operation.unknown", reason="FF01", message=message,
                                                     value=operation if isinstance(operation, str) else None)])
        return spec


def _check_fields(spec: OperationSpec, schema: dict[str, Any], source: str) -> None:
    top = schema.get("properties", {})
    fields = set(top)
    if spec.each is not None:
        items = top.get(spec.each, {})
        if items.get("type") != "array" or "properties" not in items.get("items", {}):
            raise OperationSpecError(f"{source}: each: {spec.each} is not an array of objects in "
                                     f"{spec.name}.json")
        fields |= set(items["items"]["properties"])
    missing = [name for name in spec.request_fields() if name not in fields]
    if missing:
        raise OperationSpecError(f"{source}: request field(s) {', '.join(missing)} are not in {spec.name}.json")


@cache
def default_catalog() -> OperationCatalog:
    return OperationCatalog()
