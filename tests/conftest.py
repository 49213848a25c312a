"""Suite-wide set-up and rules.

* The tests use their own schema store (``var/test-xsd``), filled from the pinned
  catalog exactly as an operator would with ``gateway schemas sync``, so that a
  bank's XSD installed in ``schemas/xsd`` for real work never changes a verdict
  here (and the tests never touch it).  Official files already synced there are
  copied, checksum-checked, to save the download.
* Nothing is skipped silently: a test that cannot run here (a missing system
  component) must fail with a message saying how to install it; a skip, if one
  ever happens, fails the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["tests.pg", "tests.mockbank"]  # a throwaway PostgreSQL server; a real mock-bank per test

ROOT = Path(__file__).resolve().parents[1]
TEST_SCHEMAS = ROOT / "var" / "test-xsd"
os.environ["GATEWAY_SCHEMA_DIR"] = str(TEST_SCHEMAS)  # before anything reads it; subprocesses inherit it


@pytest.fixture(scope="session", autouse=True)
def synced_schema_dir() -> Path:
    from gateway.iso20022.catalog import load_catalog
    from gateway.iso20022.schema_store import file_sha256, sync

    catalog = load_catalog()
    TEST_SCHEMAS.mkdir(parents=True, exist_ok=True)
    for entry in catalog.values():
        official = ROOT / "schemas" / "xsd" / entry.filename
        target = TEST_SCHEMAS / entry.filename
        if file_sha256(target) != entry.sha256 and file_sha256(official) == entry.sha256:
            shutil.copyfile(official, target)
    sync(TEST_SCHEMAS, catalog, official=True)
    return TEST_SCHEMAS


@pytest.fixture
def clock():
    """A clock the test moves by hand (``clock.advance(minutes=5)``)."""
    from tests.support import Clock
    return Clock()


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at a test-sized cost (production cost is ~0.4 s a hash)."""
    from gateway.persistence import secrets
    monkeypatch.setattr(secrets, "SCRYPT_N", 2**10)


def pytest_sessionfinish(session, exitstatus) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: the suite allows no skips", red=True)
        session.exitstatus = 1
