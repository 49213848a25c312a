"""entries_of(): camt entries flattened into BookedEntry records, keys and counterparties."""

from datetime import date, datetime
from decimal import Decimal

from gateway.domain.money import Money
from gateway.domain.parties import Account, Party
from gateway.domain.reconciliation import booked_entries, entries_of
from gateway.domain.statements import (
    BankTransactionCode,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    ReturnInfo,
    Statement,
)

ACME = "NL41MOCK0000000001"
PAYEE = "NL30MOCK0000000005"
GLOBEX = "NL14MOCK0000000002"
DAY = date(2026, 9, 29)


def eur(value):
    return Money(Decimal(value), "EUR")


def ntry(amount, cd="DBIT", *transactions, status="BOOK", ref=None, **kwargs):
    return Entry(amount=eur(amount), credit_debit=cd, status=status, booking_date=kwargs.pop("booking_date", DAY),
                 account_servicer_reference=ref, transactions=transactions, **kwargs)


def statement(*entries, ident="STMT-1", iban="nl41 mock 0000 0000 01"):
    return Statement(identification=ident, account=Account(iban=iban, currency="EUR"), entries=entries)


def report(*statements, kind=ReportKind.STATEMENT):
    return Report(kind=kind, message_id="MSG", creation_date_time=datetime(2026, 9, 30), statements=statements)


def test_keys_use_the_account_servicer_reference_else_the_position():
    flat = booked_entries(statement(
        ntry("10.00", ref="MB-PMT-1"),
        ntry("20.00"),
        ntry("30.00", "DBIT", EntryTransaction(end_to_end_id="A", amount=eur("12.00")),
             EntryTransaction(end_to_end_id="B", amount=eur("18.00")), ref="MB-PMT-3"),
    ))
    # The account is keyed without spaces, in capitals, whatever the file wrote.
    assert [e.entry_key for e in flat] == [
        "NL41MOCK0000000001|ref|MB-PMT-1",
        "NL41MOCK0000000001|stmt|STMT-1|1",
        "NL41MOCK0000000001|ref|MB-PMT-3|tx|0",
        "NL41MOCK0000000001|ref|MB-PMT-3|tx|1",
    ]
    assert {e.account_id for e in flat} == {ACME}
    assert {e.statement_id for e in flat} == {"STMT-1"}


def test_a_notification_and_the_statement_repeating_it_give_one_key():
    booking = ntry("10.00", "DBIT", EntryTransaction(end_to_end_id="E2E-1"), ref="MB-PMT-1")
    notified = entries_of(report(statement(booking, ident="NTF-1"), kind=ReportKind.NOTIFICATION))
    stated = entries_of(report(statement(booking, ident="STMT-9")))
    assert [e.entry_key for e in notified] == [e.entry_key for e in stated] == [f"{ACME}|ref|MB-PMT-1"]


def test_batch_booked_entry_gives_one_record_per_transaction_with_its_own_amount():
    # 100.00 + 50.00 = 150.00, the entry's amount; each record carries its own part.
    batch = ntry("150.00", "DBIT",
                 EntryTransaction(end_to_end_id="E2E-2", amount=eur("100.00"), message_id="MSG-1"),
                 EntryTransaction(end_to_end_id="E2E-3", amount=eur("50.00"), message_id="MSG-1"), ref="R")
    flat = booked_entries(statement(batch))
    assert [(e.end_to_end_id, e.amount, e.message_id) for e in flat] == [
        ("E2E-2", eur("100.00"), "MSG-1"), ("E2E-3", eur("50.00"), "MSG-1")]


def test_amount_falls_back_to_the_entry_only_when_it_is_not_a_batch():
    single = ntry("40.00", "DBIT", EntryTransaction(end_to_end_id="E2E-1"))
    batch = ntry("60.00", "DBIT", EntryTransaction(end_to_end_id="E2E-2"), EntryTransaction(end_to_end_id="E2E-3"))
    bare = ntry("5.00")
    flat = booked_entries(statement(single, batch, bare))
    # The batch's 60.00 cannot be split between its two transactions.
    assert [e.amount for e in flat] == [eur("40.00"), None, None, eur("5.00")]
    assert [e.end_to_end_id for e in flat] == ["E2E-1", "E2E-2", "E2E-3", None]


def test_an_unreadable_amount_is_none():
    unreadable = Entry(amount=Money(None, "EUR"), credit_debit="DBIT", status="BOOK")
    (flat,) = booked_entries(statement(unreadable))
    assert flat.amount is None


def test_only_booked_entries_count():
    flat = booked_entries(statement(ntry("1.00", status="PDNG"), ntry("2.00", status="INFO"), ntry("3.00")))
    assert [e.amount for e in flat] == [eur("3.00")]
    assert flat[0].entry_key == f"{ACME}|stmt|STMT-1|2"


def test_dates_from_date_times_and_the_transaction_side():
    entry = Entry(amount=eur("1.00"), credit_debit="DBIT", status="BOOK",
                  booking_date_time=datetime(2026, 9, 29, 14, 5), value_date_time=datetime(2026, 9, 30, 0, 0),
                  transactions=(EntryTransaction(end_to_end_id="E", credit_debit="CRDT"),))
    (flat,) = booked_entries(statement(entry))
    assert (flat.booking_date, flat.value_date, flat.day) == (DAY, date(2026, 9, 30), DAY)
    # TxDtls/CdtDbtInd, where given, is the transaction's own direction.
    assert flat.credit_debit == "CRDT"


