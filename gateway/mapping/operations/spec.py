"""Operation specs: ``mappings/operations/<operation>.yaml``, one file per operation.

What varies between operations is data, so that a new operation (or a different
default code) is a file change, never an ``if operation == ...`` in Python::

    operation: pay                  # = the file name
    each: payments                  # optional: one payment per element of this request
                                    # array; absent: the request is the one payment
    debtor:   {wallet: settlement}  # see sources.py: wallet | consent (debtors);
    creditor: {request: merchant}   #   wallet | consent | holder | request (creditors)
    defaults:                       # when the request does not say; null = not written
      purpose: GDSV                 # ExternalPurpose1Code (CdtTrfTxInf/Purp/Cd)
      category_purpose: null        # ExternalCategoryPurpose1Code (PmtTpInf/CtgyPurp/Cd)
      service_level: null           # PmtTpInf/SvcLvl/Cd (SEPA is set for a SEPA bank)
      local_instrument: null        # PmtTpInf/LclInstrm/Cd, e.g. INST
      charge_bearer: null           # ChrgBr; null = SLEV for SEPA, SHAR otherwise

Request fields are read from the payment's own object first (a bulk payout's
``payments[i]``), then from the top of the request, then from ``defaults``.

Loading refuses unknown keys and malformed codes, so that a typo never silently
drops a default; the request fields a spec names are checked against the
operation's JSON Schema by the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gateway.mapping.operations.errors import OperationSpecError
from gateway.mapping.operations.sources import ConsentAccount, HolderAccount, RequestParty, Source, WalletAccount
from gateway.mapping.operations.vocabulary import RequestFields

_CODES = {
    # ISO 20022 external code sets: Purpose and CategoryPurpose are 4-character codes,
    # ServiceLevel Max4Text, LocalInstrument Max35Text.
    "purpose": re.compile(r"[A-Z0-9]{4}"),
    "category_purpose": re.compile(r"[A-Z0-9]{4}"),
    "service_level": re.compile(r"[A-Z0-9]{1,4}"),
    "local_instrument": re.compile(r"[A-Z0-9]{1,35}"),
    "charge_bearer": re.compile(r"DEBT|CRED|SHAR|SLEV"),
}
_TOP_KEYS = {"operation", "each", "debtor", "creditor", "defaults"}
_NAME = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True, slots=True)
class Defaults:
    purpose: str | None = None
    category_purpose: str | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    charge_bearer: str | None = None


@dataclass(frozen=True, slots=True)
class OperationSpec:
    name: str
    debtor: Source
    creditor: Source
    defaults: Defaults = Defaults()
    each: str | None = None

    def payments(self, body: Mapping[str, Any]) -> Iterator[RequestFields]:
        """One view per payment the request asks for, in request order."""
        if self.each is None:
            yield RequestFields(body, body)
            return
        for index, item in enumerate(body.get(self.each, ())):
            yield RequestFields(body, item, (self.each, index))

    def request_fields(self) -> tuple[str, ...]:
        return self.debtor.request_fields() + self.creditor.request_fields()


def load_spec(path: Path) -> OperationSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise OperationSpecError(f"{path.name}: not YAML: {exc}") from None
    return parse_spec(data, source=path.name, expected_name=path.stem)


def parse_spec(data: object, *, source: str, expected_name: str | None = None) -> OperationSpec:
    """A checked spec from parsed YAML; ``source`` names the file in every error."""
    def bad(message: str) -> OperationSpecError:
        return OperationSpecError(f"{source}: {message}")

    if not isinstance(data, dict):
        raise bad("an operation spec is a mapping")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("operation", "debtor", "creditor"):
        if key not in data:
            raise bad(f"'{key}' is required")
    name = data["operation"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise bad(f"operation must be a lower-case name such as 'top-up', got {name!r}")
    if expected_name is not None and name != expected_name:
        raise bad(f"operation {name!r} must match the file name {expected_name!r}")
    each = data.get("each")
    if each is not None and not _field(each):
        raise bad(f"each must name a request field, got {each!r}")
    return OperationSpec(name=name, debtor=_source(data["debtor"], "debtor", bad),
                         creditor=_source(data["creditor"], "creditor", bad),
                         defaults=_defaults(data.get("defaults") or {}, bad), each=each)


def _field(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9_]*", value) is not None


def _source(data: object, side: str, bad) -> Source:
    kinds = ("wallet", "consent") if side == "debtor" else ("wallet", "consent", "holder", "request")
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in kinds:
        raise bad(f"{side} must be one of {', '.join(f'{{{k}: ...}}' for k in kinds)}"
                  + (" (a debtor is never taken from the request)" if side == "debtor" else "")
                  + f", got {data!r}")
    kind, value = next(iter(data.items()))
    if kind == "holder":
        keys = {"party", "iban", "name"}
        if not isinstance(value, dict) or set(value) != keys or not all(_field(v) for v in value.values()):
            raise bad(f"{side}.holder needs exactly party, iban and name, each a request field, got {value!r}")
        return HolderAccount(party=value["party"], iban=value["iban"], name=value["name"])
    if kind == "wallet":
        if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", value):
            raise bad(f"{side}.wallet must name an account role such as 'settlement', got {value!r}")
        return WalletAccount(value)
    if not _field(value):
        raise bad(f"{side}.{kind} must name a request field, got {value!r}")
    return ConsentAccount(value) if kind == "consent" else RequestParty(value)


def _defaults(data: object, bad) -> Defaults:
    if not isinstance(data, dict):
        raise bad("defaults is a mapping")
    unknown = sorted(set(data) - set(_CODES))
    if unknown:
        raise bad(f"unknown default(s) {', '.join(unknown)} (known: {', '.join(_CODES)})")
    for key, value in data.items():
        if value is not None and not (isinstance(value, str) and _CODES[key].fullmatch(value)):
            raise bad(f"defaults.{key}: {value!r} is not a valid code (pattern {_CODES[key].pattern})")
    return Defaults(**data)
