"""Business days: which days a bank books on and issues end-of-day statements for.

Matching ("booked within N business days of the execution date") and statement
continuity ("a statement for every business day") both count business days, and
they must count them the same way, so the calendar lives here once.  It knows a
weekend and a list of holidays and nothing else: which holidays apply (TARGET2,
a national calendar, the bank's own) is the caller's knowledge, not the domain's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from gateway.domain.reconciliation.errors import ReconciliationInputError

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BankCalendar:
    """A bank's calendar: ``weekend`` holds ``date.weekday()`` numbers (Monday 0)."""

    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.weekend) >= 7 or not self.weekend <= set(range(7)):
            raise ReconciliationInputError(
                f"a weekend must be some of the weekdays 0-6 and leave at least one working day, got {sorted(self.weekend)}",
                code="invalid_calendar")

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def roll_forward(self, day: date) -> date:
        """``day`` itself when it is a business day, else the first one after it.

        A holiday list that covered every day for years would loop for ever; a
        calendar that closes a bank for 10 years is a mistake, so it is refused.
        """
        for _ in range(3660):
            if self.is_business_day(day):
                return day
            day += _DAY
        raise ReconciliationInputError(f"no business day within ten years after {day}", code="invalid_calendar")

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        return self.roll_forward(day + _DAY)

    def business_days_after(self, day: date, count: int) -> date:
        """``count`` business days after ``day``; 0 rolls a weekend or holiday forward.

        Counting, not adding: two business days after a Friday is the Tuesday.
        """
        if count < 0:
            raise ReconciliationInputError(f"business days are counted forwards, got {count}",
                                           code="invalid_window")
        day = self.roll_forward(day)
        for _ in range(count):
            day = self.next_business_day(day)
        return day

    def business_days(self, first: date, last: date) -> Iterator[date]:
        """The business days from ``first`` to ``last``, both included."""
        day = first
        while day <= last:
            if self.is_business_day(day):
                yield day
            day += _DAY


WEEKDAYS = BankCalendar()
"""Monday to Friday, no holidays: what mock-bank uses unless told of holidays."""
