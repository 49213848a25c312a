"""The sandbox bank itself: receives pain.001 files, books, and writes pain.002, camt.054 and camt.053.

Modelled on mock-bank (see ``../shared/reference/mock-bank.md``) and on how
real banks behave, so the gateway's flow can be shown and tested without one:

* a file is XSD- and rule-checked; an invalid one is refused as a whole
  (pain.002 group RJCT, FF01 or the rule's own reason such as AM10) and
  ``DeliveryRefused`` is raised; a MsgId the bank already has is a duplicate
  and nothing is booked twice;
* otherwise one pain.002 per file says ACCP or RJCT (with reason) per payment,
  PART/ACCP/RJCT per block and group;
* an accepted payment whose execution date has come books at once on a business
  day (debit, and credit when the creditor account is held here), each booking
  with its camt.054; a future-dated one books when the bank date reaches it, or
  is rejected then with a second, transaction-level pain.002;
* moving the bank date past the end of a business day issues that day's
  camt.053 for every open account (OPBD = previous CLBD, the day's entries,
  CLBD, ElctrncSeqNb + 1, TxsSummry), empty days included; weekends and listed
  holidays get none.

The bank date is the bank's own clock, kept in the state file; only
:meth:`SandboxBank.advance` moves it.  Times of day on messages come from the
wall clock (or the one given, in tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from gateway.connectors.base import (
    BankUnavailable,
    ConnectorConfigError,
    DeliveryRefused,
    OutgoingFile,
    Submission,
)
from gateway.connectors.sandbox import messages
from gateway.connectors.sandbox.calendar import BankCalendar
from gateway.connectors.sandbox.decisions import Outcome, decide
from gateway.connectors.sandbox.errors import (
    ClockBackwards,
    SandboxError,
    UnknownAccount,
)
from gateway.connectors.sandbox.records import (
    BOOKED,
    PENDING,
    REJECTED,
    AccountState,
    FileRecord,
    MailboxMessage,
    PaymentRecord,
)
from gateway.connectors.sandbox.settings import SandboxSettings
from gateway.connectors.sandbox.store import State, Store
from gateway.domain.errors import GatewayError
from gateway.domain.findings import Finding
from gateway.domain.payments import CreditTransfer, PaymentBatch, PaymentInformation
from gateway.domain.status import StatusReport
from gateway.iso20022 import build, parse, validate
from gateway.iso20022.validate import profile_named

NOTIFICATION, STATEMENT = "camt.054.001.08", "camt.053.001.08"
MAX_GROUP_REASONS = 5
"""A refused file's pain.002 names at most this many distinct reasons (the first finding of each)."""


