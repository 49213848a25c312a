"""OAuth2 authorization server with account-holder consent, on authlib's Flask
integration, one module per RFC as authlib lays them out:

* ``rfc6749``: the grants (client credentials, authorization code bound to a
  consent, refresh token with rotation and reuse detection), client lookup and
  token storage;
* ``rfc7636``: PKCE, S256 only, required for every client;
* ``rfc7009``: revocation; ``rfc7662``: introspection; ``rfc8414``: metadata;
* ``server``: the AuthorizationServer and its machine endpoints;
* ``authorize``: the holder's pages (sign-in with password and TOTP, approve or
  deny, list and revoke consents); ``csrf``: their CSRF tokens;
* ``api``: consent resources for clients, and ``GET /accounts``;
* ``protect``: ``require_oauth(scope, consent_kind)``, the resource protector;
* ``rfc7523``: ``private_key_jwt`` client assertions; ``registration``: what the
  operator may register (shared by the command line and the admin API);
* ``signin``: the holder's sign-in (lockout, TOTP replay, idle timeout); ``pages``:
  their rendering; ``cookies``: the session cookie, set up once per process;
* ``storage``: one database session per request, and transaction-free reads;
  ``models``: authlib's view of the stored rows.

Storage (and its audit log) is ``gateway.persistence``; every state change goes
through its repositories.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response

from gateway.config import Settings
from gateway.domain.errors import GatewayError
from gateway.persistence.db import Database


def install(app: Flask, settings: Settings, database: Database, *,
            on_commit_error: Callable[[GatewayError], Response]) -> None:
    """Request-scoped storage, the authorization server and the blueprints."""
    from gateway.consent import api, authorize, cookies, server, storage

    cookies.install(app)
    storage.install(app, database, on_commit_error=on_commit_error)
    server.create_server(app, settings)
    for blueprint in (server.bp, authorize.bp, api.bp):
        app.register_blueprint(blueprint)
