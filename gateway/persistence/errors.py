"""Typed storage errors with stable ``code`` values, so that the web edge can map
them to problem+json once (404 for ``*_not_found``, 409 for conflicts, ...).

A consent that exists but belongs to another client raises the same
``consent_not_found`` as one that does not exist: the answer must not tell a
client whether someone else's consent id is real.
"""

from __future__ import annotations

from gateway.domain.errors import GatewayError
from gateway.domain.findings import Finding


class NotFound(GatewayError):
    """No such record *for this caller* (``consent_not_found``, ``client_not_found``, ...)."""

    code = "not_found"


class AlreadyExists(GatewayError):
    """A unique value is taken (``username_taken``, ``iban_taken``, ``client_id_taken``)."""

    code = "already_exists"


class AlreadySubscribed(AlreadyExists):
    """The client already has an active webhook subscription for this URL.

    ``members`` carries that subscription's id into the problem document, so a client
    acts on it (keeps it, or deletes it first) without parsing the words; the finding
    names the field, as every refusal of a request does."""

    code = "webhook_already_subscribed"

    def __init__(self, subscription_id: str, url: str) -> None:
        message = (f"this URL is already subscribed as webhook {subscription_id}; one subscription per URL "
                   "(a second would receive every event twice)")
        super().__init__(message)
        self.subscription_id = subscription_id
        self.members = {"subscription_id": subscription_id}
        self.findings = [Finding(rule="webhook.duplicate", reason="AM05", message=message, location=("url",),
                                 value=url[:200])]


class InvalidTransition(GatewayError):
    """A state change the lifecycle does not allow (a revoked consent cannot be authorised)."""

    code = "invalid_transition"


class InvalidCredentials(GatewayError):
    """Wrong password or client secret, unknown user or client, disabled client: one answer for all."""

    code = "invalid_credentials"


class ConsentNotActive(GatewayError):
    """The consent is not authorised, or has expired, so it cannot be used."""

    code = "consent_not_active"


class LimitExceeded(GatewayError):
    """A payment would go beyond a consent's per-payment, total or count limit."""

    code = "consent_limit_exceeded"


class ConcurrentUpdate(GatewayError):
    """Another transaction changed the same consent, token or code first; retry from a fresh read."""

    code = "concurrent_update"
