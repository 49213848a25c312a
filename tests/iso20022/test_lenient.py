"""Real-world deviations: ``parse`` reads what it safely can and says what deviated;
``validate`` gives the strict verdict.  Neither raises on any of these documents.

Each deviation is one a bank or an ERP actually produces: a 2019 namespace over 2009
element shapes (the namespace was bumped, the writer was not), no namespace at all,
non-breaking spaces pasted as indentation, free text longer than the schema allows,
elements in the wrong order, a version the gateway has no mapping for, and values that
are not of their type (a German decimal comma, 31 November)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.domain import Severity
from gateway.iso20022 import parse, read_report, validate

DATA = Path(__file__).resolve().parents[1] / "data"
PAIN001_03 = (DATA / "pain.001" / "epc-sct-pain.001.001.03.xml").read_bytes()
PAIN001_09 = (DATA / "pain.001" / "epc-sct-pain.001.001.09.xml").read_bytes()
CAMT053_02 = (DATA / "camt.053" / "dk-camt.053.001.02.xml").read_bytes()

STMT = "/Document/BkToCstmrStmt/Stmt[1]"


def statement(namespace: str | None, entries: str) -> bytes:
    """A small statement whose entries use whatever shapes the test gives them."""
    xmlns = f' xmlns="urn:iso:std:iso:20022:tech:xsd:{namespace}"' if namespace else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document{xmlns}>
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>LENIENT-1</MsgId>
      <CreDtTm>2026-11-24T06:00:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>LENIENT-STMT-1</Id>
      <CreDtTm>2026-11-24T06:00:00</CreDtTm>
      <Acct>
        <Id>
          <IBAN>DE02120300000000202051</IBAN>
        </Id>
        <Ccy>EUR</Ccy>
      </Acct>
      <Bal>
        <Tp>
          <CdOrPrtry>
            <Cd>OPBD</Cd>
          </CdOrPrtry>
        </Tp>
        <Amt Ccy="EUR">100.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt>
          <Dt>2026-11-23</Dt>
        </Dt>
      </Bal>
      <Bal>
        <Tp>
          <CdOrPrtry>
            <Cd>CLBD</Cd>
          </CdOrPrtry>
        </Tp>
        <Amt Ccy="EUR">125.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt>
          <Dt>2026-11-23</Dt>
        </Dt>
      </Bal>
{entries}    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


# 2009 (camt.053.001.02) shapes of an entry: plain Sts, parties without the Pty wrapper.
OLD_SHAPED_ENTRY = """      <Ntry>
        <Amt Ccy="EUR">25.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt>
          <Dt>2026-11-23</Dt>
        </BookgDt>
        <BkTxCd>
          <Domn>
            <Cd>PMNT</Cd>
            <Fmly>
              <Cd>RCDT</Cd>
              <SubFmlyCd>ESCT</SubFmlyCd>
            </Fmly>
          </Domn>
        </BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>
              <EndToEndId>LEN-E2E-1</EndToEndId>
            </Refs>
            <RltdPties>
              <Dbtr>
                <Nm>Anna Jansen</Nm>
              </Dbtr>
            </RltdPties>
          </TxDtls>
        </NtryDtls>
      </Ntry>
