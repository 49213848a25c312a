"""SEPA character set and identifier rules (EPC rulebook: a-z A-Z 0-9 / - ? : ( ) . , ' + space)."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.rules.charset import SEPA_CHARACTERS, first_invalid_character, identifier_problem

ALLOWED = string.ascii_letters + string.digits + "/-?:().,'+ "


def test_the_allowed_set_is_exactly_the_rulebook_list():
    assert SEPA_CHARACTERS == set(ALLOWED)
    assert len(SEPA_CHARACTERS) == 26 + 26 + 10 + 11  # 11 specials: / - ? : ( ) . , ' + space
    assert first_invalid_character(ALLOWED) is None


@pytest.mark.parametrize("text, expected", [
    ("Müller GmbH", (1, "ü")),
    ("Smith & Sons", (6, "&")),
    ("line one\nline two", (8, "\n")),
    ("price_list", (5, "_")),
    ("ok*", (2, "*")),
    ("Ça va", (0, "Ç")),
])
def test_first_offending_character(text, expected):
    assert first_invalid_character(text) == expected


@given(st.text(alphabet=ALLOWED))
def test_any_text_from_the_set_passes(text):
    assert first_invalid_character(text) is None


@given(st.text(alphabet=ALLOWED), st.characters().filter(lambda c: c not in ALLOWED), st.text())
def test_the_first_outsider_is_found(prefix, bad, rest):
    assert first_invalid_character(prefix + bad + rest) == (len(prefix), bad)


@pytest.mark.parametrize("value, problem", [
    ("INV-2024/001", None),
    ("NOTPROVIDED", None),
    ("/INV-1", "start or end"),
    ("INV-1/", "start or end"),
    ("INV//1", "'//'"),
])
def test_identifier_slashes(value, problem):
    result = identifier_problem(value)
    assert result is None if problem is None else problem in result
