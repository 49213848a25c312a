"""Messages banks sent, stored raw before they are interpreted.

Storing first means a crash while interpreting loses nothing (the row is still
there, unprocessed, and is interpreted again); the unique (bank, external id)
means a message collected twice, or posted twice by a bank, is stored once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from gateway.persistence.db import insert_for
from gateway.persistence.models import new_id
from gateway.persistence.payment_models import InboundMessage
from gateway.persistence.repositories.audit import Repository, found


def external_id(connector_id: str, body: bytes) -> str:
    """The connector's id of a message plus a digest of its bytes: the same message collected twice
    is stored once, and a bank that reuses an id for a new message (a test bank after a reset) is
    not mistaken for a repeat."""
    return f"{connector_id[:180]}#{hashlib.sha256(body).hexdigest()[:32]}"


class InboundMessages(Repository):
    def store(self, *, bank_id: str, external_id: str, body: bytes) -> tuple[InboundMessage, bool]:
        """The stored row, and whether it is new (False: this bank sent this message before).

        Two workers collecting one bank's mailbox at the same time both try to store its
        messages: the insert is ``ON CONFLICT DO NOTHING`` (PostgreSQL waits for the other
        transaction and then does nothing), so the loser gets the winner's row as not new
        instead of a unique-constraint error that would abort its whole pass."""
        existing = self._find(bank_id, external_id)
        if existing is not None:
            return existing, False
        table = InboundMessage.__table__
        stored = self.session.execute(insert_for(self.session)(table).values(
            id=new_id(), bank_id=bank_id, external_id=external_id, body=body,
            sha256=hashlib.sha256(body).hexdigest(), received_at=self.clock(),
        ).on_conflict_do_nothing(index_elements=["bank_id", "external_id"]).returning(table.c.id)).scalar()
        if stored is None:
            return self._find(bank_id, external_id), False
        return self.get(stored), True

    def _find(self, bank_id: str, external_id: str) -> InboundMessage | None:
        return self.session.scalar(select(InboundMessage).where(InboundMessage.bank_id == bank_id,
                                                                InboundMessage.external_id == external_id))

    def get(self, row_id: str, *, lock: bool = False) -> InboundMessage:
        """``lock``: hold the row until the transaction ends (``FOR UPDATE`` on PostgreSQL), so two
        workers never interpret one message at the same time."""
        row = self.session.get(InboundMessage, row_id, with_for_update=lock or None, populate_existing=lock)
        return found(row, "inbound_message", row_id)

    def unprocessed(self, *, limit: int = 100) -> list[InboundMessage]:
        query = (select(InboundMessage).where(InboundMessage.processed_at.is_(None))
                 .order_by(InboundMessage.received_at, InboundMessage.id).limit(limit))
        return list(self.session.scalars(query))

    def finish(self, row: InboundMessage, *, outcome: str, family: str | None = None, message_type: str | None = None,
               message_id: str | None = None, findings: list[dict[str, Any]] | None = None) -> None:
        row.processed_at, row.outcome = self.clock(), outcome
        row.family, row.message_type, row.message_id = family, message_type, message_id
        row.findings = findings or None
        self.session.flush()