"""


def line_of(document: bytes, needle: bytes, occurrence: int = 1) -> int:
    """1-based line of the n-th occurrence of ``needle``, counted by hand on the bytes."""
    position = -1
    for _ in range(occurrence):
        position = document.index(needle, position + 1)
    return document.count(b"\n", 0, position) + 1


def assert_no_raise_anywhere(document: bytes, *, report: bool) -> None:
    parse(document)
    validate(document)
    validate(document, profile="sepa", today=date(2026, 11, 24))
    if report:
        read_report(document)


# --------------------------------------------------------------------------- (a) 2019 namespace, 2009 shapes

V08_WITH_V02_SHAPES = statement("camt.053.001.08", OLD_SHAPED_ENTRY)


def _version_shape(findings, what: str):
    return [f for f in findings if f.rule == "parse.version_shape" and what in f.message]


def test_old_shapes_under_a_new_namespace_are_read_by_parse():
    parsed = parse(V08_WITH_V02_SHAPES)
    assert str(parsed.message) == "camt.053.001.08"
    (entry,) = parsed.document.statements[0].entries
    assert entry.status == "BOOK"
    assert entry.transactions[0].debtor.name == "Anna Jansen"
    assert entry.transactions[0].end_to_end_id == "LEN-E2E-1"
    (status,) = _version_shape(parsed.findings, "Entry.status")
    assert status.severity is Severity.WARNING
    assert status.xpath == f"{STMT}/Ntry[1]"
    (debtor,) = _version_shape(parsed.findings, "EntryTransaction.debtor")
    assert debtor.severity is Severity.WARNING
    assert debtor.xpath == f"{STMT}/Ntry[1]/NtryDtls/TxDtls[1]"


def test_old_shapes_under_a_new_namespace_are_read_by_read_report():
    report, findings = read_report(V08_WITH_V02_SHAPES)
    (entry,) = report.statements[0].entries
    assert entry.status == "BOOK"
    assert entry.transactions[0].debtor.name == "Anna Jansen"
    shapes = [f for f in findings if f.rule == "parse.version_shape"]
    assert shapes and all(f.severity is Severity.WARNING for f in shapes)
    assert {f.xpath for f in _version_shape(findings, "Entry.status")} == {f"{STMT}/Ntry[1]"}
    assert {f.xpath for f in _version_shape(findings, "EntryTransaction.debtor")} == {
        f"{STMT}/Ntry[1]/NtryDtls/TxDtls[1]"}


def test_old_shapes_under_a_new_namespace_fail_the_xsd_where_they_are():
    report = validate(V08_WITH_V02_SHAPES)
    assert not report.valid
    xsd = {(f.xpath, f.line) for f in report.findings if f.rule == "xsd"}
    assert (f"{STMT}/Ntry[1]/Sts", line_of(V08_WITH_V02_SHAPES, b"<Sts>")) in xsd
    assert (f"{STMT}/Ntry[1]/NtryDtls/TxDtls[1]/RltdPties/Dbtr/Nm",
            line_of(V08_WITH_V02_SHAPES, b"<Nm>Anna")) in xsd
    assert all(f.reason == "FF01" for f in report.findings if f.rule == "xsd")


# --------------------------------------------------------------------------- (b) no namespace

NO_NAMESPACE = statement(None, OLD_SHAPED_ENTRY)


def test_statement_without_namespace_parses_with_a_warning():
    parsed = parse(NO_NAMESPACE)
    assert parsed.family == "camt.053"
    assert parsed.message is None
    rules = [f.rule for f in parsed.findings if f.severity is Severity.WARNING]
    assert "document.namespace" in rules
    (st,) = parsed.document.statements
    assert st.identification == "LENIENT-STMT-1"
    assert [(b.type, b.amount.value) for b in st.balances] == [("OPBD", Decimal("100.00")), ("CLBD", Decimal("125.50"))]
    (entry,) = st.entries
    assert (entry.amount.value, entry.status, entry.transactions[0].debtor.name) == (
        Decimal("25.50"), "BOOK", "Anna Jansen")


def test_statement_without_namespace_streams_with_a_warning():
    report, findings = read_report(NO_NAMESPACE)
    assert "document.namespace" in [f.rule for f in findings]
    assert [e.amount.value for e in report.statements[0].entries] == [Decimal("25.50")]


def test_validate_is_strict_about_a_missing_namespace():
    """Lenient parse, strict validate: no bank's XSD check accepts a Document without
    its ISO 20022 namespace, so the verdict may not be 'valid'."""
    report = validate(NO_NAMESPACE)
    assert "document.namespace" in [f.rule for f in report.findings]
    assert not report.valid


# --------------------------------------------------------------------------- (c) non-breaking spaces

def _nbsp_indented(document: bytes) -> bytes:
    lines = []
    for line in document.split(b"\n"):
        stripped = line.lstrip(b" ")
        lines.append("\u00a0".encode() * (len(line) - len(stripped)) + stripped)
    return b"\n".join(lines)


NBSP = _nbsp_indented(CAMT053_02)


def test_nbsp_indentation_is_read():
    assert "\u00a0".encode() in NBSP
    parsed = parse(NBSP)
    assert [f for f in parsed.findings if f.is_error] == []
    (st,) = parsed.document.statements
    assert st.identification == "0000202051EUR20261123211"
    assert [e.amount.value for e in st.entries] == [
        Decimal("3570.00"), Decimal("16339.90"), Decimal("740.00"), Decimal("12.50")]
    assert st.entries[1].end_to_end_ids == ("E2E-INV-2026-0815", "E2E-INV-2026-0816", "E2E-INV-2026-0817")
    report, _ = read_report(NBSP)
    assert report == parsed.document


def test_nbsp_indentation_is_flagged_by_validate():
    report = validate(NBSP)
    assert not report.valid
    errors = [f for f in report.errors if f.rule == "xsd"]
    assert errors and all(f.line for f in errors)
    assert any(f.xpath == "/Document/BkToCstmrStmt" for f in errors)


# --------------------------------------------------------------------------- (d) text over its maximum length

LONG_TEXT = ("Invoice 2026-0815 " * 12)[:200]
LONG_USTRD = PAIN001_03.replace(b"<Ustrd>Rechnung 2026-0815 vom 02.11.2026</Ustrd>",
                                f"<Ustrd>{LONG_TEXT}</Ustrd>".encode())


def test_over_long_remittance_is_kept_whole_by_parse():
    assert len(LONG_TEXT) == 200
    parsed = parse(LONG_USTRD)
    assert parsed.findings == []
    first = parsed.document.payment_informations[0].transactions[0]
    assert first.remittance.unstructured == (LONG_TEXT,)


def test_over_long_remittance_is_flagged_at_its_xpath():
    report = validate(LONG_USTRD)
    assert not report.valid
    (finding,) = report.findings
    assert finding.rule == "xsd"
    assert finding.xpath == "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/RmtInf/Ustrd[1]"
    assert "maxLength" in finding.message and "140" in finding.message
    assert finding.line == line_of(LONG_USTRD, LONG_TEXT[:20].encode())


def test_over_long_remittance_breaks_the_sepa_rule_too():
    findings = validate(LONG_USTRD, profile="sepa").findings
    (sepa,) = [f for f in findings if f.rule == "remittance.length"]
    assert sepa.reason == "FF01"
    assert sepa.xpath == "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/RmtInf/Ustrd[1]"


# --------------------------------------------------------------------------- (e) elements out of order

IN_ORDER = b"""        <Sts>BOOK</Sts>
        <BookgDt>
          <Dt>2026-11-23</Dt>
        </BookgDt>
        <ValDt>
          <Dt>2026-11-23</Dt>
        </ValDt>
        <AcctSvcrRef>2026112300001</AcctSvcrRef>"""
OUT_OF_ORDER = b"""        <AcctSvcrRef>2026112300001</AcctSvcrRef>
        <ValDt>
          <Dt>2026-11-22</Dt>
        </ValDt>
        <BookgDt>
          <Dt>2026-11-23</Dt>
        </BookgDt>
        <Sts>BOOK</Sts>"""
SHUFFLED = CAMT053_02.replace(IN_ORDER, OUT_OF_ORDER, 1)


def test_elements_out_of_order_are_all_read():
    assert SHUFFLED != CAMT053_02
    entry = parse(SHUFFLED).document.statements[0].entries[0]
    assert entry.status == "BOOK"
    assert entry.booking_date == date(2026, 11, 23)
    assert entry.value_date == date(2026, 11, 22)
    assert entry.account_servicer_reference == "2026112300001"
    assert entry.amount.value == Decimal("3570.00")
    assert entry.transactions[0].end_to_end_id == "RE-2026-4471"
    streamed = read_report(SHUFFLED)[0].statements[0].entries[0]
    assert streamed == entry


def test_elements_out_of_order_are_flagged_by_validate():
    report = validate(SHUFFLED)
    assert not report.valid
    (finding,) = report.findings
    assert finding.rule == "xsd"
    assert finding.xpath == f"{STMT}/Ntry[1]/AcctSvcrRef"
    assert finding.line == line_of(SHUFFLED, b"<AcctSvcrRef>2026112300001")


# --------------------------------------------------------------------------- (f) a version without mapping

V04 = statement("camt.053.001.04", OLD_SHAPED_ENTRY)


def test_unmapped_version_is_read_with_a_version_warning():
    parsed = parse(V04)
    assert str(parsed.message) == "camt.053.001.04"
    assert parsed.family == "camt.053"
    (version,) = [f for f in parsed.findings if f.rule == "document.version"]
    assert version.severity is Severity.WARNING
    (entry,) = parsed.document.statements[0].entries
    assert (entry.status, entry.amount.value) == ("BOOK", Decimal("25.50"))
    assert entry.transactions[0].debtor.name == "Anna Jansen"
    report, _ = read_report(V04)
    assert report.statements[0].entries == (entry,)


def test_unmapped_version_without_its_xsd_is_not_called_valid():
    """Read leniently above, but the validator checked nothing about it (no XSD, no mapping of its
    own): a conformance verdict of 'valid' would be hollow."""
    report = validate(V04)
    severities = {f.rule: f.severity for f in report.findings}
    assert severities["document.version"] is Severity.ERROR
    assert severities["schema.unavailable"] is Severity.WARNING
    assert not report.valid


# --------------------------------------------------------------------------- (g) bad values

BAD_VALUES = {
    # name: (document, xpath of the bad value, the bad text)
    "camt balance date 31 Nov": (
        CAMT053_02.replace(b"<Dt>2026-11-20</Dt>", b"<Dt>2026-11-31</Dt>", 1),
        f"{STMT}/Bal[1]/Dt/Dt", "2026-11-31"),
    "camt entry amount with comma": (
        CAMT053_02.replace(b'<Amt Ccy="EUR">740.00</Amt>', b'<Amt Ccy="EUR">740,00</Amt>', 1),
        f"{STMT}/Ntry[3]/Amt", "740,00"),
    "camt balance amount German": (
        CAMT053_02.replace(b'<Amt Ccy="EUR">48250.00</Amt>', b'<Amt Ccy="EUR">48.250,00</Amt>', 1),
        f"{STMT}/Bal[1]/Amt", "48.250,00"),
    "camt transaction amount with comma": (
        CAMT053_02.replace(b'<Amt Ccy="EUR">89.90</Amt>', b'<Amt Ccy="EUR">89,90</Amt>', 1),
        f"{STMT}/Ntry[2]/NtryDtls/TxDtls[2]/AmtDtls/TxAmt/Amt", "89,90"),
    "pain.001 amount with comma": (
        PAIN001_03.replace(b'<InstdAmt Ccy="EUR">89.90</InstdAmt>', b'<InstdAmt Ccy="EUR">89,90</InstdAmt>'),
        "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/Amt/InstdAmt", "89,90"),
    "pain.001 German date": (
        PAIN001_03.replace(b"<ReqdExctnDt>2026-11-23</ReqdExctnDt>", b"<ReqdExctnDt>23.11.2026</ReqdExctnDt>"),
        "/Document/CstmrCdtTrfInitn/PmtInf[1]/ReqdExctnDt", "23.11.2026"),
    "pain.001.09 30 February": (
        PAIN001_09.replace(b"<Dt>2026-11-25</Dt>", b"<Dt>2026-02-30</Dt>"),
        "/Document/CstmrCdtTrfInitn/PmtInf[1]/ReqdExctnDt/Dt", "2026-02-30"),
}


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_bad_value_is_left_empty_with_a_finding(name):
    document, xpath, text = BAD_VALUES[name]
    parsed = parse(document)
    (bad,) = [f for f in parsed.findings if f.rule == "parse.bad_value"]
    assert (bad.xpath, bad.value, bad.reason) == (xpath, text, "FF01")
    assert bad.line == line_of(document, f">{text}<".encode())


def test_bad_values_leave_exactly_that_field_empty():
    st = parse(BAD_VALUES["camt balance date 31 Nov"][0]).document.statements[0]
    assert st.balances[0].date is None
    assert st.balances[0].amount.value == Decimal("48250.00")
    st = parse(BAD_VALUES["camt entry amount with comma"][0]).document.statements[0]
    assert st.entries[2].amount.value is None
    assert st.entries[2].amount.currency == "EUR"
    assert st.entries[2].credit_debit == "CRDT"
    batch = parse(BAD_VALUES["pain.001 amount with comma"][0]).document
    assert batch.payment_informations[0].transactions[1].amount.value is None
    assert batch.payment_informations[0].transactions[1].end_to_end_id == "E2E-INV-2026-0816"
    batch = parse(BAD_VALUES["pain.001 German date"][0]).document
    assert batch.payment_informations[0].requested_execution_date is None
    assert batch.payment_informations[1].requested_execution_date == date(2026, 11, 25)


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_validate_reports_a_bad_value_instead_of_raising(name):
    document, xpath, _ = BAD_VALUES[name]
    report = validate(document, today=date(2026, 11, 20))
    assert not report.valid
    assert any(f.xpath == xpath and f.rule == "xsd" for f in report.errors)


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_bad_values_stream(name):
    document, _, _ = BAD_VALUES[name]
    if not name.startswith("camt"):
        return
    report, findings = read_report(document)
    assert "parse.bad_value" in [f.rule for f in findings]
    assert len(report.statements[0].entries) == 4


# --------------------------------------------------------------------------- nothing raises

ALL_DEVIATIONS = {
    "v08-with-v02-shapes": (V08_WITH_V02_SHAPES, True),
    "no-namespace": (NO_NAMESPACE, True),
    "nbsp": (NBSP, True),
    "long-ustrd": (LONG_USTRD, False),
    "out-of-order": (SHUFFLED, True),
    "unmapped-version": (V04, True),
    **{f"bad-{name}": (doc, name.startswith("camt")) for name, (doc, _, _) in BAD_VALUES.items()},
}


@pytest.mark.parametrize("name", sorted(ALL_DEVIATIONS))
def test_neither_parse_nor_validate_raises(name):
    document, is_report = ALL_DEVIATIONS[name]
    assert_no_raise_anywhere(document, report=is_report)
