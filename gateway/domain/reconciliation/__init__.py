"""Reconciliation and statement integrity, as pure functions of the canonical model.

* ``entries_of(report)`` flattens camt.052/053/054 into ``BookedEntry`` records.
* ``reconcile(sent, entries)`` matches ``SentPayment`` records with them and
  returns ``Match`` and ``ReconException`` records (see ``matching`` for the rules).
* ``summary_of``, ``check_continuity``, ``missing_statements`` and ``check_statement``
  check statements one by one and from one to the next, as ``Finding`` objects.

Nothing here reads a database or a clock: the services pass what was sent, what
was booked and the day the bookings are complete for, and store the outcome.
"""

from gateway.domain.reconciliation.booked import BookedEntry, booked_entries, entries_of
from gateway.domain.reconciliation.calendar import WEEKDAYS, BankCalendar
from gateway.domain.reconciliation.continuity import (
    StatementSummary,
    check_continuity,
    check_statement,
    missing_statements,
    summary_of,
)
from gateway.domain.reconciliation.errors import ReconciliationInputError
from gateway.domain.reconciliation.matching import (
    BOOKABLE,
    DEFAULT_BOOKING_WINDOW,
    SETTLED,
    Relevant,
    reconcile,
    relevant_payments,
)
from gateway.domain.reconciliation.names import name_forms, normalise_iban, same_name
from gateway.domain.reconciliation.outcome import (
    ExceptionKind,
    Match,
    MatchMethod,
    MatchRole,
    Reconciliation,
    ReconException,
)
from gateway.domain.reconciliation.sent import AWAITING_BOOKING, STATUSES, SentPayment

__all__ = [
    "AWAITING_BOOKING", "BOOKABLE", "DEFAULT_BOOKING_WINDOW", "SETTLED", "STATUSES", "WEEKDAYS", "BankCalendar", "BookedEntry",
    "ExceptionKind", "Match", "MatchMethod", "MatchRole", "ReconException", "Reconciliation",
    "ReconciliationInputError", "Relevant", "SentPayment", "StatementSummary", "booked_entries", "check_continuity",
    "check_statement", "entries_of", "missing_statements", "name_forms", "normalise_iban", "reconcile", "relevant_payments",
    "same_name", "summary_of",
]
