"""Payments and their one lifecycle.

    held ─▶ queued ─▶ sent ─▶ pending ─▶ accepted ─▶ booked ─▶ returned
      │        │        │        │           │
      └────────┴────────┴────────┴───────────┴──▶ rejected

Reports arrive out of order (a camt.054 can come before the pain.002 that
accepted the same payment), so a report that would move a payment *back* along
the line is recorded nowhere and changes nothing; ``rejected`` and ``returned``
are final.  A booked payment is never ``rejected``: money that moved comes
back as a return.  Every change appends a history event and an audit event in
the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, tuple_

from gateway.domain.errors import InvalidInput
from gateway.domain.rules import iban_problem
from gateway.persistence.models import OAuthClient, new_id
from gateway.persistence.payment_models import (
    AccountRole,
    ClientAccount,
    Payment,
    PaymentEvent,
    PaymentStatus,
    status_is,
)
from gateway.persistence.prepared import (
    NewRow,
    PreparedInsert,
    PreparedRead,
    connection_of,
)
from gateway.persistence.repositories.audit import AuditLog, Repository, found

_S = PaymentStatus
PROGRESS: tuple[PaymentStatus, ...] = (_S.HELD, _S.QUEUED, _S.SENT, _S.PENDING, _S.ACCEPTED, _S.BOOKED)
FINAL = frozenset({_S.REJECTED, _S.RETURNED})


def allowed(current: PaymentStatus, new: PaymentStatus) -> bool:
    """Whether ``current`` may become ``new`` (forward along the line, or to a final state that fits)."""
    if current in FINAL or current == new:
        return False
    if new == _S.REJECTED:
        return current != _S.BOOKED
    if new == _S.RETURNED:
        return current in (_S.SENT, _S.PENDING, _S.ACCEPTED, _S.BOOKED)
    return PROGRESS.index(new) > PROGRESS.index(current)

_INSERT = PreparedInsert(Payment.__table__, [c.key for c in Payment.__table__.columns])
_INSERT_EVENT = PreparedInsert(PaymentEvent.__table__, ["payment_id", "at", "status", "reason_code", "reason_text",
                                                        "source"])


class Payments(Repository):
    def add_many(self, payments: list[dict[str, Any]], *, actor: str, source: str) -> list[NewRow]:
        """Insert new payments (their column values, without id, times and version) with their first
        history and audit events: three prepared INSERTs (executemany) for a whole bulk payout rather
        than three ORM objects per payment (a 10,000-payment payout is one request)."""
        now = self.clock()
        rows = [NewRow(**values, id=new_id(), created_at=now, updated_at=now, version=1) for values in payments]
        self.session.flush()  # ORM changes made before (a consent's use) go in first
        connection = connection_of(self.session)
        _INSERT.execute(connection, [vars(row) for row in rows])
        _INSERT_EVENT.execute(connection, [
            {"payment_id": p.id, "at": now, "status": p.status.value, "reason_code": p.reason_code,
             "reason_text": p.reason_text, "source": source[:200]} for p in rows])
        AuditLog(self.session, self.clock).append_many([
            {"actor": actor, "action": f"payment.{p.status.value}", "subject_type": "payment", "subject_id": p.id,
             "reason": source, "details": {"amount": str(p.amount), "currency": p.currency, "bank": p.bank_id}}
            for p in rows])
        return rows

    @staticmethod
    def first_event(payment: NewRow, source: str) -> NewRow:
        """The history of a payment ``add_many`` just made, without reading it back."""
        return NewRow(payment_id=payment.id, at=payment.created_at, status=payment.status.value,
                      reason_code=payment.reason_code, reason_text=payment.reason_text, source=source[:200])

    def get_for_client(self, client_id: str, payment_id: str, *, consent_id: str | None = None) -> Payment:
        """Another client's payment is 'not found', like a consent; with ``consent_id`` (a token
        bound to a holder's consent), so is one made under another consent."""
        query = select(Payment).where(Payment.id == payment_id, Payment.client_id == client_id)
        if consent_id is not None:
            query = query.where(Payment.consent_id == consent_id)
        return found(self.session.scalar(query), "payment", payment_id)

    def get(self, payment_id: str) -> Payment:
        return found(self.session.get(Payment, payment_id), "payment", payment_id)

    def list_for_client(self, client_id: str, *, status: str | None = None, limit: int = 100,
                        after: tuple[datetime, str] | None = None, consent_id: str | None = None) -> list[Payment]:
        """Oldest first; ``after`` is the (created_at, id) of the last payment already shown;
        ``consent_id`` narrows to the payments made under one consent."""
        query = select(Payment).where(Payment.client_id == client_id).order_by(Payment.created_at, Payment.id)
        if consent_id is not None:
            query = query.where(Payment.consent_id == consent_id)
        if status:
            query = query.where(status_is(PaymentStatus(status)))
        if after:  # a row value: the page starts inside ix_payments_client_created, nothing read twice
            query = query.where(tuple_(Payment.created_at, Payment.id) > tuple_(*after))
        return list(self.session.scalars(query.limit(limit)))

    def of_message(self, outgoing_message_id: str) -> list[Payment]:
        query = select(Payment).where(Payment.outgoing_message_id == outgoing_message_id).order_by(Payment.id)
        return list(self.session.scalars(query))

    def histories(self, payment_ids: list[str]) -> dict[str, list[PaymentEvent]]:
        """The histories of many payments in one query (a page of GET /payments)."""
        out: dict[str, list[PaymentEvent]] = {}
        if payment_ids:
            query = select(PaymentEvent).where(PaymentEvent.payment_id.in_(payment_ids)).order_by(PaymentEvent.id)
            for event in self.session.scalars(query):
                out.setdefault(event.payment_id, []).append(event)
        return out

    def history(self, payment_id: str) -> list[PaymentEvent]:
        query = select(PaymentEvent).where(PaymentEvent.payment_id == payment_id).order_by(PaymentEvent.id)
        return list(self.session.scalars(query))

    def move(self, payment: Payment, status: PaymentStatus, *, source: str, actor: str = "system",
             reason_code: str | None = None, reason_text: str | None = None) -> bool:
        """Apply a reported status if the lifecycle allows it; False (and nothing written) if not."""
        status = PaymentStatus(status)
        if not allowed(payment.status, status):
            return False
        previous = payment.status
        payment.status, payment.updated_at = status, self.clock()
        if reason_code or reason_text or status in FINAL or previous == _S.HELD:  # a hold's reason ends with it
            payment.reason_code, payment.reason_text = reason_code, reason_text
        self.session.flush()
        self._event(payment, source)
        self.audit(actor, f"payment.{status.value}", ("payment", payment.id), reason_text or source,
                   previous=previous.value, reason_code=reason_code, source=source)
        return True

    def _event(self, payment: Payment, source: str) -> None:
        self.session.add(PaymentEvent(payment_id=payment.id, at=self.clock(), status=payment.status.value,
                                      reason_code=payment.reason_code, reason_text=payment.reason_text,
                                      source=source[:200]))


