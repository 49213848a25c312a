"""Hand-written sample files (tests/data/<message>/) read and validated by the gateway.

Every sample carries, in its opening comment, the public document its facts come from.
The expected values below were transcribed by hand from those files (amounts, counts,
references, codes) and the sums were computed by hand; none was copied from the
gateway's output."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.domain import ReportKind, Severity
from gateway.iso20022 import parse, read_report, validate

DATA = Path(__file__).resolve().parents[1] / "data"

PAIN001_03 = DATA / "pain.001" / "epc-sct-pain.001.001.03.xml"
PAIN001_09 = DATA / "pain.001" / "epc-sct-pain.001.001.09.xml"
PAIN002_03 = DATA / "pain.002" / "epc-reject-pain.002.001.03.xml"
PAIN002_10 = DATA / "pain.002" / "mock-bank-pain.002.001.10.xml"
PACS004_09 = DATA / "pacs.004" / "mock-bank-pacs.004.001.09.xml"
CAMT053_02 = DATA / "camt.053" / "dk-camt.053.001.02.xml"
CAMT053_08 = DATA / "camt.053" / "iso-mdr-camt.053.001.08.xml"
CAMT054_08 = DATA / "camt.054" / "six-camt.054.001.08.xml"

SAMPLES = sorted(DATA.glob("*/*.xml"))
REPORT_SAMPLES = [CAMT053_02, CAMT053_08, CAMT054_08]
CET = timezone(timedelta(hours=1))


def test_the_sample_set_is_complete():
    names = {p.relative_to(DATA).as_posix() for p in SAMPLES}
    assert {
        "pain.001/epc-sct-pain.001.001.03.xml", "pain.001/epc-sct-pain.001.001.09.xml",
        "pain.002/epc-reject-pain.002.001.03.xml", "pain.002/mock-bank-pain.002.001.10.xml",
        "camt.053/dk-camt.053.001.02.xml", "camt.053/iso-mdr-camt.053.001.08.xml",
        "camt.054/six-camt.054.001.08.xml",
    } <= names


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_names_its_source(path: Path):
    head = path.read_text(encoding="utf-8")[:4000]
    assert head.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!--')
    comment = head[head.index("<!--"):head.index("-->")]
    assert "Source of the facts" in comment and "mine" in comment


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_validates_without_errors(path: Path):
    report = validate(path)
    assert report.errors == []
    assert report.valid
    assert report.message is not None and str(report.message) in path.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_parses_without_errors(path: Path):
    parsed = parse(path)
    assert [f for f in parsed.findings if f.is_error] == []
    assert str(parsed.message) in path.name


@pytest.mark.parametrize("path", [PAIN001_03, PAIN001_09], ids=lambda p: p.name)
def test_payment_samples_keep_the_sepa_rules(path: Path):
    assert validate(path, profile="sepa").findings == []


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_schema_checked_samples_have_no_findings_at_all(path: Path):
    findings = validate(path).findings
    if path in (PAIN002_10, PACS004_09):
        # No pain.002.001.10 or pacs.004.001.09 XSD in the catalog: a warning says so, nothing else.
        assert [f.rule for f in findings] == ["schema.unavailable"]
        assert findings[0].severity is Severity.WARNING
    elif path == PAIN002_03:
        # The EPC reject gives its reason at transaction level only.
        assert all(f.severity is not Severity.ERROR for f in findings)
    else:
        assert findings == []


# --------------------------------------------------------------------------- pain.001


def test_pain001_03_group_header_and_control_figures():
    batch = parse(PAIN001_03).document
    assert batch.message_id == "MUSTER-20261120-001"
    assert batch.creation_date_time == datetime(2026, 11, 20, 10, 15, 30)
    assert batch.initiating_party.name == "Muster Handels GmbH"
    assert batch.number_of_transactions == 4
    assert batch.control_sum == Decimal("16759.90")
    a, b = batch.payment_informations
    assert (a.payment_information_id, a.number_of_transactions, a.control_sum) == (
        "MUSTER-PI-20261120-A", 3, Decimal("16339.90"))
    assert (b.payment_information_id, b.number_of_transactions, b.control_sum) == (
        "MUSTER-PI-20261120-B", 1, Decimal("420.00"))
    # Hand sums: 1250.00 + 89.90 + 15000.00 = 16339.90; + 420.00 = 16759.90.
    assert sum((t.amount.value for t in a.transactions), Decimal(0)) == Decimal("16339.90")
    assert sum((t.amount.value for t in batch.transactions), Decimal(0)) == Decimal("16759.90")


def test_pain001_03_payment_information_blocks():
    a, b = parse(PAIN001_03).document.payment_informations
    assert a.batch_booking is True and b.batch_booking is False
    assert (a.payment_method, a.service_level, a.charge_bearer) == ("TRF", "SEPA", "SLEV")
    assert a.requested_execution_date == date(2026, 11, 23)
    assert b.requested_execution_date == date(2026, 11, 25)
    assert a.debtor.name == "Muster Handels GmbH"
    assert a.debtor_account.iban == "DE02120300000000202051"
    assert a.debtor_agent.bic == "BYLADEM1001"


def test_pain001_03_transactions():
    batch = parse(PAIN001_03).document
    rows = [(t.instruction_id, t.end_to_end_id, t.amount.value, t.amount.currency,
             t.creditor.name, t.creditor_account.iban,
             t.creditor_agent.bic if t.creditor_agent else None) for t in batch.transactions]
    assert rows == [
        ("INSTR-0001", "E2E-INV-2026-0815", Decimal("1250.00"), "EUR", "Buerobedarf Schmidt KG",
         "DE89370400440532013000", "COBADEFFXXX"),
        ("INSTR-0002", "E2E-INV-2026-0816", Decimal("89.90"), "EUR", "Jean Dupont SARL",
         "FR1420041010050500013M02606", "PSSTFRPPXXX"),
        ("INSTR-0003", "E2E-INV-2026-0817", Decimal("15000.00"), "EUR", "Gebroeders de Vries BV",
         "NL91ABNA0417164300", None),
        (None, "E2E-RENT-2026-12", Decimal("420.00"), "EUR", "Hausverwaltung Meier",
         "DE44500105175407324931", None),
    ]
    first, second, third, fourth = batch.transactions
    assert first.remittance.unstructured == ("Rechnung 2026-0815 vom 02.11.2026",)
    assert second.remittance.unstructured == ()
    assert (second.remittance.creditor_reference, second.remittance.creditor_reference_type) == (
        "RF18539007547034", "SCOR")
    assert third.remittance.unstructured == ("Factuur 2026-114",)
    assert fourth.remittance.unstructured == ("Miete Dezember 2026",)


def test_pain001_09_shapes_of_the_2019_set():
    batch = parse(PAIN001_09).document
    assert batch.message_id == "NL-WALLET-20261124-0001"
    assert batch.creation_date_time == datetime(2026, 11, 24, 8, 0, tzinfo=CET)
    assert (batch.number_of_transactions, batch.control_sum) == (2, Decimal("2537.45"))
    (info,) = batch.payment_informations
    assert info.requested_execution_date == date(2026, 11, 25)
    assert info.debtor_agent.bic == "INGBNL2A"
    assert info.category_purpose == "SUPP"
    assert (info.debtor.postal_address.town_name, info.debtor.postal_address.country) == ("Amsterdam", "NL")
    first, second = info.transactions
    assert (first.end_to_end_id, first.uetr, first.amount.value) == (
        "WLT-PAYOUT-000101", "8a562c67-ca16-48ba-b074-65581be6f011", Decimal("2500.00"))
    assert (second.end_to_end_id, second.uetr, second.amount.value) == (
        "WLT-PAYOUT-000102", "0f6c1e6c-4a9d-4d32-9b5f-1a2b3c4d5e6f", Decimal("37.45"))
    assert first.creditor_agent.bic == "GEBABEBB"
    address = first.creditor.postal_address
    assert (address.street_name, address.building_number, address.post_code, address.town_name,
            address.country) == ("Guido Gezellelaan", "49", "2800", "Mechelen", "BE")
    assert second.creditor_account.iban == "NL44RABO0123456789"
    # Hand sum: 2500.00 + 37.45 = 2537.45.
    assert first.amount.value + second.amount.value == Decimal("2537.45")


# --------------------------------------------------------------------------- pain.002


def test_pain002_03_epc_reject():
    report = parse(PAIN002_03).document
    assert report.message_id == "BYLA-P002-20261125-0042"
    assert (report.original_message_id, report.original_message_name_id) == (
        "MUSTER-20261120-001", "pain.001.001.03")
    assert (report.original_number_of_transactions, report.original_control_sum) == (4, Decimal("16759.90"))
    assert report.group_status == "PART"
    assert report.group_reasons == ()
    (block,) = report.payment_informations
    assert (block.original_payment_information_id, block.status) == ("MUSTER-PI-20261120-B", "RJCT")
    assert (block.original_number_of_transactions, block.original_control_sum) == (1, Decimal("420.00"))
    (tx,) = block.transactions
    assert (tx.status_id, tx.original_end_to_end_id, tx.status) == ("BYLA-RJCT-000917", "E2E-RENT-2026-12", "RJCT")
    (reason,) = tx.reasons
    assert (reason.code, reason.additional_info) == ("AC04", ("Account closed",))
    assert (tx.original_amount.value, tx.original_amount.currency) == (Decimal("420.00"), "EUR")


def test_pain002_03_answers_the_pain001_sample():
    """The reject names a transaction of the pain.001 sample by its EndToEndId, block and amount."""
    batch = parse(PAIN001_03).document
    report = parse(PAIN002_03).document
    assert report.original_message_id == batch.message_id
    block = report.payment_informations[0]
    original = next(p for p in batch.payment_informations
                    if p.payment_information_id == block.original_payment_information_id)
    (rejected,) = original.transactions
    assert rejected.end_to_end_id == block.transactions[0].original_end_to_end_id
    assert rejected.amount == block.transactions[0].original_amount


def test_pain002_10_mock_bank_status_report():
    parsed = parse(PAIN002_10)
    assert str(parsed.message) == "pain.002.001.10"
    report = parsed.document
    assert report.message_id == "MB-P002-000007"
    assert report.creation_date_time == datetime(2026, 11, 24, 9, 0, 6, tzinfo=timezone.utc)
    assert (report.original_message_id, report.original_message_name_id) == (
        "NL-WALLET-20261124-0001", "pain.001.001.09")
    assert (report.original_number_of_transactions, report.original_control_sum) == (2, Decimal("2537.45"))
    assert report.group_status == "PART"
    (block,) = report.payment_informations
    assert (block.original_payment_information_id, block.status) == ("PI-20261124-01", "PART")
    assert [(t.original_end_to_end_id, t.status, tuple(r.code for r in t.reasons))
            for t in block.transactions] == [
        ("WLT-PAYOUT-000101", "ACCP", ()),
        ("WLT-PAYOUT-000102", "RJCT", ("AC04",)),
    ]
    assert block.transactions[1].reasons[0].additional_info == (
        "the creditor account NL44RABO0123456789 is closed",)
    assert [f.rule for f in parsed.findings] == ["schema.unavailable"]


# --------------------------------------------------------------------------- camt.053.001.02


def _dk_statement():
    report, findings = read_report(CAMT053_02)
    assert findings == []
    (statement,) = report.statements
    return report, statement


def test_camt053_02_header_and_account():
    report, statement = _dk_statement()
    assert report.kind is ReportKind.STATEMENT
    assert report.message_id == "053D2026-11-24T06:12:04.0N260000211"
    assert statement.identification == "0000202051EUR20261123211"
    assert (statement.electronic_sequence_number, statement.legal_sequence_number) == (211, 211)
    assert statement.from_date_time == datetime(2026, 11, 23, 0, 0, tzinfo=CET)
    assert statement.account.iban == "DE02120300000000202051"
    assert statement.account.currency == "EUR"
    assert statement.account.owner.name == "Muster Handels GmbH"
    assert statement.account.servicer.bic == "BYLADEM1001"
    assert statement.additional_info == "Kontoauszug 211/2026"


def test_camt053_02_balances_and_summary():
    _, statement = _dk_statement()
    assert [(b.type, b.amount.value, b.amount.currency, b.credit_debit, b.date) for b in statement.balances] == [
        ("PRCD", Decimal("48250.00"), "EUR", "CRDT", date(2026, 11, 20)),
        ("CLBD", Decimal("36207.60"), "EUR", "CRDT", date(2026, 11, 23)),
        ("CLAV", Decimal("36207.60"), "EUR", "CRDT", date(2026, 11, 23)),
    ]
    summary = statement.summary
    assert (summary.number_of_entries, summary.sum) == (4, Decimal("20662.40"))
    assert (summary.net_amount, summary.net_credit_debit) == (Decimal("12042.40"), "DBIT")
    assert (summary.credit_entries, summary.credit_sum) == (2, Decimal("4310.00"))
    assert (summary.debit_entries, summary.debit_sum) == (2, Decimal("16352.40"))


def test_camt053_02_balances_add_up():
    _, statement = _dk_statement()
    credits = sum((e.amount.value for e in statement.entries if e.credit_debit == "CRDT"), Decimal(0))
    debits = sum((e.amount.value for e in statement.entries if e.credit_debit == "DBIT"), Decimal(0))
    # By hand: credits 3570.00 + 740.00 = 4310.00; debits 16339.90 + 12.50 = 16352.40.
    assert credits == Decimal("4310.00")
    assert debits == Decimal("16352.40")
    # By hand: 48250.00 + 4310.00 - 16352.40 = 36207.60.
    opening, closing = statement.balance("PRCD"), statement.balance("CLBD")
    assert opening.signed + credits - debits == closing.signed == Decimal("36207.60")


def test_camt053_02_entries():
    _, statement = _dk_statement()
    rows = [(e.amount.value, e.credit_debit, e.status, e.booking_date, e.account_servicer_reference,
             (e.bank_transaction_code.domain, e.bank_transaction_code.family, e.bank_transaction_code.sub_family),
             (e.bank_transaction_code.proprietary, e.bank_transaction_code.proprietary_issuer),
             len(e.transactions)) for e in statement.entries]
    day = date(2026, 11, 23)
    assert rows == [
        (Decimal("3570.00"), "CRDT", "BOOK", day, "2026112300001", ("PMNT", "RCDT", "ESCT"), ("NTRF+166", "DK"), 1),
        (Decimal("16339.90"), "DBIT", "BOOK", day, "2026112300002", ("PMNT", "ICDT", "ESCT"), ("NTRF+191", "DK"), 3),
        (Decimal("740.00"), "CRDT", "BOOK", day, "2026112300003", ("PMNT", "ICDT", "RRTN"), ("NRTI+159", "DK"), 1),
        (Decimal("12.50"), "DBIT", "BOOK", day, "2026112300004", ("ACMT", "MDOP", "CHRG"), ("NCHG+805", "DK"), 0),
    ]
    incoming = statement.entries[0].transactions[0]
    assert incoming.end_to_end_id == "RE-2026-4471"
    assert incoming.debtor.name == "Kunde Alpha GmbH"
    assert incoming.debtor_account.iban == "DE89370400440532013000"
    assert incoming.debtor_agent.bic == "COBADEFFXXX"
    assert incoming.remittance.unstructured == ("RE-2026-4471 Kd-Nr 10023",)
    assert statement.entries[3].additional_info == "ENTGELT KONTOFUEHRUNG 11/2026"


def test_camt053_02_batch_booked_entry_lists_every_payment():
    _, statement = _dk_statement()
    batch = statement.entries[1]
    assert batch.end_to_end_ids == ("E2E-INV-2026-0815", "E2E-INV-2026-0816", "E2E-INV-2026-0817")
    assert [(t.message_id, t.payment_information_id, t.instruction_id) for t in batch.transactions] == [
        ("MUSTER-20261120-001", "MUSTER-PI-20261120-A", "INSTR-0001"),
        ("MUSTER-20261120-001", "MUSTER-PI-20261120-A", "INSTR-0002"),
        ("MUSTER-20261120-001", "MUSTER-PI-20261120-A", "INSTR-0003"),
    ]
    assert [t.amount.value for t in batch.transactions] == [Decimal("1250.00"), Decimal("89.90"), Decimal("15000.00")]
    assert [t.creditor.name for t in batch.transactions] == [
        "Buerobedarf Schmidt KG", "Jean Dupont SARL", "Gebroeders de Vries BV"]
    assert batch.transactions[1].remittance.creditor_reference == "RF18539007547034"
    # By hand: 1250.00 + 89.90 + 15000.00 = 16339.90, the entry's amount.
    assert sum((t.amount.value for t in batch.transactions), Decimal(0)) == batch.amount.value


def test_camt053_02_batch_reconciles_with_the_pain001_sample():
    _, statement = _dk_statement()
    block_a = parse(PAIN001_03).document.payment_informations[0]
    booked = statement.entries[1]
    assert booked.end_to_end_ids == tuple(t.end_to_end_id for t in block_a.transactions)
    assert booked.amount.value == block_a.control_sum


def test_camt053_02_returned_payment():
    _, statement = _dk_statement()
    (tx,) = statement.entries[2].transactions
    assert tx.end_to_end_id == "E2E-SUPP-2026-0777"
    assert tx.creditor.name == "Schreinerei Holzwurm e.K."
    assert tx.creditor_account.iban == "DE75512108001245126199"
    returned = tx.return_info
    assert returned.reason == "AC04"
    assert returned.additional_info == ("KONTO AUFGELOEST",)
    code = returned.original_bank_transaction_code
    assert (code.domain, code.family, code.sub_family) == ("PMNT", "ICDT", "ESCT")


# --------------------------------------------------------------------------- camt.053.001.08


def test_camt053_08_iso_business_example():
    report, findings = read_report(CAMT053_08)
    assert findings == []
    assert report.message_id == "AAAASESS-FP-STAT001"
    assert report.creation_date_time == datetime(2010, 10, 18, 17, 0, tzinfo=CET)
    (statement,) = report.statements
    assert statement.identification == "AAAASESS-FP-STAT001"
    assert statement.account.other_id == "50000000054910000003"
    assert statement.account.iban is None
    assert statement.account.owner.name == "FINPETROL"
    assert statement.account.servicer.bic == "AAAASESS"
    assert [(b.type, b.amount.value, b.amount.currency, b.credit_debit) for b in statement.balances] == [
        ("OPBD", Decimal("500000"), "SEK", "CRDT"), ("CLBD", Decimal("435678.50"), "SEK", "CRDT")]
    assert [(e.amount.value, e.credit_debit, e.status, e.account_servicer_reference) for e in statement.entries] == [
        (Decimal("105678.50"), "CRDT", "BOOK", "AAAASESS-FP-CN_98765/01"),
        (Decimal("200000"), "DBIT", "BOOK", "AAAASESS-FP-ACCR-01"),
        (Decimal("30000"), "CRDT", "BOOK", "AAAASESS-FP-CONF-FX"),
    ]
    first, batch, fx = statement.entries
    assert first.booking_date is None
    assert first.booking_date_time == datetime(2010, 10, 18, 13, 15, tzinfo=CET)
    assert first.value_date == date(2010, 10, 18)
    assert first.end_to_end_ids == ("MUELL/FINP/RA12345",)
    assert first.transactions[0].debtor.name == "MUELLER"
    assert batch.end_to_end_ids == ("FINP-SAL-1018-01", "FINP-SAL-1018-02")
    assert [t.amount.value for t in batch.transactions] == [Decimal("150000"), Decimal("50000")]
    assert [t.credit_debit for t in batch.transactions] == ["DBIT", "DBIT"]
    assert [t.creditor.name for t in batch.transactions] == ["NORDIC DRILLING AB", "TANKER LOGISTICS AB"]
    assert fx.end_to_end_ids == ("AAAASS1085FINPSS",)
    assert (fx.bank_transaction_code.domain, fx.bank_transaction_code.family) == ("FORX", "SPOT")
    summary = statement.summary
    assert (summary.number_of_entries, summary.sum, summary.net_amount, summary.net_credit_debit) == (
        3, Decimal("335678.50"), Decimal("64321.50"), "DBIT")


def test_camt053_08_balances_add_up():
    (statement,) = read_report(CAMT053_08)[0].statements
    credits = sum((e.amount.value for e in statement.entries if e.credit_debit == "CRDT"), Decimal(0))
    debits = sum((e.amount.value for e in statement.entries if e.credit_debit == "DBIT"), Decimal(0))
    # By hand: credits 105678.50 + 30000 = 135678.50, debits 200000,
    # 500000 + 135678.50 - 200000 = 435678.50.
    assert (credits, debits) == (Decimal("135678.50"), Decimal("200000"))
    assert statement.balance("OPBD").signed + credits - debits == statement.balance("CLBD").signed
    assert statement.balance("CLBD").signed == Decimal("435678.50")


# --------------------------------------------------------------------------- camt.054.001.08


def test_camt054_08_swiss_qr_credit_notification():
    report, findings = read_report(CAMT054_08)
    assert findings == []
    assert report.kind is ReportKind.NOTIFICATION
    assert report.message_id == "CAMT054-20261124-000815"
    (notification,) = report.statements
    assert notification.identification == "CAMT054-20261124-000815-1"
    assert notification.account.iban == "CH4431999123000889012"
    assert notification.account.currency == "CHF"
    assert notification.account.owner.name == "Robert Schneider AG"
    assert notification.balances == ()
    (entry,) = notification.entries
    assert (entry.entry_reference, entry.amount.value, entry.amount.currency, entry.credit_debit, entry.status) == (
        "CH4431999123000889012-20261124-1", Decimal("3949.75"), "CHF", "CRDT", "BOOK")
    code = entry.bank_transaction_code
    assert (code.domain, code.family, code.sub_family) == ("PMNT", "RCDT", "VCOM")
    assert [(t.account_servicer_reference, t.amount.value, t.debtor.name, t.remittance.creditor_reference)
            for t in entry.transactions] == [
        ("1126CSC-QRR-000815-01", Decimal("1949.75"), "Pia-Maria Rutschmann-Schnyder", "210000000003139471430009017"),
        ("1126CSC-QRR-000815-02", Decimal("2000.00"), "Simon Muster", "000000000000000000000123457"),
    ]
    assert entry.end_to_end_ids == ("NOTPROVIDED", "NOTPROVIDED")
    # By hand: 1949.75 + 2000.00 = 3949.75.
    assert sum((t.amount.value for t in entry.transactions), Decimal(0)) == entry.amount.value
    assert notification.summary.credit_sum == Decimal("3949.75")


# --------------------------------------------------------------------------- streamed = whole


@pytest.mark.parametrize("path", REPORT_SAMPLES, ids=lambda p: p.name)
def test_streamed_report_equals_the_parsed_one(path: Path):
    report, findings = read_report(path)
    parsed = parse(path)
    assert report == parsed.document
    assert findings == parsed.findings == []


@pytest.mark.parametrize("path", REPORT_SAMPLES, ids=lambda p: p.name)
def test_report_samples_stream_with_schema_validation(path: Path):
    report, findings = read_report(path, schema_validation=True)
    assert findings == []
    assert report == parse(path).document
