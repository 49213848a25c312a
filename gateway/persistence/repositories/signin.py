"""Sign-in throttling: failed password or TOTP attempts per username, and the temporary lock
they lead to, kept in the database so that every gunicorn worker sees the same count.

Policy (:class:`LockPolicy`): ``max_failures`` failures within ``window`` of the first one
lock the username for ``lockout``.  While locked, nothing is checked (no password hash is
computed, no code compared), so guessing stops.  A complete sign-in (password *and* TOTP)
clears the count; a right password alone does not, or someone who has the password could
alternate it with TOTP guesses forever.

Names are stored as their SHA-256 (``SignInThrottle``), and unknown names are counted and
locked exactly like real ones, so the lock message says nothing about who has an account.

Counting is one upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``): two workers
recording a failure for the same name at once both count.  A lock of a real holder is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update

from gateway.persistence.db import insert_for
from gateway.persistence.models import AccountHolder, SignInThrottle
from gateway.persistence.repositories.audit import SYSTEM, Repository
from gateway.persistence.secrets import hash_token
from gateway.persistence.types import UTCDateTime


@dataclass(frozen=True)
class LockPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


class SignInThrottles(Repository):
    def locked_until(self, username: str) -> datetime | None:
        """When the lock on ``username`` ends, if it is locked now."""
        until = self.session.scalar(select(SignInThrottle.locked_until)
                                    .where(SignInThrottle.username_hash == _key(username)))
        return until if until is not None and until > self.clock() else None

    def record_failure(self, username: str, policy: LockPolicy, *, holder: AccountHolder | None = None,
                       factor: str = "password") -> datetime | None:
        """Count a failed attempt; returns when the lock ends if this failure locked the name."""
        now, key = self.clock(), _key(username)
        table = SignInThrottle.__table__
        at = literal(now, UTCDateTime())
        stale = table.c.window_started_at <= literal(now - policy.window, UTCDateTime())
        statement = (insert_for(self.session)(table)
                     .values(username_hash=key, failures=1, window_started_at=now, locked_until=None))
        statement = statement.on_conflict_do_update(
            index_elements=["username_hash"],
            set_={"failures": case((stale, 1), else_=table.c.failures + 1),
                  "window_started_at": case((stale, at), else_=table.c.window_started_at)},
        ).returning(table.c.failures)
        failures = self.session.execute(statement).scalar_one()
        self._forget_stale(policy)
        if failures < policy.max_failures:
            return None
        until = now + policy.lockout
        self.session.execute(update(SignInThrottle).where(SignInThrottle.username_hash == key)
                             .values(failures=0, window_started_at=now, locked_until=until)
                             .execution_options(synchronize_session=False))
        if holder is not None:
            self.audit(SYSTEM, "holder.locked", holder, f"{failures} failed sign-in attempts",
                       factor=factor, until=until.isoformat())
        return until

    def record_success(self, username: str) -> None:
        """A complete sign-in: the count starts again from zero."""
        self.session.execute(delete(SignInThrottle).where(SignInThrottle.username_hash == _key(username)))

    def _forget_stale(self, policy: LockPolicy) -> None:
        """Rows whose window and lock have both passed say nothing any more."""
        now = self.clock()
        self.session.execute(delete(SignInThrottle).where(
            SignInThrottle.window_started_at <= now - policy.window,
            or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now)))


def _key(username: str) -> str:
    return hash_token(username)

