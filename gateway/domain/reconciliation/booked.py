"""What the bank booked: statement, report and notification entries, flattened.

A camt entry may book one payment or a whole batch (one Ntry, many TxDtls).
Reconciliation compares payments, so ``entries_of`` turns every booked entry into
one ``BookedEntry`` per transaction, with the transaction's own amount when it has
one.  camt.052, .053 and .054 flatten the same way: reconciliation should not care
which of them told it about a booking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from gateway.domain.money import Money, known
from gateway.domain.parties import Account, Party
from gateway.domain.reconciliation.names import normalise_iban
from gateway.domain.statements import Entry, EntryTransaction, Report, Statement

NOT_PROVIDED = "NOTPROVIDED"
"""The EndToEndId a payer writes when it has none; it links nothing."""

RETURN_SUB_FAMILY = "RRTN"
"""Bank transaction code sub-family 'reversal due to payment return' (PMNT/ICDT/RRTN)."""


@dataclass(frozen=True, slots=True)
class BookedEntry:
    """One booked movement on an account, as reconciliation compares it.

    ``entry_key`` is what a match is stored against.  It is built from the account
    and the entry's AcctSvcrRef when the bank gives one, so that the camt.054
    notification and the camt.053 statement repeating the same booking share a
    key; otherwise from the account, the statement id and the entry's position
    (then a notification and its statement give two keys, and ``with_notified_keys``
    gives the statement's entry the notification's).  A batch-booked entry adds the transaction's
    position.

    For a return, ``end_to_end_id`` and the counterparty are the *original*
    payment's: camt.053/054 repeat the original Refs/EndToEndId on the return
    entry, which is how the return finds its payment.
    """

    entry_key: str
    account_id: str
    """The account's IBAN (upper case, no spaces), else its other identifier."""
    statement_id: str
    amount: Money | None
    """The transaction's amount (TxDtls), else the entry's; None only when a
    batch-booked entry gives no amount per transaction, or it could not be read."""
    credit_debit: str
    booking_date: date | None = None
    value_date: date | None = None
    end_to_end_id: str | None = None
    counterparty_iban: str | None = None
    counterparty_name: str | None = None
    is_return: bool = False
    """Money coming back: RtrInf, a PMNT/ICDT/RRTN code, or the reversal indicator."""
    return_reason: str | None = None
    """RtrInf/Rsn: the ExternalReturnReason1Code (AC04, MD07, ...) or the proprietary reason."""
    reversal: bool = False
    message_id: str | None = None
    """TxDtls/Refs/MsgId: the MsgId of the file that carried the payment."""
    account_servicer_reference: str | None = None

    @property
    def usable_end_to_end_id(self) -> str | None:
        """The EndToEndId if it can link anything (not empty, not NOTPROVIDED)."""
        value = (self.end_to_end_id or "").strip()
        return value if value and value.upper() != NOT_PROVIDED else None

    @property
    def day(self) -> date | None:
        """The day the money moved for matching: booking date, else value date."""
        return self.booking_date or self.value_date


BookingIdentity = tuple
"""What a notification entry and the statement entry repeating it share when the bank gives no
AcctSvcrRef to say so: amount, currency, debit or credit, booking date, EndToEndId."""


def booking_identity(amount: Decimal, currency: str, credit_debit: str, booking_date: date | None,
                     end_to_end_id: str | None) -> BookingIdentity:
    return (amount, currency, credit_debit, booking_date, end_to_end_id)


def with_notified_keys(entries: list[BookedEntry], notified: list[tuple[str, BookingIdentity]]) -> list[BookedEntry]:
    """A statement's entries, where one without an AcctSvcrRef takes the key of a notification entry
    (``notified``: its key and identity) that reported the same booking before, each used once.

    Without AcctSvcrRef the keys are positional, so a camt.054 and the camt.053 that repeats its
    booking give two keys; the payment the notification booked would see the statement's entry
    as a second booking.  With the key adopted, the two are one entry, as with an AcctSvcrRef."""
    unused: dict[BookingIdentity, list[str]] = {}
    for key, identity in notified:
        unused.setdefault(identity, []).append(key)
    adopted = []
    for entry in entries:
        keys = unused.get(_identity(entry)) if entry.account_servicer_reference is None else None
        adopted.append(replace(entry, entry_key=keys.pop(0)) if keys else entry)
    return adopted


