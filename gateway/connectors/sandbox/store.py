"""The sandbox bank's state in one SQLite file (stdlib ``sqlite3``).

Why SQLite and not memory: the gateway's worker (which submits and collects)
and the ``gateway sandbox`` command (which moves the bank's clock) are separate
processes that must see one bank.  Every operation is one ``BEGIN IMMEDIATE``
transaction: the write lock is taken at the start, so two processes never book
from the same balance, and an operation that fails leaves nothing behind.
The file is in WAL mode so that readers never wait for a writer.

Amounts are stored as decimal text and dates as ISO text: never floats, and
readable with the ``sqlite3`` shell.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from gateway.connectors.sandbox.records import (
    PENDING,
    AccountState,
    BookingRecord,
    FileRecord,
    MailboxMessage,
    PaymentRecord,
)
from gateway.connectors.sandbox.settings import SeedAccount
from gateway.domain.payments import Remittance

BUSY_TIMEOUT_SECONDS = 30.0
"""How long an operation waits for another process's transaction (a long ``advance``) to finish."""

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS accounts (
        iban TEXT PRIMARY KEY, currency TEXT NOT NULL, name TEXT, owner TEXT, bic TEXT,
        balance TEXT NOT NULL, closed INTEGER NOT NULL DEFAULT 0,
        statement_balance TEXT NOT NULL, statement_sequence INTEGER NOT NULL DEFAULT 0,
        last_statement_date TEXT)""",
    """CREATE TABLE IF NOT EXISTS files (
        message_id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL,
        received_on TEXT NOT NULL, group_status TEXT NOT NULL, refused INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS payments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT NOT NULL REFERENCES files(message_id), message TEXT NOT NULL,
        payment_information_id TEXT NOT NULL, end_to_end_id TEXT NOT NULL, instruction_id TEXT, uetr TEXT,
        amount TEXT NOT NULL, currency TEXT NOT NULL, execution_date TEXT NOT NULL,
        debtor_iban TEXT, debtor_name TEXT, debtor_bic TEXT,
        creditor_iban TEXT, creditor_name TEXT, creditor_bic TEXT, remittance TEXT,
        status TEXT NOT NULL, reason TEXT)""",
    """CREATE INDEX IF NOT EXISTS payments_pending ON payments (status, execution_date)""",
    """CREATE TABLE IF NOT EXISTS bookings (
        id INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT NOT NULL UNIQUE,
        iban TEXT NOT NULL REFERENCES accounts(iban), booking_date TEXT NOT NULL,
        credit_debit TEXT NOT NULL CHECK (credit_debit IN ('CRDT', 'DBIT')),
        amount TEXT NOT NULL, currency TEXT NOT NULL, payment_id INTEGER NOT NULL REFERENCES payments(id))""",
    """CREATE INDEX IF NOT EXISTS bookings_day ON bookings (iban, booking_date)""",
    """CREATE TABLE IF NOT EXISTS mailbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, family TEXT NOT NULL,
        message TEXT NOT NULL, iban TEXT, bank_date TEXT NOT NULL, created_at TEXT NOT NULL,
        body BLOB NOT NULL, taken_at TEXT)""",
)

_PAYMENT_COLUMNS = ("message_id", "message", "payment_information_id", "end_to_end_id", "instruction_id", "uetr",
                    "amount", "currency", "execution_date", "debtor_iban", "debtor_name", "debtor_bic",
                    "creditor_iban", "creditor_name", "creditor_bic", "remittance", "status", "reason")


class Store:
    """The state file; :meth:`transaction` is the only way in."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def initialise(self, accounts: Sequence[SeedAccount], start_date: date) -> None:
        """Create the file and its tables when missing, set the bank date the first time, and open
        the seeded accounts the bank does not hold yet (existing ones keep their state)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._use_wal()
        with self.transaction() as state:
            for statement in SCHEMA:
                state.connection.execute(statement)
            state.connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('bank_date', ?)",
                                     (start_date.isoformat(),))
            state.connection.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', ?)",
                                     (secrets.token_hex(3).upper(),))
            for account in accounts:
                state.open_account(account)

    def _use_wal(self) -> None:
        """Switch the file to WAL once.  Changing the journal mode needs the file to itself and
        SQLite answers "locked" at once rather than waiting, so another process's open
        transaction (the worker, while the CLI starts) is waited out here; a file already in
        WAL is left alone."""
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            connection = self._connect()
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    return
                connection.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
            finally:
                connection.close()
            time.sleep(0.05)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[State]:
        """One operation: committed when the block ends, rolled back when it raises."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield State(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _remittance_json(remittance: Remittance | None) -> str | None:
    if remittance is None:
        return None
    return json.dumps({"unstructured": list(remittance.unstructured),
                       "creditor_reference": remittance.creditor_reference,
                       "creditor_reference_type": remittance.creditor_reference_type,
                       "creditor_reference_issuer": remittance.creditor_reference_issuer})


