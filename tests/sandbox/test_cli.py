"""`gateway sandbox advance|accounts|messages`, run as a separate process on the same state file
the connector (the gateway's worker) uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import sandbox as sandbox_cli
from gateway.connectors.sandbox import SandboxConnector
from tests.sandbox.files import Block, Tx, assert_valid, pain001, text
from tests.sandbox.seed import EXTERNAL, PAYER, send
from tests.support import clean_env

ROOT = Path(__file__).resolve().parents[2]

BANK_FILE = """\
name = "CLI test bank"
bics = ["ABNANL2A"]
currencies = ["EUR"]
[[iban]]
country = "NL"
bank_code = "ABNA"
[messages]
pain001 = ["pain.001.001.09"]
[connector]
type = "sandbox"
state = "{state}"
start_date = "2026-11-23"
[[connector.accounts]]
iban = "NL91ABNA0417164300"
currency = "EUR"
balance = "1000.00"
name = "Payer"
[[connector.accounts]]
iban = "NL13ABNA1000000001"
currency = "EUR"
balance = "50.00"
name = "Payee"
"""


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "cli-bank.toml"
    path.write_text(BANK_FILE.format(state=tmp_path / "cli.db"), encoding="utf-8")
    return path


def gateway_sandbox(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli.sandbox", *map(str, args)], check=False,
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)


def connector_of(bank_file: Path) -> SandboxConnector:
    return sandbox_cli.open_sandbox(bank_file)


def test_the_command_is_part_of_gateway() -> None:
    from gateway.cli.main import COMMANDS

    assert "sandbox" in COMMANDS


def test_advance_moves_the_bank_the_worker_sees(bank_file: Path) -> None:
    worker = connector_of(bank_file)
    send(worker, pain001("M-1", Block("P-1", PAYER, "2026-11-25", (Tx("F-1", "75.00", EXTERNAL),))))

    done = gateway_sandbox("advance", "--days", "3", "--bank-file", bank_file)

    assert done.returncode == 0, done.stderr
    assert "bank date 2026-11-23 -> 2026-11-26" in done.stdout
    assert "closed 3 business day(s): 2026-11-23, 2026-11-24, 2026-11-25" in done.stdout
    assert "6 camt.053" in done.stdout  # 3 days x 2 accounts
    assert "1 booked" in done.stdout     # the payment due on Wednesday
    assert worker.bank_date().isoformat() == "2026-11-26"
    assert {a.iban: str(a.balance) for a in worker.accounts()}[PAYER] == "925.00"  # 1000.00 - 75.00
    assert len([m for m in worker.collect() if m.hint == "camt.053"]) == 6


def test_advance_to_a_date_and_never_back(bank_file: Path) -> None:
    forward = gateway_sandbox("advance", "--to", "2026-11-30", "--bank-file", bank_file)
    assert forward.returncode == 0, forward.stderr
    assert "closed 5 business day(s)" in forward.stdout  # Monday to Friday; the weekend has none

    back = gateway_sandbox("advance", "--to", "2026-11-01", "--bank-file", bank_file)
    assert back.returncode == 2
    assert "sandbox_clock_backwards" in back.stderr

    neither = gateway_sandbox("advance", "--bank-file", bank_file)
    assert neither.returncode == 2 and "--days" in neither.stderr
    negative = gateway_sandbox("advance", "--days", "-1", "--bank-file", bank_file)
    assert negative.returncode == 2 and "only moves forward" in negative.stderr


def test_accounts_as_json_and_as_a_table(bank_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = gateway_sandbox("accounts", "--json", "--bank-file", bank_file)

    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["bank_date"] == "2026-11-23"
    assert [(a["iban"], a["balance"], a["closed"]) for a in data["accounts"]] == [
        ("NL91ABNA0417164300", "1000.00", False), ("NL13ABNA1000000001", "50.00", False)]

    assert sandbox_cli.main(["accounts", "--bank-file", str(bank_file)]) == 0
    table = capsys.readouterr().out
    assert "bank date 2026-11-23 (Monday)" in table
    assert "NL91ABNA0417164300" in table and "1000.00" in table


def test_messages_lists_and_shows_what_the_bank_wrote(bank_file: Path) -> None:
    worker = connector_of(bank_file)
    send(worker, pain001("M-1", Block("P-1", PAYER, "2026-11-23", (Tx("E-1", "10.00", EXTERNAL),))))
    worker.acknowledge([worker.collect()[0].id])  # the pain.002 was taken

    listed = json.loads(gateway_sandbox("messages", "--json", "--bank-file", bank_file).stdout)
    assert [(m["type"], m["taken_at"] is not None) for m in listed] == [("pain.002.001.12", True),
                                                                        ("camt.054.001.08", False)]
    pending = json.loads(gateway_sandbox("messages", "--json", "--pending", "--bank-file", bank_file).stdout)
    assert [m["type"] for m in pending] == ["camt.054.001.08"]

    shown = gateway_sandbox("messages", "--show", listed[1]["id"], "--bank-file", bank_file)
    assert shown.returncode == 0, shown.stderr
    body = shown.stdout.encode()
    assert_valid(body, "camt.054.001.08")
    assert text(body, "//Ntry/NtryDtls/TxDtls/Refs/EndToEndId") == "E-1"

    missing = gateway_sandbox("messages", "--show", "SBX-NOPE", "--bank-file", bank_file)
    assert missing.returncode == 2 and "sandbox_unknown_message" in missing.stderr


def test_a_bank_file_that_is_not_a_sandbox_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "http-bank.toml"
    other.write_text('name = "Elsewhere"\n[connector]\ntype = "iso20022-http"\n', encoding="utf-8")

    done = gateway_sandbox("accounts", "--bank-file", other)

    assert done.returncode == 2
    assert "connector_config_invalid" in done.stderr and "sandbox" in done.stderr
    assert gateway_sandbox("accounts", "--bank-file", tmp_path / "none.toml").returncode == 2
