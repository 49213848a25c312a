"""The first answer to each ``Idempotency-Key`` of a client.

The key row is inserted in the same transaction as the payments it created, so
either both exist or neither; two concurrent requests with one key collide on
the primary key and the loser's transaction rolls back (nothing sent twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from gateway.persistence.payment_models import IdempotencyKey
from gateway.persistence.prepared import PreparedInsert, PreparedRead, connection_of
from gateway.persistence.repositories.audit import Repository

_KEYS = IdempotencyKey.__table__
_FIND = PreparedRead(select(_KEYS.c.request_sha256, _KEYS.c.status_code, _KEYS.c.response)
                     .where(_KEYS.c.client_id == bindparam("client_id"), _KEYS.c.key == bindparam("key")))
_INSERT = PreparedInsert(_KEYS, ["client_id", "key", "request_sha256", "status_code", "response", "created_at"])


@dataclass(frozen=True, slots=True)
class Answer:
    """The first answer given to a key, and the digest of the request it answered."""

    request_sha256: str
    status_code: int
    response: dict[str, Any]


class IdempotencyKeys(Repository):
    """Prepared statements (gateway.persistence.prepared): both run on every request that moves money."""

    def find(self, client_id: str, key: str) -> Answer | None:
        rows = _FIND.rows(connection_of(self.session), {"client_id": client_id, "key": key})
        return Answer(*rows[0]) if rows else None

    def remember(self, *, client_id: str, key: str, request_sha256: str, status_code: int,
                 response: dict[str, Any]) -> None:
        """The key's answer, inserted with the request's other rows (``inserts_at_the_end``): a key
        another request took first collides there, and ``api.idempotency`` answers 409."""
        row = {"client_id": client_id, "key": key, "request_sha256": request_sha256, "status_code": status_code,
               "response": response, "created_at": self.clock()}
        _INSERT.execute(connection_of(self.session), [row])
