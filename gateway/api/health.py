"""``GET /health``: the liveness probe load balancers and ``gateway serve``'s
callers poll.  It answers from memory only, so a slow database never makes a
healthy process look dead (readiness checks with dependencies come later)."""

from __future__ import annotations

from flask import Blueprint

from gateway import __version__

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    return {"status": "ok", "version": __version__}
