"""The bank date: statements when a business day ends, future-dated payments when their day comes.

The bank date starts on Monday 2026-11-23.  A day's camt.053 is issued when the clock passes
that day's end (as mock-bank does), one per open account per business day, empty days
included; Saturdays, Sundays and listed holidays get none.  Every balance below is
computed by hand from the seed balances (tests/sandbox/seed.py)."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.connectors.sandbox import ClockBackwards, SandboxConnector, SandboxError
from tests.sandbox.files import Block, Tx, assert_valid, nodes, pain001, text, texts
from tests.sandbox.seed import CLOSED, EXTERNAL, PAYEE, PAYER, POUNDS, balances, of_type, send

MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, d) for d in range(23, 30))
NEXT_MON = date(2026, 11, 30)


def statement(bank: SandboxConnector, iban: str, day: date) -> bytes:
    found = of_type(bank, "camt.053", iban=iban, bank_date=day)
    assert len(found) == 1, f"{len(found)} statements for {iban} on {day}"
    assert_valid(found[0].body, "camt.053.001.08")
    return found[0].body


def balance(body: bytes, code: str) -> tuple[str | None, str | None, str | None]:
    for bal in nodes(body, "BkToCstmrStmt/Stmt/Bal"):
        if text(bal, "Tp/CdOrPrtry/Cd") == code:
            return text(bal, "Amt"), text(bal, "CdtDbtInd"), text(bal, "Dt/Dt")
    return None, None, None


def summary(body: bytes) -> dict[str, str | None]:
    base = "BkToCstmrStmt/Stmt/TxsSummry/"
    return {"entries": text(body, base + "TtlNtries/NbOfNtries"), "sum": text(body, base + "TtlNtries/Sum"),
            "net": text(body, base + "TtlNtries/TtlNetNtry/Amt"),
            "net_side": text(body, base + "TtlNtries/TtlNetNtry/CdtDbtInd"),
            "credits": text(body, base + "TtlCdtNtries/NbOfNtries"),
            "debits": text(body, base + "TtlDbtNtries/NbOfNtries"),
            "debit_sum": text(body, base + "TtlDbtNtries/Sum")}


def test_each_business_day_that_ends_gives_every_open_account_its_statement(bank: SandboxConnector) -> None:
    send(bank, pain001("M-1", Block("P-1", PAYER, "2026-11-23", (
        Tx("E2E-1", "250.00", EXTERNAL), Tx("E2E-2", "100.00", PAYEE)))))
    assert of_type(bank, "camt.053") == [], "no statement before the day ends"

    report = bank.advance(days=1)

    assert (report.from_date, report.to_date, report.closed_days, report.statements) == (MON, TUE, (MON,), 3)
    assert bank.bank_date() == TUE
    assert {m.iban for m in of_type(bank, "camt.053")} == {PAYER, PAYEE, POUNDS}  # the closed account gets none

    payer = statement(bank, PAYER, MON)
    assert text(payer, "BkToCstmrStmt/Stmt/Acct/Id/IBAN") == PAYER
    assert text(payer, "BkToCstmrStmt/Stmt/ElctrncSeqNb") == "1"
    assert balance(payer, "OPBD") == ("1000.00", "CRDT", "2026-11-23")
    assert balance(payer, "CLBD") == ("650.00", "CRDT", "2026-11-23")   # 1000.00 - 250.00 - 100.00
    assert summary(payer) == {"entries": "2", "sum": "350.00", "net": "350.00", "net_side": "DBIT",
                              "credits": "0", "debits": "2", "debit_sum": "350.00"}
    entries = nodes(payer, "BkToCstmrStmt/Stmt/Ntry")
    assert [(text(e, "Amt"), text(e, "CdtDbtInd"), text(e, "NtryDtls/TxDtls/Refs/EndToEndId"),
             text(e, "NtryDtls/TxDtls/Refs/MsgId"), text(e, "NtryDtls/TxDtls/Refs/PmtInfId")) for e in entries] == [
        ("250.00", "DBIT", "E2E-1", "M-1", "P-1"), ("100.00", "DBIT", "E2E-2", "M-1", "P-1")]
    # The statement entry and the notification of the same booking carry the same bank reference.
    notified = {text(m.body, "//Ntry/NtryDtls/TxDtls/Refs/EndToEndId"): text(m.body, "//Ntry/AcctSvcrRef")
                for m in of_type(bank, "camt.054", iban=PAYER)}
    assert {text(e, "NtryDtls/TxDtls/Refs/EndToEndId"): text(e, "AcctSvcrRef") for e in entries} == notified

    payee = statement(bank, PAYEE, MON)
    assert balance(payee, "OPBD")[0] == "50.00" and balance(payee, "CLBD")[0] == "150.00"  # 50.00 + 100.00
    assert summary(payee)["credits"] == "1" and summary(payee)["net_side"] == "CRDT"

    pounds = statement(bank, POUNDS, MON)  # a day without bookings still has its statement
    assert balance(pounds, "OPBD") == ("300.00", "CRDT", "2026-11-23") == balance(pounds, "CLBD")
    assert nodes(pounds, "BkToCstmrStmt/Stmt/Ntry") == []
    assert summary(pounds)["entries"] == "0"


def test_the_next_statement_opens_with_the_last_closing_balance_and_the_next_number(bank) -> None:
    send(bank, pain001("M-1", Block("P-1", PAYER, "2026-11-23", (Tx("A", "250.00", EXTERNAL),
                                                                   Tx("B", "100.00", PAYEE)))))
    bank.advance(days=1)
    send(bank, pain001("M-2", Block("P-2", PAYEE, "2026-11-24", (Tx("C", "20.00", PAYER),))))
    bank.advance(days=1)

    payer = statement(bank, PAYER, TUE)
    assert text(payer, "BkToCstmrStmt/Stmt/ElctrncSeqNb") == "2"
    assert balance(payer, "OPBD")[0] == "650.00"     # Monday's CLBD
    assert balance(payer, "CLBD")[0] == "670.00"     # 650.00 + 20.00
    payee = statement(bank, PAYEE, TUE)
    assert balance(payee, "OPBD")[0] == "150.00" and balance(payee, "CLBD")[0] == "130.00"  # 150.00 - 20.00
    assert balances(bank)[PAYER] == "670.00" and balances(bank)[PAYEE] == "130.00"


def test_weekends_get_no_statement(bank: SandboxConnector) -> None:
    report = bank.advance(to=NEXT_MON)

    assert report.closed_days == (MON, TUE, WED, THU, FRI)
    assert report.statements == 15  # 5 business days x 3 open accounts
    assert sorted({m.bank_date for m in of_type(bank, "camt.053")}) == [MON, TUE, WED, THU, FRI]
    assert [text(m.body, "BkToCstmrStmt/Stmt/ElctrncSeqNb") for m in of_type(bank, "camt.053", iban=PAYER)] == [
        "1", "2", "3", "4", "5"]
    assert bank.bank_date() == NEXT_MON
    for message in of_type(bank, "camt.053"):
        assert_valid(message.body, "camt.053.001.08")


def test_a_listed_holiday_is_not_a_business_day(make_bank) -> None:
    bank = make_bank(holidays=["2026-11-25"])
    send(bank, pain001("M-H", Block("P-1", PAYER, "2026-11-25", (Tx("H-1", "10.00", EXTERNAL),))))

    report = bank.advance(to=FRI)

    assert report.closed_days == (MON, TUE, THU)
    payer = statement(bank, PAYER, THU)  # the payment due on the holiday books the next business day
    assert texts(payer, "BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/Refs/EndToEndId") == ["H-1"]
    assert balance(payer, "CLBD")[0] == "990.00"  # 1000.00 - 10.00


def test_a_future_dated_payment_books_when_its_day_comes(bank: SandboxConnector) -> None:
    send(bank, pain001("M-F", Block("P-1", PAYER, "2026-11-25", (Tx("F-1", "100.00", PAYEE),))))

    status = of_type(bank, "pain.002")[0].body
    assert texts(status, "//TxInfAndSts/TxSts") == ["ACCP"]
    assert of_type(bank, "camt.054") == [] and balances(bank)[PAYER] == "1000.00"
    assert [p.status for p in bank.payments("M-F")] == ["pending"]

    assert bank.advance(days=1).bookings == 0          # Tuesday: not yet
    assert balances(bank)[PAYER] == "1000.00"
    assert bank.advance(days=1).bookings == 1          # Wednesday
    assert balances(bank)[PAYER] == "900.00" and balances(bank)[PAYEE] == "150.00"
    notes = of_type(bank, "camt.054")
    assert [(m.iban, m.bank_date, text(m.body, "//Ntry/BookgDt/Dt")) for m in notes] == [
        (PAYER, WED, "2026-11-25"), (PAYEE, WED, "2026-11-25")]
    for message in notes:
        assert_valid(message.body, "camt.054.001.08")

    bank.advance(days=1)
    assert nodes(statement(bank, PAYER, TUE), "BkToCstmrStmt/Stmt/Ntry") == []
    wednesday = statement(bank, PAYER, WED)
    assert balance(wednesday, "OPBD")[0] == "1000.00" and balance(wednesday, "CLBD")[0] == "900.00"


def test_a_future_dated_payment_the_balance_no_longer_covers_is_rejected_on_its_day(bank) -> None:
    send(bank, pain001("M-LATER", Block("P-L", PAYER, "2026-11-25", (Tx("L-1", "700.00", EXTERNAL),))))
    send(bank, pain001("M-NOW", Block("P-N", PAYER, "2026-11-23", (Tx("N-1", "400.00", EXTERNAL),))))
    assert balances(bank)[PAYER] == "600.00"  # 1000.00 - 400.00; the 700.00 waits for Wednesday

    report = bank.advance(to=WED)

    assert (report.bookings, report.rejections) == (0, 1)
    assert balances(bank)[PAYER] == "600.00"  # 700.00 > 600.00: nothing booked
    late = of_type(bank, "pain.002", bank_date=WED)
    assert len(late) == 1
    body = late[0].body
    assert_valid(body, "pain.002.001.12")
    assert text(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/OrgnlMsgId") == "M-LATER"
    assert text(body, "CstmrPmtStsRpt/OrgnlGrpInfAndSts/GrpSts") is None  # transaction level only
    assert texts(body, "//TxInfAndSts/OrgnlEndToEndId") == ["L-1"]
    assert texts(body, "//TxInfAndSts/TxSts") == ["RJCT"]
    assert texts(body, "//TxInfAndSts/StsRsnInf/Rsn/Cd") == ["AM04"]
    assert [p.status for p in bank.payments("M-LATER")] == ["rejected"]


def test_a_debtor_account_closed_before_the_execution_date_rejects_ac04(bank) -> None:
    send(bank, pain001("M-C", Block("P-1", PAYER, "2026-11-24", (Tx("C-1", "5.00", EXTERNAL),))))
    bank.set_closed(PAYER)

    assert bank.advance(days=1).rejections == 1
    assert texts(of_type(bank, "pain.002", bank_date=TUE)[0].body, "//TxInfAndSts/StsRsnInf/Rsn/Cd") == ["AC04"]
    assert balances(bank)[PAYER] == "1000.00"


def test_a_payment_received_on_a_saturday_books_on_monday(bank: SandboxConnector) -> None:
    bank.advance(to=SAT)
    send(bank, pain001("M-S", Block("P-1", PAYER, "2026-11-28", (Tx("S-1", "30.00", EXTERNAL),))))
    assert balances(bank)[PAYER] == "1000.00"

    report = bank.advance(to=NEXT_MON)

    assert report.closed_days == () and report.bookings == 1
    assert balances(bank)[PAYER] == "970.00"
    assert [text(m.body, "//Ntry/BookgDt/Dt") for m in of_type(bank, "camt.054")] == ["2026-11-30"]


def test_a_closed_account_gets_no_statement_and_its_numbers_continue_without_a_hole(bank) -> None:
    bank.advance(days=1)                    # Monday: PAYEE statement 1
    bank.set_closed(PAYEE)
    bank.advance(days=1)                    # Tuesday: none for PAYEE
    bank.set_closed(PAYEE, closed=False)
    bank.advance(days=1)                    # Wednesday: PAYEE statement 2

    assert [(m.bank_date, text(m.body, "BkToCstmrStmt/Stmt/ElctrncSeqNb"))
            for m in of_type(bank, "camt.053", iban=PAYEE)] == [(MON, "1"), (WED, "2")]
    assert balance(statement(bank, PAYEE, WED), "OPBD")[0] == "50.00"
    assert of_type(bank, "camt.053", iban=CLOSED) == []


def test_the_clock_only_moves_forward_and_needs_one_target(bank: SandboxConnector) -> None:
    bank.advance(days=2)
    with pytest.raises(ClockBackwards) as backwards:
        bank.advance(to=MON)
    assert backwards.value.code == "sandbox_clock_backwards"
    with pytest.raises(SandboxError) as both:
        bank.advance(days=1, to=THU)
    assert both.value.code == "sandbox_advance_arguments"
    with pytest.raises(SandboxError):
        bank.advance()
    assert bank.advance(days=0).closed_days == ()
    assert bank.bank_date() == WED


def test_the_bank_date_belongs_to_the_state_file_not_to_the_settings(make_bank) -> None:
    make_bank().advance(to=THU)
    again = make_bank(start_date="2026-01-01")  # the file exists: start_date no longer applies

    assert again.bank_date() == THU


def test_start_date_today_is_the_clocks_day(make_bank, clock) -> None:
    clock.advance(days=30)  # 2026-11-23 09:00 UTC + 30 days

    assert make_bank(start_date="today").bank_date() == date(2026, 12, 23)
