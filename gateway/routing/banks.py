"""The banks the gateway can send payments to, one TOML file each in ``config/banks/``.

The file name without ``.toml`` is the bank's id.  The format is documented in
``config/banks/README.md``; in short::

    name = "Mock Bank"
    bics = ["MOCKNL2A"]
    currencies = ["EUR"]
    enabled = true                      # optional, default true; false: the file is checked, the bank skipped
    [[iban]]                            # one table per national bank code the bank holds accounts under
    country = "NL"
    bank_code = "MOCK"
    [messages]
    pain001 = ["pain.001.001.09", "pain.001.001.03"]    # preferred first
    profile = "sepa"                    # optional rule profile (mappings/profiles/<name>.yaml)
    structured_address = false          # optional, default false
    cross_border = true                 # optional, default true
    [connector]
    type = "iso20022-http"              # the rest of the table is the connector's own settings
    base_url = "http://127.0.0.1:18090"

Loading is strict: an unknown key, a wrong type, a pain.001 version the gateway
cannot write, a rule profile that does not load, a bad BIC or currency, or two
banks claiming the same BIC or IBAN bank code stop the load with a
``RoutingConfigError`` naming the file and the key.  A typo must never route a
payment to the wrong bank or silently switch a check off.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from schwifty import IBAN, registry
from schwifty.domain import Component
from schwifty.exceptions import SchwiftyException

from gateway.domain.messages import MessageType
from gateway.domain.money import minor_units
from gateway.domain.rules import GENERIC, RuleProfile, bic_problem, iban_problem
from gateway.routing.errors import RoutingConfigError
from gateway.routing.mapping_dir import PAIN001, MappingDirectory, ProfileProblem

BANK_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""File names become ids in storage, logs and URLs: lower case, digits, '-' and '_'."""

_TOP_KEYS = {"name", "bics", "currencies", "iban", "messages", "connector", "enabled"}
_IBAN_KEYS = {"country", "bank_code"}
_MESSAGE_KEYS = {"pain001", "profile", "structured_address", "cross_border"}
_BANK_CODE = re.compile(r"[A-Z0-9]+")

CHARGE_BEARER_SEPA = "SLEV"


def bic11(bic: str) -> str:
    """A BIC in its 11-character form: a BIC8 names the head office, branch ``XXX`` (ISO 9362)."""
    return bic + "XXX" if len(bic) == 8 else bic


@dataclass(frozen=True, slots=True)
class BankProfile:
    """One bank as its file describes it; built by ``load_banks``, never by hand in production."""

    id: str
    name: str
    bics: tuple[str, ...]
    iban_codes: tuple[tuple[str, str], ...]
    """(IBAN country, national bank code as in the IBAN) of every account range the bank holds."""
    currencies: tuple[str, ...]
    pain001_versions: tuple[str, ...]
    """Versions the bank reads, preferred first."""
    rule_profile: RuleProfile | None
    """The rules the bank applies on top of the generic ones; None: generic only."""
    structured_address: bool
    cross_border: bool
    connector_type: str
    connector_settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """Everything under ``[connector]`` but ``type``, read-only, for the connector registry."""
    enabled: bool = True
    source: Path | None = field(default=None, compare=False)
    """The file the bank was read from, for messages."""

    @property
    def preferred_pain001(self) -> str:
        """The version the gateway writes for this bank."""
        return self.pain001_versions[0]

    @property
    def rules(self) -> RuleProfile:
        """The rule profile to check payments with (generic when the file names none)."""
        return self.rule_profile or GENERIC

    @property
    def is_sepa(self) -> bool:
        """Whether the bank's profile is a SEPA one: named ``sepa`` or switching on an EPC-only
        rule (the EPC character set or identifier rules), which nothing but SEPA defines."""
        profile = self.rule_profile
        return profile is not None and (profile.name == "sepa" or profile.sepa_charset or profile.sepa_identifiers)

    def accepts_pain001(self, message: str) -> bool:
        return message in self.pain001_versions

    def takes_currency(self, currency: str | None) -> bool:
        return currency in self.currencies

    def has_bic(self, bic: str | None) -> bool:
        """Whether ``bic`` is one of the bank's; a BIC8 and its ``XXX`` branch are the same office."""
        return bic is not None and bic11(bic) in {bic11(own) for own in self.bics}

    def holds_iban(self, iban: str | None) -> bool:
        """Whether an account with this (valid) IBAN is held by the bank, by country and bank code."""
        code = iban_bank_code(iban)
        return code is not None and code in self.iban_codes