@dataclass(frozen=True, slots=True)
class AdvanceReport:
    """What one move of the bank date did."""

    from_date: date
    to_date: date
    closed_days: tuple[date, ...] = ()
    """Business days whose end was passed: each got its camt.053s."""
    statements: int = 0
    bookings: int = 0
    """Future-dated payments booked on arrival at their execution date."""
    rejections: int = 0
    """Future-dated payments rejected on their execution date (second pain.002)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SandboxBank:
    def __init__(self, settings: SandboxSettings, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.settings = settings
        self.calendar = BankCalendar(settings.holidays)
        try:
            self.profile = profile_named(settings.profile)
        except GatewayError as exc:
            raise ConnectorConfigError(f"sandbox connector settings: {exc.message}") from None
        self._clock = clock
        self.store = Store(settings.state)
        self.store.initialise(settings.accounts, settings.start_date or clock().date())
        with self.store.transaction(write=False) as state:
            self.instance = state.instance()

    # -- time -------------------------------------------------------------------------------------------

    def _stamp(self, day: date) -> datetime:
        """A message time during the bank date: the wall clock's time of day on the bank's day."""
        return datetime.combine(day, self._clock().astimezone(UTC).time().replace(microsecond=0), tzinfo=UTC)

    def _next_id(self, state: State, series: str) -> str:
        """``SBX-<instance>-<series>-<n>``: unique per state file and across files (at most 24 characters)."""
        return f"SBX-{self.instance}-{series}-{state.next_number(series):08d}"

    def bank_date(self) -> date:
        with self.store.transaction(write=False) as state:
            return state.bank_date()

    # -- receiving files ----------------------------------------------------------------------------------

    def submit(self, outgoing: OutgoingFile) -> Submission:
        batch, version = self._read(outgoing)
        findings = self._check(outgoing, batch, version)
        message_id = (batch.message_id if batch is not None and batch.message_id else outgoing.message_id)
        original = version or outgoing.message
        with self.store.transaction() as state:
            known = state.file(message_id)
            if known is not None:
                if known.refused:
                    refusal = f"file {message_id} was refused on {known.received_on} (reference {known.reference})"
                else:
                    same = "the same file" if known.sha256 == outgoing.sha256 else "other bytes under that MsgId"
                    return Submission(accepted=True, duplicate=True, reference=known.reference,
                                      detail=f"file {message_id} was received on {known.received_on} "
                                             f"(group status {known.group_status}); this is {same}, "
                                             "nothing was booked again")
            elif findings:
                refusal = self._refuse(state, outgoing, message_id, original, findings)
            else:
                assert batch is not None and version is not None
                return self._take(state, outgoing, batch, version)
        raise DeliveryRefused(refusal)

    @staticmethod
    def _read(outgoing: OutgoingFile) -> tuple[PaymentBatch | None, str | None]:
        """The file as a batch (leniently, for its MsgId even when invalid) and the version it claims."""
        try:
            parsed = parse(outgoing.xml)
        except GatewayError:
            return None, None
        batch = parsed.document if isinstance(parsed.document, PaymentBatch) else None
        return batch, str(parsed.message) if parsed.message else None

    def _check(self, outgoing: OutgoingFile, batch: PaymentBatch | None, version: str | None) -> list[Finding]:
        """The errors that refuse the file as a whole (empty: it is taken)."""
        if batch is None or version not in self.settings.submits:
            what = version or "an unreadable document"
            return [Finding(rule="sandbox.message", reason="FF01",
                            message=f"{what} is not a pain.001 version this bank accepts "
                                    f"({', '.join(sorted(self.settings.submits))})")]
        errors = validate(outgoing.xml, profile=self.profile).errors
        missing = [f for f in errors if f.rule == "schema.missing"]
        if missing:  # the operator's problem, not the file's: retry once the XSDs are installed
            raise BankUnavailable(f"sandbox bank cannot check {version}: {missing[0].message}")
        return errors

    def _refuse(self, state: State, outgoing: OutgoingFile, message_id: str, original: str,
                findings: list[Finding]) -> str:
        by_reason: dict[str, Finding] = {}
        for finding in findings:
            by_reason.setdefault(finding.reason or "FF01", finding)
        reasons = [messages.reason(code, f"{f.xpath}: {f.message}" if f.xpath else f.message)
                   for code, f in list(by_reason.items())[:MAX_GROUP_REASONS]]
        day = state.bank_date()
        reference = self._next_id(state, "F")
        state.add_file(FileRecord(message_id=message_id, reference=reference, sha256=outgoing.sha256,
                                  received_on=day, group_status=messages.RJCT, refused=True))
        report = messages.file_rejection(message_id=self._next_id(state, "P002"), created_at=self._stamp(day),
                                         original_message_id=message_id, original_message=original, reasons=reasons)
        self._post_status(state, report, day)
        codes = ", ".join(by_reason)
        return f"file {message_id} refused ({codes}): {findings[0].message}"

    def _take(self, state: State, outgoing: OutgoingFile, batch: PaymentBatch, version: str) -> Submission:
        day = state.bank_date()
        books_today = self.calendar.is_business_day(day)
        reference = self._next_id(state, "F")
        state.add_file(FileRecord(message_id=batch.message_id, reference=reference, sha256=outgoing.sha256,
                                  received_on=day, group_status="RCVD", refused=False))
        decided: list[tuple[PaymentRecord, Outcome]] = []
        notifications: list[MailboxMessage] = []
        for block in batch.payment_informations:
            for transfer in block.transactions:
                payment = _payment(batch.message_id, version, block, transfer)
                now = books_today and payment.execution_date <= day
                outcome = self._decide(state, payment, check_funds=now)
                stored = state.add_payment(_with_outcome(payment, outcome))
                if outcome.accepted and now:  # booked before the next payment's funds check
                    notifications += self._book(state, stored, day, self._stamp(day))
                decided.append((stored, outcome))
        report = messages.status_report(message_id=self._next_id(state, "P002"), created_at=self._stamp(day),
                                        original_message_id=batch.message_id, original_message=version,
                                        decided=decided)
        self._post_status(state, report, day)  # the pain.002 comes before the file's notifications
        for message in notifications:
            state.post(message)
        state.set_file_status(batch.message_id, report.group_status or messages.RJCT)
        accepted = sum(o.accepted for _, o in decided)
        booked = sum(p.status == BOOKED for p in state.payments(batch.message_id))
        return Submission(accepted=True, reference=reference,
                          detail=f"group status {report.group_status}: {accepted} of {len(decided)} accepted, "
                                 f"{booked} booked on {day}")

    def _decide(self, state: State, payment: PaymentRecord, *, check_funds: bool) -> Outcome:
        return decide(amount=payment.amount, currency=payment.currency, debtor_iban=payment.debtor_iban,
                      debtor=state.account(payment.debtor_iban), creditor=state.account(payment.creditor_iban),
                      currencies=self.settings.currencies, check_funds=check_funds)

    # -- booking --------------------------------------------------------------------------------------------

    def _book(self, state: State, payment: PaymentRecord, day: date, at: datetime) -> list[MailboxMessage]:
        """Book an accepted payment: debit the debtor, credit the creditor if held here; a camt.054 for
        each booking (returned, for the caller to post in the order it wants)."""
        debtor = state.account(payment.debtor_iban)
        assert debtor is not None
        state.set_balance(debtor.iban, debtor.balance - payment.amount)
        posted = [self._notification(state, payment, debtor.iban, "DBIT", day, at)]
        creditor = state.account(payment.creditor_iban)
        if creditor is not None:
            state.set_balance(creditor.iban, creditor.balance + payment.amount)
            posted.append(self._notification(state, payment, creditor.iban, "CRDT", day, at))
        state.set_payment_status(payment.id, BOOKED)
        return posted

    def _notification(self, state: State, payment: PaymentRecord, iban: str, credit_debit: str, day: date,
                      at: datetime) -> MailboxMessage:
        booking = state.add_booking(reference=self._next_id(state, "B"), iban=iban, day=day,
                                    credit_debit=credit_debit, amount=payment.amount, currency=payment.currency,
                                    payment_id=payment.id)
        account = state.account(iban)
        assert account is not None
        message_id = self._next_id(state, "C054")
        report = messages.notification(message_id=message_id, created_at=at, account=account, booking=booking,
                                       payment=payment)
        return _message(message_id, "camt.054", NOTIFICATION, iban, day, at, build(report, NOTIFICATION))

    def _post_status(self, state: State, report: StatusReport, day: date) -> None:
        version = self.settings.status_report
        state.post(_message(report.message_id, "pain.002", version, None, day, report.creation_date_time,
                            build(report, version)))

    # -- the clock --------------------------------------------------------------------------------------------

    def advance(self, *, days: int | None = None, to: date | None = None) -> AdvanceReport:
        """Move the bank date forward by ``days`` calendar days or to the date ``to`` (exactly one).

        Each step is its own transaction: close the current day (statements, if a business day),
        move to the next, book what is due there.  A concurrent ``advance`` never closes a day twice."""
        if (days is None) == (to is None):
            raise SandboxError("advance needs either days or to, not both and not neither",
                               code="sandbox_advance_arguments")
        start = self.bank_date()
        target = to if to is not None else start + timedelta(days=days or 0)
        if target < start:
            raise ClockBackwards(f"the bank date is {start}; it cannot move back to {target}")
        closed: list[date] = []
        statements = bookings = rejections = 0
        while True:
            with self.store.transaction() as state:
                current = state.bank_date()
                if current >= target:
                    break
                if self.calendar.is_business_day(current):
                    statements += self._close_day(state, current)
                    closed.append(current)
                following = current + timedelta(days=1)
                state.set_bank_date(following)
                if self.calendar.is_business_day(following):
                    booked, rejected = self._arrive(state, following)
                    bookings, rejections = bookings + booked, rejections + rejected
        return AdvanceReport(from_date=start, to_date=max(target, start), closed_days=tuple(closed),
                             statements=statements, bookings=bookings, rejections=rejections)

    def _close_day(self, state: State, day: date) -> int:
        """End of a business day: a camt.053 per open account (a closed one's balance rolls on silently)."""
        at = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)
        issued = 0
        for account in state.accounts():
            entries = [(b, state.payment(b.payment_id)) for b in state.bookings(account.iban, day)]
            net = sum((b.amount if b.credit_debit == "CRDT" else -b.amount for b, _ in entries), Decimal(0))
            closing = account.statement_balance + net
            if account.closed:
                state.close_statement_day(account.iban, closing, account.statement_sequence, None)
                continue
            sequence = account.statement_sequence + 1
            message_id = self._next_id(state, "C053")
            report = messages.statement(message_id=message_id, created_at=at, account=account, day=day,
                                        opening=account.statement_balance, sequence=sequence, entries=entries)
            state.post(_message(message_id, "camt.053", STATEMENT, account.iban, day, at, build(report, STATEMENT)))
            state.close_statement_day(account.iban, closing, sequence, day)
            issued += 1
        return issued

    def _arrive(self, state: State, day: date) -> tuple[int, int]:
        """Start of a business day: book the payments due, or reject those that no longer fit."""
        at = datetime.combine(day, time(0, 0), tzinfo=UTC)
        booked = 0
        rejected: dict[str, list[tuple[PaymentRecord, Outcome]]] = {}
        for payment in state.due_payments(day):
            outcome = self._decide(state, payment, check_funds=True)
            if outcome.accepted:
                for message in self._book(state, payment, day, at):
                    state.post(message)
                booked += 1
            else:
                state.set_payment_status(payment.id, REJECTED, outcome.reason)
                rejected.setdefault(payment.message_id, []).append((payment, outcome))
        for message_id, items in rejected.items():
            report = messages.late_rejection(message_id=self._next_id(state, "P002"), created_at=at,
                                             original_message_id=message_id, original_message=items[0][0].message,
                                             rejected=items)
            self._post_status(state, report, day)
        return booked, sum(len(items) for items in rejected.values())

    # -- mailbox and look-ups ---------------------------------------------------------------------------------

    def mailbox(self, *, include_taken: bool = False) -> list[MailboxMessage]:
        with self.store.transaction(write=False) as state:
            return state.mailbox(include_taken=include_taken)

    def acknowledge(self, ids: Iterable[str]) -> int:
        with self.store.transaction() as state:
            return state.mark_taken(list(ids), self._clock())

    def accounts(self) -> list[AccountState]:
        with self.store.transaction(write=False) as state:
            return state.accounts()

    def payments(self, message_id: str | None = None) -> list[PaymentRecord]:
        with self.store.transaction(write=False) as state:
            return state.payments(message_id)

    def set_closed(self, iban: str, closed: bool = True) -> None:
        """Close (or reopen) an account: payments from or to it are then refused with AC04."""
        with self.store.transaction() as state:
            if state.account(iban) is None:
                raise UnknownAccount(f"the sandbox holds no account {iban}")
            state.set_closed(iban, closed)


