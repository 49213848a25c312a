"""gateway clients create|list|disable: register the OAuth2 clients (wallet providers, banks).

A ``client_secret_basic`` client gets a generated secret that is printed once,
here, and stored only as its hash: copy it now, nobody can show it again.
A ``private_key_jwt`` client (``--auth private_key_jwt --jwks FILE``) has no
secret; it signs its token requests (RFC 7523 client assertions, RS256 or ES256)
with the private key whose public half is in the JWKS file (public keys only: a
JWKS holding a private key is refused).

``--kind operator`` registers the operator's own client, for the admin API
(``/admin/...``): it gets the ``admin`` scope and nothing else, has no redirect
URIs and uses client credentials only.  No wallet provider or bank can ever be
given ``admin``.

Redirect URIs are exact, absolute and without a fragment; https, or http only
on a loopback host (127.0.0.1, [::1], localhost) for native and development
clients (RFC 8252).  Scopes are checked against the scopes the gateway knows,
so that a typo never registers a client that can ask for nothing.  The checks
are the admin API's too (gateway/consent/registration.py).

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
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.config import ConfigError, Settings
from gateway.consent.registration import (
    OPERATOR_KIND,
    PARTY_SCOPES,
    check_jwks,
    check_redirect_uris,
    check_scopes,
    describe_client,
)
from gateway.domain.errors import GatewayError, InvalidInput
from gateway.persistence.db import Database
from gateway.persistence.migrate import current_revision, head_revision, upgrade
from gateway.persistence.models import AuthMethod, ClientKind
from gateway.persistence.repositories import Clients
from gateway.persistence.repositories.parties import ADMIN_SCOPE

SCOPES = PARTY_SCOPES
"""The scopes a wallet provider or bank may be allowed (``admin`` is the operator's alone)."""
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

def read_jwks(path: Path) -> dict:
    try:
        jwks = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read the JWKS file {path}: {exc.strerror}", code="invalid_jwks") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}", code="invalid_jwks") from None
    return check_jwks(jwks, str(path))


# -- the commands ------------------------------------------------------------------------------------

def add_parser(sub) -> None:
    parser = sub.add_parser("clients", help="register, list and disable OAuth2 clients", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="clients_command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="register a client (its secret is printed once)")
    create.add_argument("--name", required=True, help="shown to account holders on the consent page")
    create.add_argument("--kind", required=True, choices=[*(k.value for k in ClientKind), OPERATOR_KIND],
                        help="wallet_provider or bank; operator for the operator's own admin API client")
    create.add_argument("--redirect-uri", dest="redirect_uris", action="append", default=[], metavar="URI",
                        help="exact redirect URI (repeatable; needed for the authorization code flow)")
    create.add_argument("--scope", dest="scopes", action="append", default=[], metavar="SCOPE",
                        help=f"scope the client may ask for (repeatable): {', '.join(SCOPES)}; "
                             f"an operator client gets {ADMIN_SCOPE!r} only")
    create.add_argument("--auth", "--auth-method", dest="auth_method", choices=[m.value for m in AuthMethod],
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
        raise InvalidInput("--auth private_key_jwt needs --jwks FILE (the client's public keys)",
                           code="invalid_client_metadata")
    if method == AuthMethod.CLIENT_SECRET_BASIC and args.jwks is not None:
        raise InvalidInput("--jwks is for --auth private_key_jwt", code="invalid_client_metadata")
    if not args.name.strip():
        raise InvalidInput("--name must not be empty", code="invalid_client_metadata")
    is_operator = args.kind == OPERATOR_KIND
    if is_operator and args.redirect_uris:
        raise InvalidInput("the operator's client uses client credentials only: no --redirect-uri",
                           code="invalid_client_metadata")
    redirect_uris = check_redirect_uris(args.redirect_uris)
    scopes = check_scopes(args.scopes or ([ADMIN_SCOPE] if is_operator else []), operator=is_operator)
    jwks = read_jwks(args.jwks) if args.jwks is not None else None
    database = open_database(load_settings(args))
    try:
        with database.transaction() as session:
            new = Clients(session).create(name=args.name.strip(), kind=None if is_operator else args.kind,
                                          operator=is_operator, redirect_uris=redirect_uris, scopes=scopes,
                                          auth_method=method, jwks=jwks, actor=operator())
            client, secret = new.client, new.secret
    finally:
        database.dispose()
    if args.json:
        print(json.dumps({**describe_client(client), "client_secret": secret}, indent=2))
        return EXIT_OK
    print(f"registered {describe_client(client)['kind']} client {client.name!r}")
    print(f"  client_id:     {client.client_id}")
    if secret is not None:
        print(f"  client_secret: {secret}")
        print("  (shown once: store it now; the gateway keeps only its hash)")
    else:
        print(f"  no secret: the client authenticates with private_key_jwt ({len(jwks['keys'])} key(s) registered)")
    print(f"  scopes:        {' '.join(client.scopes)}")
    print(f"  redirect URIs: {' '.join(client.redirect_uris) or '(none: client credentials only)'}")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    database = open_database(load_settings(args))
    try:
        with database.transaction() as session:
            clients = [describe_client(c) for c in Clients(session).list()]
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
