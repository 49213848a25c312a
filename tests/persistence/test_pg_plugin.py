"""The PostgreSQL test plugin: it finds the server binaries, and without them it
fails with the package to install instead of skipping."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, pool, text

from tests import pg


def test_missing_server_binaries_fail_with_the_package_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(pg, "DEBIAN_ROOT", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install postgresql"):
        pg.find_bin_dir()


def test_the_newest_debian_version_is_preferred(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(pg, "DEBIAN_ROOT", tmp_path)
    for version in ("9.6", "15", "13"):
        (tmp_path / version / "bin").mkdir(parents=True)
        for program in ("initdb", "pg_ctl"):
            (tmp_path / version / "bin" / program).touch()
    assert pg.find_bin_dir() == tmp_path / "15" / "bin"


def test_the_server_is_real_and_listens_on_localhost(postgres_url):
    engine = create_engine(postgres_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
            address = connection.execute(text("SELECT inet_server_addr()")).scalar()
    finally:
        engine.dispose()
    assert int(version.split(".")[0]) >= 13  # DROP DATABASE ... WITH (FORCE) needs 13
    assert str(address) == "127.0.0.1"
