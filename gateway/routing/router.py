"""Which bank serves a payment: the one that holds the debtor's account.

A payment leaves from the debtor's account, so the bank to send it to is the
account's bank.  An IBAN names it: the IBAN registry places a national bank code
in every IBAN (NL91 **ABNA** 0417164300, DE89 **37040044** 0532013000, GB29
**NWBK** 60161331926819), and each bank file lists the (country, bank code) pairs
it holds accounts under.  An account without an IBAN is routed by its bank's BIC
(the account's servicer, else the payment's debtor agent).  Nothing else is
guessed: an account no bank file claims gets ``NoRoute``.

Reason code RC03 ("Debtor bank identifier is invalid or missing") is used when no
bank serves the account: the IBAN's bank code (or the BIC) is the debtor bank's
identifier, and the gateway knows no bank by it.  An IBAN that is itself wrong
gets the identifier rules' AC01 and rule id (``iban.checksum``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from gateway.domain.findings import Finding
from gateway.domain.parties import Account, Agent
from gateway.domain.payments import PaymentBatch, PaymentInformation
from gateway.domain.rules.identifiers import check_bic, check_iban
from gateway.routing.banks import BankProfile, bic11, check_conflicts, iban_bank_code, load_banks
from gateway.routing.capabilities import check_payment_batch, check_payment_information
from gateway.routing.errors import CapabilityMismatch, MixedRoutes, NoRoute, UnknownBank

Location = tuple[str | int, ...]

NO_ROUTE_REASON = "RC03"


class Router:
    """Routes by the debtor account and checks a payment against the bank's file."""

    def __init__(self, banks: Iterable[BankProfile]) -> None:
        self._banks = tuple(banks)
        check_conflicts(self._banks)
        self._by_id = {bank.id: bank for bank in self._banks}
        self._by_code = {code: bank for bank in self._banks for code in bank.iban_codes}
        self._by_bic = {bic11(bic): bank for bank in self._banks for bic in bank.bics}

    @classmethod
    def from_directory(cls, directory: Path | str) -> Router:
        """A router over the enabled banks of ``directory`` (``config/banks``)."""
        return cls(load_banks(directory))

    @property
    def banks(self) -> tuple[BankProfile, ...]:
        return self._banks

    def bank(self, bank_id: str) -> BankProfile:
        try:
            return self._by_id[bank_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise UnknownBank(f"no enabled bank {bank_id!r} (enabled: {known})") from None

    def _resolve(self, bank: BankProfile | str) -> BankProfile:
        return self.bank(bank) if isinstance(bank, str) else bank

    # --- routing -------------------------------------------------------------------------

    def route(self, debtor_account: Account, *, agent: Agent | None = None,
              at: Location = ("debtor_account",)) -> BankProfile:
        """The bank holding ``debtor_account``; ``agent`` (the payment's DbtrAgt) is the fallback
        for an account without IBAN or servicer; ``at`` is the account's location for findings
        (the agent's is its sibling ``debtor_agent``).  Raises ``NoRoute`` with one finding."""
        iban = debtor_account.iban
        if iban:
            invalid = check_iban(iban, at + ("iban",))
            if invalid:
                raise NoRoute(f"the debtor account's IBAN is not valid: {invalid[0].message}", invalid)
            country, code = iban_bank_code(iban)
            bank = self._by_code.get((country, code))
            if bank is not None:
                return bank
            raise NoRoute(f"no bank serves {country} bank code {code}", [Finding(
                rule="routing.no_bank", reason=NO_ROUTE_REASON, location=at + ("iban",), value=iban,
                message=f"no configured bank holds accounts with bank code {code} in {country}")])
        servicer = debtor_account.servicer
        bic, where = ((servicer.bic, at + ("servicer", "bic")) if servicer is not None and servicer.bic
                      else (agent.bic if agent is not None else None, at[:-1] + ("debtor_agent", "bic")))
        if not bic:
            raise NoRoute("the debtor account has neither an IBAN nor a bank BIC to route by", [Finding(
                rule="routing.no_identifier", reason=NO_ROUTE_REASON, location=at + ("iban",),
                message="the debtor account needs an IBAN (or its bank's BIC) so the gateway knows its bank")])
        invalid = check_bic(bic, where)
        if invalid:
            raise NoRoute(f"the debtor bank's BIC is not valid: {invalid[0].message}", invalid)
        bank = self._by_bic.get(bic11(bic))
        if bank is not None:
            return bank
        raise NoRoute(f"no bank has BIC {bic}", [Finding(
            rule="routing.no_bank", reason=NO_ROUTE_REASON, location=where, value=bic,
            message=f"no configured bank has BIC {bic}")])

    def route_information(self, info: PaymentInformation, *, index: int = 0) -> BankProfile:
        """The bank for one payment information block (block ``index`` of its batch)."""
        return self.route(info.debtor_account, agent=info.debtor_agent,
                          at=("payment_informations", index, "debtor_account"))

    def route_batch(self, batch: PaymentBatch) -> BankProfile:
        """The one bank every block of ``batch`` goes to.  ``NoRoute`` lists every block no bank
        serves; ``MixedRoutes`` every block whose bank differs from the first block's."""
        routed: list[tuple[int, BankProfile]] = []
        lost: list[Finding] = []
        for index, info in enumerate(batch.payment_informations):
            try:
                routed.append((index, self.route_information(info, index=index)))
            except NoRoute as exc:
                lost += exc.findings
        if lost or not routed:
            raise NoRoute(f"{len(lost)} payment information block(s) have no bank", lost)
        first = routed[0][1]
        others = [Finding(
            rule="routing.mixed_banks", location=("payment_informations", index, "debtor_account"),
            message=f"this block debits an account at {bank.name} ({bank.id!r}), block {routed[0][0]} one at "
                    f"{first.name} ({first.id!r}); one file goes to one bank: split the batch")
            for index, bank in routed if bank.id != first.id]
        if others:
            raise MixedRoutes("the batch debits accounts at more than one bank", others)
        return first

    # --- capabilities --------------------------------------------------------------------

    def check(self, bank: BankProfile | str, info: PaymentInformation, *, index: int = 0,
              today: date | None = None) -> list[Finding]:
        """What stops ``bank`` taking block ``index``: its rule profile's findings and its capabilities
        (see ``gateway.routing.capabilities``); dates are checked only with ``today``."""
        return check_payment_information(self._resolve(bank), info, index=index, today=today)

    def check_batch(self, bank: BankProfile | str, batch: PaymentBatch, *,
                    today: date | None = None) -> list[Finding]:
        """``check`` for a whole batch, group-level rules (control figures, duplicates) included."""
        return check_payment_batch(self._resolve(bank), batch, today=today)

    def require(self, bank: BankProfile | str, batch: PaymentBatch, *, today: date | None = None) -> list[Finding]:
        """``check_batch``, raising ``CapabilityMismatch`` when any finding is an error;
        otherwise the warnings, if any."""
        bank = self._resolve(bank)
        findings = self.check_batch(bank, batch, today=today)
        if any(f.is_error for f in findings):
            raise CapabilityMismatch(bank.id, findings)
        return findings
