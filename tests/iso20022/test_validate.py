"""``validate``: findings located by XPath (with positions on repeated elements), ISO 20022
reason codes where one fits, line numbers from the XSD, and never an exception, whatever
the input.  Documents are the hand-written samples with one deliberate mistake each;
expected values (positions, lines, sums) were worked out by hand."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.domain import Severity
from gateway.iso20022 import validate

DATA = Path(__file__).resolve().parents[1] / "data"
PAIN001_03 = (DATA / "pain.001" / "epc-sct-pain.001.001.03.xml").read_bytes()
PAIN001_09 = (DATA / "pain.001" / "epc-sct-pain.001.001.09.xml").read_bytes()
CAMT053_02 = (DATA / "camt.053" / "dk-camt.053.001.02.xml").read_bytes()
PAIN002_03 = (DATA / "pain.002" / "epc-reject-pain.002.001.03.xml").read_bytes()

PMTINF = "/Document/CstmrCdtTrfInitn/PmtInf"
STMT = "/Document/BkToCstmrStmt/Stmt[1]"


def changed(document: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    assert document.count(old) >= count, old
    return document.replace(old, new, count)


def line_of(document: bytes, needle: bytes) -> int:
    return document.count(b"\n", 0, document.index(needle)) + 1


def only(report, rule: str):
    found = [f for f in report.findings if f.rule == rule]
    assert len(found) == 1, report.findings
    return found[0]


# --------------------------------------------------------------------------- pain.001 rules


def test_mistyped_iban_in_the_second_transaction():
    # One check digit changed in PmtInf 1, transaction 2 (FR...606 -> FR...607).
    document = changed(PAIN001_03, b"FR1420041010050500013M02606", b"FR1420041010050500013M02607")
    report = validate(document)
    assert not report.valid
    finding = only(report, "iban.checksum")
    assert finding.reason == "AC01"
    assert finding.xpath == f"{PMTINF}[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN"
    assert finding.value == "FR1420041010050500013M02607"
    assert [f.rule for f in report.findings] == ["iban.checksum"]


def test_iban_of_the_second_block_carries_its_position():
    document = changed(PAIN001_03, b"DE44500105175407324931", b"DE44500105175407324932")
    finding = only(validate(document), "iban.checksum")
    assert finding.xpath == f"{PMTINF}[2]/CdtTrfTxInf[1]/CdtrAcct/Id/IBAN"


def test_debtor_iban_of_the_2019_version():
    document = changed(PAIN001_09, b"NL20INGB0001234567", b"NL20INGB0001234568")
    finding = only(validate(document), "iban.checksum")
    assert (finding.reason, finding.xpath) == ("AC01", f"{PMTINF}[1]/DbtrAcct/Id/IBAN")


def test_control_sum_that_does_not_add_up():
    # Block A declares 16339.99; its amounts add up to 16339.90 (hand sum).
    document = changed(PAIN001_03, b"<CtrlSum>16339.90</CtrlSum>", b"<CtrlSum>16339.99</CtrlSum>")
    report = validate(document)
    finding = only(report, "payment_information.control_sum")
    assert finding.reason == "AM10"
    assert finding.xpath == f"{PMTINF}[1]/CtrlSum"
    assert finding.value == "16339.99"
    assert Decimal(finding.extra["expected"]) == Decimal("16339.90")
    assert [f.rule for f in report.findings] == ["payment_information.control_sum"]


def test_group_control_sum_that_does_not_add_up():
    document = changed(PAIN001_03, b"<CtrlSum>16759.90</CtrlSum>", b"<CtrlSum>16759.00</CtrlSum>")
    finding = only(validate(document), "group.control_sum")
    assert (finding.reason, finding.xpath) == ("AM10", "/Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum")
    assert Decimal(finding.extra["expected"]) == Decimal("16759.90")


def test_number_of_transactions_that_does_not_match():
    document = changed(PAIN001_03, b"<NbOfTxs>4</NbOfTxs>", b"<NbOfTxs>5</NbOfTxs>")
    finding = only(validate(document), "group.number_of_transactions")
    assert (finding.reason, finding.xpath, finding.value) == (
        "AM18", "/Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs", "5")
    assert finding.extra["expected"] == "4"


def test_block_number_of_transactions_that_does_not_match():
    document = changed(PAIN001_03, b"<NbOfTxs>1</NbOfTxs>", b"<NbOfTxs>2</NbOfTxs>")
    finding = only(validate(document), "payment_information.number_of_transactions")
    assert (finding.reason, finding.xpath) == ("AM18", f"{PMTINF}[2]/NbOfTxs")


def test_duplicate_end_to_end_id():
    # Transaction 3 of block A reuses the EndToEndId of transaction 1.
    document = changed(PAIN001_03, b"E2E-INV-2026-0817", b"E2E-INV-2026-0815")
    finding = only(validate(document), "duplicate.end_to_end_id")
    assert finding.reason == "AM05"
    assert finding.xpath == f"{PMTINF}[1]/CdtTrfTxInf[3]/PmtId/EndToEndId"
    assert finding.value == "E2E-INV-2026-0815"


def test_duplicate_across_blocks():
    document = changed(PAIN001_03, b"E2E-RENT-2026-12", b"E2E-INV-2026-0816")
    finding = only(validate(document), "duplicate.end_to_end_id")
    assert (finding.reason, finding.xpath) == ("AM05", f"{PMTINF}[2]/CdtTrfTxInf[1]/PmtId/EndToEndId")


def test_duplicate_payment_information_id():
    document = changed(PAIN001_03, b"MUSTER-PI-20261120-B", b"MUSTER-PI-20261120-A")
    finding = only(validate(document), "duplicate.payment_information_id")
    assert (finding.reason, finding.xpath) == ("AM05", f"{PMTINF}[2]/PmtInfId")


def test_bic_with_an_unknown_country():
    # Right shape (passes the XSD pattern), but "XX" is no country.
    document = changed(PAIN001_03, b"<BIC>PSSTFRPPXXX</BIC>", b"<BIC>PSSTXXPPXXX</BIC>")
    report = validate(document)
    finding = only(report, "bic.country")
    assert finding.reason == "RC01"
    assert finding.xpath == f"{PMTINF}[1]/CdtTrfTxInf[2]/CdtrAgt/FinInstnId/BIC"
    assert [f.rule for f in report.findings] == ["bic.country"]


def test_bic_of_the_wrong_length_in_the_2019_version():
    # 9 characters: the XSD pattern refuses it, and the BIC rule says why.
    document = changed(PAIN001_09, b"<BICFI>GEBABEBB</BICFI>", b"<BICFI>GEBABEBB1</BICFI>")
    report = validate(document)
    xpath = f"{PMTINF}[1]/CdtTrfTxInf[1]/CdtrAgt/FinInstnId/BICFI"
    rc01 = only(report, "bic.format")
    assert (rc01.reason, rc01.xpath) == ("RC01", xpath)
    xsd = only(report, "xsd")
    assert (xsd.xpath, xsd.line) == (xpath, line_of(document, b"<BICFI>GEBABEBB1"))


def test_past_execution_date_with_today():
    report = validate(PAIN001_03, today=date(2026, 11, 24))
    finding = only(report, "execution_date.past")
    assert finding.reason == "DT01"
    # Block A asks for 2026-11-23 (in the past on the 24th); block B for the 25th.
    assert finding.xpath == f"{PMTINF}[1]/ReqdExctnDt"
    assert finding.value == "2026-11-23"


def test_past_execution_date_in_the_2019_version():
    finding = only(validate(PAIN001_09, today=date(2026, 12, 1)), "execution_date.past")
    assert (finding.reason, finding.xpath) == ("DT01", f"{PMTINF}[1]/ReqdExctnDt/Dt")


def test_execution_date_more_than_a_year_ahead():
    finding = only(validate(PAIN001_09, today=date(2025, 11, 1)), "execution_date.too_far")
    assert finding.reason == "DT01"


def test_execution_date_given_as_date_time_is_read_and_judged():
    """pain.001.001.09 makes ReqdExctnDt a choice of Dt and DtTm; both are XSD-valid, so a
    file using DtTm must not lose its execution date (nor escape the DT01 rule)."""
    from datetime import datetime

    from gateway.iso20022 import parse

    document = changed(PAIN001_09, b"<Dt>2026-11-25</Dt>", b"<DtTm>2026-11-25T10:00:00</DtTm>")
    info = parse(document).document.payment_informations[0]
    assert info.requested_execution_date in (date(2026, 11, 25), datetime(2026, 11, 25, 10, 0))
    assert validate(document, today=date(2026, 11, 24)).findings == []
    finding = only(validate(document, today=date(2026, 11, 26)), "execution_date.past")
    assert (finding.reason, finding.xpath) == ("DT01", f"{PMTINF}[1]/ReqdExctnDt/DtTm")


def test_dates_are_not_judged_without_today():
    assert validate(PAIN001_03).findings == []
    assert validate(PAIN001_03, today=date(2026, 11, 23)).findings == []


def test_sepa_character_set_with_the_sepa_profile():
    document = changed(PAIN001_03, b"Buerobedarf Schmidt KG", "Bürobedarf Schmidt KG".encode())
    assert validate(document).findings == []  # the XSD allows any Unicode
    report = validate(document, profile="sepa")
    finding = only(report, "sepa.charset")
    assert finding.reason == "FF01"
    assert finding.xpath == f"{PMTINF}[1]/CdtTrfTxInf[1]/Cdtr/Nm"
    assert finding.extra["position"] == "2" and finding.extra["character"] == "ü"


def test_sepa_identifier_slashes_with_the_sepa_profile():
    document = changed(PAIN001_03, b"<EndToEndId>E2E-INV-2026-0816", b"<EndToEndId>E2E//INV-2026-0816")
    finding = only(validate(document, profile="sepa"), "sepa.identifier")
    assert finding.xpath == f"{PMTINF}[1]/CdtTrfTxInf[2]/PmtId/EndToEndId"


def test_sepa_profile_refuses_other_currencies():
    document = changed(PAIN001_03, b'<InstdAmt Ccy="EUR">420.00</InstdAmt>', b'<InstdAmt Ccy="CHF">420.00</InstdAmt>')
    report = validate(document, profile="sepa")
    finding = only(report, "currency.not_allowed")
    assert finding.reason == "AM03"
    assert finding.xpath == f"{PMTINF}[2]/CdtTrfTxInf[1]/Amt/InstdAmt/@Ccy"


def test_too_many_decimals_for_the_currency():
    document = changed(PAIN001_03, b'<InstdAmt Ccy="EUR">89.90</InstdAmt>', b'<InstdAmt Ccy="EUR">89.905</InstdAmt>')
    report = validate(document)
    finding = only(report, "amount.decimals")
    assert (finding.reason, finding.xpath) == ("AM12", f"{PMTINF}[1]/CdtTrfTxInf[2]/Amt/InstdAmt")


def test_unknown_profile_is_a_typed_error_not_a_crash():
    from gateway.domain.errors import GatewayError
    with pytest.raises(GatewayError):
        validate(PAIN001_03, profile="no-such-profile")


# --------------------------------------------------------------------------- XSD findings


def test_xsd_findings_carry_xpath_and_line():
    document = changed(CAMT053_02, b"<Sts>BOOK</Sts>", b"<Sts>BOOKED</Sts>", 1)
    report = validate(document)
    finding = only(report, "xsd")
    assert finding.reason == "FF01"
    assert finding.severity is Severity.ERROR
    assert finding.xpath == f"{STMT}/Ntry[1]/Sts"
    assert finding.line == line_of(document, b"<Sts>BOOKED")
    assert "BOOKED" in finding.message


def test_missing_mandatory_element_is_located():
    document = changed(PAIN001_03, b"      <PmtMtd>TRF</PmtMtd>\n", b"", 2)
    report = validate(document)
    xsd = [f for f in report.findings if f.rule == "xsd"]
    assert [f.xpath for f in xsd] == [f"{PMTINF}[1]/BtchBookg", f"{PMTINF}[2]/BtchBookg"]
    assert [f.line for f in xsd] == [line_of(document, b"<BtchBookg>true"), line_of(document, b"<BtchBookg>false")]


def test_line_numbers_count_from_the_top_of_the_file():
    document = changed(PAIN001_09, b"<UETR>0f6c1e6c-4a9d-4d32-9b5f-1a2b3c4d5e6f</UETR>", b"<UETR>not-a-uuid</UETR>")
    finding = only(validate(document), "xsd")
    assert finding.xpath == f"{PMTINF}[1]/CdtTrfTxInf[2]/PmtId/UETR"
    assert finding.line == line_of(document, b"<UETR>not-a-uuid")
    assert finding.line > 40  # after the sample's long opening comment


def test_report_to_dict_is_json_ready():
    document = changed(PAIN001_03, b"FR1420041010050500013M02606", b"FR1420041010050500013M02607")
    data = json.loads(json.dumps(validate(document).to_dict()))
    assert data["valid"] is False and data["errors"] == 1
    (finding,) = data["findings"]
    assert finding["reason"] == "AC01"
    assert finding["xpath"] == f"{PMTINF}[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN"


# --------------------------------------------------------------------------- hostile and unusable input

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr></CstmrCdtTrfInitn></Document>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn><GrpHdr><MsgId>&secret;</MsgId></GrpHdr></CstmrCdtTrfInitn></Document>
"""
HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "xxe": XXE,
    "parameter entity": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]><Document/>',
    "plain text": b"Sehr geehrte Damen und Herren, anbei die Zahlungen.",
    "json": json.dumps({"message_id": "X", "payment_informations": []}).encode(),
    "csv": b"iban;amount\nDE89370400440532013000;12.50\n",
    "empty": b"",
    "truncated": PAIN001_03[: len(PAIN001_03) // 2],
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "zip": b"PK\x03\x04\x14\x00\x00\x00",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_unusable_input_is_a_finding(name):
    report = validate(HOSTILE[name])
    assert not report.valid
    assert report.family is None and report.message is None
    assert report.errors
    assert all(f.reason == "FF01" for f in report.errors)


def test_xxe_does_not_leak_the_file():
    report = validate(XXE)
    assert "root:" not in json.dumps(report.to_dict())


def test_non_xml_says_what_it_looks_like():
    (finding,) = validate(HOSTILE["json"]).findings
    assert finding.reason == "FF01"
    assert "JSON" in finding.message


def test_a_missing_file_is_a_finding(tmp_path):
    report = validate(tmp_path / "nowhere.xml")
    assert not report.valid
    assert [f.reason for f in report.findings] == ["FF01"]


PACS008 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">
  <FIToFICstmrCdtTrf>
    <GrpHdr><MsgId>PACS8-1</MsgId><CreDtTm>2026-11-24T10:00:00</CreDtTm><NbOfTxs>1</NbOfTxs>
      <SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>
  </FIToFICstmrCdtTrf>
</Document>
"""
UNSUPPORTED = {
    "pacs.008": PACS008,
    "namespace and element disagree": changed(PAIN001_03, b"xsd:pain.001.001.03", b"xsd:camt.053.001.02"),
    "empty Document": b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
    "not a Document": b"<Invoice><Total>12.50</Total></Invoice>",
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_message_is_a_finding_not_an_exception(name):
    report = validate(UNSUPPORTED[name])
    assert not report.valid
    assert report.errors and all(f.reason == "FF01" for f in report.errors)


# --------------------------------------------------------------------------- statements


def test_statement_whose_balances_do_not_add_up():
    # CLBD 36207.00 instead of 36207.60: 48250.00 + 4310.00 - 16352.40 = 36207.60 (by hand).
    document = changed(CAMT053_02, b'<Amt Ccy="EUR">36207.60</Amt>', b'<Amt Ccy="EUR">36207.00</Amt>')
    report = validate(document)
    assert not report.valid
    finding = only(report, "statement.balance")
    assert finding.xpath == f"{STMT}/Bal[2]/Amt"
    assert finding.value == "36207.00"
    assert Decimal(finding.extra["expected"]) == Decimal("36207.60")
    assert [f.rule for f in report.findings] == ["statement.balance"]


def test_statement_whose_opening_balance_is_wrong():
    # PRCD 48250.10: 48250.10 + 4310.00 - 16352.40 = 36207.70, the file says 36207.60.
    document = changed(CAMT053_02, b'<Amt Ccy="EUR">48250.00</Amt>', b'<Amt Ccy="EUR">48250.10</Amt>')
    finding = only(validate(document), "statement.balance")
    assert Decimal(finding.extra["expected"]) == Decimal("36207.70")


def test_statement_with_a_missing_entry():
    """mock-bank's statement-gap: the last entry is left off, balances stay true; the summary
    is corrected to the entries shown, so only the balance equation notices."""
    start = CAMT053_02.index(b"      <Ntry>\n        <Amt Ccy=\"EUR\">12.50</Amt>")
    end = CAMT053_02.index(b"</Ntry>", start) + len(b"</Ntry>\n")
    document = CAMT053_02[:start] + CAMT053_02[end:]
    # Summary as the bank then writes it: 3 entries, 20649.90, net 12029.90 DBIT, 1 debit 16339.90.
    for old, new in ((b"<NbOfNtries>4</NbOfNtries>", b"<NbOfNtries>3</NbOfNtries>"),
                     (b"<Sum>20662.40</Sum>", b"<Sum>20649.90</Sum>"),
                     (b"<TtlNetNtryAmt>12042.40</TtlNetNtryAmt>", b"<TtlNetNtryAmt>12029.90</TtlNetNtryAmt>"),
                     (b"<NbOfNtries>2</NbOfNtries>\n          <Sum>16352.40</Sum>",
                      b"<NbOfNtries>1</NbOfNtries>\n          <Sum>16339.90</Sum>")):
        document = changed(document, old, new)
    report = validate(document)
    finding = only(report, "statement.balance")
    # 48250.00 + 4310.00 - 16339.90 = 36220.10 expected, the file says 36207.60.
    assert Decimal(finding.extra["expected"]) == Decimal("36220.10")
    assert [f.rule for f in report.findings] == ["statement.balance"]


def test_pending_entries_do_not_move_the_booked_balance():
    pending = b"""      <Ntry>
        <Amt Ccy="EUR">500.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>PDNG</Sts>
        <BkTxCd>
          <Domn>
            <Cd>PMNT</Cd>
            <Fmly>
              <Cd>RCDT</Cd>
              <SubFmlyCd>ESCT</SubFmlyCd>
            </Fmly>
          </Domn>
        </BkTxCd>
      </Ntry>
      <AddtlStmtInf>"""
    document = changed(CAMT053_02, b"      <AddtlStmtInf>", pending)
    start, end = document.index(b"      <TxsSummry>"), document.index(b"</TxsSummry>\n") + len(b"</TxsSummry>\n")
    document = document[:start] + document[end:]
    assert validate(document).findings == []


def test_summary_that_does_not_match_the_entries():
    document = changed(CAMT053_02, b"<NbOfNtries>4</NbOfNtries>", b"<NbOfNtries>5</NbOfNtries>")
    finding = only(validate(document), "summary.number_of_entries")
    assert finding.reason == "AM18"
    assert finding.xpath == f"{STMT}/TxsSummry/TtlNtries/NbOfNtries"
    document = changed(CAMT053_02, b"<Sum>4310.00</Sum>", b"<Sum>4310.01</Sum>")
    finding = only(validate(document), "summary.credit_sum")
    assert (finding.reason, finding.xpath) == ("AM10", f"{STMT}/TxsSummry/TtlCdtNtries/Sum")


def test_duplicate_account_servicer_reference_in_a_statement():
    document = changed(CAMT053_02, b"<AcctSvcrRef>2026112300004</AcctSvcrRef>",
                       b"<AcctSvcrRef>2026112300001</AcctSvcrRef>")
    finding = only(validate(document), "entry.duplicate_account_servicer_reference")
    assert (finding.reason, finding.xpath) == ("AM05", f"{STMT}/Ntry[4]/AcctSvcrRef")


def test_entry_in_a_foreign_currency():
    document = changed(CAMT053_02, b'<Amt Ccy="EUR">12.50</Amt>', b'<Amt Ccy="USD">12.50</Amt>')
    finding = only(validate(document), "entry.currency")
    assert (finding.reason, finding.xpath) == ("AM03", f"{STMT}/Ntry[4]/Amt/@Ccy")


def test_booking_date_outside_the_period_is_a_warning():
    document = changed(CAMT053_02, b"<BookgDt>\n          <Dt>2026-11-23</Dt>",
                       b"<BookgDt>\n          <Dt>2026-11-27</Dt>")
    report = validate(document)
    finding = only(report, "entry.booking_date")
    assert (finding.reason, finding.severity, finding.xpath) == (
        "DT01", Severity.WARNING, f"{STMT}/Ntry[1]/BookgDt/Dt")
    assert report.valid


# --------------------------------------------------------------------------- status reports


def test_status_report_with_a_malformed_reason_code():
    document = changed(PAIN002_03, b"<Cd>AC04</Cd>", b"<Cd>ac4</Cd>")
    report = validate(document)
    finding = only(report, "status.reason_code")
    assert finding.reason == "FF01"
    assert finding.xpath == "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[1]/StsRsnInf[1]/Rsn/Cd"


def test_status_report_rejection_without_any_reason():
    start = PAIN002_03.index(b"        <StsRsnInf>")
    end = PAIN002_03.index(b"</StsRsnInf>\n", start) + len(b"</StsRsnInf>\n")
    document = PAIN002_03[:start] + PAIN002_03[end:]
    report = validate(document)
    assert report.valid
    warnings = [f for f in report.findings if f.rule == "status.rejected_without_reason"]
    assert "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[1]/TxSts" in [f.xpath for f in warnings]
