"""The gateway end to end on the embedded default, as a wallet provider sees it.

Run `make run` in one terminal, then in another:

    .venv/bin/python examples/walkthrough.py [--base-url http://127.0.0.1:8080]

It walks, printing each step's request and answer:

1. the wallet gets a client-credentials token (scopes consents and wallet);
2. it asks alice for a payments consent and an accounts consent; the script plays alice on the
   gateway's own pages (password, TOTP, pick an account, approve), as a browser would;
3. it exchanges each code (PKCE) for a token bound to its consent;
4. it tops the wallet up from alice's bank account (POST /operations/top-up, Idempotency-Key),
   and pays a merchant from the wallet's settlement account (POST /operations/pay);
5. it polls the payments until the worker has delivered them to the sandbox bank and the bank's
   pain.002 and camt.054 have come back (queued → sent → accepted → booked; on a bank date that
   is a weekend or holiday they stay accepted until the next business day);
6. it asks the sandbox bank to close the day (`gateway sandbox advance --days 1`: a camt.053 per
   account), day after day past a weekend or holiday, until alice's transactions under the
   accounts consent hold this run's top-up; it shows that booking and her balance.

Run it again at once and it still works: it signs alice in with a TOTP code the gateway has not
accepted yet (waiting for the next 30-second step if it must) and looks for its own top-up among
the bookings, not for whatever an earlier run left there.

DEVELOPMENT ONLY: it reads the demo client's secret from var/demo-client.json and alice's TOTP
secret (and the time step of the last code the gateway accepted) from the development database
(`gateway demo seed` made both).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import re
import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import requests

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = [sys.executable, "-m", "gateway.cli.main"]
ALICE_ACCOUNT = "NL91ABNA0417164300"
MERCHANT = {"name": "Bakkerij de Zon", "iban": "NL20INGB0001234567"}
BOOKING_SECONDS = 10
"""How long a booking may take to come back on a business day (the worker polls every 2 s)."""
MAX_DAYS = 5
"""Bank days closed at most in step 6: past a weekend and a holiday or two."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the bank's answers")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    demo = seed(base)
    http = requests.Session()
    wallet = (demo["client_id"], demo["client_secret"])

    step("1. client-credentials token")
    token = post(http, f"{base}/oauth/token", auth=wallet,
                 data={"grant_type": "client_credentials", "scope": "consents wallet"})["access_token"]
    wallet_headers = {"Authorization": f"Bearer {token}"}

    step("2-3. alice's consents, approved on the gateway's pages, each exchanged for a bound token")
    payments = consented_token(http, base, wallet, wallet_headers, demo, {
        "kind": "payments", "limits": {"currency": "EUR", "per_payment": "100.00", "total": "300.00", "count": 5}})
    accounts = consented_token(http, base, wallet, wallet_headers, demo, {
        "kind": "accounts", "permissions": ["balances", "transactions"]})

    step("4. a top-up from alice's account and a payment to a merchant from the wallet")
    top_up = post(http, f"{base}/operations/top-up", json={"amount": "25.00", "currency": "EUR"},
                  headers={**payments["headers"], "Idempotency-Key": str(uuid.uuid4())}, expect=201)["payments"][0]
    pay = post(http, f"{base}/operations/pay", expect=201,
               json={"amount": "12.50", "currency": "EUR", "merchant": MERCHANT,
                     "remittance": {"unstructured": "Order 42"}},
               headers={**wallet_headers, "Idempotency-Key": str(uuid.uuid4())})["payments"][0]

    step("5. the worker delivers them; the sandbox bank answers (pain.002, camt.054)")
    for payment, headers in ((top_up, payments["headers"]), (pay, wallet_headers)):
        url = f"{base}/payments/{payment['id']}"
        final = wait_for(http, url, headers, {"booked", "rejected"}, BOOKING_SECONDS)
        if final["status"] not in {"booked", "rejected"}:  # the bank's date is a weekend or holiday
            final = wait_for(http, url, headers, {"accepted", "booked", "rejected"}, args.timeout)
        print(f"   {payment['operation']}: " + " → ".join(h["status"] for h in final["history"])
              + ("" if final["status"] != "accepted" else "  (booked on the bank's next business day)"))

    step("6. the bank closes the day (camt.053); alice's transactions and balance")
    account = f"{base}/accounts/{accounts['account_id']}"
    booking = None
    for _ in range(MAX_DAYS):  # a weekend or holiday has no statement: close days until the top-up is in one
        subprocess.run([*GATEWAY, "sandbox", "advance", "--days", "1"], check=True, cwd=ROOT)
        deadline = time.monotonic() + BOOKING_SECONDS
        while (booking := find_booking(http, account, accounts["headers"], top_up)) is None:
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        if booking is not None:
            break
    if booking is None:
        sys.exit(f"this run's top-up (end-to-end id {top_up['end_to_end_id']}) is in none of alice's "
                 f"statements after closing {MAX_DAYS} bank days: is the worker running? "
                 "(`gateway sandbox accounts` shows the bank's date and balances)")
    print(f"   this run's top-up, booked in statement {booking['statement_id']}:")
    show(booking)
    balances = get(http, f"{account}/balances", accounts["headers"])
    show(balances)
    if booking["statement_id"] not in {balance["statement_id"] for balance in balances["balances"]}:
        print("   (that balance is of a later statement than the one with this run's top-up)")
    return 0


