"""The sandbox's settings (the bank file's [connector] table) and the bank file the repository ships."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import MappingProxyType

import pytest
import schwifty

from gateway.connectors.base import ConnectorConfigError, DeliveryRefused
from gateway.connectors.registry import create
from gateway.connectors.sandbox import SandboxConnector
from gateway.connectors.sandbox.settings import REPO_ROOT, resolve
from gateway.routing import read_bank
from tests.sandbox.files import Block, Tx, pain001, texts
from tests.sandbox.seed import ACCOUNTS, EXTERNAL, PAYER, POUNDS, of_type, send, settings_for

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_TOML = ROOT / "config" / "banks" / "sandbox.toml"
# The demo holder alice's accounts (gateway/demo.py), which the sandbox stands in for.
ALICE = {"NL91ABNA0417164300": "EUR", "DE89370400440532013000": "EUR", "GB29NWBK60161331926819": "GBP"}


@pytest.mark.parametrize(("change", "complaint"), [
    ({"colour": "blue"}, "unknown key(s) colour"),
    ({"accounts": [{**ACCOUNTS[0], "balence": "1.00"}]}, "unknown key(s) balence"),
    ({"accounts": [{**ACCOUNTS[0], "balance": 1000.0}]}, "string"),
    ({"accounts": [{**ACCOUNTS[0], "balance": "10.001"}]}, "EUR allows 2 decimals"),
    ({"accounts": [{**ACCOUNTS[0], "balance": "-5.00"}]}, "zero or positive"),
    ({"accounts": [{**ACCOUNTS[0], "iban": "NL92ABNA0417164300"}]}, "check digits"),
    ({"accounts": [{**ACCOUNTS[0], "currency": "EURO"}]}, "ISO 4217"),
    ({"accounts": [{**ACCOUNTS[0], "bic": "ABNA"}]}, "8 or 11"),
    ({"accounts": [{**ACCOUNTS[0], "closed": "no"}]}, "true or false"),
    ({"accounts": [ACCOUNTS[0], ACCOUNTS[0]]}, "listed twice"),
    ({"accounts": [{"iban": PAYER}]}, "needs an iban and a currency"),
    ({"status_report": "pain.002.001.10"}, "pain.002.001.12"),
    ({"start_date": "yesterday"}, "date like"),
    ({"holidays": ["25 Dec"]}, "date like"),
    ({"pain001": ["camt.053.001.08"]}, "not a pain.001 version"),
    ({"state": ""}, "SQLite file"),
    ({"profile": "no-such-profile"}, "no rule profile 'no-such-profile'"),
])
def test_wrong_settings_stop_the_start_with_a_message(state_file: Path, change: dict, complaint: str) -> None:
    with pytest.raises(ConnectorConfigError) as wrong:
        SandboxConnector(bank_id="sandbox-test", settings={**settings_for(state_file), **change})

    assert wrong.value.code == "connector_config_invalid"
    assert complaint in wrong.value.message
    assert not state_file.exists(), "nothing is created from wrong settings"


def test_the_registry_makes_a_sandbox_from_its_type_name(state_file: Path) -> None:
    # As the bank loader hands them over: [connector] without its type, read-only.
    settings = MappingProxyType({k: v for k, v in settings_for(state_file).items() if k != "type"})
    connector = create("sandbox-test", "sandbox", settings)

    assert isinstance(connector, SandboxConnector)
    assert state_file.is_file()


def test_a_relative_state_path_is_under_the_repository_root() -> None:
    assert resolve("var/sandbox/sandbox.db") == REPO_ROOT / "var" / "sandbox" / "sandbox.db"
    assert REPO_ROOT == ROOT
    assert resolve("/srv/bank.db") == Path("/srv/bank.db")


def test_what_the_bank_carries_comes_from_its_bank_file(tmp_path: Path, state_file: Path) -> None:
    bank_file = tmp_path / "eur-only.toml"
    bank_file.write_text('name = "EUR only"\ncurrencies = ["EUR"]\n'
                         '[messages]\npain001 = ["pain.001.001.09"]\nprofile = "sepa"\n'
                         '[connector]\ntype = "sandbox"\n', encoding="utf-8")
    settings = {k: v for k, v in settings_for(state_file).items() if k not in ("pain001", "currencies")}
    bank = SandboxConnector(bank_id="eur-only", settings={**settings, "bank_file": str(bank_file)})

    assert bank.capabilities.submits == {"pain.001.001.09"}
    assert bank.capabilities.currencies == {"EUR"}
    # The bank file's rule profile applies: sepa allows EUR only, so a pound transfer is refused (AM03).
    with pytest.raises(DeliveryRefused):
        send(bank, pain001("M-GBP", Block("P-1", POUNDS, "2026-11-23", (Tx("G-1", "1.00", EXTERNAL, currency="GBP"),),
                                          debtor_bic="NWBKGB2L")))
    assert "AM03" in texts(of_type(bank, "pain.002")[0].body, "//OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd")


def test_a_named_bank_file_that_is_missing_is_an_error(state_file: Path) -> None:
    with pytest.raises(ConnectorConfigError, match="does not exist"):
        SandboxConnector(bank_id="x", settings={**settings_for(state_file), "bank_file": "/nonexistent/bank.toml"})


def test_the_shipped_sandbox_bank_file_stands_in_for_the_demo_banks(state_file: Path) -> None:
    bank_file = tomllib.loads(SANDBOX_TOML.read_text(encoding="utf-8"))
    assert bank_file["connector"]["type"] == "sandbox"
    assert bank_file["connector"]["state"] == "var/sandbox/sandbox.db"

    bank = SandboxConnector(bank_id="sandbox", settings={**bank_file["connector"], "state": str(state_file)})

    assert bank.capabilities.submits == set(bank_file["messages"]["pain001"]) == {"pain.001.001.09",
                                                                                   "pain.001.001.03"}
    assert bank.capabilities.currencies == {"EUR", "GBP"}
    held = {a.iban: a for a in bank.accounts()}
    assert {iban: held[iban].currency for iban in ALICE} == ALICE
    served = {(entry["country"], entry["bank_code"]) for entry in bank_file["iban"]}
    assert served == {("NL", "ABNA"), ("DE", "37040044"), ("GB", "NWBK")}
    for account in held.values():
        iban = schwifty.IBAN(account.iban)  # raises on a wrong check digit
        assert (iban.country_code, iban.bank_code) in served, f"{account.iban} would not route to the sandbox"
        assert account.bic in bank_file["bics"]
        assert account.currency in bank_file["currencies"]
    wallet = [a for a in held.values() if a.owner == "Demo Wallet BV"]
    assert {a.iban for a in wallet} == {"NL13ABNA1000000001", "NL83ABNA1000000002"}
    assert {a.name for a in wallet} == {"Demo Wallet settlement account", "Demo Wallet collection account"}
    assert all(schwifty.IBAN(a.iban).bank_code == "ABNA" for a in wallet)


def test_the_bank_loader_accepts_the_shipped_file_and_routes_every_sandbox_account_to_it(state_file: Path) -> None:
    profile = read_bank(SANDBOX_TOML)
    connector = create(profile.id, profile.connector_type, {**profile.connector_settings, "state": str(state_file)})

    assert profile.id == "sandbox" and profile.connector_type == "sandbox"
    assert connector.capabilities.submits == set(profile.pain001_versions)
    assert connector.capabilities.currencies == set(profile.currencies)
    for account in connector.accounts():
        assert profile.holds_iban(account.iban), account.iban
