"""Webhook subscriptions: ``POST /webhooks`` {"url": "https://..."} → 201 with the signing
secret (shown to its client, which needs it to check signatures); ``GET /webhooks``;
``DELETE /webhooks/{id}``.  Every payment status change of the client is then POSTed to
each URL, signed (see :mod:`gateway.worker.webhooks` for the headers and how to verify).

URLs must be https and public (see :mod:`gateway.services.webhook_targets`), except on
loopback (a developer's receiver) in the development profile.  The body has ``url`` and
nothing else, and a URL is subscribed once per client (see :mod:`gateway.services.webhooks`).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from gateway.api.bodies import json_body
from gateway.consent import storage
from gateway.consent.models import WALLET_SCOPE
from gateway.consent.protect import current_token, require_oauth
from gateway.persistence.payment_models import WebhookSubscription
from gateway.persistence.repositories.webhooks import Webhooks
from gateway.services import webhooks

bp = Blueprint("webhooks", __name__)
SCOPES = (WALLET_SCOPE, "consents")
"""The client's own tokens; a token bound to one holder's consent cannot subscribe to every payment."""


def _client_id() -> str:
    return current_token().row.client_id


@bp.post("/webhooks")
@require_oauth(SCOPES)
def subscribe():
    development = current_app.config["GATEWAY_SETTINGS"].profile == "development"
    row = webhooks.subscribe(storage.session(), storage.clock(), client_id=_client_id(), body=json_body(),
                             loopback=development)
    return {**_json(row), "secret": row.secret}, 201


@bp.get("/webhooks")
@require_oauth(SCOPES)
def list_subscriptions():
    return {"webhooks": [_json(r) for r in Webhooks(storage.session(), storage.clock()).list_for_client(_client_id())]}


@bp.delete("/webhooks/<subscription_id>")
@require_oauth(SCOPES)
def unsubscribe(subscription_id: str):
    repo = Webhooks(storage.session(), storage.clock())
    repo.disable(repo.get_for_client(_client_id(), subscription_id), actor=f"client:{_client_id()}")
    ended = Response(status=204)
    ended.headers.remove("Content-Type")  # no body, so no media type (werkzeug adds text/html by default)
    return ended


def _json(row: WebhookSubscription) -> dict:
    return {"id": row.id, "url": row.url, "created_at": row.created_at.isoformat()}

