"""Settings: the shipped file, environment overrides, and every refusal that keeps a
typo or a missing secret from starting a gateway with the wrong configuration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gateway.api import create_app
from gateway.config import DEVELOPMENT_SECRET_KEY, ROOT, ConfigError, Settings

SECRET = "s3cr3t-" + "x" * 40
PRODUCTION = {"GATEWAY_PROFILE": "production", "GATEWAY_SECRET_KEY": SECRET,
              "GATEWAY_DATABASE_URL": "postgresql+psycopg://gateway@db/gateway"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(match: str, *args, **kwargs) -> str:
    with pytest.raises(ConfigError, match=match) as info:
        Settings.load(*args, **kwargs)
    return info.value.message


def test_shipped_file_is_the_development_profile():
    settings = Settings.load(env={})
    assert settings.profile == "development"
    assert settings.database_url == f"sqlite:///{ROOT / 'var' / 'gateway.db'}"
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY and "development-only" in settings.secret_key
    assert settings.listen == "127.0.0.1:8080" and settings.host_port == ("127.0.0.1", 8080)
    assert (settings.workers, settings.access_token_ttl, settings.max_body_bytes) == (2, 300, 10 * 1024 * 1024)


def test_var_is_git_ignored():
    assert "var/" in (ROOT / ".gitignore").read_text().splitlines()


def test_every_setting_is_documented_in_the_shipped_file():
    text = (ROOT / "config" / "gateway.toml").read_text()
    for field in dataclasses.fields(Settings):
        assert f"{field.name} = " in text, field.name
        if field.name != "profile":
            assert f"GATEWAY_{field.name.upper()}" in text, field.name


def test_environment_overrides_file(tmp_path):
    path = write(tmp_path, 'listen = "127.0.0.1:9000"\nworkers = 3\naccess_token_ttl = 60\n')
    env = {"GATEWAY_LISTEN": "[::1]:9100", "GATEWAY_WORKERS": "5", "GATEWAY_ACCESS_TOKEN_TTL": "120",
           "GATEWAY_REFRESH_TOKEN_TTL": "3600", "GATEWAY_MAX_BODY_BYTES": "2048",
           "GATEWAY_DATABASE_URL": "sqlite:////tmp/x.db", "GATEWAY_SECRET_KEY": SECRET}
    settings = Settings.load(path, env=env)
    assert settings.host_port == ("::1", 9100)
    assert (settings.workers, settings.access_token_ttl, settings.refresh_token_ttl) == (5, 120, 3600)
    assert (settings.max_body_bytes, settings.database_url, settings.secret_key) == (2048, "sqlite:////tmp/x.db", SECRET)
    assert Settings.load(path, env={}).workers == 3  # the file, without the environment


def test_gateway_config_names_another_file_and_options_win(tmp_path):
    path = write(tmp_path, "workers = 7\n")
    assert Settings.load(env={"GATEWAY_CONFIG": str(path)}).workers == 7
    settings = Settings.load(env={"GATEWAY_CONFIG": str(path), "GATEWAY_WORKERS": "4"}, workers=9, listen=None)
    assert settings.workers == 9 and settings.listen == "127.0.0.1:8080"


def test_profile_from_environment_wins_over_file(tmp_path):
    path = write(tmp_path, 'profile = "development"\n')
    assert Settings.load(path, env=PRODUCTION).profile == "production"


def test_unknown_key_is_refused(tmp_path):
    message = refused("unknown setting 'acess_token_ttl'", write(tmp_path, "acess_token_ttl = 60\n"), env={})
    assert "access_token_ttl" in message  # the known names, so the typo is obvious


def test_tables_are_refused(tmp_path):
    refused("without tables", write(tmp_path, "[server]\nworkers = 2\n"), env={})


@pytest.mark.parametrize("line", ['workers = "2"', "workers = true", "listen = 8080", "max_body_bytes = 1.5"])
def test_wrong_types_are_refused(tmp_path, line):
    refused("must be a", write(tmp_path, line + "\n"), env={})


def test_broken_toml_is_refused(tmp_path):
    refused("not valid TOML", write(tmp_path, "workers = \n"), env={})


def test_missing_explicit_file_is_refused(tmp_path):
    refused("does not exist", tmp_path / "nope.toml", env={})
    refused("does not exist", env={"GATEWAY_CONFIG": str(tmp_path / "nope.toml")})


def test_bad_environment_values_are_refused():
    assert "GATEWAY_WORKERS" in refused("whole number", env={"GATEWAY_WORKERS": "two"})
    refused("at least 1", env={"GATEWAY_WORKERS": "0"})
    refused("HOST:PORT", env={"GATEWAY_LISTEN": "localhost"})
    refused("HOST:PORT", env={"GATEWAY_LISTEN": "127.0.0.1:99999"})
    refused("profile must be one of", env={"GATEWAY_PROFILE": "staging"})


def test_production_with_its_secrets_starts():
    settings = Settings.load(env=PRODUCTION)
    assert settings.profile == "production" and settings.secret_key == SECRET


@pytest.mark.parametrize("missing", ["GATEWAY_SECRET_KEY", "GATEWAY_DATABASE_URL"])
def test_production_without_a_secret_is_refused(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    message = refused("the production profile has no default", env=env)
    assert missing in message  # says exactly what to set


def test_production_refuses_the_development_key_and_short_keys():
    refused("public development secret key", env={**PRODUCTION, "GATEWAY_SECRET_KEY": DEVELOPMENT_SECRET_KEY})
    refused("too short", env={**PRODUCTION, "GATEWAY_SECRET_KEY": "short"})


def test_development_key_only_on_loopback():
    refused("only listens on loopback", env={"GATEWAY_LISTEN": "0.0.0.0:8080"})
    assert Settings.load(env={"GATEWAY_LISTEN": "localhost:8080"}).listen == "localhost:8080"
    exposed = Settings.load(env={"GATEWAY_LISTEN": "0.0.0.0:8080", "GATEWAY_SECRET_KEY": SECRET})
    assert exposed.host_port == ("0.0.0.0", 8080)


def test_settings_built_by_hand_need_their_secrets():
    with pytest.raises(ConfigError, match="secret_key is not set"):
        Settings()
    assert Settings(secret_key=SECRET, database_url="sqlite://").profile == "development"


def test_settings_are_frozen_and_overrides_are_checked():
    settings = Settings.load(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.workers = 3  # type: ignore[misc]
    assert settings.with_overrides(workers=3).workers == 3
    with pytest.raises(ConfigError, match="unknown setting"):
        settings.with_overrides(wokers=3)
    with pytest.raises(ConfigError, match="at least 1"):
        settings.with_overrides(max_body_bytes=0)


def test_create_app_takes_settings_and_overrides(tmp_path):
    app = create_app(Settings.load(env={}), max_body_bytes=1234, database_url=f"sqlite:///{tmp_path / 'g.db'}")
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["GATEWAY_SETTINGS"].max_body_bytes == 1234
    assert app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    with pytest.raises(ConfigError):
        create_app(Settings.load(env={}), no_such_setting=1)


def test_create_app_without_settings_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GATEWAY_MAX_BODY_BYTES", "4321")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'g.db'}")
    assert create_app().config["MAX_CONTENT_LENGTH"] == 4321