class ClientAccounts(Repository):
    """The wallet provider's own accounts (settlement, collection), enrolled by the operator."""

    def set(self, *, client_id: str, role: str, iban: str, currency: str, name: str, bic: str | None,
            actor: str) -> ClientAccount:
        iban = iban.replace(" ", "").upper()  # as statements carry it, or nothing would ever match
        if problem := iban_problem(iban):
            raise InvalidInput(f"{iban}: {problem}", code="invalid_iban")
        row = self.session.scalar(select(ClientAccount).where(ClientAccount.client_id == client_id,
                                                              ClientAccount.role == role))
        if row is None:
            row = ClientAccount(client_id=client_id, role=role, created_at=self.clock())
            self.session.add(row)
        row.iban, row.currency, row.name, row.bic = iban, currency, name, bic
        self.session.flush()
        self.audit(actor, "client_account.set", ("client", client_id), None, role=role, iban=iban)
        return row

    def for_client(self, client_id: str) -> list[ClientAccount]:
        query = select(ClientAccount).where(ClientAccount.client_id == client_id).order_by(ClientAccount.role)
        return list(self.session.scalars(query))

    def wallet(self, client_id: str) -> Wallet:
        """The client's name and own accounts in one prepared statement (every operation needs them)."""
        rows = _WALLET.rows(connection_of(self.session), {"client_id": client_id})
        return Wallet(name=rows[0][0] if rows else client_id,
                      accounts=tuple(WalletAccount(*row[1:]) for row in rows if row[1] is not None))


@dataclass(frozen=True, slots=True)
class WalletAccount:
    role: AccountRole
    iban: str
    bic: str | None
    currency: str
    name: str


@dataclass(frozen=True, slots=True)
class Wallet:
    """A wallet provider as its operations name it: the initiating party, and its own accounts."""

    name: str
    accounts: tuple[WalletAccount, ...]


_clients, _accounts = OAuthClient.__table__, ClientAccount.__table__
_WALLET = PreparedRead(
    select(_clients.c.name, *(_accounts.c[name] for name in WalletAccount.__slots__))
    .select_from(_clients.outerjoin(_accounts, _accounts.c.client_id == _clients.c.client_id))
    .where(_clients.c.client_id == bindparam("client_id"))
    .order_by(_accounts.c.role))

