"""Sign-in hardening on the holder's pages: lockout after failed passwords or codes (in the
database, so every worker sees it), TOTP codes accepted once, idle sessions ended.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from gateway.api import create_app
from gateway.consent import signin, storage
from gateway.persistence.db import Database
from gateway.persistence.models import SignInThrottle
from gateway.persistence.repositories import AuditLog
from tests.api.conftest import checked_client
from tests.consent.conftest import PASSWORD, TOTP_SECRET, csrf_of, sign_in

ACCOUNT = "/account/consents"
TOTP = pyotp.TOTP(TOTP_SECRET)


def password(client, username: str = "alice", secret: str = PASSWORD):
    page = client.get(ACCOUNT)
    return client.post(ACCOUNT, data={"csrf_token": csrf_of(page), "step": "password", "username": username,
                                      "password": secret})


def code(client, page, value: str):
    return client.post(ACCOUNT, data={"csrf_token": csrf_of(page), "step": "totp", "code": value})


def sign_out(client) -> None:
    page = client.get(ACCOUNT)
    assert client.post("/account/sign-out", data={"csrf_token": csrf_of(page)}).status_code == 303


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_locked(response, until: str) -> None:
    assert response.status_code == 429, text(response)
    assert "temporarily locked" in text(response) and f"Try again after {until}" in text(response)
    assert 'name="password"' in text(response)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


def audit(settings, action: str) -> list:
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            return AuditLog(s).entries(action=action)
    finally:
        database.dispose()


def test_five_wrong_passwords_lock_the_account_and_the_page_says_until_when(client, world, clock, settings):
    for _ in range(4):
        wrong = password(client, secret="guess")
        assert wrong.status_code == 401 and "Wrong username or password" in text(wrong)
    assert_locked(password(client, secret="guess"), "09:15 UTC on 23 November 2026")
    assert_locked(password(client), "09:15 UTC on 23 November 2026")  # the right password changes nothing now
    clock.advance(minutes=14)
    assert_locked(password(client), "09:15 UTC on 23 November 2026")
    clock.advance(minutes=1, seconds=1)
    assert password(client).status_code == 200  # on to the code
    [event] = audit(settings, "holder.locked")
    assert event.actor == "system" and event.subject_id == world_holder_id(settings, "alice")
    assert event.details["factor"] == "password"


def world_holder_id(settings, username: str) -> str:
    from gateway.persistence.repositories import Holders
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            return Holders(s).find_by_username(username).id
    finally:
        database.dispose()


def test_while_locked_no_password_is_checked(client, world, clock, monkeypatch):
    for _ in range(5):
        password(client, secret="guess")
    from gateway.persistence.repositories import parties
    monkeypatch.setattr(parties, "verify_password", lambda *_: pytest.fail("a password was checked while locked"))
    assert password(client).status_code == 429


def test_unknown_usernames_are_locked_alike_and_names_are_stored_hashed(client, world, clock, settings):
    for _ in range(4):
        assert password(client, username="mallory").status_code == 401
    assert_locked(password(client, username="mallory"), "09:15 UTC")
    assert audit(settings, "holder.locked") == []  # no holder to audit
    database = Database(settings.database_url)
    with database.engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM sign_in_throttles"))
    database.dispose()
    assert "mallory" not in dump
    assert password(client).status_code == 200  # alice is not affected


def test_the_lock_holds_across_workers(world, clock, settings, fast_kdf, spec):
    """Two applications on one database, as two gunicorn workers are."""
    apps = [create_app(settings) for _ in range(2)]
    clients = []
    for app in apps:
        app.extensions[storage.CLOCK] = clock
        clients.append(checked_client(app, spec))
    first, second = (next(c) for c in clients)
    for turn in range(5):
        password(first if turn % 2 else second, secret="guess")
    assert_locked(password(first), "09:15 UTC")
    assert_locked(password(second), "09:15 UTC")
    for c in clients:
        next(c, None)
    for app in apps:
        storage.dispose(app)


def test_wrong_codes_count_and_a_right_password_does_not_clear_them(client, world, clock, settings):
    """Someone with the password cannot alternate it with code guesses for ever."""
    stale = TOTP.at(clock.now - timedelta(minutes=5))
    for _ in range(4):
        page = password(client)
        assert page.status_code == 200 and 'name="code"' in text(page)
        assert code(client, page, stale).status_code == 401
    page = password(client)
    locked = code(client, page, stale)
    assert_locked(locked, "09:15 UTC")
    after = code(client, locked, TOTP.at(clock.now))  # the half-way session was ended: back to the password
    assert 'name="password"' in text(after) and not sign_in_ok(client)
    assert_locked(password(client), "09:15 UTC")
    [event] = audit(settings, "holder.locked")
    assert event.details["factor"] == "totp"


def test_a_complete_sign_in_clears_the_count(client, world, clock):
    for _ in range(4):
        password(client, secret="guess")
    assert sign_in(client, ACCOUNT, clock).status_code == 200 and sign_in_ok(client)
    sign_out(client)
    for _ in range(4):
        assert password(client, secret="guess").status_code == 401


def sign_in_ok(client) -> bool:
    return 'name="password"' not in text(client.get(ACCOUNT))


def test_failures_outside_the_window_start_a_new_count(client, world, clock, settings):
    for _ in range(4):
        password(client, secret="guess")
    clock.advance(minutes=15, seconds=1)
    for _ in range(4):
        assert password(client, secret="guess").status_code == 401
    assert password(client).status_code == 200
    database = Database(settings.database_url)
    with database.transaction() as s:
        [row] = s.query(SignInThrottle).all()
        assert row.failures == 4 and row.locked_until is None
    database.dispose()


def test_a_totp_code_signs_in_once(client, world, clock):
    used = TOTP.at(clock.now)
    page = password(client)
    assert code(client, page, used).status_code == 200 and sign_in_ok(client)
    sign_out(client)
    page = password(client)
    replayed = code(client, page, used)
    assert replayed.status_code == 401 and "already been used" in text(replayed)
    older = code(client, replayed, TOTP.at(clock.now - timedelta(seconds=30)))  # an earlier step, in the window
    assert older.status_code == 401 and "already been used" in text(older)
    clock.advance(seconds=30)
    assert code(client, older, TOTP.at(clock.now)).status_code == 200 and sign_in_ok(client)


def test_a_code_from_the_next_step_moves_the_mark_forward(client, world, clock):
    ahead = TOTP.at(clock.now + timedelta(seconds=30))  # a phone clock a little fast: accepted
    assert code(client, password(client), ahead).status_code == 200
    sign_out(client)
    now_code = code(client, password(client), TOTP.at(clock.now))  # this step is behind the mark now
    assert now_code.status_code == 401 and "already been used" in text(now_code)


def test_an_idle_session_ends_after_15_minutes(client, world, clock):
    sign_in(client, ACCOUNT, clock)
    for _ in range(3):  # activity keeps it alive
        clock.advance(minutes=14)
        assert sign_in_ok(client)
    clock.advance(minutes=15, seconds=1)
    ended = client.get(ACCOUNT)
    assert ended.status_code == 401 and "signed out after 15 minutes without activity" in text(ended)
    assert 'name="password"' in text(ended)
    assert 'name="password"' in text(client.get(ACCOUNT))  # and stays signed out


def test_a_password_sent_after_the_timeout_signs_in_again_at_once(client, world, clock):
    sign_in(client, ACCOUNT, clock)
    page = client.get(ACCOUNT)
    clock.advance(minutes=20)
    again = client.post(ACCOUNT, data={"csrf_token": csrf_of(page), "step": "password", "username": "alice",
                                       "password": PASSWORD})
    assert again.status_code == 200 and 'name="code"' in text(again)


def test_an_idle_half_way_sign_in_ends_too(client, world, clock):
    page = password(client)
    clock.advance(minutes=16)
    late = code(client, page, TOTP.at(clock.now))
    assert late.status_code == 401 and "without activity" in text(late) and 'name="password"' in text(late)
    assert not sign_in_ok(client)


def test_the_policy_is_what_the_pages_promise():
    assert (signin.LOCK_POLICY.max_failures, signin.LOCK_POLICY.window, signin.LOCK_POLICY.lockout) == (
        5, timedelta(minutes=15), timedelta(minutes=15))
    assert signin.IDLE_TIMEOUT == timedelta(minutes=15)
