"""Plain words for the ISO 20022 reason codes a wallet provider will meet most.

Transcribed from the ExternalStatusReason1Code / ExternalReturnReason1Code code
sets (ISO 20022 external code lists); codes not listed here are shown as they
are, never guessed at.
"""

from __future__ import annotations

REASONS: dict[str, str] = {
    "AC01": "incorrect account number",
    "AC04": "closed account number",
    "AC06": "blocked account",
    "AG01": "transaction forbidden on this account",
    "AM01": "zero amount",
    "AM02": "amount not allowed",
    "AM03": "currency not allowed",
    "AM04": "insufficient funds",
    "AM05": "duplication",
    "AM09": "wrong amount",
    "AM10": "invalid control sum",
    "AM18": "invalid number of transactions",
    "BE04": "missing creditor address",
    "DT01": "invalid date",
    "DUPL": "duplicate payment",
    "FF01": "invalid file format",
    "MD07": "end customer deceased",
    "MS02": "reason not specified (customer)",
    "MS03": "reason not specified (agent)",
    "NARR": "see the narrative",
    "RC01": "bank identifier incorrect",
    "TM01": "received after the cut-off time",
}


def describe(code: str | None) -> str | None:
    """``"AM04 insufficient funds"``; an unknown code alone; None for None."""
    if not code:
        return None
    words = REASONS.get(code)
    return f"{code} {words}" if words else code
