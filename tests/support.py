"""Helpers several test packages share: ports, a clean environment for the
processes the tests start, and a clock the tests move by hand."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The suite's environment without GATEWAY_* settings a developer may have exported
    (the schema store the suite chose stays)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_") or k == "GATEWAY_SCHEMA_DIR"}
    return {**env, **extra}


class Clock:
    """A clock the test moves by hand; repositories take it instead of the wall clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
