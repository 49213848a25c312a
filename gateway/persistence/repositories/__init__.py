"""Repositories: the storage operations the OAuth and consent services need.

Each repository wraps the caller's session and never commits: the service
decides the transaction (``with db.transaction() as s: Consents(s).transition(...)``),
so a state change and the audit event that records it are written together or
not at all.  Every state change of a client, consent or token appends an audit
event saying who did it (``actor``: ``system``, ``client:<id>``, ``holder:<name>``,
``operator:<name>``), when, and why.

Secrets go in as plain values and are hashed here; a plain token, secret or
code is returned exactly once, by the call that created it.

Where a security reaction must survive the refusal (a reused refresh token or
authorization code revokes the tokens issued from it), the method returns None
instead of raising, so the caller's transaction commits the revocation.

Repositories take a ``clock`` (default: the UTC wall clock) so that expiry can
be tested without waiting.
"""

from gateway.persistence.repositories.audit import SYSTEM, AuditLog, Clock
from gateway.persistence.repositories.consents import TRANSITIONS, Consents
from gateway.persistence.repositories.parties import (
           BankAccounts,
           Clients,
           Holders,
           NewClient,
)
from gateway.persistence.repositories.tokens import (
           AuthorizationCodes,
           TokenLifetimes,
           Tokens,
)

__all__ = ["SYSTEM", "TRANSITIONS", "AuditLog", "AuthorizationCodes", "BankAccounts", "Clients", "Clock",
           "Consents", "Holders", "NewClient", "TokenLifetimes", "Tokens"]
