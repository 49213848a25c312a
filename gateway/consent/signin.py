"""The account holder's sign-in, shared by ``/oauth/authorize`` and ``/account/consents``.

Two steps on the same page: password (scrypt, ``Holders.authenticate``), then a TOTP
code checked against the holder's secret (one 30-second step of clock drift either way).
A holder without a TOTP secret cannot sign in: the second factor is not optional.  Only
after both is ``holder_id`` put in the (signed) session cookie.

Hardening, all of it shared by every gunicorn worker through the database or the cookie:

* **Lockout** (``SignInThrottles``): :data:`LOCK_POLICY` failed passwords or codes for a
  username lock it for a while; the page says so plainly, with the time the lock ends
  (429 with ``Retry-After``).  Nothing is checked while locked.  Unknown usernames are
  locked alike, so the lock reveals nothing.
* **TOTP replay**: a code is accepted only for a time step later than the last one accepted
  for the holder (``Holders.accept_totp_step``), so a code that was seen once (over a
  shoulder, by a phishing page, in a replayed request) cannot sign in again.
* **Idle timeout**: a session (signed in, or between password and code) unused for
  :data:`IDLE_TIMEOUT` is cleared; the holder signs in again and is told why.  The time of
  the last request is in the session cookie, which the secret key signs.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
from flask import Response, request, session

from gateway.consent import storage
from gateway.consent.pages import page
from gateway.persistence.errors import InvalidCredentials, NotFound
from gateway.persistence.models import AccountHolder
from gateway.persistence.repositories import Holders
from gateway.persistence.repositories.signin import LockPolicy, SignInThrottles

LOCK_POLICY = LockPolicy(max_failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
IDLE_TIMEOUT = timedelta(minutes=15)
TOTP_DRIFT_STEPS = 1

_SEEN = "seen"
_HOLDER, _PENDING = "holder_id", "pending_holder_id"
WRONG_PASSWORD = "Wrong username or password."
WRONG_CODE = "That code is not right. Enter the 6 digits your authenticator app shows now."
USED_CODE = ("That code has already been used. Wait until your authenticator app shows a new code, "
             "then enter the new one.")
TIMED_OUT = "You were signed out after {minutes} minutes without activity. Sign in again to continue."


def _repo(cls):
    return cls(storage.session(), storage.clock())


def signed_in_holder() -> AccountHolder | None:
    holder_id = session.get(_HOLDER)
    if not holder_id:
        return None
    try:
        return _repo(Holders).get(holder_id)
    except NotFound:
        session.clear()
        return None


def sign_in(action: str) -> Response | None:
    """Handle a sign-in step posted to ``action``; a page to show, or None once signed in."""
    step = request.form.get("step") if request.method == "POST" else None
    if _idle_timed_out() and step != "password":  # signing in again needs no warning first
        return _form(action, "password", 401, TIMED_OUT.format(minutes=int(IDLE_TIMEOUT.total_seconds() // 60)))
    if step == "password":
        return _password_step(action)
    if step == "totp" and session.get(_PENDING):
        return _totp_step(action)
    if session.get(_HOLDER) and signed_in_holder() is not None:
        return None
    return _form(action, "totp" if session.get(_PENDING) else "password")


def _password_step(action: str) -> Response | None:
    username, password = request.form.get("username", ""), request.form.get("password", "")
    throttles = _repo(SignInThrottles)
    until = throttles.locked_until(username)
    if until is not None:
        return _locked(action, until)
    try:
        holder = _repo(Holders).authenticate(username, password)
    except InvalidCredentials:
        until = throttles.record_failure(username, LOCK_POLICY, holder=_repo(Holders).find_by_username(username))
        return _locked(action, until) if until else _form(action, "password", 401, WRONG_PASSWORD)
    if not holder.totp_secret:
        return _form(action, "password", 403,
                     "Your account has no second factor enrolled; ask the operator to enrol one.")
    session.clear()  # a fresh session (and CSRF token) for the holder being signed in
    session[_PENDING] = holder.id
    _touch()
    return _form(action, "totp")


def _totp_step(action: str) -> Response | None:
    try:
        holder = _repo(Holders).get(session[_PENDING])
    except NotFound:
        session.clear()
        return _form(action, "password")
    throttles = _repo(SignInThrottles)
    until = throttles.locked_until(holder.username)
    if until is not None:
        session.clear()
        return _locked(action, until)
    step = matching_step(holder.totp_secret, request.form.get("code", "").strip(), storage.now())
    replayed = step is not None and not _repo(Holders).accept_totp_step(holder, step)
    if step is None or replayed:
        until = throttles.record_failure(holder.username, LOCK_POLICY, holder=holder, factor="totp")
        if until is not None:
            session.clear()
            return _locked(action, until)
        return _form(action, "totp", 401, USED_CODE if replayed else WRONG_CODE)
    throttles.record_success(holder.username)
    session.pop(_PENDING)
    session[_HOLDER] = holder.id
    _touch()
    return None


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The TOTP time step whose code is ``code`` (now, or one step either side), or None."""
    totp = pyotp.TOTP(secret)
    if len(code) != totp.digits or not code.isdigit():
        return None
    current = totp.timecode(now)
    for step in (current, current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _idle_timed_out() -> bool:
    """Clear a holder's session (signed in or half-way) that was idle too long; else note this request."""
    if not (session.get(_HOLDER) or session.get(_PENDING)):
        return False
    now = storage.now().timestamp()
    seen = session.get(_SEEN)
    if not isinstance(seen, (int, float)) or now - seen > IDLE_TIMEOUT.total_seconds():
        session.clear()
        return True
    _touch()
    return False


def _touch() -> None:
    session[_SEEN] = storage.now().timestamp()


def _form(action: str, step: str, status: int = 200, error: str | None = None, headers: dict | None = None):
    return page("signin.html", status, action=action, step=step, error=error, headers=headers)


def _locked(action: str, until: datetime) -> Response:
    seconds = max(1, int((until - storage.now()).total_seconds()))
    minutes = -(-seconds // 60)
    when = until.strftime("%H:%M UTC on %d %B %Y")
    message = (f"This account is temporarily locked after too many failed sign-in attempts. "
               f"Try again after {when} (in about {minutes} minute{'s' if minutes != 1 else ''}).")
    return _form(action, "password", 429, message, headers={"Retry-After": str(seconds)})
