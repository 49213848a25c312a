"""Subscribing a client's URL to its payment status changes (``POST /webhooks``).

The request is refused whole, with a finding per problem, rather than read loosely:

* a field other than :data:`FIELDS` is an error, not ignored: a client that misspells
  a field (``"evnets"``) would otherwise believe it asked for something it never got,
  as the operation requests already refuse unknown fields;
* the URL must be one the gateway may call (:mod:`gateway.services.webhook_targets`);
* a URL the client already subscribes is refused by the repository (409
  ``webhook_already_subscribed``, naming the subscription): a second subscription
  would receive every event twice, under two event ids, so a receiver's replay check
  could not tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.persistence.payment_models import WebhookSubscription
from gateway.persistence.repositories.webhooks import Webhooks
from gateway.services import webhook_targets

Clock = Callable[[], datetime]
FIELDS = ("url",)
"""What a subscription request may say."""
CODE = "invalid_webhook"


def subscribe(session: Session, clock: Clock, *, client_id: str, body: object,
              loopback: bool) -> WebhookSubscription:
    """A new subscription of ``client_id`` to the URL ``body`` names; ``loopback``: the development
    profile, where a receiver on this machine is allowed."""
    url = requested_url(body, loopback=loopback)
    return Webhooks(session, clock).subscribe(client_id=client_id, url=url, actor=f"client:{client_id}")


def requested_url(body: object, *, loopback: bool) -> str:
    """The URL of a subscription request, or InvalidInput naming every field that is wrong."""
    if not isinstance(body, dict):
        message = "the body must be a JSON object such as {\"url\": \"https://...\"}"
        raise InvalidInput(message, [Finding(rule="webhook.body", reason="FF01", message=message)], code=CODE)
    findings = _unknown_fields(body)
    url = body.get("url")
    refusal = webhook_targets.refusal(url, loopback=loopback)
    if refusal:
        findings.append(Finding(rule="webhook.url", reason="FF01", message=refusal, location=("url",),
                                value=str(url)[:200]))
    if findings:
        raise InvalidInput(findings[0].message if len(findings) == 1 else
                           f"the subscription request has {len(findings)} problems", findings, code=CODE)
    assert isinstance(url, str)  # refusal() passes only a string
    return url


def _unknown_fields(body: dict) -> list[Finding]:
    known = ", ".join(FIELDS)
    return [Finding(rule="webhook.field", reason="FF01", location=(key,),
                    message=f"unknown field {key!r} (known here: {known})")
            for key in body if key not in FIELDS]