def seed(base: str) -> dict:
    """`gateway demo seed` (idempotent), and alice's TOTP secret and last used step from the development database."""
    subprocess.run([*GATEWAY, "demo", "seed", "--base-url", base], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT))
    from gateway.config import Settings
    from gateway.demo import seed as seed_data
    from gateway.persistence.db import Database
    from gateway.persistence.repositories import Holders

    database = Database(Settings.load().database_url)
    try:
        data = seed_data(database, base_url=base)
        with database.transaction() as session:  # the time step of the last code the gateway accepted
            last_step = Holders(session).find_by_username(data.username).totp_last_step
    finally:
        database.dispose()
    return {"client_id": data.client_id, "client_secret": data.client_secret, "username": data.username,
            "password": data.password, "totp": data.totp_secret, "totp_last_step": last_step,
            "browser": requests.Session()}


def consented_token(http, base, wallet, wallet_headers, demo, body) -> dict:
    body = {**body, "expires_at": (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    consent = post(http, f"{base}/consents", json=body, headers=wallet_headers, expect=201)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = f"{base}/demo/callback"
    url = f"{base}/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": wallet[0], "redirect_uri": redirect_uri, "state": "walkthrough",
        "consent_id": consent["id"], "code_challenge": challenge, "code_challenge_method": "S256"})
    holder = demo["browser"]  # alice's browser: its own cookies, signed in once for both consents
    page = holder.get(url)
    if 'name="password"' in page.text:
        page = holder.post(url, data={"csrf_token": csrf(page), "step": "password", "username": demo["username"],
                                      "password": demo["password"]})
        on_page(page, 'name="code"')  # else the page says why: a wrong password, a locked account
        page = holder.post(url, data={"csrf_token": csrf(page), "step": "totp", "code": totp_code(demo)})
        if "already been used" in page.text:  # alice was signed in since seed(): once more, with the next code
            demo["totp_last_step"] = int(time.time()) // 30
            page = holder.post(url, data={"csrf_token": csrf(page), "step": "totp", "code": totp_code(demo)})
    account_id = on_page(page, rf'name="account" value="([^"]+)">[^<]*{ALICE_ACCOUNT}').group(1)
    answer = holder.post(url, data={"csrf_token": csrf(page), "step": "decide", "decision": "approve",
                                    "account": account_id}, allow_redirects=False)
    query = parse_qs(urlsplit(answer.headers.get("Location", "")).query)
    code = query["code"][0] if "code" in query else fail(answer)
    print(f"   alice approved the {body['kind']} consent {consent['id']} for {ALICE_ACCOUNT}")
    tokens = post(http, f"{base}/oauth/token", auth=wallet, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier})
    return {"headers": {"Authorization": f"Bearer {tokens['access_token']}"}, "account_id": account_id}


def totp_code(demo: dict) -> str:
    """Alice's TOTP code from a time step after the last one the gateway accepted (it takes a code only once)."""
    totp = pyotp.TOTP(demo["totp"])
    wait = ((demo["totp_last_step"] or 0) + 1) * totp.interval - time.time()
    if wait > 0:
        print(f"   the current TOTP code was used already; waiting {wait:.0f} s for the next one")
        time.sleep(wait)
    return totp.now()


def find_booking(http, account: str, headers: dict, payment: dict) -> dict | None:
    """The statement entry of ``payment`` (booked on or after its requested execution date), or None."""
    params = {"from": payment["requested_execution_date"], "limit": 500}
    while True:
        page = get(http, f"{account}/transactions", headers, quiet=True, params=params)
        for entry in page["transactions"]:
            if payment["id"] == entry["payment_id"] or payment["end_to_end_id"] == entry["end_to_end_id"]:
                return entry
        if page["next"] is None:
            return None
        params["after"] = page["next"]


def wait_for(http, url: str, headers: dict, statuses: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        payment = get(http, url, headers, quiet=True)
        if payment["status"] in statuses or time.monotonic() > deadline:
            return payment
        time.sleep(0.5)


def csrf(page) -> str:
    return on_page(page, r'name="csrf_token" value="([^"]+)"').group(1)


def on_page(page, pattern: str) -> re.Match:
    """``pattern`` on one of the gateway's pages; if it is not there, the script ends with the page's error."""
    return re.search(pattern, page.text) or fail(page)


def fail(page) -> NoReturn:
    errors = re.findall(r'id="error[-\w]*"[^>]*>(.*?)</(?:p|h1)>', page.text, re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", error)).strip() for error in errors)
    text = text or page.headers.get("Location") or repr(page.text[:300])
    sys.exit(f"unexpected page from {urlsplit(page.url).path} ({page.status_code}): {text}")


def step(title: str) -> None:
    print(f"\n== {title}")


def show(document: dict) -> None:
    print(json.dumps(document, indent=2)[:2000])


def post(http, url: str, *, expect: int = 200, **kwargs) -> dict:
    answer = http.post(url, timeout=30, **kwargs)
    print(f"   POST {urlsplit(url).path} → {answer.status_code}")
    if answer.status_code != expect:
        sys.exit(f"unexpected answer: {answer.text}")
    return answer.json()


def get(http, url: str, headers: dict, *, quiet: bool = False, params: dict | None = None) -> dict:
    answer = http.get(url, headers=headers, params=params, timeout=30)
    if not quiet:
        print(f"   GET {urlsplit(url).path} → {answer.status_code}")
    answer.raise_for_status()
    return answer.json()


if __name__ == "__main__":
    sys.exit(main())
