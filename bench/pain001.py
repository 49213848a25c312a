"""Workload A: build, XSD-validate and serialise one pain.001 credit-transfer batch.

The same generated payment run (``bench.data.payment_run``) is fed to sepaxml, to
a hand-written lxml builder and to the gateway.  Each implementation gets one
untimed warm-up on a small batch (lazy imports, schema caches), then the best of
R timed runs on the full batch.  The last output of each is checked once,
outside the timers: XSD-valid, and the same NbOfTxs / CdtTrfTxInf count /
CtrlSum as the input.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from importlib.metadata import version

from lxml import etree

from bench import data
from bench.measure import Measurement, Unavailable, best_of, guarded
from bench.report import Row, Section, Target

WARM_UP_PAYMENTS = 10


# ------------------------------------------------------------------- raw lxml

def raw_lxml_build(run: data.PaymentRun, schema: etree.XMLSchema, message_id: str = "pain.001.001.03") -> bytes:
    """The baseline: an lxml SubElement tree, assertValid, tostring."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:{message_id}"
    v03 = message_id == "pain.001.001.03"
    q = "{%s}%%s" % ns
    sub = etree.SubElement

    def text(parent, tag, value):
        el = sub(parent, q % tag)
        el.text = value
        return el

    def path(parent, tags, value):
        for tag in tags[:-1]:
            parent = sub(parent, q % tag)
        return text(parent, tags[-1], value)

    n, total = str(len(run.payments)), str(run.control_sum)
    bic = "BIC" if v03 else "BICFI"
    root = etree.Element(q % "Document", nsmap={None: ns})
    initn = sub(root, q % "CstmrCdtTrfInitn")
    hdr = sub(initn, q % "GrpHdr")
    text(hdr, "MsgId", run.message_id)
    text(hdr, "CreDtTm", run.creation_text)
    text(hdr, "NbOfTxs", n)
    text(hdr, "CtrlSum", total)
    path(hdr, ("InitgPty", "Nm"), run.debtor.name)

    pmt = sub(initn, q % "PmtInf")
    text(pmt, "PmtInfId", run.payment_information_id)
    text(pmt, "PmtMtd", "TRF")
    text(pmt, "BtchBookg", "true")
    text(pmt, "NbOfTxs", n)
    text(pmt, "CtrlSum", total)
    path(pmt, ("PmtTpInf", "SvcLvl", "Cd"), "SEPA")
    path(pmt, ("ReqdExctnDt",) if v03 else ("ReqdExctnDt", "Dt"), run.execution_date.isoformat())
    path(pmt, ("Dbtr", "Nm"), run.debtor.name)
    path(pmt, ("DbtrAcct", "Id", "IBAN"), run.debtor.iban)
    path(pmt, ("DbtrAgt", "FinInstnId", bic), run.debtor.bic)
    text(pmt, "ChrgBr", "SLEV")

    for p in run.payments:
        tx = sub(pmt, q % "CdtTrfTxInf")
        path(tx, ("PmtId", "EndToEndId"), p.end_to_end_id)
        amt = path(tx, ("Amt", "InstdAmt"), str(p.amount))
        amt.set("Ccy", run.currency)
        path(tx, ("CdtrAgt", "FinInstnId", bic), p.creditor.bic)
        path(tx, ("Cdtr", "Nm"), p.creditor.name)
        path(tx, ("CdtrAcct", "Id", "IBAN"), p.creditor.iban)
        path(tx, ("RmtInf", "Ustrd"), p.remittance)

    schema.assertValid(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -------------------------------------------------------------------- sepaxml

def sepaxml_inputs(run: data.PaymentRun) -> tuple[dict, list[dict]]:
    """sepaxml's config and payment dicts (amounts in cents).  add_payment mutates
    its dicts, so every run needs fresh copies."""
    config = {"name": run.debtor.name, "IBAN": run.debtor.iban, "BIC": run.debtor.bic,
              "batch": True, "currency": run.currency}
    payments = [{"name": p.creditor.name, "IBAN": p.creditor.iban, "BIC": p.creditor.bic,
                 "amount": p.cents, "execution_date": run.execution_date,
                 "description": p.remittance, "endtoend_id": p.end_to_end_id}
                for p in run.payments]
    return config, payments


def sepaxml_build(config: dict, payments: list[dict]) -> bytes:
    from sepaxml import SepaTransfer

    transfer = SepaTransfer(config, schema="pain.001.001.03")
    for payment in payments:
        transfer.add_payment(payment)
    return transfer.export(validate=True)


# -------------------------------------------------------------------- gateway

def payment_batch(run: data.PaymentRun):
    """The run as the gateway's canonical ``PaymentBatch``, with its declared
    NbOfTxs/CtrlSum filled in (``with_control_figures``, about 1 ms, untimed)."""
    from gateway.domain import (Account, Agent, CreditTransfer, Money, Party, PaymentBatch,
                                PaymentInformation, Remittance)

    parties = {}
    for p in run.payments:
        c = p.creditor
        if c.iban not in parties:
            parties[c.iban] = (Agent(bic=c.bic), Party(name=c.name), Account(iban=c.iban))
    transactions = []
    for p in run.payments:
        agent, party, account = parties[p.creditor.iban]
        transactions.append(CreditTransfer(
            end_to_end_id=p.end_to_end_id, amount=Money.of(p.amount, run.currency),
            creditor_agent=agent, creditor=party, creditor_account=account,
            remittance=Remittance(unstructured=(p.remittance,))))
    debtor = Party(name=run.debtor.name)
    info = PaymentInformation(
        payment_information_id=run.payment_information_id,
        requested_execution_date=run.execution_date,
        debtor=debtor, debtor_account=Account(iban=run.debtor.iban),
        debtor_agent=Agent(bic=run.debtor.bic), transactions=tuple(transactions),
        payment_method="TRF", batch_booking=True, service_level="SEPA", charge_bearer="SLEV")
    return PaymentBatch(message_id=run.message_id, creation_date_time=run.creation_date_time,
                        initiating_party=debtor, payment_informations=(info,)).with_control_figures()


def gateway_builder():
    try:
        from gateway.iso20022 import build
    except ImportError as exc:
        raise Unavailable(f"n/a (not built yet: {exc})") from exc
    return build


# --------------------------------------------------------------------- checks

def check_output(xml: bytes, message_id: str, run: data.PaymentRun) -> dict:
    """XSD-validate one output and return its control figures; raise if they are wrong."""
    schema = _schema(message_id)
    doc = etree.fromstring(xml)
    schema.assertValid(doc)
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{message_id}"}
    figures = {
        "transactions": int(doc.xpath("count(//p:CdtTrfTxInf)", namespaces=ns)),
        "nb_of_txs": int(doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns)),
        "ctrl_sum": str(Decimal(doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns))),
        "bytes": len(xml),
    }
    expected = (len(run.payments), len(run.payments), str(run.control_sum))
    got = (figures["transactions"], figures["nb_of_txs"], figures["ctrl_sum"])
    if got != expected:
        raise AssertionError(f"CdtTrfTxInf/NbOfTxs/CtrlSum {got} != {expected}")
    return figures


