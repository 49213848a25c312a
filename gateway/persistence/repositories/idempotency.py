"""The first answer to each ``Idempotency-Key`` of a client.

The key row is inserted in the same transaction as the payments it created, so
either both exist or neither; two concurrent requests with one key collide on
the primary key and the loser's transaction rolls back (nothing sent twice).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.payment_models import IdempotencyKey
from gateway.persistence.repositories.audit import Repository


class IdempotencyKeys(Repository):
    def find(self, client_id: str, key: str) -> IdempotencyKey | None:
        return self.session.get(IdempotencyKey, (client_id, key))

    def remember(self, *, client_id: str, key: str, request_sha256: str, status_code: int,
                 response: dict[str, Any]) -> None:
        self.session.add(IdempotencyKey(client_id=client_id, key=key, request_sha256=request_sha256,
                                        status_code=status_code, response=response, created_at=self.clock()))
        try:
            self.session.flush()
        except IntegrityError:  # another request with this key committed first
            raise ConcurrentUpdate(f"another request with the Idempotency-Key {key!r} was handled at the same "
                                   "time; repeat this one to get its answer") from None
