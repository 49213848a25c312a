"""A file the sandbox takes: one pain.002 per file, bookings on the bank date, a camt.054 per booking.

Reason codes expected are the ISO 20022 ExternalStatusReason1Code values for each case
(AC01 incorrect account number, AC04 closed account, AM03 currency not allowed, AM04
insufficient funds), as mock-bank and banks send them."""

from __future__ import annotations

from gateway.connectors.sandbox import SandboxConnector
from tests.sandbox.files import Block, Tx, assert_valid, namespace, nodes, pain001, text, texts
from tests.sandbox.seed import CLOSED, EXTERNAL, NOT_HELD, PAYEE, PAYER, POUNDS, balances, of_type, send

EXPECTED_VERSION = {"pain.002": "pain.002.001.12", "camt.054": "camt.054.001.08", "camt.053": "camt.053.001.08"}


def assert_all_valid(bank: SandboxConnector) -> None:
    for message in bank.messages():
        assert message.message == EXPECTED_VERSION[message.family]
        assert_valid(message.body, message.message)


def test_same_day_payments_book_at_once_debit_and_held_credit(bank: SandboxConnector) -> None:
    xml = pain001("M-1", Block("P-1", PAYER, "2026-11-23", (
        Tx("E2E-1", "250.00", EXTERNAL, creditor_name="Elsewhere SA"),
        Tx("E2E-2", "100.00", PAYEE, creditor_name="Payee"))))
    submission = send(bank, xml, "M-1")

    assert submission.accepted and not submission.duplicate and submission.reference
    # PAYER 1000.00 - 250.00 - 100.00 = 650.00; PAYEE 50.00 + 100.00 = 150.00 (the creditor is held here);
    # the 250.00 to France leaves the bank.
    assert balances(bank) == {PAYER: "650.00", PAYEE: "150.00", CLOSED: "0.00", POUNDS: "300.00"}

    families = [m.family for m in bank.messages()]
    assert families == ["pain.002", "camt.054", "camt.054", "camt.054"]  # the status report comes first
    status = of_type(bank, "pain.002")[0].body
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgId") == "M-1"
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgNmId") == "pain.001.001.09"
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlNbOfTxs") == "2"
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlCtrlSum") == "350.00"
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") == "ACCP"
    assert texts(status, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/PmtInfSts") == ["ACCP"]
    assert texts(status, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts/OrgnlEndToEndId") == ["E2E-1", "E2E-2"]
    assert texts(status, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts/TxSts") == ["ACCP", "ACCP"]

    seen = []
    for message in of_type(bank, "camt.054"):
        ntfctn = nodes(message.body, "BkToCstmrDbtCdtNtfctn/Ntfctn")[0]
        entry = nodes(ntfctn, "Ntry")
        assert len(entry) == 1, "one booking per notification"
        seen.append((text(ntfctn, "Acct/Id/IBAN"), text(ntfctn, "Ntry/CdtDbtInd"), text(ntfctn, "Ntry/Amt"),
                     text(ntfctn, "Ntry/Amt/@Ccy"), text(ntfctn, "Ntry/NtryDtls/TxDtls/Refs/EndToEndId")))
        assert message.iban == text(ntfctn, "Acct/Id/IBAN")
        assert text(ntfctn, "Ntry/Sts/Cd") == "BOOK"
        assert text(ntfctn, "Ntry/BookgDt/Dt") == "2026-11-23"
        assert text(ntfctn, "Ntry/NtryDtls/TxDtls/Refs/MsgId") == "M-1"
        assert text(ntfctn, "Ntry/NtryDtls/TxDtls/Refs/PmtInfId") == "P-1"
        assert text(ntfctn, "Ntry/NtryDtls/TxDtls/RltdPties/DbtrAcct/Id/IBAN") == PAYER
        family = "ICDT" if text(ntfctn, "Ntry/CdtDbtInd") == "DBIT" else "RCDT"
        assert texts(ntfctn, "Ntry/BkTxCd/Domn/Cd") + texts(ntfctn, "Ntry/BkTxCd/Domn/Fmly/Cd") \
            + texts(ntfctn, "Ntry/BkTxCd/Domn/Fmly/SubFmlyCd") == ["PMNT", family, "ESCT"]
    assert seen == [(PAYER, "DBIT", "250.00", "EUR", "E2E-1"),
                    (PAYER, "DBIT", "100.00", "EUR", "E2E-2"),
                    (PAYEE, "CRDT", "100.00", "EUR", "E2E-2")]
    assert_all_valid(bank)


def test_each_payment_gets_its_reason_and_the_group_is_partial(bank: SandboxConnector) -> None:
    xml = pain001("M-2",
                  Block("P-A", PAYER, "2026-11-23", (
                      Tx("R-1", "600.00", EXTERNAL),               # fits: 1000.00 -> 400.00
                      Tx("R-2", "500.00", EXTERNAL),               # 500.00 > 400.00: AM04
                      Tx("R-3", "300.00", EXTERNAL),               # smaller, still fits: 400.00 -> 100.00
                      Tx("R-4", "10.00", CLOSED),                  # creditor account held here and closed: AC04
                      Tx("R-5", "10.00", EXTERNAL, currency="GBP"))),  # EUR account, GBP amount: AM03
                  Block("P-B", NOT_HELD, "2026-11-23", (Tx("R-6", "5.00", EXTERNAL),)),   # not our account: AC01
                  Block("P-C", CLOSED, "2026-11-23", (Tx("R-7", "5.00", EXTERNAL),)))     # closed debtor: AC04
    submission = send(bank, xml)

    assert submission.accepted and not submission.duplicate
    assert balances(bank)[PAYER] == "100.00"  # 1000.00 - 600.00 - 300.00
    assert balances(bank)[CLOSED] == "0.00"
    status = of_type(bank, "pain.002")[0].body
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") == "PART"
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlNbOfTxs") == "7"
    # 600 + 500 + 300 + 10 + 10 + 5 + 5
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlCtrlSum") == "1430.00"
    assert texts(status, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/OrgnlPmtInfId") == ["P-A", "P-B", "P-C"]
    assert texts(status, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/PmtInfSts") == ["PART", "RJCT", "RJCT"]
    outcomes = {}
    for tx in nodes(status, "CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts"):
        outcomes[text(tx, "OrgnlEndToEndId")] = (text(tx, "TxSts"), text(tx, "StsRsnInf/Rsn/Cd"))
        if text(tx, "TxSts") == "RJCT":
            assert text(tx, "StsRsnInf/AddtlInf"), "a rejection says why in words"
    assert outcomes == {"R-1": ("ACCP", None), "R-2": ("RJCT", "AM04"), "R-3": ("ACCP", None),
                        "R-4": ("RJCT", "AC04"), "R-5": ("RJCT", "AM03"), "R-6": ("RJCT", "AC01"),
                        "R-7": ("RJCT", "AC04")}
    booked = [(m.iban, text(m.body, "//Ntry/NtryDtls/TxDtls/Refs/EndToEndId")) for m in of_type(bank, "camt.054")]
    assert booked == [(PAYER, "R-1"), (PAYER, "R-3")]
    assert_all_valid(bank)


def test_a_file_whose_payments_are_all_rejected_is_taken_with_group_status_rjct(bank: SandboxConnector) -> None:
    submission = send(bank, pain001("M-3", Block("P-1", PAYER, "2026-11-23", (Tx("X-1", "1000.01", EXTERNAL),))))

    assert submission.accepted  # the bank took the file; its pain.002 rejects the payment
    status = of_type(bank, "pain.002")[0].body
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") == "RJCT"
    assert texts(status, "//TxInfAndSts/StsRsnInf/Rsn/Cd") == ["AM04"]
    assert of_type(bank, "camt.054") == []
    assert balances(bank)[PAYER] == "1000.00"
    assert_all_valid(bank)


def test_pounds_are_booked_on_the_pound_account(bank: SandboxConnector) -> None:
    domestic = "GB38NWBK60161310000001"  # valid GB IBAN at NWBK the sandbox does not hold
    send(bank, pain001("M-4", Block("P-1", POUNDS, "2026-11-23", (
        Tx("G-1", "120.00", EXTERNAL, currency="GBP"), Tx("G-2", "30.50", domestic, currency="GBP")),
        debtor_bic="NWBKGB2L")))

    assert balances(bank)[POUNDS] == "149.50"  # 300.00 - 120.00 - 30.50
    notes = of_type(bank, "camt.054")
    assert [text(m.body, "//Ntry/Amt/@Ccy") for m in notes] == ["GBP", "GBP"]
    # Not SEPA: a cross-border transfer to France, a domestic one within the UK.
    assert [text(m.body, "//Ntry/BkTxCd/Domn/Fmly/SubFmlyCd") for m in notes] == ["XBCT", "DMCT"]
    assert_all_valid(bank)


def test_pain_001_001_03_is_read_too(bank: SandboxConnector) -> None:
    xml = pain001("M-5", Block("P-1", PAYER, "2026-11-23", (Tx("V3-1", "12.34", PAYEE),)), version="03")
    send(bank, xml, version="pain.001.001.03")

    assert balances(bank)[PAYER] == "987.66" and balances(bank)[PAYEE] == "62.34"  # 1000 - 12.34; 50 + 12.34
    status = of_type(bank, "pain.002")[0].body
    assert text(status, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgNmId") == "pain.001.001.03"
    assert_all_valid(bank)


def test_status_reports_in_pain_002_001_03_when_the_bank_file_says_so(make_bank) -> None:
    bank = make_bank(status_report="pain.002.001.03")
    send(bank, pain001("M-6", Block("P-1", PAYER, "2026-11-23", (Tx("S-1", "1.00", EXTERNAL),))))

    status = of_type(bank, "pain.002")[0]
    assert status.message == "pain.002.001.03"
    assert namespace(status.body) == "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
    assert text(status.body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") == "ACCP"
    assert_valid(status.body, "pain.002.001.03")


def test_the_payment_record_keeps_what_the_bank_decided(bank: SandboxConnector) -> None:
    send(bank, pain001("M-7", Block("P-1", PAYER, "2026-11-23", (
        Tx("K-1", "10.00", EXTERNAL), Tx("K-2", "5000.00", EXTERNAL)))))

    assert [(p.end_to_end_id, p.status, p.reason) for p in bank.payments("M-7")] == [
        ("K-1", "booked", None), ("K-2", "rejected", "AM04")]
