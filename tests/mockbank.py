"""A real mock-bank for the tests: a pytest plugin (listed in ``tests/conftest.py``).

``mock-bank`` (PyPI, in the test extras) is a small HTTP server that behaves like
a bank: it takes pain.001 files on ``POST /payments`` (or from a drop folder),
decides each payment by the account's *behaviour*, and releases pain.002,
camt.054, camt.053, camt.052 and pacs.004 into a mailbox (and into a pickup
folder).  Its endpoints are listed in /work/shared/reference/mock-bank.md and on
its index page; ``.venv/bin/mock-bank --help`` lists the flags.

Fixtures
--------
``mock_bank``
    A fresh server for one test, started with the defaults below: bank time
    starts at :data:`CLOCK` (Monday 2026-09-28 09:00 UTC, before the 15:00
    cutoff, so a payment due today books at once and its camt.054 is waiting
    next to its pain.002), an in-memory database, no folders, no auth.
    Starting one takes ~0.15 s and stopping it (SIGTERM) a few ms, so every
    test gets its own bank: no state leaks between tests, folders and flags
    can differ per test, and tests can run in parallel.
``start_mock_bank(**options)``
    A factory for a bank with other flags, e.g.
    ``start_mock_bank(folders=True)`` (drop and pickup folders in ``tmp_path``,
    scanned only on request), ``start_mock_bank(auth=("user", "pw"))``,
    ``start_mock_bank(extra_args=["--status-delay-ms", "60000"])``.  Every bank
    it starts is stopped at teardown.

The :class:`MockBank` it returns::

    bank.base_url                      "http://127.0.0.1:<port>"
    bank.accounts                      GET /_mock/accounts (seeded: ACME, GLOBEX, INITECH, EURODIS)
    bank.account("ACME")               one of them, by id
    bank.patch_account("ACME", behaviour="reject-file", parameters={...}, balance=..., closed=True)
    bank.reset()                       POST /_mock/reset: seed accounts, --clock time, empty mailbox
    bank.advance(to="2026-09-29")      POST /_mock/advance (to midnight of that day) ...
    bank.advance(days=1)               ... or by calendar days; a day's camt.053 comes once its end is passed
    bank.mailbox("pain.002")           the waiting messages (JSON rows: id, type, body, ...); peeks by default
    bank.mailbox(leave=False)          takes them, as a client reading the mailbox would
    bank.messages()                    everything ever released, taken or not
    bank.payments()                    every payment the bank decided on, newest first
    bank.send(xml)                     POST /payments, returns the requests.Response
    bank.scan()                        POST /_mock/drop/scan: read the drop folder now
    bank.drop_dir, bank.pickup_dir     the folders (None without ``folders=True``)
    bank.request(method, path, ...)    anything else, authenticated as the bank was started

Helpers peek by default (``leave=True``) so a test's look never takes a message
from under the connector being tested.  A bank that fails to start fails the
test with its own stderr; nothing is skipped.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import clean_env, free_port

CLOCK = "2026-09-28T09:00"
"""Monday, a business day, before the 15:00 cutoff."""
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def mock_bank_executable() -> Path:
    """``mock-bank`` next to the interpreter running the tests (the project's .venv)."""
    path = Path(sys.executable).parent / "mock-bank"
    if not path.exists():
        pytest.fail(f"{path} is missing: install the test extras (.venv/bin/pip install -e '.[test]'), "
                    "which bring mock-bank")
    return path


@dataclass
class MockBank:
    """A running mock-bank process and small helpers over its control plane."""

    process: subprocess.Popen[bytes]
    port: int
    clock: str
    log_path: Path
    drop_dir: Path | None = None
    pickup_dir: Path | None = None
    auth: tuple[str, str] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- plumbing

    def request(self, method: str, path: str, *, expect: int | Sequence[int] | None = 200,
                **kwargs: Any) -> requests.Response:
        """One call; fails the test (with the bank's answer) on an unexpected status."""
        response = self.session.request(method, self.base_url + path, auth=self.auth, timeout=10, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        if wanted is not None and response.status_code not in wanted:
            pytest.fail(f"mock-bank {method} {path}: HTTP {response.status_code}: {response.text[:2000]}")
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs).json()

    # -- the control plane

    def health(self) -> dict[str, Any]:
        return self.get("/_mock/health")

    def reset(self) -> dict[str, Any]:
        return self.post("/_mock/reset")

    def advance(self, *, to: str | None = None, days: int | None = None) -> dict[str, Any]:
        if (to is None) == (days is None):
            raise ValueError("advance(to='YYYY-MM-DD') or advance(days=N)")
        return self.post("/_mock/advance", params={"to": to} if to is not None else {"days": days})

    @property
    def accounts(self) -> list[dict[str, Any]]:
        return self.get("/_mock/accounts")

    def account(self, account_id: str) -> dict[str, Any]:
        return self.get(f"/_mock/accounts/{account_id}")

    def patch_account(self, account_id: str, **fields: Any) -> dict[str, Any]:
        return self.request("PATCH", f"/_mock/accounts/{account_id}", json=fields).json()

    def mailbox(self, type: str | None = None, *, leave: bool = True) -> list[dict[str, Any]]:
        params: dict[str, str] = {"type": type} if type else {}
        if leave:
            params["leave"] = ""
        return self.get("/_mock/mailbox", **params)

    def messages(self, type: str | None = None) -> list[dict[str, Any]]:
        return self.get("/_mock/messages", **({"type": type} if type else {}))

    def payments(self) -> list[dict[str, Any]]:
        return self.get("/_mock/payments")

    def send(self, xml: bytes) -> requests.Response:
        return self.request("POST", "/payments", data=xml, headers={"Content-Type": "application/xml"},
                            expect=None)

    def scan(self) -> dict[str, Any]:
        return self.post("/_mock/drop/scan")

    # -- lifecycle

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(workdir: Path, *, clock: str = CLOCK, folders: bool = False, auth: tuple[str, str] | None = None,
          extra_args: Sequence[str] = (), attempts: int = 3) -> MockBank:
    """Start a mock-bank on a free loopback port and wait until it answers /_mock/health.

    With ``folders`` it gets ``<workdir>/drop`` and ``<workdir>/pickup``, reads
    dropped files at once when asked (``--drop-settle-ms 0``; the gateway
    writes them by atomic rename) and polls only every 10 minutes, so a test
    decides when the bank looks (``bank.scan()``)."""
    executable = mock_bank_executable()
    workdir.mkdir(parents=True, exist_ok=True)
    args = ["--host", "127.0.0.1", "--db", ":memory:", "--clock", clock, "-q"]
    drop = pickup = None
    if folders:
        drop, pickup = workdir / "drop", workdir / "pickup"
        args += ["--drop-dir", str(drop), "--pickup-dir", str(pickup),
                 "--drop-settle-ms", "0", "--drop-interval-ms", "600000"]
    if auth:
        args += ["--auth", f"{auth[0]}:{auth[1]}"]
    args += list(extra_args)
    failure = ""
    for attempt in range(attempts):  # a free port can be taken between choosing and binding
        port = free_port()
        log_path = workdir / f"mock-bank-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([str(executable), *args, "--port", str(port)], stdout=log,
                                       stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True)
        bank = MockBank(process=process, port=port, clock=clock, log_path=log_path, drop_dir=drop,
                        pickup_dir=pickup, auth=auth)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(bank.base_url + "/_mock/health", auth=auth, timeout=1).status_code == 200:
                    return bank
            except requests.ConnectionError:
                pass
            time.sleep(0.02)
        bank.stop()
        failure = f"exit status {process.returncode}: {bank.log()[-3000:]}"
        if "cannot listen" not in failure:
            break
    pytest.fail(f"mock-bank did not start ({' '.join(args)}): {failure}")


@pytest.fixture
def start_mock_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., MockBank]]:
    """A factory: ``start_mock_bank(folders=True, auth=("u", "p"), extra_args=[...])``."""
    banks: list[MockBank] = []

    def starter(**options: Any) -> MockBank:
        bank = start(tmp_path_factory.mktemp("mock-bank"), **options)
        banks.append(bank)
        return bank

    yield starter
    for bank in banks:
        bank.stop()


@pytest.fixture
def mock_bank(start_mock_bank: Callable[..., MockBank]) -> MockBank:
    """A fresh mock-bank for this test (see the module docstring)."""
    return start_mock_bank()


__all__ = ["CLOCK", "MockBank", "mock_bank", "start", "start_mock_bank"]
