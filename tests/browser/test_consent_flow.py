"""The account holder's consent flow in a real headless Chromium, against ``gateway serve``.

The demo wallet is played by this module: a tiny HTTP receiver on the demo client's
registered redirect URI (``http://127.0.0.1:8765/callback``; the seed also registers the
server's own ``/demo/callback``, but the gateway serves nothing there) that records the
``code``/``state``/``error`` it is sent, and plain ``urllib.request`` calls for what a
wallet's back end does (client-credentials token, ``POST /consents``, code exchange with
the PKCE verifier, ``GET /accounts``).  The browser does only what the holder does: sign
in (password, then the current TOTP code), read the consent page, pick an account, approve
or deny, and later revoke on ``/account/consents``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from gateway.demo import CLIENT_REDIRECT_URI
from tests.browser.conftest import PAGE_LOAD_TIMEOUT_SECONDS, browser_log

PICKED_IBAN = "DE89370400440532013000"  # Alice's savings account (gateway.demo.ACCOUNTS)
WALLET_PAGE = "<!doctype html><title>Demo Wallet</title><h1>Demo Wallet</h1><p id=got>{}</p>"


# --- the demo wallet's redirect receiver -------------------------------------------------------------

@dataclass
class Wallet:
    """What arrived at the redirect URI, and a page that tries to frame a gateway page."""

    redirect_uri: str
    origin: str
    received: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def callbacks_with_state(self, state: str) -> list[dict[str, str]]:
        with self.lock:
            return [params for params in self.received if params.get("state") == state]

    def frame_url(self, src: str) -> str:
        return f"{self.origin}/frame?{urlencode({'src': src})}"


def _handler(wallet: Wallet):
    callback_path = urlsplit(wallet.redirect_uri).path

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == callback_path:
                with wallet.lock:
                    wallet.received.append(query)
                body = WALLET_PAGE.format(html.escape(", ".join(sorted(query))))
            elif parts.path == "/frame":  # a page of another origin that frames whatever it is asked to
                src = html.escape(query.get("src", ""), quote=True)
                body = ("<!doctype html><title>framing</title>"
                        f'<iframe id="victim" src="{src}" width="900" height="600"></iframe>'
                        f'<iframe id="control" src="{callback_path}?framed=1" width="300" height="100"></iframe>')
            else:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet
            pass

    return Handler


@pytest.fixture(scope="module")
def wallet(demo) -> Iterator[Wallet]:
    assert CLIENT_REDIRECT_URI in demo.redirect_uris, demo.redirect_uris
    parts = urlsplit(CLIENT_REDIRECT_URI)
    receiver = Wallet(redirect_uri=CLIENT_REDIRECT_URI, origin=f"{parts.scheme}://{parts.netloc}")
    try:
        server = ThreadingHTTPServer((parts.hostname, parts.port), _handler(receiver))
    except OSError as exc:
        pytest.fail(f"the demo wallet's redirect receiver cannot listen on {parts.netloc} ({exc}); "
                    f"the demo client's registered redirect URI is {CLIENT_REDIRECT_URI}: free that port",
                    pytrace=False)
    thread = threading.Thread(target=server.serve_forever, name="demo-wallet-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the wallet's back end, with urllib ----------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


def call(method: str, url: str, *, form: dict | None = None, body: dict | None = None,
         headers: dict[str, str] | None = None) -> Answer:
    data, sent = None, dict(headers or {})
    if form is not None:
        data = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def basic(demo) -> dict[str, str]:
    assert demo.client_secret, "the live server's seed did not return the demo client's secret"
    raw = f"{demo.client_id}:{demo.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def client_credentials_token(server: str, demo) -> str:
    answer = call("POST", f"{server}/oauth/token", form={"grant_type": "client_credentials", "scope": "consents"},
                  headers=basic(demo))
    assert answer.status == 200, answer.body
    return answer.json["access_token"]


@dataclass
class AccountsConsent:
    id: str
    expires_at: datetime


def create_accounts_consent(server: str, demo) -> AccountsConsent:
    expires_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    answer = call("POST", f"{server}/consents", headers=bearer(client_credentials_token(server, demo)),
                  body={"kind": "accounts", "permissions": ["balances", "transactions"],
                        "expires_at": expires_at.isoformat().replace("+00:00", "Z")})
    assert answer.status == 201, answer.body
    assert answer.json["status"] == "awaiting_authorisation", answer.json
    return AccountsConsent(answer.json["id"], expires_at)


def consent_status(server: str, demo, consent_id: str) -> str:
    answer = call("GET", f"{server}/consents/{consent_id}", headers=bearer(client_credentials_token(server, demo)))
    assert answer.status == 200, answer.body
    return answer.json["status"]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(server: str, demo, consent_id: str, state: str, challenge: str) -> str:
    return f"{server}/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": demo.client_id, "redirect_uri": CLIENT_REDIRECT_URI,
        "scope": "accounts", "state": state, "consent_id": consent_id,
        "code_challenge": challenge, "code_challenge_method": "S256"})


# --- the holder, in the browser ------------------------------------------------------------------------

def wait(browser):
    return WebDriverWait(browser, PAGE_LOAD_TIMEOUT_SECONDS)


def click_and_wait(browser, element) -> None:
    """Click something that submits a form and wait until the next page has loaded."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    # While the old document is being replaced chromedriver may answer the staleness probe with an
    # inspector error ("Node with given id does not belong to the document") instead of "stale": ask again.
    WebDriverWait(browser, PAGE_LOAD_TIMEOUT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        EC.staleness_of(page))
    wait(browser).until(lambda d: d.execute_script("return document.readyState") == "complete")


