"""The file-drop connector on real folders, and end to end against mock-bank's folder door
(``--drop-dir``: the bank reads pain.001 files there and files them under processed/ or failed/;
``--pickup-dir``: it writes every message it releases there, by atomic rename)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from gateway.connectors import registry
from gateway.connectors.base import BankUnavailable, ConnectorConfigError, NotSupported
from gateway.connectors.file_drop import FileDropConnector, file_name_for
from tests.connectors.payments import pain001

STATUS_REPORT = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                 b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt><GrpHdr>'
                 b'<MsgId>BANK-P002-1</MsgId><CreDtTm>2026-09-28T09:00:02</CreDtTm></GrpHdr><OrgnlGrpInfAndSts>'
                 b'<OrgnlMsgId>GW-1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>ACCP</GrpSts>'
                 b'</OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>\n')
STATEMENT = STATUS_REPORT.replace(b"pain.002.001.10", b"camt.053.001.08")  # only its namespace is read here


def folders(tmp_path: Path, **settings) -> FileDropConnector:
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "in").mkdir(exist_ok=True)
    return FileDropConnector(bank_id="h2h", settings={"outbound_dir": str(tmp_path / "out"),
                                                      "inbound_dir": str(tmp_path / "in"), **settings})


def aged(path: Path, seconds: float = 60) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def group_status(xml: bytes) -> tuple[str, str | None]:
    root = etree.fromstring(xml)
    return (root.xpath("string(//*[local-name()='GrpSts'])"),
            root.xpath("string(//*[local-name()='StsRsnInf']/*[local-name()='Rsn']/*)") or None)


# --------------------------------------------------------------------------- submit


def test_submit_writes_msgid_xml_and_nothing_else(tmp_path):
    outgoing = pain001("GW-FD-1")
    submission = folders(tmp_path).submit(outgoing)
    assert submission.accepted and not submission.duplicate and submission.reference == "GW-FD-1.xml"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["GW-FD-1.xml"]  # no temporary left behind
    assert (tmp_path / "out" / "GW-FD-1.xml").read_bytes() == outgoing.xml


def test_a_reader_never_sees_a_partial_file(tmp_path):
    """A poller listing the folder as fast as it can, while large files are written: every
    ``*.xml`` it manages to read is whole."""
    connector = folders(tmp_path)
    files = {f"GW-FD-BIG-{n}": pain001(f"GW-FD-BIG-{n}", amounts=("1.00",) * 600) for n in range(12)}
    assert min(len(f.xml) for f in files.values()) > 100_000
    seen: dict[str, int] = {}
    partial: list[str] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            for entry in os.scandir(tmp_path / "out"):
                if entry.name.startswith(".") or not entry.name.endswith(".xml"):
                    continue
                body = Path(entry.path).read_bytes()
                seen[entry.name] = seen.get(entry.name, 0) + 1
                if body != files[entry.name[:-4]].xml:
                    partial.append(entry.name)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for outgoing in files.values():
            connector.submit(outgoing)
    finally:
        done.set()
        reader.join()
    assert partial == []
    assert len(seen) >= 1  # the reader did see files while they were being written


def test_the_same_msgid_while_still_waiting_is_a_duplicate_and_the_file_is_untouched(tmp_path):
    connector = folders(tmp_path)
    first = pain001("GW-FD-DUP")
    connector.submit(first)
    again = connector.submit(pain001("GW-FD-DUP", amounts=("99.00",)))
    assert again.accepted and again.duplicate and again.reference == "GW-FD-DUP.xml"
    assert (tmp_path / "out" / "GW-FD-DUP.xml").read_bytes() == first.xml


def test_a_temporary_left_by_a_crashed_writer_is_not_a_delivery(tmp_path):
    connector = folders(tmp_path)
    (tmp_path / "out" / ".GW-FD-CRASH.xml.0123.tmp").write_bytes(b"<Document")
    assert not connector.submit(pain001("GW-FD-CRASH")).duplicate


def test_a_msgid_that_is_not_a_safe_file_name_is_encoded(tmp_path):
    assert file_name_for("A/B C.ü") == "A%2FB%20C.%C3%BC.xml"
    assert file_name_for(".hidden") == "%2Ehidden.xml"
    folders(tmp_path).submit(pain001("GW/FD 2"))
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["GW%2FFD%202.xml"]


def test_an_unlisted_version_is_not_written(tmp_path):
    with pytest.raises(NotSupported):
        folders(tmp_path, submits=["pain.001.001.09"]).submit(pain001("GW-FD-V3", version="pain.001.001.03"))
    assert list((tmp_path / "out").iterdir()) == []


def test_a_missing_outbound_folder_is_bank_unavailable(tmp_path):
    connector = folders(tmp_path)
    (tmp_path / "out").rmdir()  # an SFTP share that is not mounted
    with pytest.raises(BankUnavailable) as down:
        connector.submit(pain001("GW-FD-NOMOUNT"))
    assert down.value.code == "bank_folder_unavailable"


# --------------------------------------------------------------------------- collect


def test_only_complete_files_are_collected(tmp_path):
    connector = folders(tmp_path, min_age_seconds=0)
    inbound = tmp_path / "in"
    (inbound / "pain.002-ok.xml").write_bytes(STATUS_REPORT)
    (inbound / "half-written.xml").write_bytes(STATUS_REPORT[: len(STATUS_REPORT) // 2])
    (inbound / ".hidden.xml").write_bytes(STATUS_REPORT)
    (inbound / "upload.xml.tmp").write_bytes(STATUS_REPORT)
    (inbound / "upload.xml.part").write_bytes(STATUS_REPORT)
    (inbound / "notes.txt").write_bytes(b"not a message")
    (inbound / "a-folder.xml").mkdir()
    messages = connector.collect()
    assert [m.id for m in messages] == ["pain.002-ok.xml"]
    assert messages[0].body == STATUS_REPORT and messages[0].hint == "pain.002.001.10"
    assert abs(messages[0].received_at.timestamp() - (inbound / "pain.002-ok.xml").stat().st_mtime) < 1e-3


def test_a_file_younger_than_the_minimum_age_waits(tmp_path):
    connector = folders(tmp_path, min_age_seconds=30)
    fresh = tmp_path / "in" / "pain.002-fresh.xml"
    fresh.write_bytes(STATUS_REPORT)
    assert connector.collect() == []
    aged(fresh)
    assert [m.id for m in connector.collect()] == ["pain.002-fresh.xml"]


def test_a_file_still_malformed_after_the_grace_period_is_handed_over(tmp_path):
    """So a broken file the bank left is reported by the gateway's parser, not ignored for ever."""
    connector = folders(tmp_path, min_age_seconds=0, malformed_grace_seconds=300)
    broken = tmp_path / "in" / "broken.xml"
    broken.write_bytes(STATUS_REPORT[:200])
    assert connector.collect() == []
    aged(broken, 301)
    (message,) = connector.collect()
    assert message.id == "broken.xml" and message.body == STATUS_REPORT[:200]


