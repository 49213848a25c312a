"""Fixtures of the payment tests: the app on a fresh database (SQLite and PostgreSQL), the demo
data seeded (wallet client with settlement and collection accounts, holder alice), and a
banks folder of the test's own whose sandbox bank keeps its state under tmp_path and starts on
the test clock's day (Monday 2026-11-23)."""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from sqlalchemy import event, func, select

from gateway.api import create_app
from gateway.api.payments import RUNTIME
from gateway.config import Settings
from gateway.consent import storage
from gateway.demo import CLIENT_REDIRECT_URI, DemoData, seed
from gateway.persistence.db import Database
from gateway.persistence.models import AccountHolder, BankAccount
from gateway.persistence.payment_models import IdempotencyKey, OutgoingMessage, Payment
from gateway.worker.loop import run_once
from tests.api.conftest import checked_client, spec  # noqa: F401  (spec is a fixture)
from tests.consent.conftest import csrf_of, pkce

ROOT = Path(__file__).resolve().parents[2]
SETTLEMENT = "NL13ABNA1000000001"
COLLECTION = "NL83ABNA1000000002"
ALICE_NL = "NL91ABNA0417164300"
CLOSED = "NL56ABNA1000000003"
MERCHANT = "NL20INGB0001234567"  # a merchant at another Dutch bank (not held by the sandbox)


def sandbox_banks(folder: Path, state: Path, start: str = "2026-11-23", *, without_german: bool = False) -> Path:
    """config/banks/sandbox.toml with its state under the test's folder.  ``without_german`` leaves
    the DE/37040044 accounts out, for a test that puts a second bank there."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "config" / "banks" / "sandbox.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^state = .*$', f'state = "{state}"', text)
    text = re.sub(r'(?m)^start_date = .*$', f'start_date = "{start}"', text)
    if without_german:
        text = text.replace('[[iban]]\ncountry = "DE"\nbank_code = "37040044"\n\n', "")
        text = text.replace('"ABNANL2A", "COBADEFFXXX", "NWBKGB2L"', '"ABNANL2A", "NWBKGB2L"')
        assert 'bank_code = "37040044"' not in text, "the sandbox file changed: adjust without_german"
    (folder / "sandbox.toml").write_text(text, encoding="utf-8")
    return folder


def german_sandbox(folder: Path, state: Path, start: str = "2026-11-23") -> Path:
    """A second sandbox bank, ``sandbox-de``, holding Alice's German account (DE/37040044)."""
    (folder / "sandbox-de.toml").write_text(f'''name = "German Sandbox Bank"
bics = ["COBADEFFXXX"]
currencies = ["EUR"]

[[iban]]
country = "DE"
bank_code = "37040044"

[messages]
pain001 = ["pain.001.001.09"]

[connector]
type = "sandbox"
state = "{state}"
start_date = "{start}"
status_report = "pain.002.001.12"

[[connector.accounts]]
iban = "DE89370400440532013000"
currency = "EUR"
balance = "10000.00"
name = "Alice's savings account"
owner = "Alice"
bic = "COBADEFFXXX"
''', encoding="utf-8")
    return folder


@dataclass
class Wallet:
    client_id: str
    secret: str
    demo: DemoData | None = field(default=None, repr=False)

    @property
    def basic(self) -> dict:
        return {"Authorization": "Basic " + base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()}


@pytest.fixture
def banks_dir(tmp_path) -> Path:
    return sandbox_banks(tmp_path / "banks", tmp_path / "sandbox.db")


@pytest.fixture
def settings(database_url: str, banks_dir: Path, tmp_path) -> Settings:
    return Settings.load(env={}).with_overrides(database_url=database_url, banks_dir=str(banks_dir),
                                                risk_file=str(tmp_path / "risk.toml"))


@pytest.fixture
def app(settings, clock, fast_kdf):
    application = create_app(settings)
    application.extensions[storage.CLOCK] = clock
    yield application
    application.extensions[RUNTIME].close()
    storage.dispose(application)


