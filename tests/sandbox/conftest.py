"""A sandbox bank on a state file of its own per test (accounts in seed.py), with the
suite's hand-moved clock for the time of day on messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.connectors.sandbox import SandboxConnector
from tests.sandbox.seed import settings_for


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "bank" / "sandbox.db"


@pytest.fixture
def make_bank(state_file: Path, clock) -> Callable[..., SandboxConnector]:
    """A connector on the test's state file (call again for a second instance on the same file)."""
    def make(**overrides: Any) -> SandboxConnector:
        return SandboxConnector(bank_id="sandbox-test", settings=settings_for(state_file, **overrides), clock=clock)
    return make


@pytest.fixture
def bank(make_bank) -> SandboxConnector:
    return make_bank()
