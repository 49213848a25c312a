"""gateway db: the service's database schema.

    gateway db upgrade     # apply the migrations (production does this explicitly, before `serve`)
    gateway db current     # the schema revision the database is at, and the newest one

The database is the one `gateway serve` would use (GATEWAY_DATABASE_URL, the config
file, or the development profile's SQLite file under var/)."""

from __future__ import annotations

import argparse

from gateway.config import Settings
from gateway.persistence import migrate
from gateway.persistence.db import ensure_sqlite_directory


def add_parser(sub) -> None:
    parser = sub.add_parser("db", help="database schema (migrations)", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("upgrade", "current"))
    parser.add_argument("--profile", choices=("development", "production"))
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")
    parser.set_defaults(run=run)


def run(args) -> int:
    settings = Settings.load(args.config, profile=args.profile)
    ensure_sqlite_directory(settings.database_url)
    if args.action == "upgrade":
        migrate.upgrade(settings.database_url)
    print(f"database at revision {migrate.current_revision(settings.database_url)} "
          f"(newest: {migrate.head_revision()})")
    return 0
