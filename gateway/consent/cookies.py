"""The session cookie (the holder's sign-in and CSRF token): Flask's signed cookie session,
without its per-request set-up.

Flask builds a new signer (itsdangerous serializer, key derivation) on every request, even
for API calls that carry no cookie at all, which is every call of a wallet or a bank.  Here
a request without the cookie gets an empty session straight away, and the signer is built
once per secret key and kept.  What is signed, how, and what the cookie holds are Flask's,
unchanged.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._signers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(key)
        if signer is None:
            signer = self._signers[key] = super().get_signing_serializer(app)
        return signer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)


def install(app: Flask) -> None:
    app.session_interface = SessionInterface()
