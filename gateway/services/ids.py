"""Identifiers the gateway gives to the messages it writes.

MsgId, PmtInfId and EndToEndId are at most 35 characters of the SEPA set
(A-Z, 0-9).  They carry 48 (MsgId) or 96 (EndToEndId) random bits next to the time, so two gateways (or two
workers) never mint the same one; the database's unique constraints per client
are the guarantee, these make a collision practically impossible.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from datetime import datetime


def message_id(now: datetime) -> str:
    """``GW`` + UTC time to the second (yymmddHHMMSS) + 12 random hex digits: 26 characters,
    leaving room for a block number in the PmtInfId."""
    return f"GW{now:%y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def block_ids(message: str) -> Callable[[], str]:
    """PmtInfIds for one message: its MsgId and the block's number (1-based), unique within the
    client because the MsgId is, and at most 35 characters for up to 99,999 blocks."""
    numbers = itertools.count(1)
    return lambda: f"{message}-{next(numbers)}"


def end_to_end_id() -> str:
    """``E2E`` + 24 random hex digits: 27 characters, unique without looking anything up."""
    return f"E2E{secrets.token_hex(12).upper()}"