def _identity(entry: BookedEntry) -> BookingIdentity | None:
    if entry.amount is None:
        return None
    return booking_identity(entry.amount.value, entry.amount.currency, entry.credit_debit, entry.booking_date,
                            entry.usable_end_to_end_id)


def account_id(account: Account) -> str:
    return normalise_iban(account.iban) or (account.other_id or "").strip() or "?"


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _counterparty(tx: EntryTransaction, credit_debit: str, own: str) -> tuple[str | None, str | None]:
    """The other party of a transaction: the creditor of a debit, the debtor of a credit.

    A return often keeps the original roles (mock-bank and Danish banks show the
    original Cdtr on the CRDT return), so when the preferred side is empty, or is
    the account itself, the other side is taken.
    """
    sides: list[tuple[Account | None, Party | None]] = [
        (tx.creditor_account, tx.creditor), (tx.debtor_account, tx.debtor)]
    if credit_debit == "CRDT":
        sides.reverse()
    for account, party in sides:
        iban = normalise_iban(account.iban) if account is not None else None
        name = party.name if party is not None and party.name and party.name.strip() else None
        if iban is not None and iban == own:
            continue
        if iban is not None or name is not None:
            return iban, name
    return None, None


def _is_return(entry: Entry, tx: EntryTransaction | None) -> bool:
    codes = [entry.bank_transaction_code] + ([tx.bank_transaction_code] if tx is not None else [])
    by_code = any(c is not None and c.sub_family == RETURN_SUB_FAMILY for c in codes)
    return bool(entry.reversal) or by_code or (tx is not None and tx.return_info is not None)


def _amount(entry: Entry, tx: EntryTransaction | None, batch: bool) -> Money | None:
    if tx is not None and tx.amount is not None:
        return tx.amount if known(tx.amount) else None
    if batch:
        return None
    return entry.amount if known(entry.amount) else None


def booked_entries(statement: Statement) -> list[BookedEntry]:
    """The booked (BOOK) movements of one statement, report or notification block.

    Pending (PDNG) and information (INFO) entries are not bookings and are left out.
    """
    own = account_id(statement.account)
    out: list[BookedEntry] = []
    for e, entry in enumerate(statement.entries):
        if entry.status != "BOOK":
            continue
        base = (f"{own}|ref|{entry.account_servicer_reference}" if entry.account_servicer_reference
                else f"{own}|stmt|{statement.identification}|{e}")
        transactions: tuple[EntryTransaction | None, ...] = entry.transactions or (None,)
        batch = len(transactions) > 1
        for t, tx in enumerate(transactions):
            credit_debit = (tx.credit_debit if tx is not None and tx.credit_debit else entry.credit_debit)
            iban, name = _counterparty(tx, credit_debit, own) if tx is not None else (None, None)
            returned = tx.return_info if tx is not None else None
            out.append(BookedEntry(
                entry_key=f"{base}|tx|{t}" if batch else base,
                account_id=own,
                statement_id=statement.identification,
                amount=_amount(entry, tx, batch),
                credit_debit=credit_debit,
                booking_date=_day(entry.booking_date or entry.booking_date_time),
                value_date=_day(entry.value_date or entry.value_date_time),
                end_to_end_id=tx.end_to_end_id if tx is not None else None,
                counterparty_iban=iban,
                counterparty_name=name,
                is_return=_is_return(entry, tx),
                return_reason=(returned.reason or returned.proprietary_reason) if returned is not None else None,
                reversal=bool(entry.reversal),
                message_id=tx.message_id if tx is not None else None,
                account_servicer_reference=((tx.account_servicer_reference if tx is not None else None)
                                            or entry.account_servicer_reference),
            ))
    return out


def entries_of(report: Report) -> list[BookedEntry]:
    """Every booked movement of a camt.052/053/054 report, statement by statement."""
    return [booked for statement in report.statements for booked in booked_entries(statement)]
