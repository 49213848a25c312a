"""Service load benchmark: ``gateway serve`` under load on 127.0.0.1 (issue 3, "Performance").

What runs:

* ``gateway serve`` (``python -m gateway.cli.serve``: the same command, the
  same ``GatewayServer``) with 2 workers on a free port, on a fresh SQLite
  database migrated and seeded with :func:`gateway.demo.seed`; and, where the
  PostgreSQL server binaries are installed, a second one on a throwaway
  PostgreSQL cluster (``tests/pg.py``'s ``PostgresServer``);
* ``python -m bench.bare_app``: a one-route Flask app on the same
  ``GatewayServer`` (sync workers, same count, same gunicorn settings), the
  ceiling.

Workloads, each a warm-up then a measured run, bounded in time (``wrk -d``)
and in count (the Lua script stops a thread after ``MAX_REQUESTS``):

* bare: ``GET /bare`` on the bare app;
* health: ``GET /health`` on the gateway (its app, hooks and headers, no
  database): splits framework overhead from authentication and storage;
* token issue: ``POST /oauth/token`` with ``grant_type=client_credentials``
  and ``client_secret_basic`` (each one writes a token row and an audit event);
* authenticated read: ``GET /consents/{id}`` with a bearer token from the
  client-credentials grant, on a payments consent the client created.

The load generator is ``wrk`` (Debian's package) when installed, else a
bounded multi-threaded ``http.client`` loop (which shares the 2 workers' CPUs
under the GIL: expect lower ceilings; the table says which one ran).

Then, in this process, the same requests go through the WSGI apps directly
(no server, no sockets) to time them and cProfile the authenticated read:
stages (cumulative time of the gateway's and authlib's functions), self time
by package, and the SQL statements one read sends.
"""

from __future__ import annotations

import base64
import cProfile
import http.client
import json
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.data import PROJECT_ROOT
from bench.measure import Measurement, describe
from bench.report import Row, Section, Target

WORKERS = 2
CONNECTIONS = 4
"""Concurrent connections of the load generator: two per sync worker keeps both busy."""
MAX_REQUESTS = 200_000
"""Per measured run: a count bound on top of the time bound."""
WARMUP_SECONDS = 1.0
START_TIMEOUT = 60.0
TARGET_READ_VS_BARE = 0.50
PROFILE_REQUESTS = 400
OUT = PROJECT_ROOT / "bench" / "out" / "service"

WRK_MARKER = "BENCH-WRK "
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ servers

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


class Server:
    """A gunicorn master (gateway or bare) started as a subprocess, stopped by its own pid."""

    def __init__(self, name: str, module: str, *, env: dict[str, str], probe: str) -> None:
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = OUT / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - open while the server runs
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "--listen", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_ready(probe)

    def _wait_ready(self, probe: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                status, _, _ = request("GET", self.port, probe)
                if status == 200 and len(self.worker_pids()) >= WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} server not ready after {START_TIMEOUT:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-3:])
        except OSError:
            return "no log"

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's children."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def workers_cpu_seconds(self) -> float:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / CLK_TCK

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of master and workers
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


