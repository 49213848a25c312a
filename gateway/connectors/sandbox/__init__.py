"""The in-process sandbox bank (connector type ``sandbox``).

    settings.py   the bank file's [connector] table, checked
    store.py      the bank's state in one SQLite file, a transaction per operation
    records.py    what the store gives back (accounts, payments, bookings, mailbox)
    decisions.py  accept or reject one payment, with its ISO reason code
    messages.py   pain.002, camt.054 and camt.053 as canonical documents
    calendar.py   business days
    bank.py       receiving files, booking, the bank date and its statements
    connector.py  the Connector interface over it
"""

from gateway.connectors.sandbox.bank import AdvanceReport
from gateway.connectors.sandbox.connector import SandboxConnector
from gateway.connectors.sandbox.errors import (
    ClockBackwards,
    SandboxError,
    UnknownAccount,
)

__all__ = ["AdvanceReport", "ClockBackwards", "SandboxConnector", "SandboxError", "UnknownAccount"]