def test_counterparty_of_a_debit_is_the_creditor_and_of_a_credit_the_debtor():
    both = {"creditor": Party(name="Payee BV"), "creditor_account": Account(iban="NL30 MOCK 0000 0000 05"),
            "debtor": Party(name="Initech"), "debtor_account": Account(iban="NL84MOCK0000000003")}
    flat = booked_entries(statement(ntry("1.00", "DBIT", EntryTransaction(**both)),
                                    ntry("1.00", "CRDT", EntryTransaction(**both))))
    assert [(e.counterparty_iban, e.counterparty_name) for e in flat] == [
        (PAYEE, "Payee BV"), ("NL84MOCK0000000003", "Initech")]


def test_a_return_keeping_the_original_roles_names_the_original_payee():
    # mock-bank writes the return as a CRDT with only the original Cdtr; a bank that also
    # repeats the original Dbtr names the account itself there, which is skipped.
    mock_style = EntryTransaction(end_to_end_id="E2E-1", creditor=Party(name="Payee BV"),
                                  creditor_account=Account(iban=PAYEE), return_info=ReturnInfo(reason="MD07"))
    full_roles = EntryTransaction(end_to_end_id="E2E-2", creditor=Party(name="Payee BV"),
                                  creditor_account=Account(iban=PAYEE), debtor=Party(name="Acme"),
                                  debtor_account=Account(iban=ACME), return_info=ReturnInfo(reason="AC04"))
    flat = booked_entries(statement(ntry("250.00", "CRDT", mock_style), ntry("99.00", "CRDT", full_roles)))
    assert [(e.counterparty_iban, e.counterparty_name) for e in flat] == [(PAYEE, "Payee BV"), (PAYEE, "Payee BV")]
    assert [(e.is_return, e.return_reason) for e in flat] == [(True, "MD07"), (True, "AC04")]


def test_a_party_without_account_still_gives_a_name():
    tx = EntryTransaction(creditor=Party(name="Payee BV"))
    (flat,) = booked_entries(statement(ntry("1.00", "DBIT", tx)))
    assert (flat.counterparty_iban, flat.counterparty_name) == (None, "Payee BV")


def test_what_makes_a_return():
    rrtn = BankTransactionCode("PMNT", "ICDT", "RRTN")
    flat = booked_entries(statement(
        ntry("1.00", "CRDT", EntryTransaction(return_info=ReturnInfo(proprietary_reason="KONTO AUFGELOEST"))),
        ntry("2.00", "CRDT", EntryTransaction(), bank_transaction_code=rrtn),
        ntry("3.00", "CRDT", EntryTransaction(bank_transaction_code=rrtn)),
        ntry("4.00", "CRDT", reversal=True),
        ntry("5.00", "CRDT", EntryTransaction(), bank_transaction_code=BankTransactionCode("PMNT", "RCDT", "ESCT")),
    ))
    assert [(e.is_return, e.return_reason, e.reversal) for e in flat] == [
        (True, "KONTO AUFGELOEST", False),
        (True, None, False),
        (True, None, False),
        (True, None, True),
        (False, None, False),
    ]


def test_account_servicer_reference_of_the_transaction_is_preferred():
    flat = booked_entries(statement(
        ntry("1.00", "DBIT", EntryTransaction(account_servicer_reference="TX-REF"), ref="NTRY-REF"),
        ntry("2.00", "DBIT", EntryTransaction(), ref="NTRY-REF-2")))
    assert [e.account_servicer_reference for e in flat] == ["TX-REF", "NTRY-REF-2"]
    # The key stays the entry's, so that a repeat of the entry finds the same key.
    assert flat[0].entry_key == f"{ACME}|ref|NTRY-REF"


def test_usable_end_to_end_id():
    flat = booked_entries(statement(*(ntry("1.00", "DBIT", EntryTransaction(end_to_end_id=v))
                                      for v in ("E2E-1", "NOTPROVIDED", "notprovided", "  ", None))))
    assert [e.usable_end_to_end_id for e in flat] == ["E2E-1", None, None, None, None]
    # The raw value is kept as the bank wrote it.
    assert flat[1].end_to_end_id == "NOTPROVIDED"


def test_an_account_without_iban_is_keyed_by_its_other_id():
    other = Statement(identification="S", account=Account(other_id="12345678", other_scheme="BBAN"),
                      entries=(ntry("1.00", ref="R"),))
    (flat,) = booked_entries(other)
    assert (flat.account_id, flat.entry_key) == ("12345678", "12345678|ref|R")


def test_entries_of_walks_every_statement_in_order():
    flat = entries_of(report(statement(ntry("1.00", ref="A")),
                             statement(ntry("2.00", ref="B"), ident="STMT-2", iban=GLOBEX)))
    assert [(e.account_id, e.statement_id, e.amount) for e in flat] == [
        (ACME, "STMT-1", eur("1.00")), (GLOBEX, "STMT-2", eur("2.00"))]
