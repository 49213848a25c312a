"""The gateway's web service: a Flask application factory.

    app = create_app()                              # config/gateway.toml + GATEWAY_* variables
    app = create_app(settings, max_body_bytes=1024) # tests: a Settings, some fields changed

Why a factory: every test, every gunicorn worker and every later area
(OAuth, consent, payments) gets an application built from one checked
:class:`~gateway.config.Settings`, with nothing global to reset.  Each area is
a blueprint in its own module and registers itself here; errors and security
headers are installed once for all of them.

The ISO 20022 core never imports this package (import-linter's contract).
"""

from __future__ import annotations

from flask import Flask

from gateway import consent
from gateway.api import (
    admin,
    bank,
    demo,
    docs,
    errors,
    files,
    headers,
    health,
    ledger,
    payments,
    reconciliation,
    statements,
    validation,
    webhooks,
)
from gateway.config import Settings
from gateway.wiring import open_database, runtime_from

BLUEPRINTS = (health.bp, validation.bp, docs.bp, payments.bp, files.bp, statements.bp, ledger.bp, webhooks.bp,
              reconciliation.bp, bank.bp, admin.bp)


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    """A configured application; ``overrides`` change named settings (checked again)."""
    settings = settings or Settings.load()
    if overrides:
        settings = settings.with_overrides(**overrides)
    app = Flask(__name__, static_folder=None)
    app.config.update(
        GATEWAY_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.profile == "production",
    )
    app.json.sort_keys = False  # reports read in the order they are built (verdict first, then findings)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    if settings.profile == "development":
        app.register_blueprint(demo.bp)  # the demo wallet's redirect URI (see gateway/demo.py)
    consent.install(app, settings, open_database(settings), on_commit_error=errors.from_gateway_error)
    app.extensions[payments.RUNTIME] = runtime_from(settings)
    errors.install(app)
    headers.install(app)
    return app


__all__ = ["create_app"]
