"""Message identifiers: ``pain.001.001.09`` and the namespace that names it."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
_ID = re.compile(r"^(?P<area>[a-z]{4})\.(?P<number>\d{3})\.(?P<variant>\d{3})\.(?P<version>\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class MessageType:
    """``pain.001.001.09`` → area ``pain``, number ``001``, variant ``001``, version ``09``."""

    area: str
    number: str
    variant: str
    version: str

    @classmethod
    def parse(cls, text: str) -> "MessageType":
        match = _ID.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an ISO 20022 message identifier like pain.001.001.09")
        return cls(**match.groupdict())

    @classmethod
    def from_namespace(cls, namespace: str | None) -> "MessageType | None":
        if not namespace or not namespace.startswith(NAMESPACE_PREFIX):
            return None
        try:
            return cls.parse(namespace[len(NAMESPACE_PREFIX):])
        except ValueError:
            return None

    @property
    def family(self) -> str:
        """``pain.001``: the business message, whatever its version."""
        return f"{self.area}.{self.number}"

    @property
    def namespace(self) -> str:
        return NAMESPACE_PREFIX + str(self)

    def __str__(self) -> str:
        return f"{self.area}.{self.number}.{self.variant}.{self.version}"


# The one child of <Document> names the message; this is how a file without
# (or with a wrong) namespace is still recognised.
ROOT_ELEMENTS = {
    "CstmrCdtTrfInitn": "pain.001",
    "CstmrPmtStsRpt": "pain.002",
    "BkToCstmrAcctRpt": "camt.052",
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "PmtRtr": "pacs.004",
}
