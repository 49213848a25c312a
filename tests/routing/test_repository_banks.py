"""The repository's own config/banks/mock-bank.toml, checked against what mock-bank is
(/work/shared/reference/mock-bank.md: NL..MOCK.. IBANs, BIC MOCKNL2A, EUR, reads
pain.001.001.09 and .03, serves HTTP on loopback port 18090 by default).

Other bank files in that directory belong to other work and are not looked at here:
the file is read by name."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from gateway.domain.parties import Account
from gateway.routing import Router, load_banks, read_bank

ROOT = Path(__file__).resolve().parents[2]
MOCK_BANK_FILE = ROOT / "config" / "banks" / "mock-bank.toml"


def test_the_mock_bank_file_describes_mock_bank():
    bank = read_bank(MOCK_BANK_FILE)
    assert bank.id == "mock-bank"
    assert bank.name == "Mock Bank"
    assert bank.bics == ("MOCKNL2A",)
    assert bank.iban_codes == (("NL", "MOCK"),)
    assert bank.currencies == ("EUR",)
    assert bank.pain001_versions == ("pain.001.001.09", "pain.001.001.03")
    assert bank.preferred_pain001 == "pain.001.001.09"
    assert bank.connector_type == "iso20022-http"
    assert dict(bank.connector_settings) == {"base_url": "http://127.0.0.1:18090"}
    assert bank.enabled is False   # nothing listens there unless someone starts mock-bank


def test_an_enabled_copy_routes_mock_banks_accounts(tmp_path: Path):
    copy = tmp_path / "mock-bank.toml"
    shutil.copyfile(MOCK_BANK_FILE, copy)
    text = copy.read_text(encoding="utf-8")
    assert text.count("enabled = false") == 1
    copy.write_text(text.replace("enabled = false", "enabled = true"), encoding="utf-8")
    router = Router(load_banks(tmp_path))
    for iban in ("NL41MOCK0000000001", "NL14MOCK0000000002", "NL84MOCK0000000003"):   # ACME, GLOBEX, INITECH
        assert router.route(Account(iban=iban)).id == "mock-bank"


def test_every_key_of_the_mock_bank_file_is_explained_by_a_comment():
    lines = MOCK_BANK_FILE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"[a-z_0-9]+\s*=", line):
            assert number and lines[number - 1].startswith("#"), f"line {number + 1} ({line!r}): no comment above"
