"""What makes two reconciliation exceptions the same one."""

from __future__ import annotations

import hashlib


def exception_key(kind: str, payment_id: str | None, entry_id: str | None, reason: str) -> str:
    """SHA-256 of the kind, the payment, the entry and the reason: a statement read twice, or by
    two workers at once, raises the same finding, which is to be stored once while it is open.
    (Reasons are functions of the payment and entry they name; see ``reconcile``.)"""
    parts = [kind, payment_id or "", entry_id or "", reason]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
