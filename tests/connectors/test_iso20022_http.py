"""The iso20022-http connector against a real mock-bank (and, for what mock-bank cannot do --
answer 503, hang, return a pain.002 in the response -- a real canned HTTP server)."""

from __future__ import annotations

import json
import logging

import pytest
from lxml import etree

from gateway.connectors import registry
from gateway.connectors.base import (
    BankUnavailable,
    ConnectorConfigError,
    DeliveryRefused,
    NotSupported,
)
from gateway.connectors.iso20022_http import Iso20022HttpConnector
from gateway.iso20022 import parse
from tests.connectors.payments import pain001
from tests.connectors.servers import canned_server
from tests.support import free_port


def connector(base_url: str, **settings) -> Iso20022HttpConnector:
    return Iso20022HttpConnector(bank_id="mockbank", settings={"base_url": base_url, "timeout": 5, **settings})


def group_status(xml: bytes) -> tuple[str, str | None]:
    root = etree.fromstring(xml)
    status = root.xpath("string(//*[local-name()='GrpSts'])")
    reason = root.xpath("string(//*[local-name()='StsRsnInf']/*[local-name()='Rsn']/*)") or None
    return status, reason


# --------------------------------------------------------------------------- submit


def test_a_valid_pain001_is_accepted_and_booked(mock_bank):
    outgoing = pain001("GW-HTTP-ACCEPT")
    submission = connector(mock_bank.base_url).submit(outgoing)
    assert submission.accepted and not submission.duplicate
    assert "ACCP" in submission.detail
    (payment,) = mock_bank.payments()
    assert (payment["end_to_end_id"], payment["status"], payment["amount"]) == ("GW-HTTP-ACCEPT-E1", "accepted", 1250)
    assert payment["booked_at"] is not None  # due today, before the cutoff: booked at once
    sent = mock_bank.request("GET", "/_mock/requests", params={"path": "/payments"}).json()
    assert [(r["method"], r["status"]) for r in sent] == [("POST", 202)]


def test_the_same_msgid_again_is_a_duplicate_not_a_refusal(mock_bank):
    bank = connector(mock_bank.base_url)
    outgoing = pain001("GW-HTTP-DUPL")
    assert not bank.submit(outgoing).duplicate
    again = bank.submit(outgoing)
    assert again.accepted and again.duplicate
    assert "DUPL" in again.detail
    assert len([p for p in mock_bank.payments() if p["end_to_end_id"] == "GW-HTTP-DUPL-E1"]) == 1


def test_a_file_the_bank_rejects_is_refused_for_good_with_its_reason(mock_bank):
    mock_bank.patch_account("ACME", behaviour="reject-file")
    with pytest.raises(DeliveryRefused) as refused:
        connector(mock_bank.base_url).submit(pain001("GW-HTTP-FF01"))
    assert refused.value.code == "delivery_refused"
    assert "HTTP 422" in str(refused.value) and "FF01" in str(refused.value)
    assert "reject-file" in str(refused.value)  # the bank's reason_text, not just a status


def test_a_pain001_version_the_bank_file_does_not_list_is_not_sent(mock_bank):
    bank = connector(mock_bank.base_url, submits=["pain.001.001.09"])
    with pytest.raises(NotSupported):
        bank.submit(pain001("GW-HTTP-V03", version="pain.001.001.03"))
    assert mock_bank.payments() == []


def test_pain001_001_03_is_delivered_when_listed(mock_bank):
    assert connector(mock_bank.base_url).submit(pain001("GW-HTTP-V03", version="pain.001.001.03")).accepted


def test_nothing_listening_is_bank_unavailable():
    with pytest.raises(BankUnavailable) as down:
        connector(f"http://127.0.0.1:{free_port()}").submit(pain001("GW-HTTP-DOWN"))
    assert down.value.code == "bank_unavailable"
    assert "cannot reach" in str(down.value)


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_a_bank_that_answers_5xx_or_429_is_unavailable(status):
    with canned_server(status, b"maintenance window", "text/plain") as server, \
            pytest.raises(BankUnavailable) as down:
        connector(server.url).submit(pain001("GW-HTTP-5XX"))
    assert down.value.code == "bank_unavailable"
    assert f"HTTP {status}" in str(down.value) and "maintenance window" in str(down.value)
    (method, path, headers, body), = server.received
    assert (method, path, headers["Content-Type"]) == ("POST", "/payments", "application/xml")
    assert body == pain001("GW-HTTP-5XX").xml


def test_a_bank_that_does_not_answer_in_time_is_unavailable():
    with canned_server(202, b"{}", "application/json", delay=2.0) as server, \
            pytest.raises(BankUnavailable) as slow:
        connector(server.url, timeout=0.3).submit(pain001("GW-HTTP-SLOW"))
    assert slow.value.code == "bank_timeout"


