"""Business days of the sandbox bank: Monday to Friday, minus the holidays its settings list.

Why it matters: a bank books and issues statements on business days only; a
payment due on a Saturday books on Monday, and a weekend has no camt.053
(as mock-bank and real banks do)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class BankCalendar:
    holidays: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays
