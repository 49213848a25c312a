"""Streaming account reports: every entry, in document order, with each statement's
header (balances first, as the XSD orders them), in memory that does not grow with the
number of entries.  Statements are written by a small generator so that their size and
layout (several statements, empty ones) are chosen by the test."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.domain import ReportKind
from gateway.domain.errors import InvalidInput
from gateway.iso20022 import parse, read_report, stream_report, validate

DATA = Path(__file__).resolve().parents[1] / "data"
CAMT053_02 = DATA / "camt.053" / "dk-camt.053.001.02.xml"
CAMT054_08 = DATA / "camt.054" / "six-camt.054.001.08.xml"

OPENING = Decimal("1000.00")


def entry_amount(statement: int, index: int) -> Decimal:
    """Deterministic amounts: 0.01 .. 9.99, credits on even, debits on odd positions."""
    return Decimal((statement * 7 + index) % 999 + 1) / 100


def write_statement_file(path: Path, layout: list[int], *, version: str = "camt.053.001.02") -> Path:
    """``layout[k]`` entries in statement k; balances are written so that they add up."""
    new = version.endswith(".08")
    status = "<Sts><Cd>BOOK</Cd></Sts>" if new else "<Sts>BOOK</Sts>"
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}">\n<BkToCstmrStmt>\n'
                  "<GrpHdr><MsgId>GEN-STMT-1</MsgId><CreDtTm>2026-11-24T06:00:00</CreDtTm></GrpHdr>\n")
        for s, count in enumerate(layout):
            closing = OPENING
            for i in range(count):
                amount = entry_amount(s, i)
                closing += amount if i % 2 == 0 else -amount
            out.write(f"<Stmt><Id>GEN-{s}</Id><ElctrncSeqNb>{s + 1}</ElctrncSeqNb>"
                      "<CreDtTm>2026-11-24T06:00:00</CreDtTm>"
                      "<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>\n")
            for code, value in (("OPBD", OPENING), ("CLBD", closing)):
                side = "CRDT" if value >= 0 else "DBIT"
                out.write(f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                          f'<Amt Ccy="EUR">{abs(value)}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
                          "<Dt><Dt>2026-11-23</Dt></Dt></Bal>\n")
            for i in range(count):
                side = "CRDT" if i % 2 == 0 else "DBIT"
                out.write(f"<Ntry><NtryRef>{s}-{i}</NtryRef><Amt Ccy=\"EUR\">{entry_amount(s, i)}</Amt>"
                          f"<CdtDbtInd>{side}</CdtDbtInd>{status}<BookgDt><Dt>2026-11-23</Dt></BookgDt>"
                          "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
                          "</Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
                          f"<EndToEndId>E2E-{s}-{i:06d}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>\n")
            out.write("</Stmt>\n")
        out.write("</BkToCstmrStmt>\n</Document>\n")
    return path


def refs(layout: list[int]) -> list[tuple[str, str]]:
    return [(f"GEN-{s}", f"{s}-{i}") for s, count in enumerate(layout) for i in range(count)]


# --------------------------------------------------------------------------- order and completeness


def test_twenty_thousand_entries_in_order(tmp_path):
    path = write_statement_file(tmp_path / "big.xml", [20_000])
    stream = stream_report(path)
    seen = [(statement.identification, entry.entry_reference, entry.end_to_end_ids[0])
            for statement, entry in stream]
    assert len(seen) == 20_000
    assert seen == [("GEN-0", f"0-{i}", f"E2E-0-{i:06d}") for i in range(20_000)]
    assert [s.identification for s in stream.statements] == ["GEN-0"]
    assert stream.report.message_id == "GEN-STMT-1"
    assert stream.report.kind is ReportKind.STATEMENT


def test_generated_statement_is_valid(tmp_path):
    path = write_statement_file(tmp_path / "small.xml", [5, 0, 3])
    assert validate(path).findings == []


def test_statement_headers_carry_the_balances(tmp_path):
    path = write_statement_file(tmp_path / "s.xml", [4])
    stream = stream_report(path)
    pairs = list(stream)
    header = stream.statements[0]
    assert all(statement is header for statement, _ in pairs)
    assert header.entries == ()
    # Entries of statement 0: +0.01 -0.02 +0.03 -0.04 -> closing 1000.00 - 0.02 = 999.98 (by hand).
    assert [(b.type, b.amount.value, b.credit_debit) for b in header.balances] == [
        ("OPBD", Decimal("1000.00"), "CRDT"), ("CLBD", Decimal("999.98"), "CRDT")]
    assert header.account.iban == "DE02120300000000202051"
    assert header.electronic_sequence_number == 1


def test_balances_add_up_over_a_streamed_statement(tmp_path):
    path = write_statement_file(tmp_path / "s.xml", [2_000])
    stream = stream_report(path)
    net = sum((entry.signed for _, entry in stream), Decimal(0))
    header = stream.statements[0]
    assert header.balance("OPBD").signed + net == header.balance("CLBD").signed


def test_several_statements_with_an_empty_one_between(tmp_path):
    layout = [3, 0, 2]
    path = write_statement_file(tmp_path / "multi.xml", layout)
    stream = stream_report(path)
    assert [(s.identification, e.entry_reference) for s, e in stream] == refs(layout)
    assert [s.identification for s in stream.statements] == ["GEN-0", "GEN-1", "GEN-2"]
    assert [s.balance("CLBD").amount.value for s in stream.statements] == [
        # By hand: 1000 + 0.01 - 0.02 + 0.03 = 1000.02; 1000; 1000 + 0.15 - 0.16 = 999.99.
        Decimal("1000.02"), Decimal("1000.00"), Decimal("999.99")]


@pytest.mark.parametrize("layout", [[0], [0, 0], [0, 2], [2, 0], [1, 0, 0, 1], [0, 3, 0]],
                         ids=lambda layout: "-".join(map(str, layout)))
def test_statements_without_entries_are_kept_in_order(tmp_path, layout):
    path = write_statement_file(tmp_path / "l.xml", layout)
    stream = stream_report(path)
    assert [(s.identification, e.entry_reference) for s, e in stream] == refs(layout)
    assert [s.identification for s in stream.statements] == [f"GEN-{k}" for k in range(len(layout))]
    report, findings = read_report(path)
    assert findings == []
    assert [len(s.entries) for s in report.statements] == layout


def test_read_report_equals_parse_for_several_statements(tmp_path):
    path = write_statement_file(tmp_path / "multi.xml", [3, 0, 2, 0])
    report, _ = read_report(path)
    assert report == parse(path).document


def test_2019_statement_streams_too(tmp_path):
    path = write_statement_file(tmp_path / "v08.xml", [3, 0, 1], version="camt.053.001.08")
    assert validate(path).findings == []
    stream = stream_report(path, schema_validation=True)
    assert [(s.identification, e.entry_reference, e.status) for s, e in stream] == [
        ("GEN-0", "0-0", "BOOK"), ("GEN-0", "0-1", "BOOK"), ("GEN-0", "0-2", "BOOK"), ("GEN-2", "2-0", "BOOK")]
    assert str(stream.message) == "camt.053.001.08"
    assert stream.findings == []


def test_notifications_stream():
    stream = stream_report(CAMT054_08)
    ((notification, entry),) = list(stream)
    assert stream.family == "camt.054"
    assert stream.report.kind is ReportKind.NOTIFICATION
    assert notification.identification == "CAMT054-20261124-000815-1"
    assert entry.amount.value == Decimal("3949.75")


def test_stream_reads_bytes_and_paths(tmp_path):
    path = write_statement_file(tmp_path / "m.xml", [2, 0, 1])
    expected = refs([2, 0, 1])
    assert [(s.identification, e.entry_reference) for s, e in stream_report(path.read_bytes())] == expected
    assert [(s.identification, e.entry_reference) for s, e in stream_report(str(path))] == expected


@pytest.mark.parametrize("layout", [[2, 0, 1], [3_000]], ids=["small", "over-64KiB"])
def test_stream_reads_an_open_binary_file(tmp_path, layout):
    """A binary file object (an upload, a pipe) is a source like bytes and paths."""
    path = write_statement_file(tmp_path / "m.xml", layout)
    with path.open("rb") as handle:
        assert [(s.identification, e.entry_reference) for s, e in stream_report(handle)] == refs(layout)


# --------------------------------------------------------------------------- schema validation while streaming


def test_schema_validation_on_an_invalid_file_raises_invalid_input(tmp_path):
    path = write_statement_file(tmp_path / "bad.xml", [3, 0, 2])
    path.write_bytes(path.read_bytes().replace(b"<Sts>BOOK</Sts>", b"<Sts>BOOKED</Sts>", 1))
    stream = stream_report(path, schema_validation=True)
    with pytest.raises(InvalidInput) as caught:
        list(stream)
    assert not isinstance(caught.value, etree.LxmlError)
    assert caught.value.findings and caught.value.findings[0].reason == "FF01"


def test_schema_validation_error_late_in_a_large_file(tmp_path):
    """'The first schema error ends the stream': the invalid entry (CdtDbtInd CREDIT, the
    4001st) and those after it must never reach the consumer."""
    path = write_statement_file(tmp_path / "late.xml", [5_000])
    data = path.read_bytes()
    cut = data.index(b"<NtryRef>0-4000<")
    path.write_bytes(data[:cut] + data[cut:].replace(b"<CdtDbtInd>CRDT", b"<CdtDbtInd>CREDIT", 1))
    handed_out = []
    with pytest.raises(InvalidInput):
        for _, entry in stream_report(path, schema_validation=True):
            handed_out.append((entry.entry_reference, entry.credit_debit))
    assert ("0-4000", "CREDIT") not in handed_out
    assert 0 < len(handed_out) <= 4_000


def test_without_schema_validation_the_same_file_is_read(tmp_path):
    path = write_statement_file(tmp_path / "bad.xml", [2])
    path.write_bytes(path.read_bytes().replace(b"<Sts>BOOK</Sts>", b"<Sts>BOOKED</Sts>", 1))
    assert [e.status for _, e in stream_report(path)] == ["BOOKED", "BOOK"]


def test_broken_xml_in_a_stream_raises_invalid_input(tmp_path):
    path = write_statement_file(tmp_path / "cut.xml", [100])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput):
        list(stream_report(path))


def test_a_payment_file_is_not_read_as_a_report():
    from gateway.domain.errors import GatewayError
    payments = DATA / "pain.001" / "epc-sct-pain.001.001.03.xml"
    stream = stream_report(payments)
    assert list(stream) == []
    assert stream.report is None and stream.statements == []
    with pytest.raises(GatewayError):
        read_report(payments)


# --------------------------------------------------------------------------- what the stream reports


def test_stream_reports_each_deviation_once():
    """A deviation noticed while streaming is reported once, as by ``parse``: the report
    and statement headers must not read (and report) the entries a second time."""
    document = CAMT053_02.read_bytes().replace(b"camt.053.001.02", b"camt.053.001.08")
    parsed = parse(document)
    _, findings = read_report(document)
    key = lambda f: (f.rule, f.line, f.message)  # noqa: E731
    assert sorted(map(key, findings)) == sorted(map(key, parsed.findings))


def test_stream_reports_a_bad_value_once():
    document = CAMT053_02.read_bytes().replace(b'<Amt Ccy="EUR">740.00</Amt>', b'<Amt Ccy="EUR">740,00</Amt>', 1)
    _, findings = read_report(document)
    assert [f.value for f in findings if f.rule == "parse.bad_value"] == ["740,00"]


def test_stream_findings_name_their_place():
    document = CAMT053_02.read_bytes().replace(b'<Amt Ccy="EUR">740.00</Amt>', b'<Amt Ccy="EUR">740,00</Amt>', 1)
    _, findings = read_report(document)
    bad = [f for f in findings if f.rule == "parse.bad_value"]
    assert bad and {f.xpath for f in bad} == {"/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt"}


# --------------------------------------------------------------------------- memory


def _peak_while_streaming(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in stream_report(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_memory_stays_flat(tmp_path):
    small = write_statement_file(tmp_path / "small.xml", [2_000])
    large = write_statement_file(tmp_path / "large.xml", [20_000])
    assert large.stat().st_size > 9 * small.stat().st_size
    _peak_while_streaming(small)  # warm-up: compile readers and schemas outside the measurement
    small_count, small_peak = _peak_while_streaming(small)
    large_count, large_peak = _peak_while_streaming(large)
    assert (small_count, large_count) == (2_000, 20_000)
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


def test_memory_stays_flat_with_schema_validation(tmp_path):
    small = write_statement_file(tmp_path / "small.xml", [2_000])
    large = write_statement_file(tmp_path / "large.xml", [20_000])

    def peak(path):
        tracemalloc.start()
        try:
            assert sum(1 for _ in stream_report(path, schema_validation=True)) > 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(small)
    assert peak(large) < 2 * peak(small)