def _remittance(text: str | None) -> Remittance | None:
    if not text:
        return None
    data = json.loads(text)
    return Remittance(unstructured=tuple(data["unstructured"]), creditor_reference=data["creditor_reference"],
                      creditor_reference_type=data["creditor_reference_type"],
                      creditor_reference_issuer=data["creditor_reference_issuer"])


def _account(row: sqlite3.Row) -> AccountState:
    return AccountState(iban=row["iban"], currency=row["currency"], balance=Decimal(row["balance"]),
                        closed=bool(row["closed"]), name=row["name"], owner=row["owner"], bic=row["bic"],
                        statement_balance=Decimal(row["statement_balance"]),
                        statement_sequence=row["statement_sequence"],
                        last_statement_date=_day(row["last_statement_date"]))


def _payment(row: sqlite3.Row) -> PaymentRecord:
    return PaymentRecord(
        id=row["id"], message_id=row["message_id"], message=row["message"],
        payment_information_id=row["payment_information_id"], end_to_end_id=row["end_to_end_id"],
        instruction_id=row["instruction_id"], uetr=row["uetr"], amount=Decimal(row["amount"]),
        currency=row["currency"], execution_date=date.fromisoformat(row["execution_date"]),
        debtor_iban=row["debtor_iban"], debtor_name=row["debtor_name"], debtor_bic=row["debtor_bic"],
        creditor_iban=row["creditor_iban"], creditor_name=row["creditor_name"], creditor_bic=row["creditor_bic"],
        remittance=_remittance(row["remittance"]), status=row["status"], reason=row["reason"])


def _booking(row: sqlite3.Row) -> BookingRecord:
    return BookingRecord(id=row["id"], reference=row["reference"], iban=row["iban"],
                         booking_date=date.fromisoformat(row["booking_date"]), credit_debit=row["credit_debit"],
                         amount=Decimal(row["amount"]), currency=row["currency"], payment_id=row["payment_id"])


def _message(row: sqlite3.Row) -> MailboxMessage:
    return MailboxMessage(id=row["id"], family=row["family"], message=row["message"], iban=row["iban"],
                          bank_date=date.fromisoformat(row["bank_date"]),
                          created_at=datetime.fromisoformat(row["created_at"]), body=bytes(row["body"]),
                          taken_at=datetime.fromisoformat(row["taken_at"]) if row["taken_at"] else None)


