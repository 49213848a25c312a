"""Files the sandbox refuses as a whole, and files it already has.

A refused file gets a pain.002 with group status RJCT and the reason of what is wrong
(FF01 invalid file format for XSD and unreadable files; AM10 invalid control sum; AM05
duplication), the connector raises DeliveryRefused, and nothing is booked.  A MsgId the
bank already took answers Submission(duplicate=True) and books nothing again."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.connectors.base import DeliveryRefused, NotSupported
from gateway.connectors.sandbox import SandboxConnector
from tests.sandbox.files import Block, Tx, assert_valid, pain001, text, texts
from tests.sandbox.seed import EXTERNAL, PAYEE, PAYER, balances, of_type, send

GOOD = pain001("M-OK", Block("P-1", PAYER, "2026-11-23", (Tx("E-1", "100.00", PAYEE),)))
UNTOUCHED = {"NL91ABNA0417164300": "1000.00", "NL13ABNA1000000001": "50.00"}


def assert_nothing_booked(bank: SandboxConnector) -> None:
    assert {k: v for k, v in balances(bank).items() if k in UNTOUCHED} == UNTOUCHED
    assert of_type(bank, "camt.054") == []


def refusal(bank: SandboxConnector) -> bytes:
    reports = of_type(bank, "pain.002")
    assert len(reports) == 1
    assert_valid(reports[0].body, "pain.002.001.12")
    assert text(reports[0].body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") == "RJCT"
    assert texts(reports[0].body, "CstmrPmtStsRpt/OrgnlPmtInfAndSts") == [], "refused as a whole"
    return reports[0].body


def test_a_file_the_xsd_refuses_is_rejected_ff01(bank: SandboxConnector) -> None:
    broken = GOOD.replace(b"<PmtMtd>TRF</PmtMtd>", b"")  # PmtMtd is mandatory in PmtInf
    with pytest.raises(DeliveryRefused) as refused:
        send(bank, broken)

    assert refused.value.code == "delivery_refused"
    body = refusal(bank)
    assert text(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgId") == "M-OK"
    assert texts(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd") == ["FF01"]
    assert "PmtMtd" in "".join(texts(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf/AddtlInf"))
    assert_nothing_booked(bank)


def test_what_is_not_xml_is_rejected_ff01_under_the_gateways_msgid(bank: SandboxConnector) -> None:
    with pytest.raises(DeliveryRefused):
        send(bank, b"this is not a payment file", message_id="WALLET-MSG-9")

    body = refusal(bank)
    assert text(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgId") == "WALLET-MSG-9"
    assert text(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgNmId") == "pain.001.001.09"
    assert texts(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd") == ["FF01"]
    assert_nothing_booked(bank)


def test_a_wrong_control_sum_is_rejected_am10(bank: SandboxConnector) -> None:
    xml = pain001("M-SUM", Block("P-1", PAYER, "2026-11-23", (Tx("E-1", "100.00", PAYEE),)), ctrl_sum="100.01")
    with pytest.raises(DeliveryRefused, match="AM10"):
        send(bank, xml)

    assert texts(refusal(bank), "CstmrPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd") == ["AM10"]
    assert_nothing_booked(bank)


def test_an_end_to_end_id_used_twice_is_rejected_am05(bank: SandboxConnector) -> None:
    xml = pain001("M-DUP-E2E", Block("P-1", PAYER, "2026-11-23", (Tx("SAME", "1.00", PAYEE),
                                                                   Tx("SAME", "2.00", PAYEE))))
    with pytest.raises(DeliveryRefused):
        send(bank, xml)

    assert texts(refusal(bank), "CstmrPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd") == ["AM05"]
    assert_nothing_booked(bank)


def test_a_version_the_bank_does_not_take_is_rejected_ff01(make_bank) -> None:
    bank = make_bank(pain001=["pain.001.001.09"])
    xml = pain001("M-V3", Block("P-1", PAYER, "2026-11-23", (Tx("E-1", "1.00", PAYEE),)), version="03")
    with pytest.raises(DeliveryRefused):
        send(bank, xml, version="pain.001.001.09")  # the gateway says .09, the file is .03

    body = refusal(bank)
    assert text(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgNmId") == "pain.001.001.03"
    assert texts(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd") == ["FF01"]
    assert_nothing_booked(bank)


def test_a_message_type_outside_the_capabilities_is_not_supported_and_nothing_happens(bank) -> None:
    with pytest.raises(NotSupported) as refused:
        send(bank, GOOD, version="pain.001.001.11")

    assert refused.value.code == "not_supported"
    assert bank.messages() == []


def test_a_refused_file_sent_again_is_refused_again_without_a_second_report(bank: SandboxConnector) -> None:
    broken = GOOD.replace(b"<PmtMtd>TRF</PmtMtd>", b"")
    for _ in range(2):
        with pytest.raises(DeliveryRefused):
            send(bank, broken)

    refusal(bank)  # exactly one pain.002
    assert_nothing_booked(bank)


def test_a_msgid_already_received_is_a_duplicate_and_nothing_books_twice(bank: SandboxConnector) -> None:
    first = send(bank, GOOD)
    again = send(bank, GOOD)
    # The gateway may also render the same MsgId again with another creation time: still the same file.
    rerendered = send(bank, GOOD.replace(b"2026-11-23T09:00:00", b"2026-11-23T09:05:00"))

    assert not first.duplicate
    assert again.duplicate and again.accepted and again.reference == first.reference
    assert rerendered.duplicate
    assert balances(bank)["NL91ABNA0417164300"] == "900.00"  # 1000.00 - 100.00, once
    assert balances(bank)["NL13ABNA1000000001"] == "150.00"  # 50.00 + 100.00, once
    assert [m.family for m in bank.messages()] == ["pain.002", "camt.054", "camt.054"]
    assert len(bank.payments()) == 1


def test_a_duplicate_of_a_future_dated_file_is_not_booked_twice_either(bank: SandboxConnector) -> None:
    xml = pain001("M-LATER", Block("P-1", PAYER, "2026-11-25", (Tx("L-1", "40.00", EXTERNAL),)))
    send(bank, xml)
    assert send(bank, xml).duplicate
    bank.advance(to=date(2026, 11, 25))

    assert balances(bank)["NL91ABNA0417164300"] == "960.00"  # 1000.00 - 40.00, once
    assert len(of_type(bank, "camt.054")) == 1
