"""Access and refresh tokens, and the authorization codes they are issued for.

Tokens issued for one authorization code, and every token a refresh chain
rotates into, share a ``family_id``.  A family is revoked as a whole when a
spent refresh token or a used code is presented again (it has leaked or is
being replayed), and on RFC 7009 revocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select

from gateway.domain.errors import InvalidInput
from gateway.persistence.errors import InvalidTransition
from gateway.persistence.models import AuthorizationCode, Token, new_id
from gateway.persistence.repositories.audit import SYSTEM, Repository
from gateway.persistence.secrets import hash_token


@dataclass(frozen=True)
class TokenLifetimes:
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None


class Tokens(Repository):
    def store(self, *, access_token: str, client_id: str, scope: str, access_expires_at: datetime, actor: str,
              refresh_token: str | None = None, refresh_expires_at: datetime | None = None,
              consent_id: str | None = None, family_id: str | None = None) -> Token:
        """Store an issued token by its hashes; ``family_id`` links it to its code or refresh chain
        (a token without one starts its own family)."""
        token_id = new_id()
        if consent_id is not None:
            self.session.flush()  # the consent it points to first: the unit of work does not order by foreign key
        token = Token(id=token_id, access_token_hash=hash_token(access_token),
                      refresh_token_hash=refresh_token and hash_token(refresh_token), client_id=client_id,
                      consent_id=consent_id, scope=scope, family_id=family_id or token_id, issued_at=self.clock(),
                      access_expires_at=access_expires_at, refresh_expires_at=refresh_expires_at)
        self.session.add(token)
        self.audit(actor, "token.issued", token, client_id=client_id, consent_id=consent_id, scope=scope,
                   family_id=token.family_id)
        return token

    def find_by_access_token(self, access_token: str) -> Token | None:
        """The token row, live or not (check ``access_is_active``); None if unknown."""
        return self.session.scalar(select(Token).where(Token.access_token_hash == hash_token(access_token)))

    def find_by_refresh_token(self, refresh_token: str) -> Token | None:
        return self.session.scalar(select(Token).where(Token.refresh_token_hash == hash_token(refresh_token)))

    def authenticate_refresh(self, refresh_token: str, client_id: str) -> Token | None:
        """The token if its refresh token is live and this client's.  A refresh token that was
        already exchanged (or revoked) has leaked or is replayed: the whole family is revoked."""
        token = self.find_by_refresh_token(refresh_token)
        if token is None or token.client_id != client_id:
            return None
        if token.refresh_is_active(self.clock()):
            return token
        if token.replaced_by is not None or token.revoked_at is not None:
            self.audit(SYSTEM, "token.refresh_reused", token, "spent refresh token presented again")
            self.revoke_family(token.family_id, actor=SYSTEM, reason="spent refresh token presented again")
        return None

    def rotate(self, old: Token, *, access_token: str, refresh_token: str, lifetimes: TokenLifetimes, actor: str,
               scope: str | None = None) -> Token:
        """Exchange ``old`` for a new token in the same family; ``old`` is spent and revoked."""
        if not old.refresh_is_active(self.clock()):
            raise InvalidTransition("the refresh token is not active", code="invalid_grant")
        new = self.store(access_token=access_token, refresh_token=refresh_token, client_id=old.client_id,
                         consent_id=old.consent_id, scope=scope or old.scope, family_id=old.family_id, actor=actor,
                         access_expires_at=lifetimes.access_expires_at,
                         refresh_expires_at=lifetimes.refresh_expires_at)
        self.session.flush()
        old.replaced_by, old.revoked_at = new.id, self.clock()
        self.session.flush()  # version check: of two concurrent rotations of ``old``, one fails
        self.audit(actor, "token.rotated", old, "refresh token exchanged", replaced_by=new.id)
        return new

    def revoke_family(self, family_id: str, *, actor: str, reason: str) -> list[Token]:
        """RFC 7009: revoking one token of a grant revokes every token issued from it."""
        return self._revoke(Token.family_id == family_id, actor=actor, reason=reason)

    def revoke_for_consent(self, consent_id: str, *, actor: str, reason: str) -> list[Token]:
        return self._revoke(Token.consent_id == consent_id, actor=actor, reason=reason)

    def revoke_for_client(self, client_id: str, *, actor: str, reason: str) -> list[Token]:
        return self._revoke(Token.client_id == client_id, actor=actor, reason=reason)

    def _revoke(self, which: ColumnElement[bool], *, actor: str, reason: str) -> list[Token]:
        """Revoke the live tokens matching ``which``, one audit event each; returns them."""
        live = list(self.session.scalars(select(Token).where(which, Token.revoked_at.is_(None))))
        for token in live:
            token.revoked_at = self.clock()
            self.audit(actor, "token.revoked", token, reason)
        self.session.flush()
        return live


class AuthorizationCodes(Repository):
    def store(self, *, code: str, client_id: str, consent_id: str, holder_id: str, redirect_uri: str, scope: str,
              code_challenge: str, code_challenge_method: str, expires_at: datetime) -> AuthorizationCode:
        """Store a code by its hash, with its PKCE challenge (S256 only, also enforced by the schema)."""
        if code_challenge_method != "S256" or not code_challenge:
            raise InvalidInput("PKCE with S256 is required", code="invalid_request")
        self.session.flush()  # the consent it points to first: the unit of work does not order by foreign key
        row = AuthorizationCode(code_hash=hash_token(code), client_id=client_id, consent_id=consent_id,
                                holder_id=holder_id, redirect_uri=redirect_uri, scope=scope,
                                code_challenge=code_challenge, code_challenge_method=code_challenge_method,
                                family_id=new_id(), created_at=self.clock(), expires_at=expires_at)
        self.session.add(row)
        self.session.flush()
        return row

    def consume(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The code, marked used, if it is live and this client's; else None.  Issue its tokens
        with ``family_id=code.family_id``: a second redemption revokes them (RFC 6749 §4.1.2)."""
        row = self.session.get(AuthorizationCode, hash_token(code))
        if row is None or row.client_id != client_id:
            return None
        if row.used_at is not None:
            reason = "authorization code used twice"
            self.audit(SYSTEM, "code.reused", ("consent", row.consent_id), reason, client_id=client_id)
            Tokens(self.session, self.clock).revoke_family(row.family_id, actor=SYSTEM, reason=reason)
            return None
        if self.clock() >= row.expires_at:
            return None
        row.used_at = self.clock()
        self.session.flush()  # the version check happens here: of two concurrent redemptions, one fails
        return row