def request(method: str, port: int, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


# ------------------------------------------------------------------ the client's side of the API

def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


TOKEN_BODY = b"grant_type=client_credentials&scope=consents"
FORM = "application/x-www-form-urlencoded"


def issue_token(port: int, auth: str) -> str:
    status, _, body = request("POST", port, "/oauth/token", body=TOKEN_BODY,
                              headers={"Authorization": auth, "Content-Type": FORM})
    if status != 200:
        raise RuntimeError(f"token request answered {status}: {body[:200]!r}")
    return json.loads(body)["access_token"]


def consent_request() -> bytes:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    return json.dumps({"kind": "payments", "expires_at": expires,
                       "limits": {"currency": "EUR", "per_payment": "100.00", "total": "1000.00",
                                  "count": 10}}).encode()


def create_consent(port: int, token: str) -> str:
    status, _, body = request("POST", port, "/consents", body=consent_request(),
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    if status != 201:
        raise RuntimeError(f"POST /consents answered {status}: {body[:200]!r}")
    return json.loads(body)["id"]


# ------------------------------------------------------------------ databases

@dataclass
class Backend:
    name: str
    url: str
    client_secret: str
    stop: Callable[[], None] = lambda: None


def seeded(name: str, url: str, stop: Callable[[], None] = lambda: None) -> Backend:
    from gateway import demo
    from gateway.persistence import migrate
    from gateway.persistence.db import Database

    migrate.upgrade(url)
    database = Database(url)
    try:
        data = demo.seed(database, secrets_file=None)
    finally:
        database.dispose()
    if not data.client_secret:
        raise RuntimeError("the demo seed returned no client secret (not a fresh database?)")
    return Backend(name, url, data.client_secret, stop)


def sqlite_backend(folder: Path = OUT) -> Backend:
    from gateway.persistence.db import create_database_url_for_sqlite

    return seeded("SQLite", create_database_url_for_sqlite(folder / "gateway.db"))


def start_backends(name: str, folder: Path, postgres: bool, backends: list[Backend], rows: list[Row],
                   log: Callable[[str], None]) -> None:
    """A fresh seeded SQLite database in ``folder`` and, if asked, a throwaway PostgreSQL; a
    PostgreSQL that cannot start is a row saying so, not an aborted benchmark."""
    log(f"{name}: seeding a fresh SQLite database")
    backends.append(sqlite_backend(folder))
    if postgres:
        log(f"{name}: starting a throwaway PostgreSQL")
        try:
            backends.append(postgres_backend())
        except Exception as exc:  # noqa: BLE001 - optional backend: a row, not an abort
            rows.append(Row("pg", "PostgreSQL runs", Measurement(status="n/a", note=describe(exc)), 1, "req"))


def postgres_backend() -> Backend:
    """A throwaway cluster, as the tests start one (``tests/pg.py``); its failures
    come as pytest's ``Failed`` (a BaseException), turned into RuntimeError here."""
    try:
        import pytest

        from tests.pg import PostgresServer, find_bin_dir
    except ImportError as exc:
        raise RuntimeError(f"PostgreSQL run needs tests/pg.py and pytest: {exc}") from None
    try:
        server = PostgresServer(find_bin_dir())
    except pytest.fail.Exception as exc:
        raise RuntimeError(str(exc).splitlines()[0]) from None
    try:
        server.start()
        url = server.url(server.create_database("gateway_bench"), unix_socket=True)
        return seeded("PostgreSQL", url, server.stop)
    except pytest.fail.Exception as exc:
        server.stop()
        raise RuntimeError(str(exc).splitlines()[0]) from None
    except BaseException:
        server.stop()
        raise


# ------------------------------------------------------------------ load generators

@dataclass
class Load:
    """One measured run."""

    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int = 0
    error_kinds: str = ""
    server_cpu: float | None = None
    """CPU seconds the server's workers used during the run."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Workload:
    key: str
    label: str
    server: Server
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    refresh: Callable[[Workload], None] | None = None
    """Called before each run (e.g. a fresh bearer token)."""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(w: Workload, max_requests: int) -> str:
    lines = [f"wrk.method = {_lua_string(w.method)}"]
    if w.body is not None:
        lines.append(f"wrk.body = {_lua_string(w.body.decode())}")
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in w.headers.items()]
    lines += [
        f"local left = {max_requests}",
        "function response(status, headers, body)",
        "  left = left - 1",
        "  if left <= 0 then wrk.thread:stop() end",
        "end",
        "function done(summary, latency, requests)",
        "  local e = summary.errors",
        (f"  io.write(string.format('{WRK_MARKER}"
         '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
         '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n\', '
         "summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), "
         "e.connect, e.read, e.write, e.status, e.timeout))"),
        "end",
    ]
    return "\n".join(lines) + "\n"


def run_wrk(w: Workload, seconds: float, max_requests: int) -> Load:
    script = OUT / f"{w.key}.lua"
    script.write_text(wrk_script(w, max_requests))
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(script), w.server.base + w.path]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=seconds + 30)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(WRK_MARKER)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"wrk exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-200:]}")
    r = json.loads(lines[-1][len(WRK_MARKER):])
    kinds = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
    # Sync workers close every connection after the response; wrk may count the
    # close of an idle reconnect as a read error, which is not a failed request.
    errors = r["status"] + r["timeout"] + r["connect"] + r["write"]
    return Load(requests=r["requests"], seconds=r["duration_us"] / 1e6, p50=r["p50_us"] / 1e6,
                p99=r["p99_us"] / 1e6, errors=errors,
                error_kinds=", ".join(f"{v} {k}" for k, v in kinds.items()))


def run_python(w: Workload, seconds: float, max_requests: int) -> Load:
    """Fallback: CONNECTIONS threads, each one http.client connection (reopened when
    the server closes it), bounded by ``seconds`` and ``max_requests`` in all."""
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = Counter()
    remaining = [max_requests]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(mine: list[float]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", w.server.port, timeout=10)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                t0 = time.perf_counter()
                try:
                    conn.request(w.method, w.path, body=w.body, headers=w.headers)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status >= 400:
                        errors["status"] += 1
                except (OSError, http.client.HTTPException) as exc:
                    errors[type(exc).__name__] += 1
                    conn.close()
                    continue
                mine.append(time.perf_counter() - t0)
        finally:
            conn.close()

    threads = [threading.Thread(target=loop, args=(lat,), daemon=True) for lat in latencies]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 15)
    elapsed = time.perf_counter() - t0
    all_lat = sorted(x for lat in latencies for x in lat)
    if not all_lat:
        raise RuntimeError(f"no request succeeded: {dict(errors)}")

    def pct(p: float) -> float:
        return all_lat[min(len(all_lat) - 1, int(p / 100 * len(all_lat)))]

    return Load(requests=len(all_lat) + sum(errors.values()), seconds=elapsed, p50=pct(50), p99=pct(99),
                errors=sum(errors.values()), error_kinds=", ".join(f"{v} {k}" for k, v in errors.items()))


def measure_load(w: Workload, seconds: float) -> Load:
    generator = run_wrk if shutil.which("wrk") else run_python
    if w.refresh:
        w.refresh(w)
    generator(w, WARMUP_SECONDS, MAX_REQUESTS)
    if w.refresh:
        w.refresh(w)
    cpu0 = w.server.workers_cpu_seconds()
    load = generator(w, seconds, MAX_REQUESTS)
    load.server_cpu = w.server.workers_cpu_seconds() - cpu0
    return load


# ------------------------------------------------------------------ in-process timing and profile

def _environ(method: str, path: str, headers: dict[str, str], body: bytes | None) -> dict:
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=path, method=method, headers=headers, data=body,
                             base_url="http://127.0.0.1:8080")
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _call(app, environ: dict) -> int:
    status = []
    out = app(environ, lambda s, h, exc_info=None: status.append(s))
    try:
        for _ in out:
            pass
    finally:
        getattr(out, "close", lambda: None)()
    return int(status[0].split()[0])


def best_mean(call: Callable[[], object], n: int, chunks: int = 3) -> float:
    """Seconds per call: the best of ``chunks`` means of ``n // chunks`` calls, after a warm-up."""
    for _ in range(WARMUP_CALLS):
        call()
    size, best = max(1, n // chunks), float("inf")
    for _ in range(chunks):
        t0 = time.perf_counter()
        for _ in range(size):
            call()
        best = min(best, (time.perf_counter() - t0) / size)
    return best


WARMUP_CALLS = 20


def time_in_process(app, method: str, path: str, headers: dict[str, str], body: bytes | None,
                    n: int, profile: cProfile.Profile | None = None) -> float:
    """Seconds per request through the WSGI app, no server, no socket (best of 3 chunks;
    with ``profile``, one profiled chunk of ``n``)."""
    environs = iter([_environ(method, path, headers, body) for _ in range(n + WARMUP_CALLS)])

    def call() -> None:
        status = _call(app, next(environs))
        if status >= 400:
            raise RuntimeError(f"{method} {path} answered {status} in process")

    if profile is None:
        return best_mean(call, n)
    for _ in range(WARMUP_CALLS):
        call()
    profile.enable()
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    elapsed = time.perf_counter() - t0
    profile.disable()
    return elapsed / n


def what_if(engine, reader, token: str, consent_id: str, n: int) -> list[tuple[str, float]]:
    """The storage part of one authenticated read, as the gateway does it and in one statement.

    Not gateway code: a measurement of what a read's queries cost on their own
    (fresh session, commit, close, as a request does), to size a change."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session, joinedload

    from gateway.persistence.models import BankAccount, Consent, Token, consent_accounts
    from gateway.persistence.secrets import hash_token

    digest = hash_token(token)

    def as_before() -> None:  # the first version: token, consent, accounts (selectin): 3 ORM statements
        with Session(engine, expire_on_commit=False) as session:
            row = session.scalar(select(Token).where(Token.access_token_hash == digest))
            consent = session.scalar(select(Consent).where(Consent.id == consent_id,
                                                           Consent.client_id == row.client_id))
            list(consent.accounts)
            session.commit()

    def one_orm() -> None:  # token and consent joined, accounts joined-eager: 1 ORM statement
        with Session(engine, expire_on_commit=False) as session:
            query = (select(Token, Consent).join(Consent, Consent.client_id == Token.client_id)
                     .where(Token.access_token_hash == digest, Consent.id == consent_id)
                     .options(joinedload(Consent.accounts)))
            session.execute(query).unique().one()
            session.commit()

    tokens, consents, accounts = Token.__table__, Consent.__table__, BankAccount.__table__
    core_query = (select(tokens, consents, accounts)
                  .select_from(tokens.join(consents, consents.c.client_id == tokens.c.client_id)
                               .outerjoin(consent_accounts, consent_accounts.c.consent_id == consents.c.id)
                               .outerjoin(accounts, accounts.c.id == consent_accounts.c.bank_account_id))
                  .where(tokens.c.access_token_hash == digest, consents.c.id == consent_id))

    def one_core() -> None:  # the same join as a Core statement built once: rows, no ORM objects
        with engine.connect() as conn:
            conn.execute(core_query).all()
            conn.commit()

    from gateway.persistence.repositories import reads

    kept = reader.connect()  # a worker keeps its read connection between requests

    def as_now() -> None:  # what GET /consents/{id} does: reads.token_with_consent on the read connection
        reads.token_with_consent(kept, token, consent_id)

    try:
        return [("3 ORM statements + commit, as the gateway read before", best_mean(as_before, n)),
                ("1 ORM statement: token JOIN consent, joinedload(accounts)", best_mean(one_orm, n)),
                ("1 Core statement, built once, rows not objects, + commit", best_mean(one_core, n)),
                ("as now: reads.token_with_consent, kept read connection, no transaction", best_mean(as_now, n))]
    finally:
        kept.close()


STAGES = [
    # (label, file fragment, function name): cumulative time of each, per request
    ("Flask request handling (whole request)", "flask/app.py", "wsgi_app"),
    ("  resource protector and view (protect.require_oauth)", "consent/protect.py", "protected"),
    ("    token + consent + accounts, one read (reads.token_with_consent)", "repositories/reads.py",
     "token_with_consent"),
    ("      of which: the statement on the read connection (storage.read)", "consent/storage.py", "read"),
    ("    consent JSON (api.consent_json)", "consent/api.py", "consent_json"),
    ("  JSON response (Flask make_response)", "flask/app.py", "make_response"),
    ("  end of request: read connection closed, no commit (storage._finish)", "consent/storage.py", "_finish"),
    ("  security headers (headers.add_security_headers)", "api/headers.py", "add_security_headers"),
]


def _package(filename: str, name: str) -> str:
    if filename == "~":
        if "sqlite3" in name:
            return "sqlite3 driver (C)"
        if "psycopg" in name or "pq" in name:
            return "psycopg / libpq (C)"
        return "builtins (C)"
    for marker, label in (("/sqlalchemy/", "SQLAlchemy"), ("/authlib/", "authlib"), ("/flask/", "Flask"),
                          ("/werkzeug/", "Werkzeug"), ("/psycopg", "psycopg"), ("/gateway/", "gateway"),
                          ("/jinja2/", "Jinja2"), ("/json/", "json")):
        if marker in filename:
            return label
    return "stdlib / other"


def profile_breakdown(stats: pstats.Stats, n: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    raw = stats.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    stages = []
    for label, fragment, func in STAGES:
        ct = sum(v[3] for (f, _, name), v in raw.items() if name == func and f.endswith(fragment))
        stages.append((label, ct / n))
    packages: Counter = Counter()
    for (f, _, name), v in raw.items():
        packages[_package(f, name)] += v[2]
    return stages, [(k, v / n) for k, v in packages.most_common()]


def in_process(backend: Backend, consent_id: str, log: Callable[[str], None]) -> list[str]:
    """Per-request times of the same requests through the WSGI apps, and where a read's time goes."""
    from sqlalchemy import event

    from bench.bare_app import create_bare_app
    from gateway.api import create_app
    from gateway.config import Settings

    settings = Settings.load(env={}, database_url=backend.url, profile="development")
    app = create_app(settings)
    bare = create_bare_app()
    auth = basic_auth("demo-wallet", backend.client_secret)
    token_headers = {"Authorization": auth, "Content-Type": FORM}
    with app.test_client() as client:
        token = client.post("/oauth/token", data=TOKEN_BODY, headers=token_headers).get_json()["access_token"]
    read_headers = {"Authorization": f"Bearer {token}"}
    n = PROFILE_REQUESTS
    times = {
        "bare": time_in_process(bare, "GET", "/bare", {}, None, n),
        "health": time_in_process(app, "GET", "/health", {}, None, n),
        "token": time_in_process(app, "POST", "/oauth/token", token_headers, TOKEN_BODY, max(50, n // 4)),
        "read": time_in_process(app, "GET", f"/consents/{consent_id}", read_headers, None, n),
    }

    statements: list[str] = []
    engine = app.extensions["gateway.database"].engine
    reader = app.extensions["gateway.reader"]
    engines = [engine] if reader is engine else [engine, reader]

    def count(_conn, _cursor, statement, *_args):
        text = " ".join(statement.split())
        statements.append(text.split()[0] + " ... FROM " + text.partition(" FROM ")[2][:110])

    from gateway.persistence.repositories.reads import PreparedRead

    prepared_rows = PreparedRead.rows

    def counted_rows(self, connection, parameters):  # prepared reads run on the DBAPI connection
        count(None, None, str(self.statement.compile(dialect=connection.dialect)))
        return prepared_rows(self, connection, parameters)

    for watched in engines:
        event.listen(watched, "before_cursor_execute", count)
    PreparedRead.rows = counted_rows
    traced = 10
    try:
        for env in [_environ("GET", f"/consents/{consent_id}", read_headers, None) for _ in range(traced)]:
            _call(app, env)
    finally:
        PreparedRead.rows = prepared_rows
        for watched in engines:
            event.remove(watched, "before_cursor_execute", count)
    per_read = Counter(statements)
    storage_only = what_if(engine, reader, token, consent_id, n)

    profile = cProfile.Profile()
    profiled = time_in_process(app, "GET", f"/consents/{consent_id}", read_headers, None, n, profile)
    stages, packages = profile_breakdown(pstats.Stats(profile), n)
    from gateway.consent import storage
    storage.dispose(app)
    log(f"in-process profile on {backend.name} done")

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:,.0f} us"

    sql = "; ".join(f"{c / traced:.0f}x {s}..." for s, c in per_read.items())
    lines = [(f"in process, {backend.name}: the same requests through the WSGI apps (no server, no socket), "
              f"best of 3 means of {n // 3}:"),
             (f"  bare Flask {us(times['bare'])}, gateway /health {us(times['health'])}, "
              f"token issue {us(times['token'])}, authenticated read {us(times['read'])} "
              f"({times['read'] / times['bare']:.1f}x bare)"),
             f"  SQL per authenticated read: {len(statements) / traced:.0f} statements: {sql}",
             (f"  where a read's time goes (cProfile, {us(profiled)} per read under the profiler; "
              "cumulative, so nested rows are part of the row above):")]
    width = max(len(label) for label, _ in stages)
    lines += [f"    {label.ljust(width)}  {us(t):>9}  {t / profiled:4.0%}" for label, t in stages]
    lines.append("  the read's storage work alone (connection or session, statements, commit if any, close), no Flask:")
    width = max(len(label) for label, _ in storage_only)
    lines += [f"    {label.ljust(width)}  {us(t):>9}" for label, t in storage_only]
    lines.append("  self time by package (cProfile):")
    width = max(len(label) for label, _ in packages)
    lines += [f"    {label.ljust(width)}  {us(t):>9}  {t / profiled:4.0%}" for label, t in packages if t >= 0.005 * profiled]
    return lines


# ------------------------------------------------------------------ the benchmark

def measured_rows(name: str, workloads: list[Workload], repeat: int, seconds: float,
                  measure: Callable[[Workload, float], Load], log: Callable[[str], None]) -> list[Row]:
    """Best of ``repeat`` load runs per workload, interleaved so that a slow moment of the machine
    hits every workload alike; a workload that fails is a row saying why, not an abort."""
    loads: dict[str, list[Load]] = {w.key: [] for w in workloads}
    failures: dict[str, str] = {}
    for r in range(repeat):
        for w in workloads:
            if w.key in failures:
                continue
            log(f"{name}: {w.key} run {r + 1}/{repeat} ({seconds:.0f} s)")
            try:
                loads[w.key].append(measure(w, seconds))
            except Exception as exc:  # noqa: BLE001
                failures[w.key] = describe(exc)
    return [_row(w.key, w.label, loads[w.key], failures.get(w.key)) for w in workloads]


def _row(key: str, label: str, loads: list[Load] | None, error: str | None = None) -> Row:
    if error is not None or not loads:
        return Row(key, label, Measurement(status="error", note=error or "no run"), 1, "req")
    best = max(loads, key=lambda load: load.rps)
    m = Measurement(times=[best.requests / load.rps for load in loads if load.rps], result=vars(best))
    extra = {"p50": f"{best.p50 * 1000:.1f} ms", "p99": f"{best.p99 * 1000:.1f} ms",
             "server CPU/req": "-" if not best.server_cpu else f"{best.server_cpu / best.requests * 1000:.2f} ms",
             "requests": f"{best.requests:,}"}
    note = ""
    if best.errors:
        m.status, m.note = "error", f"{best.errors} failed requests ({best.error_kinds})"
    elif best.error_kinds:
        note = f"wrk counted {best.error_kinds} (closed connections, not failed responses)"
    if best.requests >= MAX_REQUESTS:
        note = f"stopped at the {MAX_REQUESTS:,}-request bound: the rate is a lower bound"
    return Row(key, label, m, best.requests, "req", note=note, extra=extra)


def run(*, seconds: float = 4.0, repeat: int | None = None, postgres: bool = True,
        log: Callable[[str], None] = print) -> list[Section]:
    repeat = repeat or 2
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    generator = "wrk " + _wrk_version() if shutil.which("wrk") else \
        "a Python http.client loop (wrk not installed: `apt-get install wrk`)"
    servers: list[Server] = []
    backends: list[Backend] = []
    rows: list[Row] = []
    targets: list[Target] = []
    details: list[str] = []
    try:
        start_backends("service", OUT, postgres, backends, rows, log)

        log("service: starting the bare Flask app and the gateway (2 workers each)")
        bare = Server("bare", "bench.bare_app", env=_clean_env(), probe="/bare")
        servers.append(bare)
        workloads = [Workload("bare", "bare Flask endpoint (ceiling)", bare, "GET", "/bare")]
        consents: dict[str, str] = {}
        for backend in backends:
            env = _clean_env(GATEWAY_DATABASE_URL=backend.url, GATEWAY_PROFILE="development")
            gateway = Server(f"gateway-{backend.name.lower()}", "gateway.cli.serve", env=env, probe="/health")
            servers.append(gateway)
            auth = basic_auth("demo-wallet", backend.client_secret)
            consent_id = create_consent(gateway.port, issue_token(gateway.port, auth))
            consents[backend.name] = consent_id
            suffix = "" if backend.name == "SQLite" else f" ({backend.name})"
            key = backend.name.lower()
            if backend.name == "SQLite":
                workloads.append(Workload("health", "gateway GET /health (no database)", gateway, "GET", "/health"))

            def fresh_token(w: Workload, port=gateway.port, auth=auth) -> None:
                w.headers["Authorization"] = f"Bearer {issue_token(port, auth)}"

            workloads += [
                Workload(f"token-{key}", f"token issue, client credentials{suffix}", gateway, "POST",
                         "/oauth/token", {"Authorization": auth, "Content-Type": FORM}, TOKEN_BODY),
                Workload(f"read-{key}", f"authenticated read GET /consents/{{id}}{suffix}", gateway, "GET",
                         f"/consents/{consent_id}", {}, refresh=fresh_token),
            ]

        rows += measured_rows("service", workloads, repeat, seconds, measure_load, log)

        section = Section("Service: gateway serve under load, 127.0.0.1",
                          f"{WORKERS} sync gunicorn workers per server, {CONNECTIONS} connections, "
                          f"best of {repeat} x {seconds:.0f} s after a {WARMUP_SECONDS:.0f} s warm-up; "
                          f"load generator: {generator}; PostgreSQL on this host over its Unix socket",
                          rows, [("vs bare", "bare")], show_time=False,
                          extra_columns=["p50", "p99", "server CPU/req", "requests"])
        bare_row = section.row("bare")
        for backend in backends:
            read = section.row(f"read-{backend.name.lower()}")
            value = read.ratio_to(bare_row) if read and bare_row else None
            targets.append(Target(f"authenticated read / bare ceiling ({backend.name})",
                                  f">= {TARGET_READ_VS_BARE:.2f}x", value, minimum=TARGET_READ_VS_BARE))
        for backend in backends:  # steadier when other processes share the CPUs: CPU-bound sync workers
            read = section.row(f"read-{backend.name.lower()}")
            cpu = [r.m.result.get("server_cpu") / r.m.result["requests"]
                   if r and r.m.ok and r.m.result.get("server_cpu") else None for r in (bare_row, read)]
            targets.append(Target(f"same, from server CPU per request ({backend.name})", "(bare CPU / read CPU)",
                                  cpu[0] / cpu[1] if all(cpu) else None))
        section.targets = targets
        section.notes += [
            ("vs bare = requests/s over the bare Flask endpoint's; server CPU/req = CPU time of the "
             "gunicorn workers during the run / requests (the load generator shares the "
             f"{os.cpu_count()} CPUs)"),
            f"server logs and wrk scripts: {OUT.relative_to(PROJECT_ROOT)}/",
        ]
        for backend in backends:
            try:
                details += in_process(backend, consents[backend.name], log)
            except Exception as exc:  # noqa: BLE001
                details.append(f"in-process profile on {backend.name} failed: {describe(exc)}")
        section.details = details
        return [section]
    finally:
        for server in servers:
            server.stop()
        for backend in backends:
            backend.stop()


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "-v"], check=False, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).split()[1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return ""