@pytest.fixture
def wallet(app) -> Wallet:
    data = seed(app.extensions[storage.DATABASE], secrets_file=None)
    return Wallet(data.client_id, data.client_secret, data)


@pytest.fixture
def client(app, spec):  # noqa: F811
    yield from checked_client(app, spec)


def wallet_token(client, wallet: Wallet, scope: str = "wallet") -> dict:
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": scope},
                           headers=wallet.basic)
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def post_operation(client, headers: dict, operation: str, body: dict, key: str | None = None):
    return client.post(f"/operations/{operation}", json=body,
                       headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def work(app, clock, **options):
    """One worker pass, as `gateway worker --once` does, on the app's database and banks."""
    return run_once(app.extensions[storage.DATABASE], app.extensions[RUNTIME], clock=clock, worker="test", **options)


def database_of(app) -> Database:
    return app.extensions[storage.DATABASE]


def pay(client, headers, amount: str) -> dict:
    """One accepted pay to MERCHANT; its payment."""
    answer = post_operation(client, headers, "pay", {"amount": amount, "currency": "EUR",
                                                     "merchant": {"name": "Shop", "iban": MERCHANT}})
    assert answer.status_code == 201, answer.json
    return answer.json["payments"][0]


@contextmanager
def statements_run(database: Database, wanted: Callable[[str], bool]) -> Iterator[list[tuple[str, object]]]:
    """The statements ``wanted`` picks, with their parameters, as the code inside the block ran them
    (for the plan checks below)."""
    seen: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if wanted(statement):
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)


def page_reads(statement: str) -> bool:
    """A page of payments: a SELECT from payments in some order."""
    return statement.lstrip().startswith("SELECT") and "FROM payments" in statement and "ORDER BY" in statement


def _generic_plan(connection, statement: str, parameters: dict) -> str:
    """PostgreSQL's generic plan of the statement: one made without the parameters' values.  Why:
    psycopg prepares a statement on the server after its fifth run on a connection, and PostgreSQL
    then keeps to a generic plan when it does not look dearer; a generic plan cannot use a partial
    index whose WHERE a parameter would have to satisfy.  (Plain EXPLAIN of a statement with bound
    parameters plans it for their values; PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN).)"""
    from psycopg import sql

    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", statement)
    dbapi_connection = connection.connection.dbapi_connection
    values = ", ".join(sql.Literal(parameters[name]).as_string(dbapi_connection) for name in names)
    connection.exec_driver_sql(f"PREPARE checked AS {numbered}")
    try:
        connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        execute = f"EXPLAIN EXECUTE checked({values})" if names else "EXPLAIN EXECUTE checked"
        return " | ".join(row[0] for row in connection.exec_driver_sql(execute))
    finally:
        connection.exec_driver_sql("DEALLOCATE checked")


def assert_read_in_order_from(database: Database, index: str, statements: list[tuple[str, object]]) -> None:
    """Each statement (as the endpoint ran it, with its parameters) reads ``index`` in order: no sort.
    PostgreSQL's planner would rather sort a few rows, so sorting is made prohibitive there."""
    with database.engine.connect() as connection:
        for statement, parameters in statements:
            if database.dialect == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plan = " | ".join(str(row[-1]) for row in rows)
                assert index in plan and "TEMP B-TREE" not in plan, plan
            else:
                connection.exec_driver_sql("SET enable_sort = off")
                plan = _generic_plan(connection, statement, parameters)
                assert index in plan and "Sort" not in plan, plan


def assert_found_through(database: Database, index: str, table: str, statements: list[tuple[str, object]]) -> None:
    """Each statement (as the code ran it, with its parameters) reads ``table`` through ``index``, and
    reads no table whole.  PostgreSQL's planner would rather scan a few rows, so scanning is made
    prohibitive there (a plan that still scans had no index to use)."""
    with database.engine.connect() as connection:
        for statement, parameters in statements:
            if database.dialect == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plan = " | ".join(str(row[-1]) for row in rows)
                used = re.search(rf"SEARCH {table} USING (COVERING )?INDEX {index} \(", plan)
                assert used and "SCAN " not in plan, plan
            else:
                connection.exec_driver_sql("SET enable_seqscan = off")
                plan = _generic_plan(connection, statement, parameters)
                assert re.search(rf"Index (Only )?Scan (using|on) {index}\b", plan) and "Seq Scan" not in plan, plan


