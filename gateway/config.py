"""Settings of the gateway service: ``config/gateway.toml``, then environment variables.

Why this shape:

* **One frozen object.**  Everything the service needs to start is read once,
  checked once, and handed to :func:`gateway.api.create_app`; nothing reads
  ``os.environ`` later, so what a worker runs with is what was checked.
* **Refuse, never guess.**  An unknown key in the TOML file (``acess_token_ttl``)
  or a value of the wrong type is a startup error, because a typo that silently
  falls back to a default is how a production gateway ends up with the wrong
  database or a week-long token lifetime.
* **Secrets have no defaults outside ``development``.**  The development profile
  embeds a SQLite file under the git-ignored ``var/`` and a secret key that says
  in its own text that it is public; the production profile embeds nothing, so a
  missing ``secret_key`` or ``database_url`` stops the start with a message
  naming the variable to set.  The public development key is also refused on a
  non-loopback address, so a forgotten ``GATEWAY_PROFILE`` never exposes it.

Precedence, lowest first: the profile's embedded defaults, the TOML file
(``GATEWAY_CONFIG`` names another one), ``GATEWAY_<SETTING>`` variables.  The
profile itself comes from ``GATEWAY_PROFILE``, else the file's ``profile``,
else ``development``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from gateway.domain.errors import GatewayError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config" / "gateway.toml"
CONFIG_ENV = "GATEWAY_CONFIG"
ENV_PREFIX = "GATEWAY_"

PROFILES = ("development", "production")

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production-it-is-public"
"""Printed in the source on purpose: it signs nothing that matters outside a developer's machine."""

MIN_SECRET_LENGTH = 32


class ConfigError(GatewayError):
    """The configuration cannot be used; the message says which setting and how to fix it."""

    code = "config_invalid"


@dataclass(frozen=True)
class Settings:
    """Everything the service reads at start; see ``config/gateway.toml`` for each setting."""

    profile: str = "development"
    database_url: str = ""
    secret_key: str = ""
    listen: str = "127.0.0.1:8080"
    workers: int = 2
    access_token_ttl: int = 300
    refresh_token_ttl: int = 30 * 24 * 3600
    max_body_bytes: int = 10 * 1024 * 1024
    banks_dir: str = "config/banks"
    risk_file: str = "config/risk.toml"
    worker_poll_seconds: int = 2

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        for name in ("workers", "access_token_ttl", "refresh_token_ttl", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("secret_key", "database_url"):
            if not getattr(self, name):
                why = "; the production profile has no default for it" if self.profile == "production" else ""
                raise ConfigError(f"{name} is not set{why}: set {ENV_PREFIX}{name.upper()} "
                                  f"(or {name} in the config file)")
        host, _ = self.host_port  # refuses a malformed address
        if self.profile == "production":
            if self.is_development_secret:
                raise ConfigError("the production profile refuses the public development secret key: "
                                  f"set {ENV_PREFIX}SECRET_KEY to a random value")
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ConfigError(f"secret_key is too short for production ({len(self.secret_key)} characters, "
                                  f"at least {MIN_SECRET_LENGTH}): generate one with "
                                  "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        elif self.is_development_secret and not _is_loopback(host):
            raise ConfigError(f"the public development secret key only listens on loopback, not on {host}: "
                              f"set {ENV_PREFIX}SECRET_KEY, or use the production profile")

    @property
    def host_port(self) -> tuple[str, int]:
        """``listen`` split into host and port; ``[::1]:8080`` for IPv6."""
        host, sep, port = self.listen.rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"listen must be HOST:PORT (e.g. 127.0.0.1:8080), not {self.listen!r}")
        return host, int(port)

    @property
    def banks_path(self) -> Path:
        """``banks_dir``; a relative path is relative to the repository (where config/ lives)."""
        return _from_root(self.banks_dir)

    @property
    def risk_path(self) -> Path:
        return _from_root(self.risk_file)

    @property
    def is_development_secret(self) -> bool:
        return self.secret_key == DEVELOPMENT_SECRET_KEY

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None,
             **overrides) -> Settings:
        """Read the TOML file and the environment (``env`` defaults to ``os.environ``);
        ``overrides`` (e.g. from command-line options) win over both."""
        env = os.environ if env is None else env
        explicit = path or env.get(CONFIG_ENV)
        data = _read_toml(Path(explicit) if explicit else DEFAULT_CONFIG, required=bool(explicit))
        profile = overrides.get("profile") or env.get(ENV_PREFIX + "PROFILE") or data.get("profile") or "development"
        values: dict[str, object] = {**_profile_defaults(str(profile)), **data, "profile": profile}
        for name in _names():
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = _coerce(name, raw, f"{ENV_PREFIX}{name.upper()}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_overrides(self, **overrides) -> Settings:
        """A copy with some settings changed, checked again (unknown names refused)."""
        unknown = sorted(set(overrides) - set(_names()))
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(_names())}")
        return replace(self, **overrides)


def _from_root(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else ROOT / candidate


def _names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Settings))


def _types() -> dict[str, type]:
    return {f.name: type(f.default) for f in fields(Settings)}


def _profile_defaults(profile: str) -> dict[str, object]:
    if profile == "development":
        return {"database_url": f"sqlite:///{ROOT / 'var' / 'gateway.db'}", "secret_key": DEVELOPMENT_SECRET_KEY}
    return {}


def _read_toml(path: Path, *, required: bool) -> dict[str, object]:
    if not path.is_file():
        if required:
            raise ConfigError(f"config file {path} does not exist")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    known = _names()
    for key, value in data.items():
        if key not in known:
            hint = " (settings are top-level keys, without tables)" if isinstance(value, dict) else ""
            raise ConfigError(f"{path}: unknown setting {key!r}{hint}; known: {', '.join(known)}")
        expected = _types()[key]
        if type(value) is not expected:  # bool is an int subclass: compare exactly
            raise ConfigError(f"{path}: {key} must be a {expected.__name__}, not {value!r}")
    return data


def _coerce(name: str, raw: str, where: str) -> object:
    if _types()[name] is int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{where} must be a whole number, not {raw!r}") from None
    return raw


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
