"""The ``gateway`` command line, run as a user runs it: a separate process, files and
standard input, exit codes and what is printed.  Built XML is judged independently, with
lxml and the official XSD from the suite's schema store, not with the gateway's own validator."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
XSD = ROOT / "var" / "test-xsd"  # the official XSDs the suite synced (see tests/conftest.py)

PAIN001_03 = DATA / "pain.001" / "epc-sct-pain.001.001.03.xml"
PAIN001_09 = DATA / "pain.001" / "epc-sct-pain.001.001.09.xml"
PAIN002_10 = DATA / "pain.002" / "mock-bank-pain.002.001.10.xml"
CAMT053_02 = DATA / "camt.053" / "dk-camt.053.001.02.xml"


def gateway(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli.main", *map(str, args)], cwd=ROOT,
                          input=stdin, capture_output=True, timeout=300)


def xsd(message: str) -> etree.XMLSchema:
    path = XSD / f"{message}.xsd"
    assert path.is_file(), f"{path} is missing: run `gateway schemas sync` (or `make setup`)"
    return etree.XMLSchema(etree.parse(str(path)))


def assert_schema_valid(xml: bytes, message: str) -> etree._Element:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    schema = xsd(message)
    assert schema.validate(root), schema.error_log
    assert root.tag == f"{{urn:iso:std:iso:20022:tech:xsd:{message}}}Document"
    return root


def write_statements(path: Path, layout: list[int]) -> Path:
    """A camt.053.001.02 with ``layout[k]`` credit entries of 1.00 EUR in statement k."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
             "<GrpHdr><MsgId>CLI-GEN</MsgId><CreDtTm>2026-11-24T06:00:00</CreDtTm></GrpHdr>\n"]
    for s, count in enumerate(layout):
        parts.append(f"<Stmt><Id>CLI-{s}</Id><CreDtTm>2026-11-24T06:00:00</CreDtTm>"
                     "<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>")
        for code, value in (("OPBD", Decimal("10.00")), ("CLBD", Decimal("10.00") + count)):
            parts.append(f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{value}</Amt>"
                         "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-23</Dt></Dt></Bal>")
        for i in range(count):
            parts.append(f"<Ntry><NtryRef>{s}-{i}</NtryRef><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
                         "<Sts>BOOK</Sts><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
                         "</Fmly></Domn></BkTxCd></Ntry>\n")
        parts.append("</Stmt>\n")
    parts.append("</BkToCstmrStmt></Document>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def broken_copy(tmp_path: Path) -> Path:
    """The pain.001.001.03 sample with one IBAN check digit changed (transaction 2)."""
    path = tmp_path / "broken.xml"
    path.write_bytes(PAIN001_03.read_bytes().replace(b"FR1420041010050500013M02606", b"FR1420041010050500013M02607"))
    return path


# --------------------------------------------------------------------------- validate: exit codes


def test_validate_valid_file_exits_0():
    run = gateway("validate", "--no-date-rules", PAIN001_03)
    assert run.returncode == 0, run.stderr
    assert b"valid" in run.stdout


def test_validate_with_warnings_only_exits_0():
    run = gateway("validate", "--no-date-rules", PAIN002_10)
    assert run.returncode == 0, run.stderr
    assert b"WARNING" in run.stdout


def test_validate_several_valid_files_exits_0():
    run = gateway("validate", "--today", "2026-11-20", PAIN001_03, PAIN001_09, CAMT053_02)
    assert run.returncode == 0, run.stdout + run.stderr


def test_validate_with_findings_exits_1(tmp_path):
    run = gateway("validate", "--no-date-rules", broken_copy(tmp_path))
    assert run.returncode == 1
    assert b"AC01" in run.stdout
    assert b"/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN" in run.stdout


def test_validate_past_execution_date_exits_1():
    run = gateway("validate", "--today", "2026-11-24", PAIN001_03)
    assert run.returncode == 1
    assert b"DT01" in run.stdout


def test_validate_sepa_profile_exits_1_on_non_sepa_characters(tmp_path):
    path = tmp_path / "umlaut.xml"
    path.write_bytes(PAIN001_03.read_bytes().replace(b"Buerobedarf", "Bürobedarf".encode()))
    assert gateway("validate", "--no-date-rules", path).returncode == 0
    run = gateway("validate", "--no-date-rules", "--profile", "sepa", path)
    assert run.returncode == 1
    assert b"FF01" in run.stdout


def test_validate_one_bad_file_among_good_ones_exits_1(tmp_path):
    run = gateway("validate", "--no-date-rules", "--json", PAIN001_09, broken_copy(tmp_path))
    assert run.returncode == 1
    reports = json.loads(run.stdout)
    assert [r["valid"] for r in reports] == [True, False]


@pytest.mark.parametrize("content", [
    b"this is not XML at all",
    b'{"message_id": "WALLET-1", "payment_informations": []}',
    b"",
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Document>&e;</Document>',
], ids=["text", "json", "empty", "xxe"])
def test_validate_unusable_input_exits_2(tmp_path, content):
    path = tmp_path / "input.xml"
    path.write_bytes(content)
    run = gateway("validate", path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert b"FF01" in run.stdout
    assert b"Traceback" not in run.stderr


@pytest.mark.parametrize("message", ["pacs.008.001.08"])
def test_validate_unknown_message_exits_2(tmp_path, message):
    root = {"pacs.008.001.08": "FIToFICstmrCdtTrf"}[message]
    path = tmp_path / f"{message}.xml"
    path.write_text(f'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:{message}">'
                    f"<{root}><GrpHdr><MsgId>X-1</MsgId><CreDtTm>2026-11-24T10:00:00</CreDtTm></GrpHdr>"
                    f"</{root}></Document>", encoding="utf-8")
    run = gateway("validate", path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert b"Traceback" not in run.stderr


def test_validate_missing_file_exits_2(tmp_path):
    run = gateway("validate", tmp_path / "nowhere.xml")
    assert run.returncode == 2
    assert b"Traceback" not in run.stderr


@pytest.mark.parametrize("args", [
    ["validate", "--bogus"],
    ["validate", "--today", "24.11.2026", str(PAIN001_03)],
    ["validate", "--profile", "no-such-profile", str(PAIN001_03)],
    ["frobnicate"],
    [],
], ids=["unknown-option", "bad-date", "unknown-profile", "unknown-command", "no-command"])
def test_bad_arguments_exit_2(args):
    run = gateway(*args)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr
    assert b"Traceback" not in run.stderr


# --------------------------------------------------------------------------- validate: output


def test_validate_json_carries_xpath_and_reason(tmp_path):
    run = gateway("validate", "--no-date-rules", "--json", broken_copy(tmp_path))
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert report["valid"] is False
    assert report["message"] == "pain.001.001.03"
    assert report["errors"] == 1
    (finding,) = report["findings"]
    assert finding["reason"] == "AC01"
    assert finding["xpath"] == "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN"
    assert finding["severity"] == "error"


def test_validate_json_of_an_xsd_error_has_a_line(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_bytes(CAMT053_02.read_bytes().replace(b"<Sts>BOOK</Sts>", b"<Sts>BOOKED</Sts>", 1))
    run = gateway("validate", "--json", path)
    assert run.returncode == 1
    (finding,) = [f for f in json.loads(run.stdout)["findings"] if f["rule"] == "xsd"]
    expected_line = path.read_bytes().split(b"<Sts>BOOKED")[0].count(b"\n") + 1
    assert (finding["reason"], finding["line"]) == ("FF01", expected_line)
    assert finding["xpath"] == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Sts"


def test_validate_json_of_non_xml_exits_2_with_a_reason():
    run = gateway("validate", "--json", "-", stdin=b'{"not": "xml"}')
    assert run.returncode == 2
    report = json.loads(run.stdout)
    assert report["valid"] is False
    assert [f["reason"] for f in report["findings"]] == ["FF01"]


def test_validate_reads_stdin_with_dash():
    run = gateway("validate", "--no-date-rules", "-", stdin=PAIN001_09.read_bytes())
    assert run.returncode == 0, run.stdout + run.stderr
    assert b"<stdin>" in run.stdout


def test_validate_reads_stdin_without_a_file_argument(tmp_path):
    run = gateway("validate", "--no-date-rules", "--json", stdin=broken_copy(tmp_path).read_bytes())
    assert run.returncode == 1
    assert json.loads(run.stdout)["source"] == "<stdin>"


# --------------------------------------------------------------------------- parse


def test_parse_payment_file():
    run = gateway("parse", PAIN001_03)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["message"] == "pain.001.001.03"
    assert data["findings"] == []
    document = data["document"]
    assert document["message_id"] == "MUSTER-20261120-001"
    assert (document["number_of_transactions"], document["control_sum"]) == (4, "16759.90")
    blocks = document["payment_informations"]
    assert [b["payment_information_id"] for b in blocks] == ["MUSTER-PI-20261120-A", "MUSTER-PI-20261120-B"]
    ends = [t["end_to_end_id"] for b in blocks for t in b["transactions"]]
    assert ends == ["E2E-INV-2026-0815", "E2E-INV-2026-0816", "E2E-INV-2026-0817", "E2E-RENT-2026-12"]
    amounts = [t["amount"] for b in blocks for t in b["transactions"]]
    assert amounts == [{"value": "1250.00", "currency": "EUR"}, {"value": "89.90", "currency": "EUR"},
                       {"value": "15000.00", "currency": "EUR"}, {"value": "420.00", "currency": "EUR"}]


def test_parse_payment_file_from_stdin():
    run = gateway("parse", "-", stdin=PAIN001_09.read_bytes())
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["message"] == "pain.001.001.09"
    uetrs = [t["uetr"] for t in data["document"]["payment_informations"][0]["transactions"]]
    assert uetrs == ["8a562c67-ca16-48ba-b074-65581be6f011", "0f6c1e6c-4a9d-4d32-9b5f-1a2b3c4d5e6f"]


def test_parse_statement_sample():
    run = gateway("parse", CAMT053_02)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["message"] == "camt.053.001.02"
    assert data["report"]["message_id"] == "053D2026-11-24T06:12:04.0N260000211"
    (statement,) = data["statements"]
    assert [b["type"] for b in statement["balances"]] == ["PRCD", "CLBD", "CLAV"]
    assert [e["amount"]["value"] for e in statement["entries"]] == ["3570.00", "16339.90", "740.00", "12.50"]
    batch = statement["entries"][1]
    assert [t["end_to_end_id"] for t in batch["transactions"]] == [
        "E2E-INV-2026-0815", "E2E-INV-2026-0816", "E2E-INV-2026-0817"]
    assert statement["entries"][2]["transactions"][0]["return_info"]["reason"] == "AC04"
    assert data["findings"] == []


@pytest.mark.parametrize("layout", [[2, 0, 3], [0, 1], [1, 0], [0], [2, 0, 0, 1]],
                         ids=lambda layout: "-".join(map(str, layout)))
def test_parse_streams_statements_in_order_with_empty_ones(tmp_path, layout):
    path = write_statements(tmp_path / "multi.xml", layout)
    run = gateway("parse", path)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)  # the streamed JSON is one valid document
    assert data["message"] == "camt.053.001.02"
    assert data["report"]["message_id"] == "CLI-GEN"
    statements = data["statements"]
    assert [s["identification"] for s in statements] == [f"CLI-{k}" for k in range(len(layout))]
    assert [[e["entry_reference"] for e in s["entries"]] for s in statements] == [
        [f"{k}-{i}" for i in range(count)] for k, count in enumerate(layout)]
    assert [s["balances"][1]["amount"]["value"] for s in statements] == [
        f"{10 + count}.00" for count in layout]
    assert data["findings"] == []


def test_parse_statement_from_stdin(tmp_path):
    path = write_statements(tmp_path / "multi.xml", [1, 0, 2])
    run = gateway("parse", "-", stdin=path.read_bytes())
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [len(s["entries"]) for s in data["statements"]] == [1, 0, 2]


def test_parse_large_statement_is_valid_json(tmp_path):
    path = write_statements(tmp_path / "big.xml", [3000, 0, 2000])
    run = gateway("parse", path)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [len(s["entries"]) for s in data["statements"]] == [3000, 0, 2000]
    assert data["statements"][2]["entries"][-1]["entry_reference"] == "2-1999"


def test_parse_non_xml_exits_2():
    run = gateway("parse", "-", stdin=b"not xml")
    assert run.returncode == 2
    assert run.stderr and b"Traceback" not in run.stderr


# --------------------------------------------------------------------------- build


PAYMENTS = {
    "message_id": "CLI-BUILD-20261124-1",
    "creation_date_time": "2026-11-24T09:30:00+01:00",
    "initiating_party": {"name": "Example Wallet BV"},
    "payment_informations": [{
        "payment_information_id": "CLI-BUILD-PI-1",
        "requested_execution_date": "2026-11-25",
        "service_level": "SEPA",
        "charge_bearer": "SLEV",
        "debtor": {"name": "Example Wallet BV", "postal_address": {"town_name": "Amsterdam", "country": "NL"}},
        "debtor_account": {"iban": "NL20INGB0001234567"},
        "debtor_agent": {"bic": "INGBNL2A"},
        "transactions": [
            {"end_to_end_id": "CLI-E2E-1", "amount": {"value": "1250.00", "currency": "EUR"},
             "creditor": {"name": "Brouwerij Het Anker NV"}, "creditor_account": {"iban": "BE68539007547034"},
             "creditor_agent": {"bic": "GEBABEBB"}, "remittance": {"unstructured": ["Invoice 2026-7781"]}},
            {"end_to_end_id": "CLI-E2E-2", "amount": {"value": "89.90", "currency": "EUR"},
             "creditor": {"name": "Jean Dupont SARL"}, "creditor_account": {"iban": "FR1420041010050500013M02606"},
             "remittance": {"creditor_reference": "RF18539007547034", "creditor_reference_type": "SCOR"}},
            {"end_to_end_id": "CLI-E2E-3", "amount": {"value": "0.10", "currency": "EUR"},
             "creditor": {"name": "Anna Jansen"}, "creditor_account": {"iban": "NL44RABO0123456789"}},
        ],
    }],
}


def test_build_pain001_09_from_json_is_schema_valid():
    run = gateway("build", "--type", "pain.001", "--version", "09", stdin=json.dumps(PAYMENTS).encode())
    assert run.returncode == 0, run.stderr
    root = assert_schema_valid(run.stdout, "pain.001.001.09")
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    # Control figures the gateway had to compute: 3 transactions, 1250.00 + 89.90 + 0.10 = 1340.00.
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3"
    assert Decimal(root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns)) == Decimal("1340.00")
    assert Decimal(root.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:CtrlSum", namespaces=ns)) == Decimal("1340.00")
    assert root.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:ReqdExctnDt/p:Dt", namespaces=ns) == "2026-11-25"
    assert root.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=ns) == "INGBNL2A"
    ends = root.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf/p:PmtId/p:EndToEndId", namespaces=ns)
    assert [e.text for e in ends] == ["CLI-E2E-1", "CLI-E2E-2", "CLI-E2E-3"]
    refs = root.findall(".//p:CdtrRefInf/p:Ref", namespaces=ns)
    assert [r.text for r in refs] == ["RF18539007547034"]


def test_build_pain001_03_from_a_file_is_schema_valid(tmp_path):
    source = tmp_path / "payments.json"
    source.write_text(json.dumps(PAYMENTS), encoding="utf-8")
    run = gateway("build", "--type", "pain.001", "--version", "001.03", "--input", source)
    assert run.returncode == 0, run.stderr
    root = assert_schema_valid(run.stdout, "pain.001.001.03")
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    assert root.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:ReqdExctnDt", namespaces=ns) == "2026-11-25"
    assert root.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=ns) == "INGBNL2A"


def test_built_payment_file_validates_and_parses_back(tmp_path):
    built = gateway("build", "--type", "pain.001", "--version", "09", stdin=json.dumps(PAYMENTS).encode())
    assert built.returncode == 0, built.stderr
    path = tmp_path / "built.xml"
    path.write_bytes(built.stdout)
    assert gateway("validate", "--profile", "sepa", "--today", "2026-11-24", path).returncode == 0
    parsed = json.loads(gateway("parse", path).stdout)
    tx = parsed["document"]["payment_informations"][0]["transactions"]
    assert [(t["end_to_end_id"], t["amount"]["value"]) for t in tx] == [
        ("CLI-E2E-1", "1250.00"), ("CLI-E2E-2", "89.90"), ("CLI-E2E-3", "0.10")]


def test_build_accepts_the_output_of_parse(tmp_path):
    parsed = gateway("parse", PAIN001_03)
    rebuilt = gateway("build", "--type", "pain.001", "--version", "09", stdin=parsed.stdout)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert_schema_valid(rebuilt.stdout, "pain.001.001.09")


LEDGER = {
    "account": {"iban": "DE02120300000000202051", "currency": "EUR", "owner": {"name": "Muster Handels GmbH"}},
    "currency": "EUR",
    "date": "2026-11-23",
    "opening_balance": "-35.20",
    "sequence_number": 12,
    "bookings": [
        {"amount": "1200.00", "credit_debit": "CRDT", "end_to_end_id": "SAL-11-2026", "reference": "L-1",
         "counterparty": {"debtor": {"name": "Kunde Alpha GmbH"}}},
        {"amount": "99.99", "credit_debit": "DBIT", "end_to_end_id": "CARD-4711", "reference": "L-2"},
        {"amount": "1250.00", "credit_debit": "DBIT", "end_to_end_id": "RENT-12-2026", "reference": "L-3",
         "counterparty": {"creditor": {"name": "Hausverwaltung Meier"},
                          "creditor_account": {"iban": "DE44500105175407324931"}}},
    ],
}


def test_build_camt053_02_from_a_ledger():
    run = gateway("build", "--type", "camt.053", "--version", "02", stdin=json.dumps(LEDGER).encode())
    assert run.returncode == 0, run.stderr
    root = assert_schema_valid(run.stdout, "camt.053.001.02")
    ns = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}
    balances = {b.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns):
                (Decimal(b.findtext("c:Amt", namespaces=ns)), b.findtext("c:CdtDbtInd", namespaces=ns))
                for b in root.iterfind(".//c:Bal", namespaces=ns)}
    # By hand: -35.20 + 1200.00 - 99.99 - 1250.00 = -185.19, a debit balance.
    assert balances == {"OPBD": (Decimal("35.20"), "DBIT"), "CLBD": (Decimal("185.19"), "DBIT")}
    entries = root.findall(".//c:Ntry", namespaces=ns)
    assert [(Decimal(e.findtext("c:Amt", namespaces=ns)), e.findtext("c:CdtDbtInd", namespaces=ns))
            for e in entries] == [(Decimal("1200.00"), "CRDT"), (Decimal("99.99"), "DBIT"), (Decimal("1250.00"), "DBIT")]
    ends = [e.findtext(".//c:EndToEndId", namespaces=ns) for e in entries]
    assert ends == ["SAL-11-2026", "CARD-4711", "RENT-12-2026"]
    summary = root.find(".//c:TxsSummry", namespaces=ns)
    # By hand: 3 entries, 1200.00 + 99.99 + 1250.00 = 2549.99; net 1200.00 - 1349.99 = 149.99 DBIT.
    assert summary.findtext("c:TtlNtries/c:NbOfNtries", namespaces=ns) == "3"
    assert Decimal(summary.findtext("c:TtlNtries/c:Sum", namespaces=ns)) == Decimal("2549.99")
    assert Decimal(summary.findtext("c:TtlNtries/c:TtlNetNtryAmt", namespaces=ns)) == Decimal("149.99")
    assert summary.findtext("c:TtlNtries/c:CdtDbtInd", namespaces=ns) == "DBIT"