_SCHEMAS: dict[str, etree.XMLSchema] = {}


def _schema(message_id: str) -> etree.XMLSchema:
    if message_id not in _SCHEMAS:
        _SCHEMAS[message_id] = etree.XMLSchema(etree.parse(str(data.xsd_path(message_id))))
    return _SCHEMAS[message_id]


def _checked(m: Measurement, message_id: str, run: data.PaymentRun, *, strict: bool) -> Measurement:
    """Replace the output bytes by their checked figures.  A wrong baseline or peer
    output is a harness bug (raise); a wrong gateway output becomes a flagged row."""
    if not m.ok:
        return m
    try:
        m.result = check_output(m.result, message_id, run)
    except (AssertionError, etree.DocumentInvalid, etree.XMLSyntaxError) as exc:
        if strict:
            raise
        m.status, m.note, m.result = "error", f"WRONG RESULT: {type(exc).__name__}: {exc}"[:300], None
    return m


# ------------------------------------------------------------------- workload

def run(payments: int, *, repeat: int | None, log) -> list[Section]:
    repeat = repeat or 3
    log(f"pain.001: generating {payments:,} payments...")
    full = data.payment_run(payments)
    small = replace(full, payments=full.payments[:WARM_UP_PAYMENTS])
    small = replace(small, message_id=small.message_id + "-W")

    rows = []

    # raw lxml: the compiled schema is made once, outside the timer.
    schema03 = _schema("pain.001.001.03")
    raw_lxml_build(small, schema03)
    log(f"pain.001: raw lxml (x{repeat})...")
    m = best_of(lambda: raw_lxml_build(full, schema03), repeat)
    rows.append(Row("raw", "raw lxml SubElement + assertValid + tostring",
                    _checked(m, "pain.001.001.03", full, strict=True), payments, "tx"))

    # sepaxml: fresh dicts per run (add_payment mutates them), copied outside the timer.
    inputs = {}

    def fresh_sepaxml_inputs(source=full):
        inputs["config"], inputs["payments"] = copy.deepcopy(sepaxml_inputs(source))

    fresh_sepaxml_inputs(small)
    sepaxml_build(inputs["config"], inputs["payments"])
    log(f"pain.001: sepaxml (x{repeat})...")
    m = best_of(lambda: sepaxml_build(inputs["config"], inputs["payments"]), repeat,
                before=fresh_sepaxml_inputs)
    rows.append(Row("sepaxml", f"sepaxml {version('sepaxml')} add_payment + export(validate=True)",
                    _checked(m, "pain.001.001.03", full, strict=True), payments, "tx"))

    # gateway: the canonical batch is built outside the timer; warm-up fills its schema cache.
    for message_id in ("pain.001.001.03", "pain.001.001.09"):
        log(f"pain.001: gateway {message_id} (x{repeat})...")

        def measure(message_id=message_id) -> Measurement:
            build = gateway_builder()
            batch, warm = payment_batch(full), payment_batch(small)
            build(warm, message_id, validate=True)
            return best_of(lambda: build(batch, message_id, validate=True), repeat)

        m = _checked(guarded(measure), message_id, full, strict=False)
        rows.append(Row(f"gateway_{message_id[-2:]}", f"gateway build(batch, {message_id!r}, validate=True)",
                        m, payments, "tx"))

    by = {r.key: r for r in rows}
    gw = by["gateway_03"]
    targets = [
        Target("gateway .03 vs raw lxml", ">= 1.0x", gw.ratio_to(by["raw"]), minimum=1.0),
        Target("gateway .03 vs sepaxml", "(info)", gw.ratio_to(by["sepaxml"])),
    ]
    total = f"CtrlSum {full.control_sum:,} {full.currency}"
    return [Section(
        title=f"A. pain.001 build + XSD validation + serialisation - {payments:,} payments, "
              f"1 debtor, {len({p.creditor.iban for p in full.payments})} creditors, {total}",
        subtitle=f"best of {repeat} in-process runs after a {WARM_UP_PAYMENTS}-payment warm-up; "
                 f"rate = credit transfers/s",
        rows=rows, ratio_columns=[("vs raw lxml", "raw"), ("vs sepaxml", "sepaxml")],
        targets=targets,
        notes=["outputs checked outside the timers: XSD-valid, CdtTrfTxInf count = NbOfTxs = "
               f"{payments:,}, CtrlSum = {full.control_sum}.",
               "gateway .09 is compared with the raw lxml .03 builder (same content, newer schema)."])]
