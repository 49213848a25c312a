"""``Idempotency-Key`` on every POST that moves money.

* missing or malformed → 400 ``idempotency_key_missing`` / ``idempotency_key_invalid``;
* the key seen before with the same request (method, path, body bytes) → the first
  answer again, status and body, with ``Idempotent-Replayed: true``; nothing runs;
* the key seen before with another request → 422 ``idempotency_key_reused``;
* two requests with one key at the same time → one wins; the other's insert of
  the key collides at commit and it answers 409 ``concurrent_update``; retried, it
  gets the first answer.

The key and the answer are stored in the request's transaction, with the
payments: both or neither.  Only successful answers are stored; a refused
request changed nothing, so repeating it (fixed) under the same key is fine.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from flask import request
from sqlalchemy.exc import IntegrityError

from gateway.api.bodies import raw_body
from gateway.consent import storage
from gateway.consent.protect import current_token
from gateway.domain.errors import GatewayError
from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.prepared import connection_of, inserts_at_the_end
from gateway.persistence.repositories.idempotency import IdempotencyKeys

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, like the IETF draft's examples (UUIDs)


class IdempotencyError(GatewayError):
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(GatewayError):
    code = "idempotency_key_reused"


def idempotent(client_id: str, run: Callable[[], tuple[int, dict]]) -> tuple[dict, int, dict[str, str]]:
    """The answer (body, status, headers) of ``run``, or the first answer again for a repeat."""
    key = request.headers.get(HEADER)
    if key is None:
        raise IdempotencyError(f"send an {HEADER} header (a UUID is a good key): every request that moves "
                               "money needs one, so that repeating it never pays twice",
                               code="idempotency_key_missing")
    if not _KEY.fullmatch(key):
        raise IdempotencyError(f"{HEADER} must be 1 to 255 visible ASCII characters")
    # The consent a token is bound to is part of the request: the same key and body from two
    # holders' tokens are two requests, never one holder's answer replayed to the other.
    consent = (current_token().row.consent_id or "").encode()
    digest = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), consent,
                                         raw_body()])).hexdigest()
    keys = IdempotencyKeys(storage.session(), storage.clock())
    seen = keys.find(client_id, key)
    if seen is not None:
        if seen.request_sha256 != digest:
            raise IdempotencyKeyReused(f"the {HEADER} {key!r} was used for a different request; "
                                       "use a new key for a new request")
        return seen.response, seen.status_code, {"Idempotent-Replayed": "true"}
    # The request's rows (payments, outbox, the key and its answer) are written together at the
    # end, so the database's write lock is held for the inserts and the commit only.
    try:
        with inserts_at_the_end(connection_of(storage.session())):
            status, body = run()
            keys.remember(client_id=client_id, key=key, request_sha256=digest, status_code=status, response=body)
    except IntegrityError:  # a unique key another request took first: this key, or an EndToEndId
        raise ConcurrentUpdate(f"another request (with the {HEADER} {key!r}, or the same EndToEndId) was "
                               "handled at the same time; repeat this one to get its answer") from None
    return body, status, {}
