"""``gateway serve`` for real: gunicorn with two workers on a free loopback port,
spoken to over HTTP with urllib and a raw socket, then stopped with SIGTERM."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from lxml import etree

from gateway.cli.serve import GatewayServer
from gateway.config import Settings
from tests.api.conftest import BROKEN, PAIN001_03, ROOT, TODAY
from tests.api.openapi_check import ResponseChecker
from tests.support import clean_env, free_port

LIMIT = 64 * 1024
SERVE = ["-m", "gateway.cli.main", "serve"]


class Server:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, *SERVE, "--listen", f"127.0.0.1:{self.port}", "--workers", "2"],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env=clean_env(GATEWAY_MAX_BODY_BYTES=str(LIMIT),
                              GATEWAY_DATABASE_URL=f"sqlite:///{log.parent / 'gateway.db'}"))

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gateway serve exited:\n{self.output()}"
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as response:
                    return json.load(response)
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"no answer on {self.base}/health within {timeout}s:\n{self.output()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # our own process group (start_new_session)
            self.process.wait()
            raise AssertionError(f"gateway serve did not stop on SIGTERM:\n{self.output()}") from None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


def call(server: Server, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(server.base + path, data=body, headers=headers or {},
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def checker():
    from gateway.api.docs import load_spec

    return ResponseChecker(load_spec())


def matches_spec(checker, method, rule, answer) -> None:
    status, headers, body = answer
    assert checker.check(method, rule, status, headers.get("Content-Type", ""), body, headers) == []


def test_serve_prints_the_urls_and_starts_two_workers(server):
    output = server.output()
    assert f"serving on {server.base} (development profile, 2 workers)" in output
    assert f"{server.base}/docs" in output and f"{server.base}/health" in output
    assert output.count("Booting worker") == 2
    assert "0.0.0.0" not in output


def test_health_over_http(server, checker):
    answer = call(server, "/health")
    assert answer[0] == 200 and json.loads(answer[2]) == {"status": "ok", "version": "0.1.0"}
    matches_spec(checker, "GET", "/health", answer)


def test_validate_a_real_file_over_http(server, checker):
    answer = call(server, f"/validate?today={TODAY}", PAIN001_03.read_bytes(), {"Content-Type": "application/xml"})
    status, headers, body = answer
    assert status == 200, body
    report = json.loads(body)
    assert report["valid"] is True and report["message"] == "pain.001.001.03" and report["findings"] == []
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    matches_spec(checker, "POST", "/validate", answer)


def test_junit_over_http(server, checker):
    answer = call(server, f"/validate?profile=sepa&today={TODAY}&format=junit", BROKEN.read_bytes(),
                  {"Content-Type": "application/xml"})
    assert answer[0] == 200
    root = etree.fromstring(answer[2])
    assert root.get("failures") == "6" and len(root.findall("testsuite/testcase/failure")) == 6
    matches_spec(checker, "POST", "/validate", answer)


def test_concurrent_requests(server):
    """Sixteen requests, eight at a time, on two synchronous workers: all answered, all the same."""
    from concurrent.futures import ThreadPoolExecutor

    body = BROKEN.read_bytes()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: call(server, f"/validate?today={TODAY}", body,
                                               {"Content-Type": "application/xml"}), range(16)))
    assert {status for status, _, _ in answers} == {200}
    assert {json.loads(body)["errors"] for _, _, body in answers} == {5}


def test_problem_over_http(server, checker):
    answer = call(server, "/nowhere")
    assert answer[0] == 404 and answer[1]["Content-Type"] == "application/problem+json"
    matches_spec(checker, "GET", None, answer)


def test_oversized_body_is_refused_before_it_is_sent(server):
    """The server answers 413 while the client has sent only the headers and a first chunk:
    a server that read the body first would wait for the rest and time out."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(f"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\n"
                     f"Content-Length: {LIMIT * 100}\r\n\r\n".encode() + b"<Document>")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer
    problem = json.loads(body)
    assert problem["code"] == "content_too_large" and str(LIMIT) in problem["detail"]


def test_stops_cleanly_on_sigterm(tmp_path):
    server = Server(tmp_path / "serve.log")
    try:
        server.wait_until_healthy()
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert "Traceback" not in server.output()
    with pytest.raises(OSError):
        urllib.request.urlopen(server.base + "/health", timeout=2)


def test_serve_names_the_banks_it_loaded(server):
    assert "gateway: banks: sandbox (sandbox)" in server.output()  # mock-bank.toml ships switched off


def refused(*options: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *SERVE, *options], cwd=ROOT, env=clean_env(**env),
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_bad_bank_file_stops_serve_with_one_line_before_it_listens(tmp_path):
    text = (ROOT / "config" / "banks" / "sandbox.toml").read_text(encoding="utf-8")
    (tmp_path / "sandbox.toml").write_text(text.replace("currencies =", "currencys =", 1), encoding="utf-8")
    result = refused("--listen", f"127.0.0.1:{free_port()}", GATEWAY_BANKS_DIR=str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "bank_config_invalid" in result.stderr and "sandbox.toml" in result.stderr and "currencys" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "Listening at" not in result.stderr + result.stdout


def test_an_address_in_use_is_refused_at_once_saying_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = refused("--listen", f"127.0.0.1:{port}")
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--listen" in result.stderr
    assert "Traceback" not in result.stderr and "Listening at" not in result.stderr


def test_production_without_secrets_does_not_start():
    result = subprocess.run([sys.executable, *SERVE, "--profile", "production", "--listen", "127.0.0.1:1"],
                            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "GATEWAY_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_default_bind_is_loopback():
    assert GatewayServer(Settings.load(env={})).cfg.bind == ["127.0.0.1:8080"]
    assert GatewayServer(Settings.load(env={"GATEWAY_LISTEN": "[::1]:8081"})).cfg.bind == ["[::1]:8081"]
    assert GatewayServer(Settings.load(env={}, workers=3)).cfg.workers == 3


def test_each_worker_freezes_what_it_loaded_so_full_collections_skip_it():
    """gunicorn runs the hook in every worker after it built its app; the objects alive then are
    moved out of the collector's sight (gc.freeze), and whatever comes later is collected as ever."""
    hook = GatewayServer(Settings.load(env={})).cfg.post_worker_init
    gc.unfreeze()
    try:
        hook(None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
