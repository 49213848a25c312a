"""The mock_bank fixture (tests/mockbank.py) that these tests and the end-to-end tests share."""

from __future__ import annotations

import socket

from tests.connectors.payments import pain001
from tests.mockbank import CLOCK, start


def test_a_fresh_bank_with_the_seeded_accounts_and_the_fixed_clock(mock_bank):
    assert mock_bank.health()["status"] == "ok"
    assert {a["id"]: a["iban"] for a in mock_bank.accounts}["ACME"] == "NL41MOCK0000000001"
    assert mock_bank.clock == CLOCK
    assert "2026-09-28" in str(mock_bank.get("/_mock/state"))  # bank time starts on the --clock day


def test_helpers_peek_by_default_and_take_when_asked(mock_bank):
    assert mock_bank.send(pain001("FX-1").xml).status_code == 202
    assert [m["type"] for m in mock_bank.mailbox()] == ["pain.002.001.10", "camt.054.001.08"]
    assert len(mock_bank.mailbox("pain.002")) == 1  # still there: peeked
    assert len(mock_bank.mailbox("pain.002", leave=False)) == 1
    assert [m["type"] for m in mock_bank.mailbox()] == ["camt.054.001.08"]
    assert [m["type"] for m in mock_bank.messages()] == ["pain.002.001.10", "camt.054.001.08"]
    assert mock_bank.payments()[0]["end_to_end_id"] == "FX-1-E1"


def test_patch_advance_and_reset(mock_bank):
    assert mock_bank.patch_account("GLOBEX", balance=99, closed=True)["closed"] is True
    moved = mock_bank.advance(days=1)
    assert "2026-09-29" in str(moved)
    statements = mock_bank.mailbox("camt.053")  # one per open account: GLOBEX and INITECH are closed
    assert sorted(m["account"] for m in statements) == ["ACME", "EURODIS"]
    mock_bank.reset()
    assert mock_bank.account("GLOBEX")["closed"] is False and mock_bank.mailbox() == []


def test_stop_ends_the_process_and_frees_the_port(tmp_path):
    bank = start(tmp_path)
    bank.stop()
    assert bank.process.returncode is not None
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", bank.port)) != 0
