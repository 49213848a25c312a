"""How account numbers and names are compared when no EndToEndId links a booking.

Banks print the same counterparty differently: an IBAN with or without spaces, a
name in capitals, with the accents dropped, or transliterated to the SEPA
character set (``Müller`` as ``MUELLER``).  Comparing raw strings would call
those different people; comparing anything looser (legal forms, abbreviations)
would be guessing.  So an IBAN is compared without spaces and case, and a name
by a small set of spellings: case, spaces and punctuation ignored, accents
dropped or German umlauts spelt out.
"""

from __future__ import annotations

import re
import unicodedata

_SPELT_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
                            "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "æ": "ae", "Æ": "Ae",
                            "ø": "oe", "Ø": "Oe", "å": "aa", "Å": "Aa"})
_PLAIN = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
                        "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss"})
"""Latin letters that Unicode does not decompose into a base letter and an accent."""
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_iban(value: str | None) -> str | None:
    """Upper case, no spaces; None for nothing at all."""
    if value is None:
        return None
    compact = "".join(value.split()).upper()
    return compact or None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub("", plain)


def name_forms(value: str | None) -> frozenset[str]:
    """The spellings a name may appear under: as written (case and runs of spaces
    ignored), and in Latin letters and digits only, with the accents dropped
    (``Müller`` → ``muller``) or spelt out (``Müller`` → ``mueller``), so that
    ``Payee B.V.`` and ``PAYEE BV`` meet at ``payeebv``.  Two names are the same
    when their forms meet; an empty name has none.
    """
    if value is None:
        return frozenset()
    forms = {" ".join(value.casefold().split()), _fold(value), _fold(value.translate(_SPELT_OUT))}
    return frozenset(f for f in forms if f)


def same_name(a: str | None, b: str | None) -> bool:
    return bool(name_forms(a) & name_forms(b))
