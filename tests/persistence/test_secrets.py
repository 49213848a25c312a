"""Token hashing and password hashing (no database)."""

from __future__ import annotations

import hashlib
import re

import pytest

from gateway.persistence import secrets
from gateway.persistence.secrets import (
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    token_matches,
    verify_password,
)


def test_new_tokens_are_url_safe_256_bit_and_distinct():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_a_token_is_stored_as_its_sha256():
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()
    assert token_matches("abc", hash_token("abc"))
    assert not token_matches("abd", hash_token("abc"))
    assert not token_matches("abc", None)  # a client without a secret matches nothing


def test_default_password_hash_uses_the_owasp_scrypt_parameters():
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$131072$8$1$")
    assert "s3cret" not in stored
    assert verify_password("s3cret", stored)
    assert not needs_rehash(stored)


def test_password_hashes_are_salted_and_verify_only_the_right_password():
    first, second = hash_password("s3cret", n=2**10), hash_password("s3cret", n=2**10)
    assert first != second
    assert verify_password("s3cret", first) and verify_password("s3cret", second)
    assert not verify_password("s3cret ", first)
    assert not verify_password("", first)


def test_old_hashes_keep_verifying_after_the_cost_is_raised(monkeypatch):
    old = hash_password("s3cret", n=2**10)
    monkeypatch.setattr(secrets, "SCRYPT_N", 2**11)
    assert verify_password("s3cret", old)
    assert needs_rehash(old)
    assert hash_password("s3cret").startswith("scrypt$2048$")


@pytest.mark.parametrize("stored", ["", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AA$AA", "scrypt$1024$8$1$AA"])
def test_a_malformed_stored_hash_is_an_error_not_a_wrong_password(stored):
    with pytest.raises(ValueError):
        verify_password("anything", stored)