def _payment(message_id: str, version: str, block: PaymentInformation, transfer: CreditTransfer) -> PaymentRecord:
    return PaymentRecord(
        id=0, message_id=message_id, message=version, payment_information_id=block.payment_information_id,
        end_to_end_id=transfer.end_to_end_id, instruction_id=transfer.instruction_id, uetr=transfer.uetr,
        amount=transfer.amount.value, currency=transfer.amount.currency,
        execution_date=block.requested_execution_date,
        debtor_iban=block.debtor_account.iban, debtor_name=block.debtor.name, debtor_bic=block.debtor_agent.bic,
        creditor_iban=transfer.creditor_account.iban if transfer.creditor_account else None,
        creditor_name=transfer.creditor.name if transfer.creditor else None,
        creditor_bic=transfer.creditor_agent.bic if transfer.creditor_agent else None,
        remittance=transfer.remittance, status=PENDING, reason=None)


def _with_outcome(payment: PaymentRecord, outcome: Outcome) -> PaymentRecord:
    return payment if outcome.accepted else replace(payment, status=REJECTED, reason=outcome.reason)


def _message(message_id: str, family: str, version: str, iban: str | None, day: date, at: datetime,
             body: bytes) -> MailboxMessage:
    return MailboxMessage(id=message_id, family=family, message=version, iban=iban, bank_date=day,
                          created_at=at, body=body, taken_at=None)
