"""The ``jti`` of accepted client assertions (RFC 7523 ``private_key_jwt``), kept until they
expire so that an assertion authenticates one request only, whichever worker receives it.

``use`` is one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (SQLite and PostgreSQL both have it):
of two requests carrying the same assertion, the database lets exactly one insert the row,
even when they run at the same moment in two workers; the other sees nothing inserted.
No savepoint or caught IntegrityError is needed, so the request's session stays usable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from gateway.persistence.db import insert_for
from gateway.persistence.models import ClientAssertion
from gateway.persistence.repositories.audit import SYSTEM, Repository
from gateway.persistence.secrets import hash_token


class ClientAssertions(Repository):
    def use(self, client_id: str, jti: str, expires_at: datetime) -> bool:
        """True the first time ``jti`` is presented by this client (until ``expires_at``), False on
        a replay (audited).  Expired entries are removed on the way."""
        self.session.execute(delete(ClientAssertion).where(ClientAssertion.expires_at < self.clock()))
        table = ClientAssertion.__table__
        statement = (insert_for(self.session)(table)
                     .values(client_id=client_id, jti_hash=hash_token(jti), expires_at=expires_at)
                     .on_conflict_do_nothing(index_elements=["client_id", "jti_hash"])
                     .returning(table.c.jti_hash))
        if self.session.execute(statement).first() is not None:
            return True
        self.audit(SYSTEM, "client.assertion_replayed", ("client", client_id),
                   "a client assertion was presented again")
        return False
