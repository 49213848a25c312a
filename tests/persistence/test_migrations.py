"""The Alembic migrations build the schema the models describe, on both backends,
and can be undone and redone."""

from __future__ import annotations

import io
import re

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


def _predicate(clause) -> str:
    """A partial index's WHERE as both databases can be compared on: PostgreSQL's casts, brackets
    and spacing left out."""
    return re.sub(r"[()\s]", "", re.sub(r"::[a-z ]+(\[\])?", "", str(clause).lower()))


def test_the_migrated_partial_indexes_are_what_the_models_say(blank_database_url):
    """autogenerate compares an index's columns, not its WHERE: the predicates are compared here."""
    migrate.upgrade(blank_database_url)
    engine = create_engine(blank_database_url, poolclass=pool.NullPool)
    try:
        dialect = engine.dialect.name
        inspector = inspect(engine)
        migrated = {index["name"]: _predicate(index["dialect_options"][f"{dialect}_where"])
                    for table in Base.metadata.tables for index in inspector.get_indexes(table)
                    if index.get("dialect_options", {}).get(f"{dialect}_where") is not None}
    finally:
        engine.dispose()
    modelled = {index.name: _predicate(index.dialect_kwargs[f"{dialect}_where"])
                for table in Base.metadata.tables.values() for index in table.indexes
                if index.dialect_kwargs.get(f"{dialect}_where") is not None}
    assert migrated == modelled


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


def test_0004_keys_the_open_exceptions_and_resolves_duplicates_already_stored(blank_database_url):
    migrate.upgrade(blank_database_url, "0003")
    insert = ("INSERT INTO reconciliation_exceptions (id, kind, account_iban, reason, created_at, resolved_at) "
              "VALUES ('{}', 'unmatched_entry', 'NL41MOCK0000000001', '{}', '2026-11-2{} 10:00:00', {})")
    for row_id, reason, day, resolved in (("a", "entry K1 matches nothing", 1, "NULL"),
                                          ("b", "entry K1 matches nothing", 2, "NULL"),   # a duplicate of a
                                          ("c", "entry K2 matches nothing", 2, "NULL"),
                                          ("d", "entry K1 matches nothing", 0, "'2026-11-20 12:00:00'")):
        execute(blank_database_url, insert.format(row_id, reason, day, resolved))
    migrate.upgrade(blank_database_url)
    engine = create_engine(blank_database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = {r.id: r for r in connection.execute(text(
                "SELECT id, open_key, resolved_at IS NOT NULL AS resolved FROM reconciliation_exceptions"))}
    finally:
        engine.dispose()
    assert {i: (bool(r.resolved), r.open_key is not None) for i, r in rows.items()} == {
        "a": (False, True), "b": (True, False), "c": (False, True), "d": (True, False)}
    assert rows["a"].open_key != rows["c"].open_key
    with pytest.raises(DBAPIError):  # the index now refuses a second open 'a'
        execute(blank_database_url, f"UPDATE reconciliation_exceptions SET open_key = '{rows['a'].open_key}', "
                                    "resolved_at = NULL WHERE id = 'b'")


WALLET_ROW = ("INSERT INTO oauth_clients (client_id, client_secret_hash, name, kind, redirect_uris, scopes, "
              "token_endpoint_auth_method, created_at) VALUES ('{}', '" + "0" * 64 + "', 'Wallet', 'wallet_provider', "
              "'[]', '[\"wallet\"]', 'client_secret_basic', '2026-11-20 09:00:00')")


def test_0009_keeps_the_oldest_active_subscription_of_a_url_and_ends_the_others(blank_database_url):
    migrate.upgrade(blank_database_url, "0008")
    for client_id in ("w1", "w2"):
        execute(blank_database_url, WALLET_ROW.format(client_id))
    insert = ("INSERT INTO webhook_subscriptions (id, client_id, url, secret, created_at, disabled_at) "
              "VALUES ('{}', '{}', 'https://hooks.example/{}', 'secret', '2026-11-2{} 10:00:00', {})")
    for row_id, client_id, path, day, disabled in (("b", "w1", "in", 1, "NULL"),
                                                   ("a", "w1", "in", 2, "NULL"),   # a duplicate of b: newer
                                                   ("c", "w1", "in", 1, "NULL"),   # of b: as old, a later id
                                                   ("d", "w1", "in", 0, "'2026-11-20 12:00:00'"),   # ended already
                                                   ("e", "w1", "other", 2, "NULL"),
                                                   ("f", "w2", "in", 2, "NULL")):  # another client's
        execute(blank_database_url, insert.format(row_id, client_id, path, day, disabled))
    migrate.upgrade(blank_database_url)
    engine = create_engine(blank_database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, disabled_at IS NULL AS active, disabled_at < '2026-11-21' "
                                           "AS ended_before FROM webhook_subscriptions ORDER BY id"))
            states = {r.id: (bool(r.active), bool(r.ended_before)) for r in rows}
    finally:
        engine.dispose()
    assert states == {"a": (False, False), "b": (True, False), "c": (False, False), "d": (False, True),
                      "e": (True, False), "f": (True, False)}
    with pytest.raises(DBAPIError):  # the index now refuses a second active one
        execute(blank_database_url, "UPDATE webhook_subscriptions SET disabled_at = NULL WHERE id = 'a'")
    migrate.downgrade(blank_database_url, "0008")
    execute(blank_database_url, "UPDATE webhook_subscriptions SET disabled_at = NULL WHERE id = 'a'")
