"""The whole gateway against a real counterparty bank: mock-bank (PyPI) on 127.0.0.1, reached
by the ``iso20022-http`` connector, driven by the gateway's own API and worker.

Each scenario ends with the payment states and the reconciliation report a user would expect.
The expectations come from mock-bank's documented behaviours (/work/shared/reference/
mock-bank.md), not from the gateway: AC04 for a closed creditor account, a group status PART
when one of two payments is rejected, DUPL for a MsgId sent twice, a pacs.004 with the reason
set on the account after N business days, a statement whose last entry is left off.

Bank time starts on Monday 2026-09-28 09:00 (before the 15:00 cut-off), and the gateway's
clock is set to the same moment, so a payment due "today" books at once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from gateway.api import create_app
from gateway.api.payments import RUNTIME
from gateway.config import Settings
from gateway.consent import storage
from gateway.demo import seed
from gateway.persistence.payment_models import MessageStatus, OutgoingMessage
from gateway.persistence.repositories.payments import ClientAccounts
from gateway.wiring import runtime_from
from gateway.worker.loop import run_once
from tests.api.conftest import checked_client, spec  # noqa: F401  (spec is a fixture)
from tests.payments.conftest import Wallet, post_operation, wallet_token

ROOT = Path(__file__).resolve().parents[2]
ACME = "NL41MOCK0000000001"          # 125,000.00 EUR, behaviour accept
INITECH = "NL84MOCK0000000003"       # closed: paying it is RJCT AC04
OUTSIDE = "NL30MOCK0000000005"       # valid, not held by the bank: payments to it settle
BANK_MONDAY = datetime(2026, 9, 28, 9, 0, tzinfo=UTC)


def mock_bank_banks(folder: Path, base_url: str, state_dir: Path) -> Path:
    """config/banks/mock-bank.toml, enabled and pointed at this test's bank."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "config" / "banks" / "mock-bank.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^enabled = false$", "enabled = true", text)
    text = re.sub(r'(?m)^base_url = .*$', f'base_url = "{base_url}"\nstate_dir = "{state_dir}"', text)
    (folder / "mock-bank.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def bank(mock_bank):
    return mock_bank


@pytest.fixture
def settings(database_url, bank, tmp_path) -> Settings:
    banks = mock_bank_banks(tmp_path / "banks", bank.base_url, tmp_path / "connector-state")
    return Settings.load(env={}).with_overrides(database_url=database_url, banks_dir=str(banks),
                                                risk_file=str(tmp_path / "no-risk.toml"))


@pytest.fixture
def app(settings, clock, fast_kdf):
    clock.now = BANK_MONDAY
    application = create_app(settings)
    application.extensions[storage.CLOCK] = clock
    yield application
    application.extensions[RUNTIME].close()
    storage.dispose(application)


@pytest.fixture
def wallet(app) -> Wallet:
    """The demo wallet, its settlement account being ACME at mock-bank."""
    database = app.extensions[storage.DATABASE]
    data = seed(database, secrets_file=None)
    with database.transaction() as session:
        ClientAccounts(session).set(client_id=data.client_id, role="settlement", iban=ACME, currency="EUR",
                                    name="ACME Wallet BV", bic="MOCKNL2A", actor="operator:test")
    return Wallet(data.client_id, data.client_secret)


@pytest.fixture
def client(app, spec):  # noqa: F811
    yield from checked_client(app, spec)


def payout(client, wallet, *creditors: tuple[str, str], key: str | None = None) -> list[dict]:
    body = {"payments": [{"amount": amount, "currency": "EUR", "creditor": {"name": f"Payee {i}", "iban": iban},
                          "remittance": {"unstructured": f"Payout {i}"}}
                         for i, (iban, amount) in enumerate(creditors, start=1)]}
    answer = post_operation(client, wallet_token(client, wallet), "bulk-payout", body, key=key)
    assert answer.status_code == 201, answer.json
    return answer.json["payments"]


def work(app, clock, runtime=None):
    return run_once(app.extensions[storage.DATABASE], runtime or app.extensions[RUNTIME], clock=clock,
                    worker="test")


def states(client, wallet, payments: list[dict]) -> list[tuple[str, str | None]]:
    headers = wallet_token(client, wallet)
    seen = [client.get(f"/payments/{p['id']}", headers=headers).json for p in payments]
    return [(p["status"], (p["reason"] or {}).get("code")) for p in seen]


def exceptions(client, wallet) -> list[tuple[str, str | None]]:
    answer = client.get("/reconciliation/exceptions", headers=wallet_token(client, wallet))
    assert answer.status_code == 200
    return sorted((e["kind"], e["payment_id"]) for e in answer.json["exceptions"])


def end_of_day(app, clock, bank, to: str) -> None:
    """The bank closes the day (its camt.053 is released) and the gateway collects it."""
    bank.advance(to=to)
    work(app, clock)


def test_all_accepted_booked_and_reconciled(client, wallet, app, clock, bank):
    payments = payout(client, wallet, (OUTSIDE, "100.00"), (OUTSIDE, "250.50"))
    done = work(app, clock)
    assert done.delivered == 1
    assert states(client, wallet, payments) == [("booked", None), ("booked", None)]

    end_of_day(app, clock, bank, "2026-09-29")
    assert exceptions(client, wallet) == []
    # mock-bank booked each payment once: 125,000.00 - 100.00 - 250.50
    assert bank.account("ACME")["balance"] == 12_500_000 - 10_000 - 25_050


def test_rejected_payment_carries_its_reason(client, wallet, app, clock, bank):
    payments = payout(client, wallet, (INITECH, "40.00"))
    work(app, clock)
    assert states(client, wallet, payments) == [("rejected", "AC04")]

    end_of_day(app, clock, bank, "2026-09-29")
    assert exceptions(client, wallet) == []  # a rejected payment is expected not to book


def test_partially_accepted_file(client, wallet, app, clock, bank):
    payments = payout(client, wallet, (OUTSIDE, "10.00"), (INITECH, "20.00"))
    work(app, clock)
    assert states(client, wallet, payments) == [("booked", None), ("rejected", "AC04")]
    report = [m for m in bank.messages("pain.002")]
    assert any("<GrpSts>PART</GrpSts>" in m["body"] for m in report)

    end_of_day(app, clock, bank, "2026-09-29")
    assert exceptions(client, wallet) == []


def test_duplicate_send_after_a_crash_is_delivered_once(client, wallet, app, clock, bank):
    payments = payout(client, wallet, (OUTSIDE, "75.00"))
    work(app, clock)
    assert states(client, wallet, payments) == [("booked", None)]
    # A crash between sending and recording: the outbox still thinks the file is due.
    with app.extensions[storage.DATABASE].transaction() as session:
        session.execute(update(OutgoingMessage).values(status=MessageStatus.PENDING, delivered_at=None))
    done = work(app, clock)
    assert done.delivered == 1  # the bank's DUPL answer means "delivered", not "rejected"
    assert states(client, wallet, payments) == [("booked", None)]
    assert len(bank.payments()) == 1  # the bank holds one payment, not two
    assert bank.account("ACME")["balance"] == 12_500_000 - 7_500


def test_bank_down_then_back(client, wallet, app, clock, bank, settings, tmp_path):
    from tests.support import free_port

    down = mock_bank_banks(tmp_path / "down", f"http://127.0.0.1:{free_port()}", tmp_path / "down-state")
    runtime = runtime_from(settings.with_overrides(banks_dir=str(down)))
    payments = payout(client, wallet, (OUTSIDE, "5.00"))
    try:
        done = work(app, clock, runtime)
    finally:
        runtime.close()
    assert (done.delivered, done.retried) == (0, 1)
    assert states(client, wallet, payments) == [("queued", None)]

    done = work(app, clock)  # the bank is back, but the retry is not due yet
    assert done.delivered == 0
    clock.advance(seconds=5)  # the first retry waits 5 s
    done = work(app, clock)
    assert done.delivered == 1
    assert states(client, wallet, payments) == [("booked", None)]


def test_payment_returned_days_after_it_settled(client, wallet, app, clock, bank):
    bank.patch_account("ACME", behaviour="return-later", parameters={"days": 2, "reason": "MD07"})
    payments = payout(client, wallet, (OUTSIDE, "60.00"))
    work(app, clock)
    assert states(client, wallet, payments) == [("booked", None)]

    end_of_day(app, clock, bank, "2026-10-01")  # Monday + 2 business days have passed
    assert states(client, wallet, payments) == [("returned", "MD07")]
    assert ("returned", payments[0]["id"]) in exceptions(client, wallet)


def test_statement_with_an_entry_missing_is_flagged(client, wallet, app, clock, bank):
    bank.patch_account("ACME", behaviour="statement-gap")
    payout(client, wallet, (OUTSIDE, "30.00"), (OUTSIDE, "45.00"))
    work(app, clock)

    end_of_day(app, clock, bank, "2026-09-29")
    found = client.get("/reconciliation/exceptions", headers=wallet_token(client, wallet)).json["exceptions"]
    integrity = [e for e in found if e["kind"] == "statement_integrity"]
    assert integrity, found
    # Opening 125,000.00 minus the one debit shown (30.00) is not the closing balance 124,925.00.
    assert any("124925" in e["reason"].replace(",", "").replace(".00", "") for e in integrity), integrity


def test_a_missing_end_of_day_statement_is_flagged(client, wallet, app, clock, bank):
    payout(client, wallet, (OUTSIDE, "10.00"))
    work(app, clock)
    end_of_day(app, clock, bank, "2026-09-29")  # Monday's statement arrives; Tuesday's and Wednesday's never do
    run_once(app.extensions[storage.DATABASE], app.extensions[RUNTIME], clock=clock, worker="test",
             statements_through=datetime(2026, 9, 30).date())
    found = client.get("/reconciliation/exceptions", headers=wallet_token(client, wallet)).json["exceptions"]
    missing = sorted(e["reason"] for e in found if e["kind"] == "statement_integrity")
    assert len(missing) == 2, found
    assert "2026-09-29" in missing[0] and "2026-09-30" in missing[1]
    end_of_day(app, clock, bank, "2026-10-01")  # late, but they come: the exceptions are settled
    found = client.get("/reconciliation/exceptions", headers=wallet_token(client, wallet)).json["exceptions"]
    assert [e for e in found if e["kind"] == "statement_integrity"] == []
