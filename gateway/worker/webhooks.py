"""Signed webhook delivery to wallet providers.

Each delivery is a POST of the event as JSON with::

    Gateway-Event-Id: <delivery id>            (unique; a receiver stores it to ignore replays)
    Gateway-Timestamp: <unix seconds>
    Gateway-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret>

A receiver checks the signature with its secret, refuses a timestamp more than
five minutes away from its clock (an old message replayed) and an event id it
has already processed (the same message replayed within those minutes).
A 2xx answer is delivered; anything else is retried with backoff, up to
``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime

import requests

from gateway.persistence.db import Database
from gateway.persistence.payment_models import WebhookDelivery
from gateway.persistence.repositories.webhooks import CLAIM_BATCH, Webhooks
from gateway.services import webhook_targets

TIMEOUT = (3.05, 10)
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, *, timestamp: int, body: bytes, signature: str, now: int) -> bool:
    """What a receiver does (also used by the tests): signature, then freshness."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature) and abs(now - timestamp) <= TOLERANCE_SECONDS


def deliver_due(database: Database, *, clock: Callable[[], datetime], limit: int = CLAIM_BATCH,
                loopback: bool = False) -> int:
    """POST what is due.  A URL whose host resolves to an address that is not public is not
    called (see :mod:`gateway.services.webhook_targets`; ``loopback``: development); that
    attempt fails with the reason, like a receiver that is down."""
    with database.transaction() as session:
        due = [(d.id, s.url, s.secret, d.payload) for d, s in Webhooks(session, clock).claim_due(limit=limit)]
    for delivery_id, url, secret, payload in due:
        unsafe = webhook_targets.unsafe_destination(url, loopback=loopback)
        ok, detail = (False, f"not called: {unsafe}") if unsafe else _post(url, secret, delivery_id, payload, clock)
        with database.transaction() as session:
            repo = Webhooks(session, clock)
            repo.record(session.get(WebhookDelivery, delivery_id), ok=ok, detail=detail)
    return len(due)


def _post(url: str, secret: str, delivery_id: str, payload: dict, clock) -> tuple[bool, str | None]:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(clock().timestamp())
    headers = {"Content-Type": "application/json", "Gateway-Event-Id": delivery_id,
               "Gateway-Timestamp": str(timestamp), "Gateway-Signature": sign(secret, timestamp, body)}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return True, None
    return False, f"HTTP {response.status_code}"
