"""gateway clients create|list|disable: register the OAuth2 clients (wallet providers, banks).

A ``client_secret_basic`` client gets a generated secret that is printed once,
here, and stored only as its hash: copy it now, nobody can show it again.
A ``private_key_jwt`` client has no secret; it signs its token requests with
the private key whose public half is in the JWKS file given with --jwks (public
keys only: a JWKS holding a private key is refused).

Redirect URIs are exact, absolute and without a fragment; https, or http only
on a loopback host (127.0.0.1, [::1], localhost) for native and development
clients (RFC 8252).  Scopes are checked against the scopes the gateway knows,
so that a typo never registers a client that can ask for nothing.

The database comes from the settings (config/gateway.toml, GATEWAY_DATABASE_URL,
or --database-url); in the development profile it is migrated first, in
production a database that is not migrated is refused.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.engine import make_url

from gateway.config import ConfigError, Settings
from gateway.domain.errors import GatewayError, InvalidInput
from gateway.persistence.db import Database
from gateway.persistence.migrate import current_revision, head_revision, upgrade
from gateway.persistence.models import AuthMethod, ClientKind, OAuthClient
from gateway.persistence.repositories import Clients

SCOPES = ("accounts", "consents", "payments")
"""The scopes a client may be allowed; ``consents`` creates consents, the others use them."""
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
EXIT_OK, EXIT_USAGE = 0, 2


# -- shared by the commands that work on the database (clients, holders, demo) ---------------------

def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL",
                        help="SQLAlchemy URL (default: GATEWAY_DATABASE_URL, else the config file's, "
                             "else var/gateway.db in development)")
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (default: GATEWAY_CONFIG or "
                                                          "config/gateway.toml)")


def load_settings(args: argparse.Namespace) -> Settings:
    return Settings.load(getattr(args, "config", None), database_url=getattr(args, "database_url", None))


def open_database(settings: Settings) -> Database:
    """The settings' database, migrated first in development; in production it must already be at head."""
    url = settings.database_url
    if settings.profile == "development":
        upgrade(url)
    else:
        current, head = current_revision(url), head_revision()
        if current != head:
            raise ConfigError(f"the database {safe_url(url)} is at revision {current or 'none (empty)'}, "
                                      f"this gateway needs {head}: migrate it first (`gateway db upgrade` with the same "
                                      "settings)", code="database_not_migrated")
    return Database(url)


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def operator() -> str:
    """The audit actor of a command-line change: ``operator:<login name>``."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = f"uid-{os.getuid()}"
    return f"operator:{''.join(name.split()) or 'unknown'}"


def standalone(add_parser: Callable, argv: list[str] | None, command: str) -> int:
    """``python -m gateway.cli.<module>``: the command where ``gateway`` does not (yet) list it;
    errors and exit codes as ``gateway`` has them."""
    parser = argparse.ArgumentParser(prog="gateway")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([command, *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.run(args) or EXIT_OK)
    except GatewayError as exc:
        print(f"gateway: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE


# -- checks ------------------------------------------------------------------------------------------

def check_redirect_uri(uri: str) -> str:
    parts = urlsplit(uri)
    problem = None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "must be an absolute https:// URI (or http:// on a loopback host)"
    elif parts.fragment or "#" in uri:
        problem = "must not contain a fragment (#...)"
    elif parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        problem = f"http:// is only allowed on a loopback host ({', '.join(LOOPBACK_HOSTS)}); use https://"
    elif parts.username or parts.password:
        problem = "must not contain a user name or password"
    if problem:
        raise InvalidInput(f"redirect URI {uri!r} {problem}", code="invalid_redirect_uri")
    return uri


def check_scopes(scopes: Iterable[str]) -> list[str]:
    result: list[str] = []
    for scope in scopes:
        if scope not in SCOPES:
            raise InvalidInput(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}", code="invalid_scope")
        if scope not in result:
            result.append(scope)
    return result


def read_jwks(path: Path) -> dict:
    try:
        jwks = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read the JWKS file {path}: {exc.strerror}", code="invalid_jwks") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}", code="invalid_jwks") from None
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise InvalidInput(f'{path} is not a JWKS: expected {{"keys": [ ...at least one key... ]}}',
                           code="invalid_jwks")
    for position, key in enumerate(keys, 1):
        if not isinstance(key, dict) or not isinstance(key.get("kty"), str):
            raise InvalidInput(f"{path}: key {position} has no \"kty\"", code="invalid_jwks")
        private = sorted(set(key) & set(PRIVATE_JWK_MEMBERS))
        if private:
            raise InvalidInput(f"{path}: key {position} contains private key material ({', '.join(private)}); "
                               "register the public key only", code="invalid_jwks")
    return jwks


# -- the commands ------------------------------------------------------------------------------------

def add_parser(sub) -> None:
    parser = sub.add_parser("clients", help="register, list and disable OAuth2 clients", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="clients_command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="register a client (its secret is printed once)")
    create.add_argument("--name", required=True, help="shown to account holders on the consent page")
    create.add_argument("--kind", required=True, choices=[k.value for k in ClientKind])
    create.add_argument("--redirect-uri", dest="redirect_uris", action="append", default=[], metavar="URI",
                        help="exact redirect URI (repeatable; needed for the authorization code flow)")
    create.add_argument("--scope", dest="scopes", action="append", required=True, metavar="SCOPE",
                        help=f"scope the client may ask for (repeatable): {', '.join(SCOPES)}")
    create.add_argument("--auth-method", choices=[m.value for m in AuthMethod],
                        default=AuthMethod.CLIENT_SECRET_BASIC.value, help="token endpoint authentication "
                                                                           "(default: client_secret_basic)")
    create.add_argument("--jwks", type=Path, metavar="FILE", help="the client's public keys (private_key_jwt)")
    create.add_argument("--json", action="store_true", help="print the result as JSON")
    add_database_option(create)
    create.set_defaults(run=run_create)

    listing = commands.add_parser("list", help="registered clients, enabled and disabled")
    listing.add_argument("--json", action="store_true", help="print the clients as JSON")
    add_database_option(listing)
    listing.set_defaults(run=run_list)

    disable = commands.add_parser("disable", help="refuse a client from now on and revoke its live tokens")
    disable.add_argument("client_id", metavar="ID")
    disable.add_argument("--reason", required=True, help="recorded in the audit log")
    add_database_option(disable)
    disable.set_defaults(run=run_disable)


def run_create(args: argparse.Namespace) -> int:
    method = AuthMethod(args.auth_method)
    if method == AuthMethod.PRIVATE_KEY_JWT and args.jwks is None:
        raise InvalidInput("--auth-method private_key_jwt needs --jwks FILE (the client's public keys)",
                           code="invalid_client_metadata")
    if method == AuthMethod.CLIENT_SECRET_BASIC and args.jwks is not None:
        raise InvalidInput("--jwks is for --auth-method private_key_jwt", code="invalid_client_metadata")
    if not args.name.strip():
        raise InvalidInput("--name must not be empty", code="invalid_client_metadata")
    redirect_uris = [check_redirect_uri(uri) for uri in dict.fromkeys(args.redirect_uris)]
    scopes = check_scopes(args.scopes)
    jwks = read_jwks(args.jwks) if args.jwks is not None else None
    database = open_database(load_settings(args))
    try:
        with database.transaction() as session:
            new = Clients(session).create(name=args.name.strip(), kind=args.kind, redirect_uris=redirect_uris,
                                          scopes=scopes, auth_method=method, jwks=jwks, actor=operator())
            client, secret = new.client, new.secret
    finally:
        database.dispose()
    if args.json:
        print(json.dumps({**describe(client), "client_secret": secret}, indent=2))
        return EXIT_OK
    print(f"registered {client.kind.value} client {client.name!r}")
    print(f"  client_id:     {client.client_id}")
    if secret is not None:
        print(f"  client_secret: {secret}")
        print("  (shown once: store it now; the gateway keeps only its hash)")
    else:
        print(f"  no secret: the client authenticates with private_key_jwt ({len(jwks['keys'])} key(s) registered)")
    print(f"  scopes:        {' '.join(client.scopes)}")
    print(f"  redirect URIs: {' '.join(client.redirect_uris) or '(none: client credentials only)'}")
    return EXIT_OK


def describe(client: OAuthClient) -> dict:
    return {"client_id": client.client_id, "name": client.name, "kind": client.kind.value,
            "token_endpoint_auth_method": client.token_endpoint_auth_method.value,
            "scopes": list(client.scopes), "redirect_uris": list(client.redirect_uris),
            "created_at": client.created_at.isoformat(),
            "disabled_at": client.disabled_at.isoformat() if client.disabled_at else None}


def run_list(args: argparse.Namespace) -> int:
    database = open_database(load_settings(args))
    try:
        with database.transaction() as session:
            clients = [describe(c) for c in session.scalars(select(OAuthClient).order_by(OAuthClient.created_at,
                                                                                         OAuthClient.client_id))]
    finally:
        database.dispose()
    if args.json:
        print(json.dumps(clients, indent=2))
        return EXIT_OK
    if not clients:
        print("no clients registered; add one with `gateway clients create`")
        return EXIT_OK
    for c in clients:
        status = f"disabled {c['disabled_at']}" if c["disabled_at"] else "enabled"
        print(f"{c['client_id']}  {c['name']!r}  {c['kind']}  {c['token_endpoint_auth_method']}  {status}")
        print(f"    scopes: {' '.join(c['scopes'])}; redirect URIs: {' '.join(c['redirect_uris']) or '(none)'}")
    return EXIT_OK


def run_disable(args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise InvalidInput("--reason must say why (it goes into the audit log)", code="invalid_request")
    database = open_database(load_settings(args))
    try:
        with database.transaction() as session:
            client = Clients(session).disable(args.client_id, actor=operator(), reason=args.reason.strip())
            name = client.name
    finally:
        database.dispose()
    print(f"disabled client {args.client_id} ({name!r}): it can no longer authenticate and its live tokens "
          "are revoked")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    return standalone(add_parser, argv, "clients")


if __name__ == "__main__":
    sys.exit(main())
