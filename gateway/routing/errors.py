"""Errors of routing, each with a stable ``code`` the edges translate once.

Two kinds, on purpose: a broken bank file is the operator's problem
(``RoutingConfigError``, a ``GatewayError`` that should stop the start), while a
payment no bank can serve or take is the caller's (``NoRoute`` and
``CapabilityMismatch``, ``InvalidInput`` with findings that name the field)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gateway.domain.errors import GatewayError, InvalidInput
from gateway.domain.findings import Finding


class RoutingConfigError(GatewayError):
    """A file in ``config/banks/`` cannot be used; ``file`` and ``key`` say where.

    ``key`` is dotted as in the file (``messages.pain001[1]``, ``iban[0].bank_code``);
    None when the whole file is wrong (not TOML, a bad file name, a conflict)."""

    code = "bank_config_invalid"

    def __init__(self, problem: str, *, file: Path | str | None = None, key: str | None = None) -> None:
        where = ": ".join(str(part) for part in (file, key) if part is not None)
        super().__init__(f"{where}: {problem}" if where else problem)
        self.file = Path(file) if file is not None else None
        self.key = key
        self.problem = problem


class UnknownBank(GatewayError):
    """A bank id that no loaded (enabled) bank file has."""

    code = "unknown_bank"


class NoRoute(InvalidInput):
    """No configured bank holds the debtor's account, so the payment cannot be sent anywhere."""

    code = "no_bank_for_account"


class MixedRoutes(InvalidInput):
    """The payment information blocks of one batch debit accounts at different banks; one file
    goes to one bank, so the batch must be split (or sent block by block)."""

    code = "batch_spans_banks"


class CapabilityMismatch(InvalidInput):
    """The bank that holds the debtor's account cannot take this payment as it stands.

    Raised by a service with the findings of ``Router.check``/``Router.check_batch``
    before anything is built or sent, so the wallet learns why at once instead of
    from a pain.002 rejection later."""

    code = "bank_cannot_take_payment"

    def __init__(self, bank_id: str, findings: Iterable[Finding], message: str | None = None) -> None:
        findings = list(findings)
        errors = sum(f.is_error for f in findings)
        super().__init__(message or f"bank {bank_id!r} cannot take this payment: {errors} problem(s)", findings)
        self.bank_id = bank_id