def test_a_pain002_answered_in_the_response_says_duplicate(mock_bank):
    """A bank that answers with a pain.002 instead of JSON: mock-bank's own DUPL status report,
    served back by a real server, is read as a duplicate."""
    bank = connector(mock_bank.base_url)
    bank.submit(pain001("GW-HTTP-P002"))
    bank.submit(pain001("GW-HTTP-P002"))
    dupl = next(m for m in mock_bank.mailbox("pain.002") if group_status(m["body"].encode()) == ("RJCT", "DUPL"))
    with canned_server(422, dupl["body"].encode(), "application/xml") as server:
        assert connector(server.url).submit(pain001("GW-HTTP-P002")).duplicate
    accp = next(m for m in mock_bank.mailbox("pain.002") if group_status(m["body"].encode())[0] == "ACCP")
    with canned_server(200, accp["body"].encode(), "application/xml") as server:
        submission = connector(server.url).submit(pain001("GW-HTTP-P002"))
    assert submission.accepted and not submission.duplicate
    (immediate,) = submission.immediate
    assert immediate.body == accp["body"].encode() and immediate.hint == "pain.002.001.10"


def test_basic_auth_from_an_environment_variable(start_mock_bank, monkeypatch, caplog):
    bank = start_mock_bank(auth=("gateway", "s3cret-Pa55"))
    monkeypatch.setenv("MOCKBANK_PASSWORD", "s3cret-Pa55")
    caplog.set_level(logging.DEBUG)
    good = connector(bank.base_url, user="gateway", password_env="MOCKBANK_PASSWORD")
    assert good.submit(pain001("GW-HTTP-AUTH")).accepted
    assert len(good.collect()) == 2
    monkeypatch.setenv("MOCKBANK_PASSWORD", "wrong")
    wrong = connector(bank.base_url, user="gateway", password_env="MOCKBANK_PASSWORD")
    with pytest.raises(BankUnavailable) as refused:
        wrong.submit(pain001("GW-HTTP-AUTH2"))
    assert refused.value.code == "bank_credentials_refused"
    assert "s3cret" not in caplog.text and "s3cret" not in repr(good.config)
    assert "wrong" not in str(refused.value)


# --------------------------------------------------------------------------- collect and acknowledge


def test_collect_returns_the_pain002_and_the_camt054_without_taking_them(mock_bank, tmp_path):
    bank = connector(mock_bank.base_url, state_dir=str(tmp_path))
    bank.submit(pain001("GW-HTTP-COLLECT"))
    messages = bank.collect()
    assert sorted(m.hint for m in messages) == ["camt.054.001.08", "pain.002.001.10"]
    by_kind = {m.hint.rsplit(".", 2)[0]: m for m in messages}
    assert str(parse(by_kind["pain.002"].body).message) == "pain.002.001.10"
    assert group_status(by_kind["pain.002"].body) == ("ACCP", None)
    assert b"GW-HTTP-COLLECT-E1" in by_kind["camt.054"].body
    assert all(m.received_at is not None and m.received_at.year == 2026 for m in messages)
    assert {m.id for m in messages} == {str(row["id"]) for row in mock_bank.mailbox()}  # still at the bank
    assert [m.id for m in bank.collect()] == [m.id for m in messages]  # same ids again until acknowledged


def test_acknowledged_messages_are_not_collected_again(mock_bank, tmp_path):
    bank = connector(mock_bank.base_url, state_dir=str(tmp_path))
    bank.submit(pain001("GW-HTTP-ACK"))
    first = bank.collect()
    bank.acknowledge([m.id for m in first])
    assert bank.collect() == []
    bank.acknowledge([m.id for m in first])  # at-least-once: acknowledging twice is harmless
    restarted = connector(mock_bank.base_url, state_dir=str(tmp_path))
    assert restarted.collect() == []  # remembered on disk, not only in memory
    record = json.loads((tmp_path / "mockbank.acknowledged.json").read_text())
    assert set(record["acknowledged"]) == {m.id for m in first}

    bank.submit(pain001("GW-HTTP-ACK2"))  # later messages still come, once
    later = restarted.collect()
    assert len(later) == 2 and not {m.id for m in later} & {m.id for m in first}


def test_a_crash_before_acknowledge_gives_the_same_messages_again(mock_bank, tmp_path):
    bank = connector(mock_bank.base_url, state_dir=str(tmp_path))
    bank.submit(pain001("GW-HTTP-CRASH"))
    seen = bank.collect()
    bank.acknowledge([seen[0].id])  # the gateway stored one, then died
    del bank
    restarted = connector(mock_bank.base_url, state_dir=str(tmp_path))
    again = restarted.collect()
    assert [(m.id, m.body) for m in again] == [(m.id, m.body) for m in seen[1:]]


def test_without_a_state_dir_acknowledgements_last_as_long_as_the_connector(mock_bank):
    bank = connector(mock_bank.base_url)
    bank.submit(pain001("GW-HTTP-MEM"))
    bank.acknowledge([m.id for m in bank.collect()])
    assert bank.collect() == []
    assert len(connector(mock_bank.base_url).collect()) == 2  # redelivered after a restart, never lost