@lru_cache(maxsize=65536)  # every payment is routed by its debtor IBAN, and checked again before sending
def iban_bank_code(iban: str | None) -> tuple[str, str] | None:
    """(country, national bank code) of a valid IBAN, as the IBAN registry places them; else None."""
    if not iban or iban_problem(iban) is not None:
        return None
    parsed = IBAN(iban)
    return parsed.country_code, parsed.bank_code


# --- reading one file --------------------------------------------------------------------------

class _File:
    """Checks on one parsed file; every refusal names the file and the dotted key."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def fail(self, key: str | None, problem: str) -> RoutingConfigError:
        return RoutingConfigError(problem, file=self.path, key=key)

    def unknown(self, table: Mapping[str, Any], known: set[str], prefix: str = "") -> None:
        for key in sorted(set(table) - known):
            raise self.fail(prefix + key, f"unknown key (known here: {', '.join(sorted(known))})")

    def string(self, table: Mapping[str, Any], key: str, prefix: str = "", *, required: bool = True) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(prefix + key, "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(prefix + key, f"must be a non-empty string, got {value!r}")
        return value

    def boolean(self, table: Mapping[str, Any], key: str, default: bool, prefix: str = "") -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(prefix + key, f"must be true or false, got {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, prefix: str = "", *, required: bool = True) -> list[str]:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(prefix + key, "missing")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(prefix + key, f"must be a list of strings, got {value!r}")
        if required and not value:
            raise self.fail(prefix + key, "must not be empty")
        for index, item in enumerate(value):
            if item in value[:index]:
                raise self.fail(f"{prefix}{key}[{index}]", f"{item!r} is listed twice")
        return value

    def table(self, key: str, *, required: bool = True) -> dict[str, Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "missing table")
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {value!r}")
        return value


def _bics(f: _File) -> tuple[str, ...]:
    bics = f.strings(f.data, "bics", required=False)
    for index, bic in enumerate(bics):
        problem = bic_problem(bic)
        if problem:
            raise f.fail(f"bics[{index}]", f"{bic!r}: {problem}")
        if bic11(bic) in {bic11(b) for b in bics[:index]}:
            raise f.fail(f"bics[{index}]", f"{bic!r} is the same office as an earlier BIC (a BIC8 is its XXX branch)")
    return tuple(bics)


def _currencies(f: _File) -> tuple[str, ...]:
    currencies = f.strings(f.data, "currencies")
    for index, currency in enumerate(currencies):
        if minor_units(currency) is None:
            raise f.fail(f"currencies[{index}]", f"{currency!r} is not an ISO 4217 currency code")
    return tuple(currencies)


def _iban_codes(f: _File) -> tuple[tuple[str, str], ...]:
    entries = f.data.get("iban", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise f.fail("iban", "must be an array of tables ([[iban]] with country and bank_code)")
    codes: list[tuple[str, str]] = []
    for index, entry in enumerate(entries):
        prefix = f"iban[{index}]."
        f.unknown(entry, _IBAN_KEYS, prefix)
        country = f.string(entry, "country", prefix)
        bank_code = f.string(entry, "bank_code", prefix)
        try:
            spec = registry.get_iban_spec(country)
        except SchwiftyException:
            raise f.fail(prefix + "country", f"{country!r} is not a country in the IBAN registry") from None
        span = spec.positions[Component.BANK_CODE]
        length = span.end - span.start
        if length <= 0:
            raise f.fail(prefix + "country", f"IBANs of {country} carry no national bank code to route by")
        if not _BANK_CODE.fullmatch(bank_code) or len(bank_code) != length:
            raise f.fail(prefix + "bank_code", f"{bank_code!r}: a bank code in {country} IBANs is {length} "
                                               f"upper-case letters or digits (format {spec.bban_spec})")
        if (country, bank_code) in codes:
            raise f.fail(prefix + "bank_code", f"{country} {bank_code} is listed twice")
        codes.append((country, bank_code))
    return tuple(codes)


def _pain001(f: _File, messages: Mapping[str, Any], mappings: MappingDirectory) -> tuple[str, ...]:
    versions = f.strings(messages, "pain001", "messages.")
    writable = mappings.versions(PAIN001)
    for index, version in enumerate(versions):
        key = f"messages.pain001[{index}]"
        try:
            message = MessageType.parse(version)
        except ValueError as exc:
            raise f.fail(key, str(exc)) from None
        if message.family != PAIN001 or str(message) != version:
            raise f.fail(key, f"{version!r} is not a pain.001 message id like pain.001.001.09")
        if version not in writable:
            raise f.fail(key, f"the gateway cannot write {version} (it writes {', '.join(sorted(writable))})")
    return tuple(versions)


def _profile(f: _File, messages: Mapping[str, Any], mappings: MappingDirectory) -> RuleProfile | None:
    name = f.string(messages, "profile", "messages.", required=False)
    if name is None:
        return None
    try:
        return mappings.rule_profile(name)
    except ProfileProblem as exc:
        raise f.fail("messages.profile", str(exc)) from None


def _connector(f: _File) -> tuple[str, Mapping[str, Any]]:
    connector = f.table("connector")
    kind = f.string(connector, "type", "connector.")
    settings = copy.deepcopy({k: v for k, v in connector.items() if k != "type"})
    return kind, MappingProxyType(settings)


def read_bank(path: Path, mappings: MappingDirectory | None = None) -> BankProfile:
    """One bank file, fully checked (conflicts with other banks are ``load_banks``'s business)."""
    path = Path(path)
    mappings = mappings or MappingDirectory()
    if not BANK_ID.fullmatch(path.stem):
        raise RoutingConfigError(f"the file name is the bank id and must match {BANK_ID.pattern} "
                                 f"(lower case, digits, '-', '_'), got {path.stem!r}", file=path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise RoutingConfigError(f"not valid TOML: {exc}", file=path) from None
    except UnicodeDecodeError:
        raise RoutingConfigError("not valid TOML: the file must be UTF-8", file=path) from None
    except OSError as exc:
        raise RoutingConfigError(f"cannot read the file: {exc.strerror or exc}", file=path) from None

    f = _File(path, data)
    f.unknown(data, _TOP_KEYS)
    name = f.string(data, "name")
    enabled = f.boolean(data, "enabled", True)
    bics = _bics(f)
    currencies = _currencies(f)
    iban_codes = _iban_codes(f)
    if not bics and not iban_codes:
        raise f.fail("iban", "a bank needs at least one [[iban]] entry or one BIC, or no payment can reach it")
    messages = f.table("messages")
    f.unknown(messages, _MESSAGE_KEYS, "messages.")
    versions = _pain001(f, messages, mappings)
    profile = _profile(f, messages, mappings)
    structured = f.boolean(messages, "structured_address", False, "messages.")
    cross_border = f.boolean(messages, "cross_border", True, "messages.")
    connector_type, settings = _connector(f)
    return BankProfile(id=path.stem, name=name, bics=bics, iban_codes=iban_codes, currencies=currencies,
                       pain001_versions=versions, rule_profile=profile, structured_address=structured,
                       cross_border=cross_border, connector_type=connector_type, connector_settings=settings,
                       enabled=enabled, source=path)


def check_conflicts(banks: Iterable[BankProfile]) -> None:
    """Refuse two banks claiming one IBAN bank code or one BIC office: a payment must have one route."""
    codes: dict[tuple[str, str], BankProfile] = {}
    offices: dict[str, BankProfile] = {}
    ids: dict[str, BankProfile] = {}
    for bank in banks:
        if bank.id in ids:
            raise RoutingConfigError(f"bank id {bank.id!r} is used twice", file=bank.source)
        ids[bank.id] = bank
        for index, code in enumerate(bank.iban_codes):
            other = codes.setdefault(code, bank)
            if other is not bank:
                raise RoutingConfigError(f"{code[0]} {code[1]} is already claimed by bank {other.id!r} "
                                         f"({other.source or 'no file'})", file=bank.source,
                                         key=f"iban[{index}]")
        for index, bic in enumerate(bank.bics):
            other = offices.setdefault(bic11(bic), bank)
            if other is not bank:
                raise RoutingConfigError(f"{bic} is already claimed by bank {other.id!r} "
                                         f"({other.source or 'no file'})", file=bank.source, key=f"bics[{index}]")


def load_banks(directory: Path | str, *, include_disabled: bool = False,
               mappings: MappingDirectory | None = None) -> tuple[BankProfile, ...]:
    """Every ``*.toml`` in ``directory``, sorted by id; disabled banks are checked, then left out.

    Other files (a README) are ignored.  ``mappings`` is where pain.001 versions and
    rule profiles are looked up (default: the gateway's ``mappings/``)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RoutingConfigError("no such directory of bank files", file=directory)
    mappings = mappings or MappingDirectory()
    banks = [read_bank(path, mappings) for path in sorted(directory.glob("*.toml"))]
    chosen = tuple(bank for bank in banks if include_disabled or bank.enabled)
    check_conflicts(chosen)
    return chosen
