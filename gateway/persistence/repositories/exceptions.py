"""Reconciliation exceptions: what the gateway could not reconcile or apply, kept open for the
operator (``gateway payments exceptions``) and, where they name its payments or accounts, the
wallet provider (``GET /reconciliation/exceptions``)."""

from __future__ import annotations

from typing import Any

from gateway.domain.reconciliation.keys import exception_key
from gateway.persistence.db import insert_for
from gateway.persistence.models import new_id
from gateway.persistence.payment_models import ReconciliationException
from gateway.persistence.repositories.audit import Repository


class Exceptions(Repository):
    def open(self, kind: str, reason: str, *, account: str | None = None, payment_id: str | None = None,
             entry_id: str | None = None, details: dict[str, Any] | None = None) -> None:
        """Store an open exception unless the same one is already open (a message read twice, or
        read by two workers at once): ``INSERT … ON CONFLICT DO NOTHING`` on the open key, so the
        second of two concurrent inserts does nothing (PostgreSQL waits for the first to commit)."""
        self.session.execute(insert_for(self.session)(ReconciliationException.__table__).values(
            id=new_id(), kind=kind, account_iban=account, payment_id=payment_id, entry_id=entry_id, reason=reason,
            details=details or None, created_at=self.clock(),
            open_key=exception_key(kind, payment_id, entry_id, reason),
        ).on_conflict_do_nothing(index_elements=["open_key"]))
