"""Reading a connector's ``[connector]`` table (config/banks/<bank>.toml) strictly, for every
connector alike: unknown keys, wrong types and unknown message versions stop the start with
the bank and the key named, so a typo never quietly makes a bank unable to carry anything."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.connectors.base import Capabilities, ConnectorConfigError
from gateway.domain.messages import MessageType

FAMILIES = frozenset({"pain.002", "camt.054", "camt.053", "camt.052", "pacs.004"})
"""What a bank sends back; ``collects`` may name only these."""
DEFAULT_SUBMITS = ("pain.001.001.09", "pain.001.001.03")


@dataclass(frozen=True)
class SettingsReader:
    bank_id: str
    connector: str
    """The connector type, for messages: ``file-drop``, ``iso20022-http``."""
    settings: Mapping[str, Any]

    def bad(self, message: str) -> ConnectorConfigError:
        return ConnectorConfigError(f"bank {self.bank_id!r}, {self.connector} connector settings: {message}")

    def refuse_unknown(self, known: Iterable[str]) -> None:
        known = set(known)
        if unknown := set(self.settings) - known:
            raise self.bad(f"unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")

    def strings(self, key: str, default: Iterable[str]) -> tuple[str, ...]:
        """A list of non-empty strings (a single string is a list of one), stripped."""
        value = self.settings.get(key, tuple(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(v, str) and v.strip()
                                                                          for v in value):
            raise self.bad(f"{key} must be a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def seconds(self, key: str, default: float) -> float:
        value = self.settings.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.bad(f"{key} must be a number of seconds, 0 or more")
        return float(value)

    def folder(self, key: str) -> Path:
        value = self.settings.get(key)
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise self.bad(f"{key} is required (a folder path)")
        return Path(value)

    def capabilities(self) -> Capabilities:
        """``submits`` (full pain.001 ids), ``collects`` (families), ``currencies`` (ISO 4217; none = any)."""
        submits = frozenset(self.strings("submits", DEFAULT_SUBMITS))
        for message in submits:
            try:
                parsed = MessageType.parse(message)
            except ValueError as exc:
                raise self.bad(f"submits: {exc}") from None
            if parsed.family != "pain.001":
                raise self.bad(f"submits: {message} is not a pain.001 version")
        collects = frozenset(self.strings("collects", FAMILIES))
        if unknown := collects - FAMILIES:
            raise self.bad(f"collects: {', '.join(sorted(unknown))} unknown (known: {', '.join(sorted(FAMILIES))})")
        currencies = frozenset(c.upper() for c in self.strings("currencies", ()))
        if bad := [c for c in currencies if not re.fullmatch(r"[A-Z]{3}", c)]:
            raise self.bad(f"currencies: {', '.join(sorted(bad))} are not ISO 4217 codes")
        return Capabilities(submits=submits, collects=collects, currencies=currencies)