class State:
    """The bank's tables inside one open transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def _one(self, sql: str, parameters: Sequence[object] = ()) -> sqlite3.Row | None:
        return self.connection.execute(sql, parameters).fetchone()

    # -- clock and numbering -------------------------------------------------------------------------

    def bank_date(self) -> date:
        row = self._one("SELECT value FROM meta WHERE key = 'bank_date'")
        assert row is not None, "the state file is initialised before any operation"
        return date.fromisoformat(row["value"])

    def instance(self) -> str:
        """A token drawn when the file was created: part of every id the bank gives, so that a bank
        started again from a fresh file never repeats an id the gateway has already stored."""
        row = self._one("SELECT value FROM meta WHERE key = 'instance'")
        assert row is not None, "the state file is initialised before any operation"
        return str(row["value"])

    def set_bank_date(self, day: date) -> None:
        self.connection.execute("UPDATE meta SET value = ? WHERE key = 'bank_date'", (day.isoformat(),))

    def next_number(self, name: str) -> int:
        """The next number of a series (message ids, references): never reused, even across processes."""
        self.connection.execute("INSERT INTO counters (name, value) VALUES (?, 1) "
                                "ON CONFLICT (name) DO UPDATE SET value = value + 1", (name,))
        row = self._one("SELECT value FROM counters WHERE name = ?", (name,))
        assert row is not None
        return int(row["value"])

    # -- accounts --------------------------------------------------------------------------------------

    def open_account(self, account: SeedAccount) -> None:
        balance = str(account.balance)
        self.connection.execute(
            "INSERT OR IGNORE INTO accounts (iban, currency, name, owner, bic, balance, closed, statement_balance) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (account.iban, account.currency, account.name, account.owner, account.bic, balance,
             int(account.closed), balance))

    def account(self, iban: str | None) -> AccountState | None:
        if not iban:
            return None
        row = self._one("SELECT * FROM accounts WHERE iban = ?", (iban,))
        return _account(row) if row else None

    def accounts(self) -> list[AccountState]:
        return [_account(row) for row in self.connection.execute("SELECT * FROM accounts ORDER BY rowid")]

    def set_balance(self, iban: str, balance: Decimal) -> None:
        self.connection.execute("UPDATE accounts SET balance = ? WHERE iban = ?", (str(balance), iban))

    def set_closed(self, iban: str, closed: bool) -> None:
        self.connection.execute("UPDATE accounts SET closed = ? WHERE iban = ?", (int(closed), iban))

    def close_statement_day(self, iban: str, closing: Decimal, sequence: int, day: date | None) -> None:
        """The day is closed for ``iban``: its CLBD is the next OPBD (``day`` None: no statement was issued)."""
        self.connection.execute(
            "UPDATE accounts SET statement_balance = ?, statement_sequence = ?, "
            "last_statement_date = COALESCE(?, last_statement_date) WHERE iban = ?",
            (str(closing), sequence, day.isoformat() if day else None, iban))

    # -- files and payments ---------------------------------------------------------------------------

    def file(self, message_id: str) -> FileRecord | None:
        row = self._one("SELECT * FROM files WHERE message_id = ?", (message_id,))
        if row is None:
            return None
        return FileRecord(message_id=row["message_id"], reference=row["reference"], sha256=row["sha256"],
                          received_on=date.fromisoformat(row["received_on"]), group_status=row["group_status"],
                          refused=bool(row["refused"]))

    def add_file(self, record: FileRecord) -> None:
        self.connection.execute(
            "INSERT INTO files (message_id, reference, sha256, received_on, group_status, refused) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (record.message_id, record.reference, record.sha256, record.received_on.isoformat(),
             record.group_status, int(record.refused)))

    def set_file_status(self, message_id: str, group_status: str) -> None:
        self.connection.execute("UPDATE files SET group_status = ? WHERE message_id = ?", (group_status, message_id))

    def add_payment(self, payment: PaymentRecord) -> PaymentRecord:
        """Store ``payment`` (its ``id`` is ignored) and return it with the id it got."""
        values = (payment.message_id, payment.message, payment.payment_information_id, payment.end_to_end_id,
                  payment.instruction_id, payment.uetr, str(payment.amount), payment.currency,
                  payment.execution_date.isoformat(), payment.debtor_iban, payment.debtor_name, payment.debtor_bic,
                  payment.creditor_iban, payment.creditor_name, payment.creditor_bic,
                  _remittance_json(payment.remittance), payment.status, payment.reason)
        cursor = self.connection.execute(
            f"INSERT INTO payments ({', '.join(_PAYMENT_COLUMNS)}) VALUES ({', '.join('?' * len(values))})", values)
        return self.payment(int(cursor.lastrowid or 0))

    def payment(self, payment_id: int) -> PaymentRecord:
        row = self._one("SELECT * FROM payments WHERE id = ?", (payment_id,))
        assert row is not None, f"payment {payment_id} exists"
        return _payment(row)

    def set_payment_status(self, payment_id: int, status: str, reason: str | None = None) -> None:
        self.connection.execute("UPDATE payments SET status = ?, reason = ? WHERE id = ?",
                                (status, reason, payment_id))

    def due_payments(self, day: date) -> list[PaymentRecord]:
        """Accepted payments waiting for an execution date on or before ``day``, in the order received."""
        return [_payment(row) for row in self.connection.execute(
            "SELECT * FROM payments WHERE status = ? AND execution_date <= ? ORDER BY id",
            (PENDING, day.isoformat()))]

    def payments(self, message_id: str | None = None) -> list[PaymentRecord]:
        if message_id is None:
            rows = self.connection.execute("SELECT * FROM payments ORDER BY id")
        else:
            rows = self.connection.execute("SELECT * FROM payments WHERE message_id = ? ORDER BY id", (message_id,))
        return [_payment(row) for row in rows]

    # -- bookings --------------------------------------------------------------------------------------

    def add_booking(self, *, reference: str, iban: str, day: date, credit_debit: str, amount: Decimal,
                    currency: str, payment_id: int) -> BookingRecord:
        cursor = self.connection.execute(
            "INSERT INTO bookings (reference, iban, booking_date, credit_debit, amount, currency, payment_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (reference, iban, day.isoformat(), credit_debit, str(amount), currency, payment_id))
        row = self._one("SELECT * FROM bookings WHERE id = ?", (cursor.lastrowid,))
        assert row is not None
        return _booking(row)

    def bookings(self, iban: str | None = None, day: date | None = None) -> list[BookingRecord]:
        clauses, parameters = [], []
        if iban is not None:
            clauses.append("iban = ?")
            parameters.append(iban)
        if day is not None:
            clauses.append("booking_date = ?")
            parameters.append(day.isoformat())
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [_booking(row) for row in self.connection.execute(
            f"SELECT * FROM bookings {where} ORDER BY id", parameters)]

    # -- mailbox ---------------------------------------------------------------------------------------

    def post(self, message: MailboxMessage) -> None:
        self.connection.execute(
            "INSERT INTO mailbox (id, family, message, iban, bank_date, created_at, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.id, message.family, message.message, message.iban, message.bank_date.isoformat(),
             message.created_at.isoformat(), message.body))

    def mailbox(self, *, include_taken: bool = False) -> list[MailboxMessage]:
        where = "" if include_taken else "WHERE taken_at IS NULL"
        return [_message(row) for row in self.connection.execute(f"SELECT * FROM mailbox {where} ORDER BY seq")]

    def mark_taken(self, ids: Iterable[str], at: datetime) -> int:
        count = 0
        for message_id in ids:
            count += self.connection.execute("UPDATE mailbox SET taken_at = ? WHERE id = ? AND taken_at IS NULL",
                                             (at.isoformat(), message_id)).rowcount
        return count