def counts(app) -> dict[str, int]:
    """Rows of the payment side a request may write: a refusal must leave all of them as they were."""
    with database_of(app).transaction() as session:
        return {name: session.scalar(select(func.count()).select_from(model))
                for name, model in (("payments", Payment), ("outbox", OutgoingMessage),
                                    ("idempotency", IdempotencyKey))}


def alice_account_ids(app, ibans) -> list[str]:
    with database_of(app).transaction() as session:
        rows = session.execute(select(BankAccount.iban, BankAccount.id).join(
            AccountHolder, AccountHolder.id == BankAccount.holder_id).where(AccountHolder.username == "alice")).all()
    by_iban = dict(rows)
    return [by_iban[iban] for iban in ibans]


def consent_token(client, app, wallet: Wallet, clock, *, kind: str = "payments", ibans=(ALICE_NL,),
                  limits: dict | None = None, permissions=("balances", "transactions"),
                  file_sha256: str | None = None, minutes: int = 60) -> tuple[dict, str]:
    """The whole consent flow for the demo holder alice: the wallet creates the consent, alice signs
    in (password, TOTP from the seed's secret) and approves it for ``ibans``, the code is exchanged.
    Returns (Authorization header, consent id)."""
    assert wallet.demo is not None
    expires = clock.now.replace(microsecond=0) + timedelta(minutes=minutes)
    body: dict = {"kind": kind, "expires_at": expires.isoformat().replace("+00:00", "Z")}
    if kind == "accounts":
        body["permissions"] = list(permissions)
    else:
        body["limits"] = limits if limits is not None else {"currency": "EUR", "per_payment": "1000.00",
                                                            "total": "5000.00", "count": 20}
        if file_sha256:
            body["file_sha256"] = file_sha256
    created = client.post("/consents", json=body, headers=wallet_token(client, wallet, "consents"))
    assert created.status_code == 201, created.json
    consent_id = created.json["id"]
    verifier, challenge = pkce()
    url = "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": wallet.client_id, "redirect_uri": CLIENT_REDIRECT_URI,
        "scope": kind, "state": "s", "consent_id": consent_id, "code_challenge": challenge,
        "code_challenge_method": "S256"})
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    if 'value="password"' in page.get_data(as_text=True):
        page = client.post(url, data={"csrf_token": csrf_of(page), "step": "password", "username": "alice",
                                      "password": wallet.demo.password})
        assert page.status_code == 200, page.get_data(as_text=True)
        clock.advance(seconds=30)  # a fresh TOTP step: a code is accepted once
        code = pyotp.TOTP(wallet.demo.totp_secret).at(clock.now)
        page = client.post(url, data={"csrf_token": csrf_of(page), "step": "totp", "code": code})
        assert page.status_code == 200, page.get_data(as_text=True)
    decided = client.post(url, data={"csrf_token": csrf_of(page), "step": "decide", "decision": "approve",
                                     "account": alice_account_ids(app, ibans)})
    assert decided.status_code == 302, decided.get_data(as_text=True)
    params = {k: v[0] for k, v in parse_qs(urlsplit(decided.headers["Location"]).query).items()}
    tokens = client.post("/oauth/token", headers=wallet.basic, data={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": CLIENT_REDIRECT_URI,
        "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.json
    return {"Authorization": f"Bearer {tokens.json['access_token']}"}, consent_id


# --- a webhook receiver: a real HTTP server on 127.0.0.1 ----------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    """Status codes to answer with, in order; 200 once they run out."""


@pytest.fixture
def receiver():
    """A receiver that records every POST and answers with ``answers`` (then 200)."""
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
                status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/gateway"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
