"""A real HTTP server on 127.0.0.1 that answers every request with one canned response, for the
bank behaviours mock-bank does not have (503, 429, a hung bank, a pain.002 in the response)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Canned:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    delay: float = 0.0
    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@contextmanager
def canned_server(status: int, body: bytes = b"", content_type: str = "text/plain",
                  delay: float = 0.0) -> Iterator[Canned]:
    canned = Canned(status, body, content_type, delay)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            canned.received.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
            if canned.delay:
                time.sleep(canned.delay)
            try:
                self.send_response(canned.status)
                self.send_header("Content-Type", canned.content_type)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    canned.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield canned
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
