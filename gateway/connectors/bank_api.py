"""The ``bank-api`` connector: for banks that connect to the gateway rather than the other way.

The bank is an OAuth client with the ``bank`` scope; it fetches the files addressed to
it (``GET /bank/files``), acknowledges each one (``POST /bank/files/{id}/ack``) and
posts its pain.002, camt.054, camt.053 and pacs.004 (``POST /bank/messages``); one of those
about a file it has not acknowledged counts as its acknowledgement.  So this
connector pushes nothing and collects nothing: it declares ``pull`` delivery, and the
worker leaves its files in the outbox for the bank to take.

Settings (``[connector]`` in the bank's file): ``client_id`` — the OAuth client that
speaks for this bank (required); ``submits`` — pain.001 versions it takes (default:
the bank file's ``messages.pain001``, passed through by the service).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.connectors.base import (
    Capabilities,
    Connector,
    ConnectorConfigError,
    InboundMessage,
    NotSupported,
    OutgoingFile,
    Submission,
)

PAIN001 = frozenset({"pain.001.001.03", "pain.001.001.09"})


@dataclass
class BankApiConnector(Connector):
    type = "bank-api"

    def __post_init__(self) -> None:
        client_id = self.settings.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ConnectorConfigError(f"bank {self.bank_id}: a bank-api connector needs client_id, the OAuth "
                                       "client that fetches the bank's files")
        self.client_id = client_id

    @property
    def capabilities(self) -> Capabilities:
        submits = frozenset(self.settings.get("submits", PAIN001))
        return Capabilities(submits=submits, collects=frozenset({"pain.002", "camt.053", "camt.054", "camt.052",
                                                                 "pacs.004"}), delivery="pull")

    def submit(self, outgoing: OutgoingFile) -> Submission:
        raise NotSupported(f"bank {self.bank_id} fetches its files through the gateway's API; nothing is pushed")

    def collect(self) -> Iterable[InboundMessage]:
        return ()
