"""The Alembic migrations build the schema the models describe, on both backends,
and can be undone and redone."""

from __future__ import annotations

import io

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.exc import DBAPIError

from gateway.persistence import migrate
from gateway.persistence.models import Base

TABLES = {"oauth_clients", "account_holders", "bank_accounts", "consents", "consent_accounts",
          "authorization_codes", "tokens", "audit_events",
          # 0002: the payment side
          "client_accounts", "outgoing_messages", "delivery_attempts", "payments", "payment_events",
          "idempotency_keys", "inbound_messages", "statements", "entries", "reconciliation_exceptions",
          "webhook_subscriptions", "webhook_deliveries",
          # 0003: security (client assertion replay, sign-in throttling)
          "client_assertions", "sign_in_throttles"}


LATEST = max(path.name.split("_")[0] for path in (migrate.MIGRATIONS / "versions").glob("[0-9]*_*.py"))
"""The newest revision file's number: revisions are numbered files, each revising the one before."""


def tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def execute(url: str, sql: str) -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_and_records_the_head(blank_database_url):
    assert migrate.current_revision(blank_database_url) is None
    assert not migrate.is_up_to_date(blank_database_url)

    migrate.upgrade(blank_database_url)

    assert tables(blank_database_url) == TABLES
    assert migrate.current_revision(blank_database_url) == migrate.head_revision() == LATEST
    assert migrate.is_up_to_date(blank_database_url)


def test_the_migrated_schema_is_what_the_models_say(blank_database_url):
    """Hand-written migration and models must not drift: autogenerate finds nothing to do."""
    migrate.upgrade(blank_database_url)
    engine = create_engine(blank_database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


AUDIT_ROW = ("INSERT INTO audit_events (at, actor, action, subject_type, subject_id)"
             " VALUES ('2026-11-23 09:00:00', 'system', 'test', 'test', '1')")


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(blank_database_url):
    migrate.upgrade(blank_database_url)
    execute(blank_database_url, AUDIT_ROW)

    migrate.downgrade(blank_database_url, "base")
    assert tables(blank_database_url) == set()
    assert migrate.current_revision(blank_database_url) is None

    migrate.upgrade(blank_database_url)
    assert tables(blank_database_url) == TABLES
    execute(blank_database_url, AUDIT_ROW)
    with pytest.raises(DBAPIError, match="append-only"):  # the triggers came back with the tables
        execute(blank_database_url, "DELETE FROM audit_events")


def test_a_failing_upgrade_leaves_the_database_as_it_was(blank_database_url):
    """Transactional DDL on both backends: SQLite too (env.py opens a real transaction)."""
    execute(blank_database_url, "CREATE TABLE tokens (id INTEGER PRIMARY KEY)")  # the migration will collide

    with pytest.raises(DBAPIError):
        migrate.upgrade(blank_database_url)

    assert tables(blank_database_url) == {"tokens"}  # oauth_clients, consents... were rolled back
    assert migrate.current_revision(blank_database_url) is None


def test_the_url_may_carry_a_percent_encoded_password(tmp_path):
    """ConfigParser would choke on '%' if the URL went through alembic's ini options."""
    url = f"sqlite+pysqlite:///{tmp_path}/with%20space/gateway.db"
    migrate.upgrade(url)
    assert tables(url) == TABLES


@pytest.mark.parametrize(("url", "trigger"), [
    ("postgresql+psycopg://dba@db.example/gateway", "EXECUTE FUNCTION audit_events_append_only()"),
    ("sqlite:///gateway.db", "RAISE(ABORT, 'audit_events is append-only: DELETE refused')")])
def test_the_sql_can_be_printed_for_a_dba_instead_of_run(url, trigger):
    config = migrate.alembic_config(url)
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE consents" in sql and trigger in sql