def visible_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def enter_password(browser, demo) -> None:
    form = browser.find_element(By.ID, "signin")
    assert form.find_element(By.NAME, "username").is_displayed()
    form.find_element(By.NAME, "username").send_keys(demo.username)
    form.find_element(By.NAME, "password").send_keys(demo.password)
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def enter_code(browser, code: str) -> None:
    form = browser.find_element(By.ID, "signin")
    field_ = form.find_element(By.NAME, "code")
    assert field_.is_displayed()
    field_.send_keys(code)
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


_LAST_STEP: list[int] = []


def fresh_code(demo) -> str:
    """A TOTP code of a time step no test has used yet.  The gateway accepts each step once (a code
    seen once cannot sign in again) and these tests sign alice in several times a minute; it also
    accepts the next step's code (a phone clock a little fast), so a test waits only when even that
    one is taken."""
    totp = demo.totp()
    while True:
        now_step = totp.timecode(datetime.now(UTC))
        step = max([now_step, *(last + 1 for last in _LAST_STEP[-1:])])
        if step <= now_step + 1:
            _LAST_STEP.append(step)
            return totp.generate_otp(step)
        time.sleep(max(0.05, (now_step + 1) * totp.interval - datetime.now(UTC).timestamp()))


def sign_in(browser, url: str, demo) -> None:
    """Open the authorization URL and sign in as alice: password, then a fresh TOTP code."""
    browser.get(url)
    assert "Sign in to your bank accounts" in visible_text(browser)
    enter_password(browser, demo)
    assert "Enter the 6-digit code" in visible_text(browser), visible_text(browser)
    enter_code(browser, fresh_code(demo))
    assert browser.find_elements(By.ID, "decide"), f"not on the consent page: {visible_text(browser)}"


def wrong_code(demo) -> str:
    """Six digits the server must refuse: none of the codes of the last and next few minutes."""
    totp, now = demo.totp(), datetime.now(UTC)
    near = {totp.at(now + timedelta(seconds=30 * step)) for step in range(-10, 11)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 1_000_000)) if code not in near)


def callback_params(browser, wallet: Wallet, state: str) -> dict[str, str]:
    """The browser is on the wallet's redirect URI, and the wallet received exactly that request."""
    assert browser.current_url.startswith(CLIENT_REDIRECT_URI + "?"), browser.current_url
    in_address_bar = {k: v[0] for k, v in parse_qs(urlsplit(browser.current_url).query).items()}
    received = wallet.callbacks_with_state(state)
    assert received == [in_address_bar], (received, in_address_bar)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Demo Wallet"
    return in_address_bar


# --- tests ---------------------------------------------------------------------------------------------

