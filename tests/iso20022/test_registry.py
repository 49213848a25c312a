"""The schema registry over the synced store: detection, compiled schemas that
really validate, and a clear error when a schema is missing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lxml import etree

from gateway.domain.errors import InvalidInput, SchemaUnavailable
from gateway.domain.messages import MessageType
from gateway.iso20022.catalog import load_catalog
from gateway.iso20022.registry import SchemaRegistry, default_registry
from gateway.iso20022.xmlsafe import iterparse, parse_document

PAIN_001_09 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

VALID_PAIN_001_09 = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{PAIN_001_09}">
 <CstmrCdtTrfInitn>
  <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2024-05-01T10:00:00</CreDtTm><NbOfTxs>1</NbOfTxs>
   <InitgPty><Nm>Wallet Ltd</Nm></InitgPty></GrpHdr>
  <PmtInf>
   <PmtInfId>PI-1</PmtInfId><PmtMtd>TRF</PmtMtd><ReqdExctnDt><Dt>2024-05-02</Dt></ReqdExctnDt>
   <Dbtr><Nm>Debtor</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>
   <DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>
   <CdtTrfTxInf>
    <PmtId><EndToEndId>E2E-1</EndToEndId></PmtId>
    <Amt><InstdAmt Ccy="EUR">10.00</InstdAmt></Amt>
    <Cdtr><Nm>Creditor</Nm></Cdtr>
    <CdtrAcct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id></CdtrAcct>
   </CdtTrfTxInf>
  </PmtInf>
 </CstmrCdtTrfInitn>
</Document>
""".encode()


@pytest.fixture(scope="module")
def registry(synced_schema_dir: Path) -> SchemaRegistry:
    return SchemaRegistry(synced_schema_dir)


def test_detects_pain_001_001_09_from_the_document_namespace(registry: SchemaRegistry) -> None:
    tree = parse_document(VALID_PAIN_001_09)
    assert registry.detect(tree.getroot()) == MessageType("pain", "001", "001", "09")
    assert registry.detect(tree) == MessageType.parse("pain.001.001.09")


@pytest.mark.parametrize(
    "xml",
    [
        b'<Document xmlns="urn:example:not-iso"/>',
        b"<Document/>",
        f'<NotDocument xmlns="{PAIN_001_09}"/>'.encode(),
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001"/>',
    ],
)
def test_detect_returns_none_for_anything_else(registry: SchemaRegistry, xml: bytes) -> None:
    assert registry.detect(parse_document(xml).getroot()) is None


def test_every_catalog_schema_is_available_and_compiles(registry: SchemaRegistry) -> None:
    expected = {MessageType.parse(message_id) for message_id in load_catalog()}
    assert expected <= set(registry.available())
    for message in expected:
        assert registry.has(message) and registry.has(str(message))
        assert isinstance(registry.schema(message), etree.XMLSchema)


def test_schema_validates_a_valid_document(registry: SchemaRegistry) -> None:
    schema = registry.schema("pain.001.001.09")
    assert schema.validate(parse_document(VALID_PAIN_001_09)), schema.error_log


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        (b'<InstdAmt Ccy="EUR">10.00</InstdAmt>', b'<InstdAmt Ccy="EUR">ten</InstdAmt>', "InstdAmt"),
        (b"<MsgId>MSG-1</MsgId>", b"", "MsgId"),
        (b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>", "PmtMtd"),
    ],
    ids=["amount-not-decimal", "missing-MsgId", "bad-code"],
)
def test_schema_rejects_an_invalid_document(registry: SchemaRegistry, old: bytes, new: bytes, complaint: str) -> None:
    assert old in VALID_PAIN_001_09
    tree = parse_document(VALID_PAIN_001_09.replace(old, new))
    schema = registry.schema("pain.001.001.09")
    assert not schema.validate(tree)
    assert complaint in str(schema.error_log)


def test_another_version_rejects_the_document(registry: SchemaRegistry) -> None:
    assert not registry.schema("pain.001.001.03").validate(parse_document(VALID_PAIN_001_09))


def test_missing_schema_raises_schema_unavailable(tmp_path: Path) -> None:
    empty = SchemaRegistry(tmp_path)
    assert empty.available() == []
    assert not empty.has("pain.001.001.09")
    with pytest.raises(SchemaUnavailable) as info:
        empty.schema("pain.001.001.09")
    assert info.value.code == "schema_unavailable"
    assert "gateway schemas sync" in info.value.message


def test_message_not_in_the_store_raises_schema_unavailable(registry: SchemaRegistry) -> None:
    with pytest.raises(SchemaUnavailable):
        registry.schema("pain.002.001.10")  # not on PyPI, so not in the catalog


def test_schemas_are_compiled_once_and_shared_across_threads(synced_schema_dir: Path) -> None:
    fresh = SchemaRegistry(synced_schema_dir)
    results: list[etree.XMLSchema] = []
    barrier = threading.Barrier(8)

    def fetch() -> None:
        barrier.wait()
        results.append(fresh.schema("camt.053.001.08"))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(result is results[0] for result in results)
    assert fresh.schema(MessageType.parse("camt.053.001.08")) is results[0]


def test_broken_or_outward_looking_xsd_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pain.001.001.09.xsd").write_text("<xs:schema")
    (tmp_path / "pain.001.001.11.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:include schemaLocation="http://127.0.0.1:9/other.xsd"/></xs:schema>'
    )
    (tmp_path / "camt.053.001.08.xsd").write_text('<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>')
    broken = SchemaRegistry(tmp_path)
    for message in ("pain.001.001.09", "pain.001.001.11", "camt.053.001.08"):
        with pytest.raises(SchemaUnavailable):
            broken.schema(message)


def test_default_registry_is_cached_and_uses_the_default_dir(synced_schema_dir: Path) -> None:
    default_registry.cache_clear()
    try:
        assert default_registry() is default_registry()
        assert default_registry().schema_dir == synced_schema_dir
    finally:
        default_registry.cache_clear()


def test_default_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GATEWAY_SCHEMA_DIR", str(tmp_path))
    assert SchemaRegistry().schema_dir == tmp_path


def test_streaming_validation_with_a_compiled_schema(registry: SchemaRegistry) -> None:
    schema = registry.schema("pain.001.001.09")
    tags = [event_element.tag for _, event_element in iterparse(VALID_PAIN_001_09, schema=schema)]
    assert f"{{{PAIN_001_09}}}EndToEndId" in tags
    invalid = VALID_PAIN_001_09.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>")
    with pytest.raises(InvalidInput) as info:
        for _ in iterparse(invalid, schema=schema):
            pass
    assert info.value.code == "schema_invalid"
    assert "PmtMtd" in info.value.message
    assert info.value.findings[0].reason == "FF01"