def test_a_reused_id_with_a_new_body_is_not_swallowed(mock_bank, tmp_path):
    """After a bank reset mock-bank numbers its messages from 1 again; the digest in the record
    keeps a new message with an old id from being taken for the acknowledged one."""
    bank = connector(mock_bank.base_url, state_dir=str(tmp_path))
    bank.submit(pain001("GW-HTTP-REUSE-A"))
    first = bank.collect()
    bank.acknowledge([m.id for m in first])
    mock_bank.reset()
    bank.submit(pain001("GW-HTTP-REUSE-B", amounts=("99.00",)))
    second = bank.collect()
    assert {m.id for m in second} == {m.id for m in first}
    assert all(b"GW-HTTP-REUSE-B" in m.body for m in second)


def test_statements_and_returns_are_collected_and_families_filtered(mock_bank, tmp_path):
    mock_bank.patch_account("ACME", behaviour="return-later", parameters={"days": 1, "reason": "MD07"})
    everything = connector(mock_bank.base_url, state_dir=str(tmp_path / "all"))
    everything.submit(pain001("GW-HTTP-RET"))
    mock_bank.advance(to="2026-09-30")
    kinds = sorted({m.hint.rsplit(".", 2)[0] for m in everything.collect()})
    assert kinds == ["camt.053", "camt.054", "pacs.004", "pain.002"]
    statements_only = connector(mock_bank.base_url, state_dir=str(tmp_path / "some"), collects=["camt.053"])
    assert {m.hint for m in statements_only.collect()} == {"camt.053.001.08"}


def test_a_mailbox_that_is_down_is_unavailable():
    with pytest.raises(BankUnavailable):
        connector(f"http://127.0.0.1:{free_port()}").collect()
    with canned_server(503, b"") as server, pytest.raises(BankUnavailable):
        connector(server.url).collect()
    with canned_server(200, b"<html>login</html>", "text/html") as server, pytest.raises(BankUnavailable) as odd:
        connector(server.url).collect()
    assert odd.value.code == "bank_mailbox_unreadable"


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("settings, words", [
    ({}, "base_url is required"),
    ({"base_url": "ftp://bank"}, "not an http(s) URL"),
    ({"base_url": "https://u:p@bank.example"}, "must not carry credentials"),
    ({"base_url": "https://bank.example", "timeout": "30"}, "timeout"),
    ({"base_url": "https://bank.example", "user": "u"}, "both a user and a password"),
    ({"base_url": "https://bank.example", "user": "u", "password_env": "GW_TEST_UNSET_VARIABLE"}, "not set"),
    ({"base_url": "https://bank.example", "collects": ["camt.999"]}, "camt.999 unknown"),
    ({"base_url": "https://bank.example", "submits": ["pain.008.001.08"]}, "not a pain.001"),
    ({"base_url": "https://bank.example", "ca_file": "/nonexistent.pem"}, "ca_file"),
    ({"base_url": "https://bank.example", "submitpath": "/x"}, "unknown key(s) submitpath"),
])
def test_wrong_settings_refuse_the_start(settings, words):
    with pytest.raises(ConnectorConfigError) as wrong:
        Iso20022HttpConnector(bank_id="b", settings=settings)
    assert wrong.value.code == "connector_config_invalid"
    assert words in str(wrong.value)


def test_the_registry_builds_it_with_declared_capabilities():
    made = registry.create("mockbank", "iso20022-http", {"type": "iso20022-http", "base_url": "http://127.0.0.1:1/",
                                                         "currencies": ["eur"], "collects": ["pain.002"]})
    assert isinstance(made, Iso20022HttpConnector)
    assert made.capabilities.submits == {"pain.001.001.09", "pain.001.001.03"}
    assert made.capabilities.collects == {"pain.002"} and made.capabilities.currencies == {"EUR"}
    assert made.config.base_url == "http://127.0.0.1:1"
    made.close()


def test_a_password_in_the_settings_never_shows_in_a_repr(mock_bank):
    made = connector(mock_bank.base_url, user="gateway", password="s3cret-Pa55")
    assert "s3cret" not in repr(made) and "s3cret" not in repr(made.config)


def test_only_the_configured_proxy_is_used(mock_bank, monkeypatch):
    """The environment's proxy is ignored; the bank file's is used (a real server stands in for it)."""
    with canned_server(502, b"from the environment's proxy") as ambient:
        monkeypatch.setenv("HTTP_PROXY", ambient.url)
        monkeypatch.setenv("NO_PROXY", "")
        assert connector(mock_bank.base_url).submit(pain001("GW-HTTP-PROXY")).accepted
    assert ambient.received == []
    with canned_server(202, b'{"status": "ACCP"}', "application/json") as proxy:
        assert connector("http://bank.invalid", proxy=proxy.url).submit(pain001("GW-HTTP-PROXY2")).accepted
    ((method, target, _headers, _body),) = proxy.received
    assert (method, target) == ("POST", "http://bank.invalid/payments")