def test_families_the_bank_file_does_not_collect_stay_where_they_are(tmp_path):
    connector = folders(tmp_path, min_age_seconds=0, collects=["pain.002"])
    (tmp_path / "in" / "status.xml").write_bytes(STATUS_REPORT)
    (tmp_path / "in" / "statement.xml").write_bytes(STATEMENT)
    assert [m.id for m in connector.collect()] == ["status.xml"]


def test_a_missing_inbound_folder_is_bank_unavailable(tmp_path):
    connector = folders(tmp_path)
    (tmp_path / "in").rmdir()
    with pytest.raises(BankUnavailable):
        connector.collect()


# --------------------------------------------------------------------------- acknowledge


def test_acknowledge_moves_into_processed_and_keeps_them(tmp_path):
    connector = folders(tmp_path, min_age_seconds=0)
    (tmp_path / "in" / "a.xml").write_bytes(STATUS_REPORT)
    (tmp_path / "in" / "b.xml").write_bytes(STATEMENT)
    collected = connector.collect()
    connector.acknowledge([m.id for m in collected])
    assert connector.collect() == []
    processed = tmp_path / "in" / "processed"
    assert {p.name: p.read_bytes() for p in processed.iterdir()} == {"a.xml": STATUS_REPORT, "b.xml": STATEMENT}
    connector.acknowledge(["a.xml", "never-there.xml", "../escape.xml", ".hidden"])  # harmless, and no escape
    assert sorted(p.name for p in processed.iterdir()) == ["a.xml", "b.xml"]


