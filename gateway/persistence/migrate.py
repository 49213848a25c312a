"""Run the Alembic migrations from code: ``upgrade(url)`` is ``alembic upgrade
head`` without an alembic.ini at the repository root (the Config is built here,
pointing at this package's ``migrations`` folder).

The URL travels in ``Config.attributes``, not as the ``sqlalchemy.url`` option,
because the option goes through ConfigParser, which would mangle a ``%`` in a
URL-encoded password.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL

MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def alembic_config(url: str | URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (creating a SQLite file and its folder if needed)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str = "base") -> None:
    """Undo migrations down to ``revision``; ``base`` drops every table the migrations made."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(url: str | URL) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_up_to_date(url: str | URL) -> bool:
    """What a server checks at start-up, so it never runs against an old schema."""
    return current_revision(url) == head_revision()