def test_built_statement_validates_and_parses(tmp_path):
    run = gateway("build", "--type", "camt.053", "--version", "02", stdin=json.dumps(LEDGER).encode())
    path = tmp_path / "statement.xml"
    path.write_bytes(run.stdout)
    check = gateway("validate", "--json", path)
    assert check.returncode == 0, check.stdout
    assert json.loads(check.stdout)["findings"] == []
    data = json.loads(gateway("parse", path).stdout)
    (statement,) = data["statements"]
    assert [e["amount"]["value"] for e in statement["entries"]] == ["1200.00", "99.99", "1250.00"]
    assert statement["balances"][1] == {"type": "CLBD", "amount": {"value": "185.19", "currency": "EUR"},
                                        "credit_debit": "DBIT", "date": "2026-11-23"}


def test_build_camt053_08_from_the_same_ledger():
    run = gateway("build", "--type", "camt.053", "--version", "08", stdin=json.dumps(LEDGER).encode())
    assert run.returncode == 0, run.stderr
    root = assert_schema_valid(run.stdout, "camt.053.001.08")
    ns = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
    assert [s.findtext("c:Cd", namespaces=ns) for s in root.iterfind(".//c:Ntry/c:Sts", namespaces=ns)] == ["BOOK"] * 3


@pytest.mark.parametrize("payload", [b"{not json", b"", b"\xff\xfe garbage"], ids=["syntax", "empty", "binary"])
def test_build_invalid_json_exits_2_with_a_message(payload):
    run = gateway("build", "--type", "pain.001", "--version", "09", stdin=payload)
    assert run.returncode == 2
    assert run.stdout == b""
    assert run.stderr.startswith(b"gateway build:") and b"JSON" in run.stderr
    assert b"Traceback" not in run.stderr


