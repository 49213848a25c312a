"""Hand-written pain.001 files (element order from the official XSDs) and XPath readers for
what the sandbox writes, so that the tests depend neither on the gateway's builder nor its parser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree

from gateway.iso20022 import validate

ROOT = Path(__file__).resolve().parents[2]
XSD = ROOT / "var" / "test-xsd"  # the official XSDs the suite synced (tests/conftest.py)


@dataclass(frozen=True)
class Tx:
    e2e: str
    amount: str
    creditor_iban: str
    currency: str = "EUR"
    creditor_name: str = "Creditor"
    remittance: str = "Invoice 1"


@dataclass(frozen=True)
class Block:
    pmt_inf_id: str
    debtor_iban: str
    execution_date: str
    transactions: tuple[Tx, ...]
    debtor_name: str = "Payer"
    debtor_bic: str = "ABNANL2A"


def _sum(amounts) -> str:
    return str(sum((Decimal(a) for a in amounts), Decimal(0)))


def pain001(msg_id: str, *blocks: Block, version: str = "09", ctrl_sum: str | None = None) -> bytes:
    """A pain.001.001.09 (or .03) file; control figures are counted here unless ``ctrl_sum`` overrides."""
    all_amounts = [t.amount for b in blocks for t in b.transactions]
    bic = "BICFI" if version == "09" else "BIC"
    infos = []
    for b in blocks:
        txs = "".join(
            f"<CdtTrfTxInf><PmtId><EndToEndId>{t.e2e}</EndToEndId></PmtId>"
            f"<Amt><InstdAmt Ccy=\"{t.currency}\">{t.amount}</InstdAmt></Amt>"
            f"<Cdtr><Nm>{t.creditor_name}</Nm></Cdtr><CdtrAcct><Id><IBAN>{t.creditor_iban}</IBAN></Id></CdtrAcct>"
            f"<RmtInf><Ustrd>{t.remittance}</Ustrd></RmtInf></CdtTrfTxInf>"
            for t in b.transactions)
        date = f"<Dt>{b.execution_date}</Dt>" if version == "09" else b.execution_date
        infos.append(
            f"<PmtInf><PmtInfId>{b.pmt_inf_id}</PmtInfId><PmtMtd>TRF</PmtMtd>"
            f"<NbOfTxs>{len(b.transactions)}</NbOfTxs><CtrlSum>{_sum(t.amount for t in b.transactions)}</CtrlSum>"
            f"<ReqdExctnDt>{date}</ReqdExctnDt><Dbtr><Nm>{b.debtor_name}</Nm></Dbtr>"
            f"<DbtrAcct><Id><IBAN>{b.debtor_iban}</IBAN></Id></DbtrAcct>"
            f"<DbtrAgt><FinInstnId><{bic}>{b.debtor_bic}</{bic}></FinInstnId></DbtrAgt>{txs}</PmtInf>")
    return (
        f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        f"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.{version}\"><CstmrCdtTrfInitn>"
        f"<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-11-23T09:00:00</CreDtTm>"
        f"<NbOfTxs>{len(all_amounts)}</NbOfTxs><CtrlSum>{ctrl_sum or _sum(all_amounts)}</CtrlSum>"
        f"<InitgPty><Nm>Test Wallet</Nm></InitgPty></GrpHdr>{''.join(infos)}"
        f"</CstmrCdtTrfInitn></Document>\n").encode()


# -- reading what the bank wrote ---------------------------------------------------------------------

def root_of(body: bytes) -> etree._Element:
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))


def namespace(body: bytes) -> str:
    return root_of(body).nsmap[None]


def _prefixed(path: str) -> str:
    return "/".join(step if step in ("", ".", "..") or step.startswith(("@", "text()")) else f"d:{step}"
                    for step in path.split("/"))


def texts(node: bytes | etree._Element, path: str) -> list[str]:
    """Texts (or attribute values) at ``path``, written without prefixes: ``GrpHdr/MsgId``."""
    element = root_of(node) if isinstance(node, bytes) else node
    ns = {"d": element.nsmap[None]}
    found = element.xpath(_prefixed(path), namespaces=ns)
    return [f if isinstance(f, str) else (f.text or "") for f in found]


def text(node: bytes | etree._Element, path: str) -> str | None:
    found = texts(node, path)
    assert len(found) <= 1, f"{path} occurs {len(found)} times"
    return found[0] if found else None


def nodes(node: bytes | etree._Element, path: str) -> list[etree._Element]:
    element = root_of(node) if isinstance(node, bytes) else node
    return element.xpath(_prefixed(path), namespaces={"d": element.nsmap[None]})


def assert_valid(body: bytes, message: str) -> None:
    """The official XSD (lxml, independently of the gateway) and the gateway's validator both accept it."""
    root = root_of(body)
    assert root.nsmap[None] == f"urn:iso:std:iso:20022:tech:xsd:{message}"
    path = XSD / f"{message}.xsd"
    assert path.is_file(), f"{path} is missing: run `gateway schemas sync`"
    schema = etree.XMLSchema(etree.parse(str(path)))
    assert schema.validate(root), schema.error_log
    report = validate(body)
    assert report.valid, [f.message for f in report.errors]