def test_sign_in_approve_call_revoke_refused(browser, live_server, demo, wallet, tmp_path):
    consent = create_accounts_consent(live_server, demo)
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(16)
    sign_in(browser, authorize_url(live_server, demo, consent.id, state, challenge), demo)

    # The consent page names the client and what it asks for, in plain words.
    assert browser.find_element(By.TAG_NAME, "h1").text == "Demo Wallet asks for your consent"
    summary = browser.find_element(By.ID, "summary").text
    assert ("Demo Wallet wants to see the balances and transactions of the accounts you pick below."
            in summary), summary
    expiry = f"{consent.expires_at.day} {consent.expires_at:%B %Y, %H:%M} UTC"
    assert f"Until {expiry}, unless you revoke it earlier at your consents." in summary, summary
    labels = [label.text for label in browser.find_elements(By.CSS_SELECTOR, "#decide label")]
    assert sorted(labels) == sorted(f"{a.name} · {a.iban} ({a.currency})" for a in demo.accounts), labels
    assert "Signed in as alice." in visible_text(browser)
    assert browser.find_element(By.ID, "approve").is_displayed() and browser.find_element(By.ID, "deny").is_displayed()
    # The inline stylesheet is allowed by the page's CSP (a refused one would be a SEVERE console entry).
    assert "system-ui" in browser.execute_script("return getComputedStyle(document.body).fontFamily")
    severe = [entry for entry in browser_log(browser) if entry["level"] == "SEVERE"]
    assert severe == [], severe
    shot = tmp_path / "consent-page.png"
    assert browser.save_screenshot(str(shot)), shot
    print(f"consent page screenshot: {shot}")

    # Pick one account and approve: back at the wallet with a code and the same state.
    picked = browser.find_element(By.XPATH, f"//form[@id='decide']//label[contains(., '{PICKED_IBAN}')]/input")
    picked.click()
    assert picked.is_selected()
    click_and_wait(browser, browser.find_element(By.ID, "approve"))
    params = callback_params(browser, wallet, state)
    assert params["state"] == state and params.get("code") and "error" not in params, params

    # The wallet exchanges the code with its PKCE verifier and reads exactly the picked account.
    tokens = call("POST", f"{live_server}/oauth/token", headers=basic(demo),
                  form={"grant_type": "authorization_code", "code": params["code"],
                        "redirect_uri": CLIENT_REDIRECT_URI, "code_verifier": verifier})
    assert tokens.status == 200, tokens.body
    access_token = tokens.json["access_token"]
    assert tokens.json["token_type"].lower() == "bearer"
    accounts = call("GET", f"{live_server}/accounts", headers=bearer(access_token))
    assert accounts.status == 200, accounts.body
    assert accounts.json["consent_id"] == consent.id
    assert [a["iban"] for a in accounts.json["accounts"]] == [PICKED_IBAN], accounts.json
    assert consent_status(live_server, demo, consent.id) == "authorised"

    # The holder revokes it on their consents page, by clicking its button.
    browser.get(f"{live_server}/account/consents")
    row = browser.find_element(By.ID, f"consent-{consent.id}")
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells[:3] == ["Demo Wallet", "accounts", PICKED_IBAN] and cells[4] == "authorised", cells
    click_and_wait(browser, row.find_element(By.XPATH, ".//button[normalize-space()='Revoke']"))
    assert browser.current_url == f"{live_server}/account/consents"
    row = browser.find_element(By.ID, f"consent-{consent.id}")
    assert row.find_element(By.CLASS_NAME, "status").text == "revoked"
    assert row.find_elements(By.TAG_NAME, "button") == []

    # The same token is now refused, with a problem+json the wallet can act on.
    refused = call("GET", f"{live_server}/accounts", headers=bearer(access_token))
    assert refused.status in (401, 403), (refused.status, refused.body)
    assert refused.content_type == "application/problem+json", refused.headers
    problem = refused.json
    assert problem["status"] == refused.status and problem.get("code") and problem.get("detail"), problem
    assert consent_status(live_server, demo, consent.id) == "revoked"


