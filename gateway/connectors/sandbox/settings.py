"""The sandbox bank's settings: the ``[connector]`` table of its bank file, checked.

Why strict: a typo in a bank file (``balence = ...``) must stop the start with a
message, never silently seed an empty account.  Amounts are strings or integers,
never TOML floats, for the same reason the rest of the gateway refuses floats.

What the bank can carry (pain.001 versions, currencies, rule profile) lives in
the bank file outside ``[connector]`` (``[messages]``, ``currencies``); the
connector only receives ``[connector]``, so it reads those from the settings
when given there (``pain001``, ``currencies``, ``profile``) and otherwise from
the bank file itself (``bank_file``, else ``config/banks/<bank id>.toml``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from gateway.connectors.base import ConnectorConfigError
from gateway.domain.messages import MessageType
from gateway.domain.money import decimals_of, minor_units
from gateway.domain.rules.identifiers import bic_problem, iban_problem

REPO_ROOT = Path(__file__).resolve().parents[3]
BANKS_DIR = REPO_ROOT / "config" / "banks"

STATUS_REPORTS = ("pain.002.001.12", "pain.002.001.03")
"""pain.002 versions the sandbox writes: those whose official XSD the gateway has (not .10)."""
DEFAULT_SUBMITS = ("pain.001.001.09", "pain.001.001.03")
"""The pain.001 versions the gateway writes, when the bank file names none."""

KEYS = frozenset({"type", "state", "start_date", "holidays", "status_report", "accounts",
                  "bank_file", "pain001", "currencies", "profile"})
ACCOUNT_KEYS = frozenset({"iban", "currency", "balance", "name", "owner", "bic", "closed"})


@dataclass(frozen=True, slots=True)
class SeedAccount:
    """An account the sandbox opens the first time it sees it (a later balance change in the
    bank file does not overwrite the balance the account has by then)."""

    iban: str
    currency: str
    balance: Decimal = Decimal(0)
    name: str | None = None
    owner: str | None = None
    bic: str | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    state: Path
    """The SQLite file that holds the bank's state, shared by every process."""
    start_date: date | None
    """The bank date when the state file is created; None means the day it is created."""
    holidays: frozenset[date]
    status_report: str
    accounts: tuple[SeedAccount, ...]
    submits: frozenset[str]
    currencies: frozenset[str]
    profile: str | None


def _bad(message: str) -> ConnectorConfigError:
    return ConnectorConfigError(f"sandbox connector settings: {message}")


def _day(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _bad(f"{what} must be a date like 2026-11-23, got {value!r}")


def _amount(value: Any, currency: str, what: str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise _bad(f"{what} must be written as a string (\"2500.00\") or an integer, not {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _bad(f"{what} is not a decimal amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise _bad(f"{what} must be zero or positive, got {value!r}")
    units = minor_units(currency)
    if units is not None and decimals_of(amount) > units:
        raise _bad(f"{what}: {currency} allows {units} decimals, got {value!r}")
    return amount


def _text(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad(f"{where}.{key} must be text, got {value!r}")
    return value


def _account(entry: Any, index: int) -> SeedAccount:
    where = f"accounts[{index}]"
    if not isinstance(entry, Mapping):
        raise _bad(f"{where} must be a table ([[connector.accounts]])")
    unknown = sorted(set(entry) - ACCOUNT_KEYS)
    if unknown:
        raise _bad(f"{where} has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(ACCOUNT_KEYS))}")
    iban, currency = _text(entry, "iban", where), _text(entry, "currency", where)
    if not iban or not currency:
        raise _bad(f"{where} needs an iban and a currency")
    problem = iban_problem(iban)
    if problem:
        raise _bad(f"{where}.iban {iban!r}: {problem}")
    if minor_units(currency) is None:
        raise _bad(f"{where}.currency {currency!r} is not an ISO 4217 currency")
    bic = _text(entry, "bic", where)
    if bic and bic_problem(bic):
        raise _bad(f"{where}.bic {bic!r}: {bic_problem(bic)}")
    closed = entry.get("closed", False)
    if not isinstance(closed, bool):
        raise _bad(f"{where}.closed must be true or false")
    return SeedAccount(iban=iban, currency=currency, balance=_amount(entry.get("balance", 0), currency,
                                                                      f"{where}.balance"),
                       name=_text(entry, "name", where), owner=_text(entry, "owner", where), bic=bic,
                       closed=closed)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{what} must be a list of strings, got {value!r}")
    return tuple(value)


def _bank_file(bank_id: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The bank file's top level, for what the bank carries; {} when there is none to read."""
    named = settings.get("bank_file")
    path = resolve(named) if named else BANKS_DIR / f"{bank_id}.toml"
    if not path.is_file():
        if named:
            raise _bad(f"bank_file {str(path)!r} does not exist")
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"{path} is not valid TOML: {exc}") from None


def resolve(path: str | Path) -> Path:
    """Relative paths in bank files are relative to the repository root, not to the working directory."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def load_settings(bank_id: str, settings: Mapping[str, Any]) -> SandboxSettings:
    unknown = sorted(set(settings) - KEYS)
    if unknown:
        raise _bad(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    state = settings.get("state", f"var/sandbox/{bank_id}.db")
    if not isinstance(state, str) or not state:
        raise _bad("state must be the path of the bank's SQLite file")
    start = settings.get("start_date", "today")
    start_date = None if start == "today" else _day(start, "start_date")
    holidays = frozenset(_day(d, "holidays[]") for d in settings.get("holidays", ()))
    status_report = settings.get("status_report", STATUS_REPORTS[0])
    if status_report not in STATUS_REPORTS:
        raise _bad(f"status_report must be one of {', '.join(STATUS_REPORTS)}, got {status_report!r}")
    raw_accounts = settings.get("accounts", [])
    if not isinstance(raw_accounts, list):
        raise _bad("accounts must be an array of tables ([[connector.accounts]])")
    accounts = tuple(_account(entry, i) for i, entry in enumerate(raw_accounts))
    seen: set[str] = set()
    for account in accounts:
        if account.iban in seen:
            raise _bad(f"account {account.iban} is listed twice")
        seen.add(account.iban)

    bank = _bank_file(bank_id, settings)
    messages = bank.get("messages", {}) if isinstance(bank.get("messages"), Mapping) else {}
    submits = _strings(settings.get("pain001", messages.get("pain001", DEFAULT_SUBMITS)), "pain001")
    for message in submits:
        try:
            if MessageType.parse(message).family != "pain.001":
                raise ValueError
        except ValueError:
            raise _bad(f"pain001 lists {message!r}, which is not a pain.001 version like pain.001.001.09") from None
    currencies = _strings(settings.get("currencies", bank.get("currencies", sorted({a.currency for a in accounts}))),
                          "currencies")
    profile = settings.get("profile", messages.get("profile"))
    if profile is not None and not isinstance(profile, str):
        raise _bad(f"profile must be a rule profile name like 'sepa', got {profile!r}")
    return SandboxSettings(state=resolve(state), start_date=start_date, holidays=holidays,
                           status_report=status_report, accounts=accounts, submits=frozenset(submits),
                           currencies=frozenset(currencies), profile=profile)
