"""What the command line refuses, and how it says so: business rules before `build`
writes anything, schemas that are missing or not what the operator asked for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAYMENTS = json.loads((ROOT / "examples" / "payments.json").read_text())
TEST_SCHEMAS = ROOT / "var" / "test-xsd"


def gateway(*args, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli.main", *map(str, args)], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=300, env={**os.environ, **(env or {})})


def payments(**changes) -> bytes:
    data = json.loads(json.dumps(PAYMENTS))
    tx = data["payment_informations"][0]["transactions"][1]
    tx.update(changes)
    return json.dumps(data).encode()


def test_build_refuses_a_mistyped_iban_and_writes_nothing():
    # FR1420041010050500013M02606 is the registry's example; swapping two digits breaks mod 97.
    done = gateway("build", "--type", "pain.001", "--version", "09",
                   stdin=payments(creditor_account={"iban": "FR1420041010050500013M02660"}))
    assert done.returncode == 1
    assert done.stdout == b""
    assert b"[AC01] payment_informations.0.transactions.1.creditor_account.iban" in done.stderr


def test_build_refuses_a_declared_control_sum_that_does_not_add_up():
    data = json.loads(payments())
    data["control_sum"] = "1.00"  # the example's amounts add up to 144.99
    done = gateway("build", "--type", "pain.001", "--version", "03", stdin=json.dumps(data).encode())
    assert done.returncode == 1 and b"[AM10] control_sum" in done.stderr


def test_no_rules_still_applies_the_xsd():
    done = gateway("build", "--type", "pain.001", "--version", "09", "--no-rules",
                   stdin=payments(creditor_account={"iban": "FR1420041010050500013M02660"}))
    assert done.returncode == 0 and done.stdout.startswith(b"<?xml")


def test_build_takes_plain_decimal_strings_only():
    done = gateway("build", "--type", "pain.001", "--version", "09",
                   stdin=payments(amount={"value": "1e3", "currency": "EUR"}))
    assert done.returncode == 2 and b"plain decimals" in done.stderr


def test_validate_without_the_installed_xsd_is_an_error_not_a_pass(tmp_path):
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    done = gateway("validate", "--json", ROOT / "tests/data/pain.001/epc-sct-pain.001.001.03.xml",
                   env={"GATEWAY_SCHEMA_DIR": str(empty)})
    report = json.loads(done.stdout)
    assert done.returncode == 1 and not report["valid"]
    assert [f["rule"] for f in report["findings"]] == ["schema.missing"]


def test_sync_from_a_folder_without_xsds_fails(tmp_path):
    (tmp_path / "in").mkdir()
    done = gateway("schemas", "sync", "--from", tmp_path / "in", "--dest", tmp_path / "out")
    assert done.returncode == 1 and b"no ISO 20022 XSD was installed" in done.stdout


def test_a_bank_xsd_stays_until_official_is_asked_for(tmp_path):
    store = tmp_path / "store"
    shutil.copytree(TEST_SCHEMAS, store)
    official = (store / "pain.001.001.03.xsd").read_bytes()
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "usage-guideline.xsd").write_bytes(official.replace(b"<xs:schema", b"<!-- bank guideline -->\n<xs:schema", 1))
    assert gateway("schemas", "sync", "--from", bank, "--dest", store).returncode == 0
    assert (store / "pain.001.001.03.xsd").read_bytes() != official

    kept = gateway("schemas", "sync", "--dest", store)
    assert kept.returncode == 0 and b"--official" in kept.stdout
    assert (store / "pain.001.001.03.xsd").read_bytes() != official

    assert gateway("schemas", "sync", "--official", "--dest", store).returncode == 0
    assert (store / "pain.001.001.03.xsd").read_bytes() == official
