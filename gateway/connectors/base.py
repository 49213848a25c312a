"""The one interface every bank connector implements.

A connector moves bytes between the gateway and one bank; it knows the bank's
door (an HTTP endpoint, a pair of folders, the gateway's own API, an in-process
sandbox), never the gateway's database.  The services decide what to send and
what a received message means; a connector only delivers and collects.

    connector.capabilities            what it can carry (declared, checked before sending)
    connector.submit(outgoing)        deliver one pain.001; raise BankUnavailable to be retried
    connector.collect()               status reports, notifications, statements, returns waiting
    connector.acknowledge(ids)        the gateway stored them; the bank may forget them

Delivery is at-least-once on both sides, so both sides must be idempotent:
``submit`` of a file the bank already has (same MsgId) answers
``Submission(duplicate=True)``, which the gateway treats as delivered; a
message collected twice has the same ``InboundMessage.id`` and is stored once.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from gateway.domain.errors import GatewayError


class ConnectorError(GatewayError):
    """Base of every error a connector raises on purpose."""

    code = "connector_error"


class BankUnavailable(ConnectorError):
    """The bank could not be reached or answered 5xx/timeout: retry later, the file may or may not
    have arrived (a re-send with the same MsgId is safe)."""

    code = "bank_unavailable"


class DeliveryRefused(ConnectorError):
    """The bank refused the file for good (not a duplicate): do not retry; its status report, if any,
    says why."""

    code = "delivery_refused"


class NotSupported(ConnectorError):
    """The connector cannot do this (a message version, a currency, collecting statements)."""

    code = "not_supported"


class ConnectorConfigError(ConnectorError):
    """A bank's connector settings are missing or wrong (config/banks/*.toml)."""

    code = "connector_config_invalid"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a connector can carry.  Empty ``currencies`` means any."""

    submits: frozenset[str] = frozenset()
    """Message types it delivers, full ids: {"pain.001.001.09", "pain.001.001.03"}."""
    collects: frozenset[str] = frozenset()
    """Families it brings back: {"pain.002", "camt.054", "camt.053", "camt.052", "pacs.004"}."""
    currencies: frozenset[str] = frozenset()
    delivery: str = "push"
    """``push``: the gateway delivers (the worker calls ``submit``); ``pull``: the bank fetches
    its files through the gateway's API (bank-api), so the worker leaves them in the outbox."""

    def require_submit(self, message: str) -> None:
        if message not in self.submits:
            raise NotSupported(f"this connector does not deliver {message} (it delivers "
                               f"{', '.join(sorted(self.submits)) or 'nothing'})")


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """One pain.001 to deliver, exactly the bytes that were stored in the outbox."""

    message_id: str
    """The file's MsgId: the bank's duplicate check, so a re-send is recognised."""
    message: str
    """Full message id, e.g. pain.001.001.09."""
    xml: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.xml).hexdigest()


@dataclass(frozen=True, slots=True)
class Submission:
    """What the bank said when it took the file."""

    accepted: bool = True
    """The bank took it for processing (its pain.002 tells the outcome per payment)."""
    duplicate: bool = False
    """The bank already had this MsgId: the file was delivered before (e.g. the gateway crashed
    between sending and recording); treat as delivered."""
    reference: str | None = None
    """The bank's own id for the delivery, if it gives one."""
    detail: str = ""
    immediate: tuple["InboundMessage", ...] = ()
    """Messages the bank answered with synchronously (some return the pain.002 in the response)."""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message the bank sent: a pain.002, camt.054, camt.053, camt.052 or pacs.004."""

    id: str
    """Stable per bank: collecting the same message twice gives the same id."""
    body: bytes
    received_at: datetime | None = None
    hint: str | None = None
    """What the bank says it is (``pain.002``...), if it says; the gateway identifies it anyway."""


@dataclass
class Connector(ABC):
    """Base class; subclasses are registered by type name in :mod:`gateway.connectors.registry`."""

    bank_id: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    type: ClassVar[str] = ""  # in subclasses: "sandbox", "iso20022-http", "file-drop", "bank-api"

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """Declared, so routing can refuse a payment before anything is sent."""

    @abstractmethod
    def submit(self, outgoing: OutgoingFile) -> Submission:
        """Deliver one file.  Raise BankUnavailable (retry), DeliveryRefused (final), NotSupported."""

    @abstractmethod
    def collect(self) -> Iterable[InboundMessage]:
        """Messages waiting at the bank, without taking them (acknowledge does that)."""

    def acknowledge(self, message_ids: Iterable[str]) -> None:
        """The gateway has stored these; the bank may drop them.  Default: nothing to do."""

    def close(self) -> None:
        """Release sockets, files, servers."""
