"""collect / acknowledge, and one bank shared by several connector instances and processes.

The gateway's worker and the `gateway sandbox` command are separate processes on one state
file; what one does, the other sees, and two submissions never spend the same balance."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from gateway.connectors.sandbox import SandboxConnector
from tests.sandbox.files import Block, Tx, pain001, text, texts
from tests.sandbox.seed import EXTERNAL, PAYEE, PAYER, balances, of_type, send, settings_for
from tests.support import clean_env

ROOT = Path(__file__).resolve().parents[2]


def one_file(bank: SandboxConnector) -> None:
    send(bank, pain001("M-1", Block("P-1", PAYER, "2026-11-23", (Tx("E-1", "100.00", PAYEE),))))


def test_capabilities_say_what_it_carries(bank: SandboxConnector) -> None:
    capabilities = bank.capabilities

    assert capabilities.submits == {"pain.001.001.09", "pain.001.001.03"}
    assert capabilities.collects == {"pain.002", "camt.054", "camt.053"}
    assert capabilities.currencies == {"EUR", "GBP"}
    assert bank.type == "sandbox"


def test_collect_returns_what_is_waiting_with_stable_ids_until_acknowledged(bank: SandboxConnector) -> None:
    one_file(bank)

    first = bank.collect()
    again = bank.collect()  # collecting does not take

    assert [m.hint for m in first] == ["pain.002", "camt.054", "camt.054"]
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == 3
    assert [m.body for m in first] == [m.body for m in again]
    # The id is the message's own MsgId: the same message collected twice is recognisably the same.
    assert [m.id for m in first] == [text(first[0].body, "CstmrPmtStsRpt/GrpHdr/MsgId"),
                                     text(first[1].body, "BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId"),
                                     text(first[2].body, "BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId")]
    assert all(isinstance(m.received_at, datetime) and m.received_at.date().isoformat() == "2026-11-23"
               for m in first)

    bank.acknowledge([first[0].id, first[1].id])
    assert [m.id for m in bank.collect()] == [first[2].id]

    bank.acknowledge([first[0].id, "no-such-message"])  # again, and unknown: harmless
    bank.acknowledge([first[2].id])
    assert bank.collect() == []
    kept = bank.messages()  # the bank still shows what it sent, and when it was taken
    assert [m.id for m in kept] == [m.id for m in first]
    assert all(m.taken_at is not None for m in kept)

    bank.advance(days=1)  # new messages arrive behind the acknowledged ones
    assert {m.hint for m in bank.collect()} == {"camt.053"}


def test_two_connectors_on_one_state_file_are_one_bank(make_bank) -> None:
    worker, operator = make_bank(), make_bank()

    one_file(worker)
    assert balances(operator)[PAYER] == "900.00" and balances(operator)[PAYEE] == "150.00"  # 1000-100, 50+100
    assert [m.id for m in operator.collect()] == [m.id for m in worker.collect()]
    assert send(operator, pain001("M-1", Block("P-1", PAYER, "2026-11-23", (Tx("E-1", "100.00", PAYEE),)))
                ).duplicate

    operator.acknowledge([m.id for m in operator.collect()])
    assert worker.collect() == []

    operator.advance(days=1)
    assert worker.bank_date().isoformat() == "2026-11-24"
    assert {m.iban for m in of_type(worker, "camt.053")} >= {PAYER, PAYEE}


SUBMITTER = """
import json, sys, time
from pathlib import Path
from gateway.connectors.base import OutgoingFile
from gateway.connectors.sandbox import SandboxConnector
settings, xml, go = json.loads(sys.argv[1]), Path(sys.argv[2]).read_bytes(), Path(sys.argv[3])
bank = SandboxConnector(bank_id="sandbox-test", settings=settings)
while not go.exists():
    time.sleep(0.005)
print(bank.submit(OutgoingFile(message_id="x", message="pain.001.001.09", xml=xml)).detail)
"""


def test_two_processes_submitting_at_once_never_spend_the_same_balance(tmp_path: Path, state_file: Path,
                                                                       make_bank) -> None:
    bank = make_bank()  # creates the state file: PAYER has 1000.00
    go = tmp_path / "go"
    processes = []
    for name in ("A", "B"):
        xml = tmp_path / f"{name}.xml"
        xml.write_bytes(pain001(f"M-{name}", Block(f"P-{name}", PAYER, "2026-11-23",
                                                   (Tx(f"E-{name}", "600.00", EXTERNAL),))))
        processes.append(subprocess.Popen(
            [sys.executable, "-c", SUBMITTER, json.dumps(settings_for(state_file)), str(xml), str(go)],
            cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    time.sleep(0.5)
    go.touch()
    results = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err.decode() for _, err in results]

    # 600.00 + 600.00 > 1000.00: whichever came second finds 400.00 and is refused AM04.
    assert balances(bank)[PAYER] == "400.00"
    statuses = sorted(texts(m.body, "//TxInfAndSts/TxSts")[0] for m in of_type(bank, "pain.002"))
    assert statuses == ["ACCP", "RJCT"]
    assert len(of_type(bank, "camt.054")) == 1


def test_a_bank_started_again_from_a_fresh_state_file_never_repeats_an_id(make_bank, state_file: Path) -> None:
    first = make_bank()
    one_file(first)
    before = {m.id for m in first.collect()}
    for leftover in state_file.parent.iterdir():  # the database and its WAL files
        leftover.unlink()

    again = make_bank()
    one_file(again)
    after = {m.id for m in again.collect()}

    assert len(after) == 3 and before.isdisjoint(after)  # the gateway stores by id: nothing may be mistaken
    assert all(len(i) <= 35 for i in before | after)     # MsgId is Max35Text