def test_deny_sends_access_denied_and_rejects_the_consent(browser, live_server, demo, wallet):
    consent = create_accounts_consent(live_server, demo)
    _, challenge = pkce()
    state = secrets.token_urlsafe(16)
    sign_in(browser, authorize_url(live_server, demo, consent.id, state, challenge), demo)
    click_and_wait(browser, browser.find_element(By.ID, "deny"))
    params = callback_params(browser, wallet, state)
    assert params.get("error") == "access_denied" and params["state"] == state, params
    assert "code" not in params, params
    assert consent_status(live_server, demo, consent.id) == "rejected"


def test_wrong_totp_code_shows_a_clear_error(browser, live_server, demo, wallet):
    consent = create_accounts_consent(live_server, demo)
    _, challenge = pkce()
    state = secrets.token_urlsafe(16)
    browser.get(authorize_url(live_server, demo, consent.id, state, challenge))
    enter_password(browser, demo)
    enter_code(browser, wrong_code(demo))
    error = browser.find_element(By.ID, "error")
    assert error.is_displayed() and error.get_attribute("role") == "alert"
    assert error.text == "That code is not right. Enter the 6 digits your authenticator app shows now."
    assert browser.find_elements(By.ID, "decide") == [], "a wrong code must not reach the consent page"
    # Still on the code step (not back to the password), and the right code then works.
    enter_code(browser, fresh_code(demo))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Demo Wallet asks for your consent"
    assert wallet.callbacks_with_state(state) == []
    assert consent_status(live_server, demo, consent.id) == "awaiting_authorisation"


def test_consent_page_cannot_be_framed(browser, live_server, demo, wallet):
    consent = create_accounts_consent(live_server, demo)
    _, challenge = pkce()
    url = authorize_url(live_server, demo, consent.id, secrets.token_urlsafe(16), challenge)
    sign_in(browser, url, demo)

    # The consent page's own response headers (fetched with the browser's session: the consent page, not sign-in).
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    answer = call("GET", url, headers={"Cookie": cookie})
    assert answer.status == 200 and b'id="decide"' in answer.body, answer.body[:500]
    directives = [d.strip() for d in answer.headers["content-security-policy"].split(";")]
    assert "frame-ancestors 'none'" in directives, directives
    assert answer.headers.get("x-frame-options") == "DENY", answer.headers

    # And Chromium refuses to show it in another origin's frame (which shows a frameable page fine).
    browser_log(browser)
    browser.get(wallet.frame_url(url))
    browser.switch_to.frame("control")
    try:
        assert browser.find_element(By.TAG_NAME, "h1").text == "Demo Wallet"
    finally:
        browser.switch_to.default_content()
    browser.switch_to.frame("victim")
    try:
        assert browser.find_elements(By.ID, "decide") == []
        assert "asks for your consent" not in visible_text(browser)
    finally:
        browser.switch_to.default_content()
    # Chromium reports the refusal on the console, asynchronously: collect entries until it is there.
    messages: list[str] = []

    def refusal_logged(driver) -> bool:
        messages.extend(entry["message"] for entry in browser_log(driver))
        return any("frame-ancestors 'none'" in message and live_server in message for message in messages)

    try:
        wait(browser).until(refusal_logged)
    except TimeoutException:
        pytest.fail(f"Chromium logged no frame-ancestors refusal for {live_server}: {messages}")


def test_repeated_wrong_passwords_lock_with_a_plain_message(browser, live_server, demo, wallet):
    """An unknown name, so alice's own sign-ins in the other tests are not locked out."""
    consent = create_accounts_consent(live_server, demo)
    _, challenge = pkce()
    browser.get(authorize_url(live_server, demo, consent.id, secrets.token_urlsafe(16), challenge))
    for _ in range(5):
        form = browser.find_element(By.ID, "signin")
        form.find_element(By.NAME, "username").send_keys("mallory")
        form.find_element(By.NAME, "password").send_keys("not the password")
        click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    error = browser.find_element(By.ID, "error")
    assert error.is_displayed() and error.get_attribute("role") == "alert"
    assert error.text.startswith("This account is temporarily locked after too many failed sign-in attempts. "
                                 "Try again after "), error.text
    assert " UTC on " in error.text and "(in about 15 minutes)" in error.text
    assert consent_status(live_server, demo, consent.id) == "awaiting_authorisation"
