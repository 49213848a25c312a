"""The account holder's pages: ``/oauth/authorize`` (sign in, then approve or deny
a consent) and ``/account/consents`` (list and revoke their consents).

Sign-in (password, then TOTP; lockout, TOTP replay protection, idle timeout) is in
``signin.py``; rendering and the pages' Content-Security-Policy in ``pages.py``.

Every POST carries the session's CSRF token (``csrf.py``) and is refused
without it.  Errors that must not go back to the application (unknown client,
unregistered redirect URI, wrong or expired consent) are pages here; only
after the redirect URI is known to be registered may an error be redirected.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, redirect, request, session, url_for

from gateway.consent import csrf, storage
from gateway.consent.api import amount_text
from gateway.consent.errors import AuthorizationRefused
from gateway.consent.pages import error_page, page
from gateway.consent.server import server
from gateway.consent.signin import sign_in, signed_in_holder
from gateway.domain.errors import InvalidInput
from gateway.persistence.errors import InvalidTransition, NotFound
from gateway.persistence.models import AccountHolder, ConsentStatus
from gateway.persistence.repositories import BankAccounts, Clients, Consents

bp = Blueprint("holder", __name__, template_folder="templates")
bp.add_app_template_filter(amount_text, "amount")


def _repo(cls):
    return cls(storage.session(), storage.clock())


def _actor(holder: AccountHolder) -> str:
    return f"holder:{holder.username}"


# --- /oauth/authorize ----------------------------------------------------------------------------------

@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize():
    if request.method == "POST" and not csrf.valid():
        return error_page(403, "This form has expired",
                          "The form was not sent from this page, or your session ended. Go back to the "
                          "application and start again.")
    oauth = server()
    try:
        grant = oauth.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        if error.redirect_uri:  # set by authlib only once the redirect URI is known to be registered
            return to_client(oauth.handle_error_response(None, error))
        return error_page(400, "This request cannot be handled",
                          f"The application sent an invalid request: {error.description or error.error}. "
                          "You have not been sent back to it, because its address could not be verified.")
    except AuthorizationRefused as refused:
        return error_page(refused.status, refused.title[:1].upper() + refused.title[1:], refused.message)

    action = request.full_path
    shown = sign_in(action)
    if shown is not None:
        return shown
    holder = signed_in_holder()
    consent, client = grant.consent, grant.request.client.row
    accounts = _repo(BankAccounts).for_holder(holder.id)
    redirect_origin = _origin(grant.redirect_uri)
    context = dict(action=action, holder=holder, consent=consent, client=client, accounts=accounts,
                   form_targets=f"'self' {redirect_origin}")
    if request.method == "POST" and request.form.get("step") == "decide":
        consents = _repo(Consents)
        if request.form.get("decision") == "deny":
            consents.transition(consent, ConsentStatus.REJECTED, actor=_actor(holder),
                                reason="denied by the account holder")
            return to_client(oauth.create_authorization_response(grant_user=None, grant=grant))
        if request.form.get("decision") == "approve":
            try:
                consents.authorise(consent, holder_id=holder.id, account_ids=request.form.getlist("account"),
                                   actor=_actor(holder))
            except (InvalidInput, NotFound):
                return page("consent.html", 422, error="Pick at least one of your accounts.", **context)
            except InvalidTransition as exc:
                return error_page(409, "This consent can no longer be approved", exc.message)
            return to_client(oauth.create_authorization_response(grant_user=holder, grant=grant))
    return page("consent.html", **context)


REDIRECT_BODY = ("<!doctype html><title>Back to the application</title>"
                 "<p>Returning you to the application.</p>")


def to_client(response: Response) -> Response:
    """authlib's redirects have an empty body; browsers without redirects get a line to read."""
    if response.status_code == 302 and not response.get_data():
        response.set_data(REDIRECT_BODY)
        response.mimetype = "text/html"
    return response


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


# --- /account/consents ---------------------------------------------------------------------------------

@bp.route("/account/consents", methods=["GET", "POST"])
def account_consents():
    if request.method == "POST" and not csrf.valid():
        return error_page(403, "This form has expired", "The form was not sent from this page, or your session "
                          "ended. Reload the page and try again.")
    shown = sign_in(url_for("holder.account_consents"))
    if shown is not None:
        return shown
    holder = signed_in_holder()
    if request.method == "POST" and request.form.get("step") == "revoke":
        consents = _repo(Consents)
        try:
            consent = consents.get_for_holder(holder.id, request.form.get("consent_id", ""))
            consents.transition(consent, ConsentStatus.REVOKED, actor=_actor(holder),
                                reason="revoked by the account holder")
        except NotFound:
            return error_page(404, "No such consent", "You have no consent with this id.")
        except InvalidTransition:
            return error_page(409, "Already ended", "This consent has already ended; nothing to revoke.")
        return redirect(url_for("holder.account_consents"), code=303)
    consents = _repo(Consents).list_for_holder(holder.id)
    clients = {c.client_id: _repo(Clients).get(c.client_id) for c in consents}
    return page("consents.html", holder=holder, consents=consents, clients=clients, now=storage.now(),
                active=ConsentStatus.AUTHORISED)


@bp.post("/account/sign-out")
def sign_out():
    if not csrf.valid():
        return error_page(403, "This form has expired", "Reload the page and try again.")
    session.clear()
    return redirect(url_for("holder.account_consents"), code=303)