@pytest.mark.parametrize("payload", [
    {"message_id": 5},
    [],
    {**PAYMENTS, "payment_informations": [{**PAYMENTS["payment_informations"][0], "surprise": 1}]},
    {**PAYMENTS, "payment_informations": [{**PAYMENTS["payment_informations"][0],
                                           "transactions": [{"end_to_end_id": "X", "amount": {"value": 12.5, "currency": "EUR"}}]}]},
], ids=["wrong-type", "not-an-object", "unknown-field", "float-amount"])
def test_build_json_of_the_wrong_shape_exits_2_naming_the_field(payload):
    run = gateway("build", "--type", "pain.001", "--version", "09", stdin=json.dumps(payload).encode())
    assert run.returncode == 2
    assert run.stdout == b""
    assert run.stderr and b"Traceback" not in run.stderr


def test_build_a_ledger_with_a_bad_booking_exits_2():
    ledger = {**LEDGER, "bookings": [{"amount": "-5.00", "credit_debit": "CRDT"}]}
    run = gateway("build", "--type", "camt.053", "--version", "02", stdin=json.dumps(ledger).encode())
    assert run.returncode == 2
    assert run.stderr and b"Traceback" not in run.stderr


def test_build_that_would_break_the_xsd_exits_2():
    # 36 characters: MsgId is Max35Text.
    payload = {**PAYMENTS, "message_id": "X" * 36}
    run = gateway("build", "--type", "pain.001", "--version", "09", stdin=json.dumps(payload).encode())
    assert run.returncode == 2
    assert run.stdout == b""
    assert b"MsgId" in run.stderr


@pytest.mark.parametrize("args", [
    ["build", "--type", "pain.001", "--version", "9x"],
    ["build", "--type", "pain.009", "--version", "09"],
    ["build", "--version", "09"],
], ids=["bad-version", "unknown-type", "missing-type"])
def test_build_bad_arguments_exit_2(args):
    run = gateway(*args, stdin=json.dumps(PAYMENTS).encode())
    assert run.returncode == 2
    assert b"Traceback" not in run.stderr
