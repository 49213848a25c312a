"""Secret values: random tokens and their hashes, password hashing.

* Tokens, client secrets and authorization codes are generated here with 256
  bits of randomness and stored only as their SHA-256.  A fast hash is right for
  them: guessing a 256-bit random value is hopeless however fast the hash is,
  and lookups by hash stay cheap on every API call.  A slow KDF would add cost
  and nothing else.
* Passwords are chosen by people, so they get scrypt (memory-hard, in the
  standard library).  The stored string carries its own parameters
  (``scrypt$n$r$p$salt$hash``), so the cost can be raised later: old hashes keep
  verifying, and ``needs_rehash`` says when to re-hash at the next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

TOKEN_BYTES = 32
# OWASP's recommendation for scrypt (2024): N=2^17, r=8, p=1 (128 MiB, ~0.3 s).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
_SCRYPT_KEY_BYTES = 32
_SCHEME = "scrypt"


def new_token() -> str:
    """A fresh URL-safe secret with 256 bits of randomness (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(value: str) -> str:
    """SHA-256 hex of a random token: what is stored and looked up, never the token."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def token_matches(value: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented token with a stored hash."""
    return stored_hash is not None and hmac.compare_digest(hash_token(value), stored_hash)


def hash_password(password: str, *, n: int | None = None, r: int | None = None, p: int | None = None) -> str:
    """``scrypt$n$r$p$salt$key`` (salt and key in unpadded URL-safe base64); the
    module's SCRYPT_* values, read at call time, are the defaults."""
    n, r, p = n or SCRYPT_N, r or SCRYPT_R, p or SCRYPT_P
    salt = os.urandom(16)
    key = _scrypt(password, salt, n, r, p)
    return "$".join([_SCHEME, str(n), str(r), str(p), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` matches; raises ValueError if ``stored`` is not a hash this module wrote."""
    n, r, p, salt, key = _parse(stored)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), key)


def needs_rehash(stored: str) -> bool:
    """True if ``stored`` was made with weaker parameters than today's defaults."""
    n, r, p, _, _ = _parse(stored)
    return (n, r, p) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r * p + 2**20, dklen=_SCRYPT_KEY_BYTES)


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        raise ValueError("not an scrypt password hash")
    try:
        return int(parts[1]), int(parts[2]), int(parts[3]), _unb64(parts[4]), _unb64(parts[5])
    except ValueError as exc:
        raise ValueError("malformed scrypt password hash") from exc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
