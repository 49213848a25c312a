"""Risk rules that hold a payment for an operator's review instead of sending it.

``config/risk.toml``::

    [amount_over]              # one payment above this amount, per currency
    EUR = "10000.00"
    [daily]                    # per debtor account per day, counting this payment
    count = 50
    amount = { EUR = "50000.00" }
    [blocked]                  # counterparties never paid without review
    ibans = ["NL30MOCK0000000005"]
    names = ["ACME SHELL COMPANY"]

Why hold rather than refuse: the wallet provider's request is valid and may be
legitimate; a person decides (``gateway payments release|reject``), and the
reason is visible on the payment meanwhile.  The consent's own limits are not
here: what a holder did not authorise is refused outright (403), because no
operator can approve on the holder's behalf.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from gateway.domain.errors import GatewayError


class RiskConfigError(GatewayError):
    code = "risk_config_invalid"


@dataclass(frozen=True)
class DailyUse:
    """What the debtor account already sent today (before this request)."""

    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class RiskRules:
    amount_over: dict[str, Decimal] = field(default_factory=dict)
    daily_count: int | None = None
    daily_amount: dict[str, Decimal] = field(default_factory=dict)
    blocked_ibans: frozenset[str] = frozenset()
    blocked_names: frozenset[str] = frozenset()

    @property
    def counts_daily_use(self) -> bool:
        """Whether the rules need what the account sent today (a query the service can skip)."""
        return self.daily_count is not None or bool(self.daily_amount)

    @property
    def empty(self) -> bool:
        return not (self.amount_over or self.counts_daily_use or self.blocked_ibans or self.blocked_names)

    def reasons(self, *, amount: Decimal, currency: str, creditor_iban: str | None, creditor_name: str | None,
                today: DailyUse) -> list[str]:
        """Why this payment must wait for review; empty when it may go."""
        found = []
        limit = self.amount_over.get(currency)
        if limit is not None and amount > limit:
            found.append(f"amount {amount} {currency} is over the review threshold of {limit} {currency}")
        if self.daily_count is not None and today.count + 1 > self.daily_count:
            found.append(f"more than {self.daily_count} payments from this account today")
        daily = self.daily_amount.get(currency)
        if daily is not None and today.amount + amount > daily:
            found.append(f"payments from this account today would total {today.amount + amount} {currency}, "
                         f"over {daily} {currency}")
        if creditor_iban and creditor_iban.replace(" ", "").upper() in self.blocked_ibans:
            found.append(f"the creditor account {creditor_iban} is on the blocked-counterparty list")
        if creditor_name and _normal(creditor_name) in self.blocked_names:
            found.append(f"the creditor {creditor_name!r} is on the blocked-counterparty list")
        return found


def load_risk_rules(path: Path) -> RiskRules:
    """The rules in ``path``; no file means no rules."""
    if not path.is_file():
        return RiskRules()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RiskConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"amount_over", "daily", "blocked"}
    if unknown:
        raise RiskConfigError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}; "
                              "known: amount_over, daily, blocked")
    daily = data.get("daily", {})
    blocked = data.get("blocked", {})
    count = daily.get("count")
    if count is not None and (type(count) is not int or count <= 0):
        raise RiskConfigError(f"{path}: daily.count must be a positive whole number, not {count!r}")
    return RiskRules(
        amount_over=_amounts(path, "amount_over", data.get("amount_over", {})),
        daily_count=count,
        daily_amount=_amounts(path, "daily.amount", daily.get("amount", {})),
        blocked_ibans=frozenset(i.replace(" ", "").upper() for i in blocked.get("ibans", [])),
        blocked_names=frozenset(_normal(n) for n in blocked.get("names", [])),
    )


def _amounts(path: Path, where: str, table: object) -> dict[str, Decimal]:
    if not isinstance(table, dict):
        raise RiskConfigError(f"{path}: {where} must be a table of currency = \"amount\"")
    amounts = {}
    for currency, text in table.items():
        try:
            if not isinstance(text, str):
                raise InvalidOperation
            value = Decimal(text)
        except InvalidOperation:
            raise RiskConfigError(f"{path}: {where}.{currency} must be an amount in quotes, like \"100.00\"; "
                                  f"got {text!r}") from None
        if not value.is_finite() or value <= 0:
            raise RiskConfigError(f"{path}: {where}.{currency} must be more than zero")
        amounts[currency.upper()] = value
    return amounts


def _normal(name: str) -> str:
    """Names compared without case, accents or repeated spaces."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(folded.upper().split())
