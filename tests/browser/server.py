"""``gateway serve`` for real, for the browser tests: a subprocess on a free
loopback port with its own SQLite database, migrated and seeded with the demo
data first (the same :func:`gateway.demo.seed` that ``gateway demo seed`` runs).

    gateway = LiveGateway(tmp_dir)   # migrates, seeds, starts, waits for /health
    gateway.url                      # http://127.0.0.1:<port>
    gateway.demo                     # DemoData: client id and secret, alice's password and TOTP secret
    gateway.stop()

The server runs exactly as an operator starts it (``python -m gateway.cli.main
serve --listen ... --workers 1``) with the suite's environment minus any
GATEWAY_* setting a developer may have exported, plus GATEWAY_DATABASE_URL.
Its output goes to ``serve.log`` in the temporary folder and is quoted in every
failure message.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gateway.demo import DemoData, seed
from gateway.persistence.db import Database, create_database_url_for_sqlite
from gateway.persistence.migrate import upgrade
from tests.support import clean_env, free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
PORT_ATTEMPTS = 3


class LiveGateway:
    def __init__(self, folder: Path, *, workers: int = 1) -> None:
        self.folder = Path(folder)
        self.log = self.folder / "serve.log"
        self.database_url = create_database_url_for_sqlite(self.folder / "gateway.db")
        self.process: subprocess.Popen | None = None
        self.workers = workers
        self.port = 0
        self.url = ""
        self.demo: DemoData | None = None
        self.timings: dict[str, float] = {}

    def start(self) -> LiveGateway:
        started = time.monotonic()
        upgrade(self.database_url)
        self.timings["migrate"] = time.monotonic() - started
        for attempt in range(1, PORT_ATTEMPTS + 1):  # another process may take the port before gunicorn binds it
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            seeded = time.monotonic()  # again on a retry: idempotent, and adds the new port's /demo/callback
            database = Database(self.database_url)
            try:
                self.demo = seed(database, base_url=self.url, secrets_file=self.folder / "demo-client.json")
            finally:
                database.dispose()
            self.timings["seed"] = time.monotonic() - seeded
            spawned = time.monotonic()
            self._spawn()
            if self._wait_until_healthy(last_attempt=attempt == PORT_ATTEMPTS):
                self.timings["serve"] = time.monotonic() - spawned
                return self
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli.main", "serve", "--listen", f"127.0.0.1:{self.port}",
                 "--workers", str(self.workers)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                env=clean_env(GATEWAY_DATABASE_URL=self.database_url, GATEWAY_PROFILE="development"))

    def _wait_until_healthy(self, *, last_attempt: bool) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "Address already in use" in self.output() and not last_attempt:
                    return False
                raise AssertionError(f"gateway serve exited ({self.process.returncode}):\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as response:
                    if json.load(response).get("status") == "ok":
                        return True
            except (OSError, ValueError):
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"no answer on {self.url}/health within {START_TIMEOUT_SECONDS}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL to the server's own process group."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # start_new_session: the group is the server's alone
            process.wait()
            raise AssertionError(f"gateway serve did not stop on SIGTERM:\n{self.output()}") from None