def test_a_crash_before_acknowledge_gives_the_same_files_again(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.xml").write_bytes(STATUS_REPORT)
    first = folders(tmp_path, min_age_seconds=0).collect()
    restarted = folders(tmp_path, min_age_seconds=0)  # the gateway died before acknowledging
    assert [(m.id, m.body) for m in restarted.collect()] == [(m.id, m.body) for m in first]


def test_a_processed_file_of_the_same_name_is_never_overwritten(tmp_path):
    connector = folders(tmp_path, min_age_seconds=0, processed_dir=str(tmp_path / "done"))
    (tmp_path / "in" / "a.xml").write_bytes(STATUS_REPORT)
    connector.acknowledge([m.id for m in connector.collect()])
    (tmp_path / "in" / "a.xml").write_bytes(STATEMENT)  # the bank re-used a name
    connector.acknowledge([m.id for m in connector.collect()])
    assert {p.name: p.read_bytes() for p in (tmp_path / "done").iterdir()} == {"a.xml": STATUS_REPORT,
                                                                               "a-1.xml": STATEMENT}


# --------------------------------------------------------------------------- against mock-bank's folders


def test_end_to_end_through_mock_banks_folder_door(start_mock_bank):
    bank = start_mock_bank(folders=True)
    connector = registry.create("mockbank-h2h", "file-drop", {
        "type": "file-drop", "outbound_dir": str(bank.drop_dir), "inbound_dir": str(bank.pickup_dir),
        "min_age_seconds": 0})
    outgoing = pain001("GW-FD-E2E")
    assert not connector.submit(outgoing).duplicate
    (scanned,) = bank.scan()["files"]
    assert (scanned["name"], scanned["ok"], scanned["status"]) == ("GW-FD-E2E.xml", True, "ACCP")
    assert (bank.drop_dir / "processed" / "GW-FD-E2E.xml").read_bytes() == outgoing.xml

    messages = connector.collect()
    assert sorted(m.hint for m in messages) == ["camt.054.001.08", "pain.002.001.10"]
    status = next(m for m in messages if m.hint.startswith("pain.002"))
    assert group_status(status.body) == ("ACCP", None) and b"GW-FD-E2E" in status.body
    assert {m.id for m in messages} == {p.name for p in bank.pickup_dir.glob("*.xml")}

    connector.acknowledge([m.id for m in messages])
    assert connector.collect() == []
    assert sorted(p.name for p in (bank.pickup_dir / "processed").iterdir()) == sorted(m.id for m in messages)

    again = connector.submit(outgoing)  # the bank has it (in its processed/): not written a second time
    assert again.duplicate and "processed" in again.detail
    assert bank.scan()["files"] == [] and len(bank.payments()) == 1


def test_a_file_the_bank_rejects_comes_back_as_its_pain002(start_mock_bank):
    bank = start_mock_bank(folders=True)
    bank.patch_account("ACME", behaviour="reject-file")
    connector = FileDropConnector(bank_id="mockbank-h2h", settings={
        "outbound_dir": str(bank.drop_dir), "inbound_dir": str(bank.pickup_dir), "min_age_seconds": 0})
    connector.submit(pain001("GW-FD-FF01"))
    (scanned,) = bank.scan()["files"]
    assert (scanned["ok"], scanned["movedTo"]) == (False, "failed/GW-FD-FF01.xml")
    (report,) = connector.collect()
    assert group_status(report.body) == ("RJCT", "FF01")
    assert connector.submit(pain001("GW-FD-FF01")).duplicate  # filed under failed/: the bank has seen it


def test_a_half_written_drop_is_left_alone_by_the_bank_and_the_gateway(start_mock_bank):
    """The convention both sides keep: the temporary name is invisible to the bank's scan."""
    bank = start_mock_bank(folders=True)
    partial = bank.drop_dir / ".GW-FD-HALF.xml.0123.tmp"
    partial.write_bytes(pain001("GW-FD-HALF").xml[:300])
    assert bank.scan()["files"] == []
    assert partial.exists() and bank.payments() == []


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("settings, words", [
    ({"inbound_dir": "/tmp/in"}, "outbound_dir is required"),
    ({"outbound_dir": "/tmp/out"}, "inbound_dir is required"),
    ({"outbound_dir": "/tmp/x", "inbound_dir": "/tmp/x"}, "must be different folders"),
    ({"outbound_dir": "/tmp/o", "inbound_dir": "/tmp/i", "processed_dir": "/tmp/i"}, "must not be inbound_dir itself"),
    ({"outbound_dir": "/tmp/o", "inbound_dir": "/tmp/i", "min_age_seconds": -1}, "min_age_seconds"),
    ({"outbound_dir": "/tmp/o", "inbound_dir": "/tmp/i", "collects": ["camt.099"]}, "camt.099 unknown"),
    ({"outbound_dir": "/tmp/o", "inbound_dir": "/tmp/i", "inbox": "/tmp/x"}, "unknown key(s) inbox"),
])
def test_wrong_settings_refuse_the_start(settings, words):
    with pytest.raises(ConnectorConfigError) as wrong:
        FileDropConnector(bank_id="h2h", settings=settings)
    assert words in str(wrong.value)
