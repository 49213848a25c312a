"""The fast authenticated read (``GET /consents/{id}``): one statement, no transaction, a read
connection kept between requests that still sees every commit at once and survives a
database that dropped it.  SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, text

from gateway.api import create_app
from gateway.consent import storage
from gateway.persistence.db import Database
from gateway.persistence.repositories import AuditLog
from tests.api.conftest import checked_client
from tests.consent.conftest import bearer, cc_token, code_flow, create_consent


def test_one_statement_and_no_transaction(client, app, world, clock, monkeypatch):
    token = bearer(cc_token(client, world.wallet))
    consent_id = create_consent(client, world.wallet, clock)
    client.get(f"/consents/{consent_id}", headers=token)  # warm: the read connection exists now
    seen: list[str] = []
    engines = {app.extensions[storage.DATABASE].engine, app.extensions[storage.READER]}
    listeners = [("checkout", lambda *_: seen.append("pool checkout")), ("begin", lambda _c: seen.append("BEGIN")),
                 ("commit", lambda _c: seen.append("COMMIT")), ("rollback", lambda _c: seen.append("ROLLBACK"))]
    dbapi = app.extensions[storage.READ_CONNECTIONS].connection.connection.dbapi_connection
    statements = _statement_counter(dbapi, monkeypatch)
    for engine in engines:
        for name, listener in listeners:
            event.listen(engine.pool if name == "checkout" else engine, name, listener)
    try:
        response = client.get(f"/consents/{consent_id}", headers=token)
    finally:
        for engine in engines:
            for name, listener in listeners:
                event.remove(engine.pool if name == "checkout" else engine, name, listener)
    assert response.status_code == 200 and response.json["id"] == consent_id
    assert seen == [], seen  # no connection taken from a pool, no transaction begun, committed or rolled back
    assert statements() == ["SELECT"]


def _statement_counter(dbapi_connection, monkeypatch):
    """The first word of each statement the read connection sends from now on (SQLite traces
    them; on psycopg the connection's cursors are watched)."""
    calls: list[str] = []
    if hasattr(dbapi_connection, "set_trace_callback"):  # sqlite3
        dbapi_connection.set_trace_callback(lambda sql: calls.append(sql.split()[0]))
        return lambda: (dbapi_connection.set_trace_callback(None), calls)[1]
    from psycopg import Cursor
    original = Cursor.execute

    def counting(self, query, *args, **kwargs):
        if self.connection is dbapi_connection:
            calls.append(str(query).split()[0])
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(Cursor, "execute", counting)
    return lambda: calls


def test_reads_see_other_requests_commits_at_once(client, world, clock, settings, spec, fast_kdf):
    """A second application on the same database plays another worker."""
    other_app = create_app(settings)
    other_app.extensions[storage.CLOCK] = clock
    other = checked_client(other_app, spec)
    other_client = next(other)
    try:
        token = cc_token(client, world.wallet)
        consent_id = create_consent(client, world.wallet, clock)
        assert client.get(f"/consents/{consent_id}", headers=bearer(token)).json["status"] == "awaiting_authorisation"
        revoked = other_client.delete(f"/consents/{consent_id}", headers=bearer(token))
        assert revoked.status_code == 200
        assert client.get(f"/consents/{consent_id}", headers=bearer(token)).json["status"] == "revoked"
        assert other_client.post("/oauth/revoke", data={"token": token}, headers=world.wallet.basic).status_code == 200
        assert client.get(f"/consents/{consent_id}", headers=bearer(token)).status_code == 401
    finally:
        next(other, None)
        storage.dispose(other_app)


def test_an_expired_consent_is_marked_expired_by_the_read(client, world, clock, settings):
    consent_id = create_consent(client, world.wallet, clock, minutes=5)
    token = bearer(cc_token(client, world.wallet))
    clock.advance(minutes=6)
    token = bearer(cc_token(client, world.wallet))
    response = client.get(f"/consents/{consent_id}", headers=token)
    assert response.status_code == 200 and response.json["status"] == "expired"
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            [event_] = AuditLog(s).entries(action="consent.expired")
            assert event_.subject_id == consent_id and event_.actor == "system"
    finally:
        database.dispose()
    assert client.get(f"/consents/{consent_id}", headers=token).json["status"] == "expired"


def test_the_read_shows_the_accounts_of_an_authorised_consent(client, world, clock):
    flow = code_flow(client, world, clock)
    consent = client.get(f"/consents/{flow['consent_id']}", headers=bearer(cc_token(client, world.wallet)))
    assert consent.json["status"] == "authorised"
    assert [a["id"] for a in consent.json["accounts"]] == world.alice_accounts[:1]
    assert consent.json["accounts"][0]["iban"] == "DE89370400440532013000"


def test_refusals_on_the_read(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    path = f"/consents/{consent_id}"
    assert client.get(path).json["code"] == "missing_token"
    for header in ("Bearer", "Bearer two words", "Basic abc", "bearer unknown-token"):
        response = client.get(path, headers={"Authorization": header})
        assert response.status_code == 401 and response.json["code"] == "invalid_token", header
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="gateway", error="invalid_token"'
    mine = cc_token(client, world.wallet)
    assert client.get(path, headers={"Authorization": f"bEaReR {mine}"}).status_code == 200  # scheme in any case
    theirs = bearer(cc_token(client, world.other))
    assert client.get(path, headers=theirs).json["code"] == "consent_not_found"
    clock.advance(minutes=10)  # the client-credentials token (5 minutes) has expired
    assert client.get(path, headers=bearer(mine)).json["code"] == "invalid_token"


def test_a_read_connection_the_database_dropped_is_replaced(client, app, world, clock, settings):
    token = bearer(cc_token(client, world.wallet))
    consent_id = create_consent(client, world.wallet, clock)
    assert client.get(f"/consents/{consent_id}", headers=token).status_code == 200
    kept = app.extensions[storage.READ_CONNECTIONS].connection
    if kept.dialect.name == "postgresql":
        pid = kept.connection.dbapi_connection.info.backend_pid
        database = Database(settings.database_url)
        try:
            with database.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            database.dispose()
    else:
        kept.connection.dbapi_connection.close()  # as good as dead: "Cannot operate on a closed database"
    again = client.get(f"/consents/{consent_id}", headers=token)
    assert again.status_code == 200 and again.json["id"] == consent_id
    assert app.extensions[storage.READ_CONNECTIONS].connection is not kept
