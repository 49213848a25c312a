"""gateway demo seed: demo data for a developer's machine (development profile only).

Creates, when missing, a wallet-provider client "Demo Wallet", the account
holder ``alice`` (a public development-only password and a TOTP second factor)
and three bank accounts she holds, then prints them and the URLs to try.
Running it again changes nothing and prints the same data.

The client secret is printed when the client is created and written to the
git-ignored var/demo-client.json (readable by you only) so that later runs,
the demo and the tests can use it.  All of this is for development only: the
command refuses the production profile.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.cli.clients import (
    add_database_option,
    load_settings,
    open_database,
    safe_url,
    standalone,
)
from gateway.cli.holders import code_command, totp_uri
from gateway.config import ConfigError, Settings
from gateway.demo import DEFAULT_SECRETS_FILE, DemoData, seed


def add_parser(sub) -> None:
    parser = sub.add_parser("demo", help="demo data for development (wallet client, holder, accounts)",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    seeder = commands.add_parser("seed", help="create the demo data that is missing and print all of it")
    add_database_option(seeder)
    seeder.add_argument("--base-url", metavar="URL",
                        help="where `gateway serve` answers (default: from the listen setting, "
                             "e.g. http://127.0.0.1:8080); its /demo/callback becomes a redirect URI")
    seeder.add_argument("--secrets-file", type=Path, default=DEFAULT_SECRETS_FILE, metavar="FILE",
                        help="where the demo client's secret is kept (default: var/demo-client.json)")
    seeder.set_defaults(run=run_seed)


def base_url_of(settings: Settings) -> str:
    host, port = settings.host_port
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def run_seed(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if settings.profile != "development":
        raise ConfigError(f"demo data is for development only; the {settings.profile} profile refuses it")
    base = (args.base_url or base_url_of(settings)).rstrip("/")
    database = open_database(settings)
    try:
        data = seed(database, base_url=base, secrets_file=args.secrets_file)
    finally:
        database.dispose()
    print(report(data, base, safe_url(settings.database_url), settings))
    return 0


def report(data: DemoData, base: str, where: str, settings: Settings | None = None) -> str:
    def state(created: bool) -> str:
        return "created" if created else "already there, kept"

    lines = [f"Demo data (DEVELOPMENT ONLY) in {where}:", "",
             f"wallet client {data.client_name!r} (wallet_provider, client_secret_basic): {state(data.client_created)}",
             f"  client_id:     {data.client_id}"]
    if data.client_secret is not None:
        lines.append(f"  client_secret: {data.client_secret}")
        if data.client_created:
            lines.append(f"  (shown once by the gateway; kept for the demo in {data.secrets_file}, git-ignored)"
                         if data.secrets_file else "  (shown once: the gateway keeps only its hash)")
        else:
            lines.append(f"  (read back from {data.secrets_file})")
    else:
        lines.append("  client_secret: unknown: the gateway keeps only its hash and the secrets file does not "
                     "hold it; use a fresh database, or register another client with `gateway clients create`")
    lines += [f"  scopes:        {' '.join(data.scopes)}",
              f"  redirect URIs: {' '.join(data.redirect_uris)}", "",
              f"account holder {data.username}: {state(data.holder_created)}",
              f"  password:      {data.password}   (public, development only)",
              f"  TOTP secret:   {data.totp_secret}",
              f"  otpauth URI:   {totp_uri(data.totp_secret, data.username)}",
              f"  current code:  {code_command(data.totp_secret)}", "",
              f"bank accounts of {data.username}:"]
    for account in data.accounts:
        if account.iban in data.accounts_held_elsewhere:
            how = "enrolled for another holder, left alone"
        else:
            how = state(account.iban in data.accounts_created)
        lines.append(f"  {account.iban:<24} {account.currency}  {account.name}: {how}")
    lines += ["", f"URLs to try once `gateway serve` runs on {base}:", *urls_to_try(base, data, settings)]
    return "\n".join(lines)


def urls_to_try(base: str, data: DemoData, settings: Settings | None) -> list[str]:
    lines = [f"  health:   curl {base}/health", f"  API docs: {base}/docs  (OpenAPI: {base}/openapi.json)"]
    routes = _routes(settings)
    if "/.well-known/oauth-authorization-server" in routes.get("GET", ()):
        lines.append(f"  OAuth server metadata: curl {base}/.well-known/oauth-authorization-server")
    token = next((rule for rule in sorted(routes.get("POST", ())) if rule.endswith("/token")), None)
    if token and data.client_secret:
        lines.append(f"  a token (client credentials): curl -u {data.client_id}:{data.client_secret} "
                     f"-d grant_type=client_credentials -d scope=consents {base}{token}")
    if "/account/consents" in routes.get("GET", ()):
        lines.append(f"  {data.username}'s consents (sign in as {data.username}): {base}/account/consents")
    return lines


def _routes(settings: Settings | None) -> dict[str, set[str]]:
    """The application's routes without parameters, by method (so that only what exists is suggested)."""
    if settings is None:
        return {}
    try:
        from gateway.api import create_app

        app = create_app(settings)
    except Exception:  # noqa: BLE001 - the suggestions are a convenience; seeding has succeeded
        return {}
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.arguments:
            for method in rule.methods or ():
                routes.setdefault(method, set()).add(rule.rule)
    return routes


def main(argv: list[str] | None = None) -> int:
    return standalone(add_parser, argv, "demo")


if __name__ == "__main__":
    sys.exit(main())
