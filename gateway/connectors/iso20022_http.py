"""The ``iso20022-http`` connector: pain.001 over an HTTP POST, replies from a mailbox.

The door most bank APIs (and mock-bank) offer: the gateway POSTs the pain.001
as ``application/xml`` and reads the bank's pain.002, camt.054, camt.053,
camt.052 and pacs.004 from a mailbox endpoint.

Settings (the bank file's ``[connector]`` table; unknown keys are refused)::

    type          = "iso20022-http"
    base_url      = "https://bank.example/h2h"    # required; no credentials in it
    submit_path   = "/payments"                   # POST target
    mailbox_path  = "/_mock/mailbox"              # mock-bank's; a real bank's is configured here
    timeout       = 30                            # seconds, for connecting and for each read
    user          = "acme"        # or user_env = "VAR"     HTTP basic, optional
    password_env  = "BANK_PW"     # or password = "..."     (prefer the environment)
    verify_tls    = true
    ca_file       = "/etc/gateway/bank-ca.pem"    # trust this bundle instead of the system's
    proxy         = "http://proxy:3128"           # the only proxy used (environment proxies are not)
    submits       = ["pain.001.001.09", "pain.001.001.03"]            # the default
    collects      = ["pain.002", "camt.054", "camt.053", "camt.052", "pacs.004"]   # the default
    currencies    = []                            # empty: any
    state_dir     = "var/connectors"              # where acknowledged mailbox ids are remembered

What the bank's answer to a POST means (decided here, once):

* **2xx** -- the bank took the file: ``Submission(accepted=True)``; an XML body
  (a synchronous pain.002) comes back as ``Submission.immediate``.
* **DUPL** -- the bank says it has this MsgId (mock-bank: HTTP 422 with JSON
  ``"reason": "DUPL"``; a bank that answers with a pain.002 carries
  ``GrpSts RJCT`` / ``StsRsnInf/Rsn/Cd DUPL``): ``Submission(duplicate=True)``,
  because the gateway crashing between sending and recording must not turn
  into a refused payment.
* **400, 409, 413, 415, 422** -- the bank refused this file for good:
  :class:`DeliveryRefused` with the bank's own reason.
* **Unreachable, timeout, TLS failure, 408, 425, 429, 5xx** -- :class:`BankUnavailable`;
  a re-send is safe because the MsgId makes it idempotent.
* **401/403** (credentials refused) and **404/405** (wrong path) are settings
  problems, not the file's: :class:`BankUnavailable` with codes
  ``bank_credentials_refused`` / ``bank_endpoint_not_found``, so the file stays
  in the outbox until an operator fixes the bank file, instead of a payment
  being failed for an operations mistake.

The mailbox.  ``GET <mailbox_path>?leave`` must answer a JSON list of objects
with ``id``, ``type`` (``pain.002.001.10``...), ``body`` (the XML) and
optionally ``releasedAt`` -- mock-bank's shape.  ``?leave`` peeks: mock-bank's
plain GET *takes* every waiting message and it has no way to delete one, so a
take would lose whatever arrived between our collect and our acknowledge, and
a crash after the take would lose everything.  Instead ``acknowledge`` records
the ids (with a digest of each body, so an id a bank re-uses after a reset is
not silently swallowed) in ``<state_dir>/<bank>.acknowledged.json``, written
atomically under a file lock, and ``collect`` leaves recorded ones out.  Delivery
to the gateway is therefore at-least-once and never lossy: a crash before the
record is written gives the same messages, with the same ids, again.  Entries
for messages the bank no longer lists are pruned.  Without ``state_dir`` the
record lives in memory and a restart collects everything waiting once more
(the gateway stores each id once, so that is safe, just wasteful).

Secrets: the password comes from the settings or, better, from the environment
variable ``password_env`` names; it is never logged nor put in an error, and a
``base_url`` with credentials in it is refused.  A connector holds one
``requests.Session`` -- use one connector per thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from gateway.connectors.base import (
    BankUnavailable,
    Capabilities,
    Connector,
    ConnectorConfigError,
    DeliveryRefused,
    InboundMessage,
    OutgoingFile,
    Submission,
)
from gateway.connectors.settings import SettingsReader
from gateway.domain.errors import InvalidInput
from gateway.files import write_atomic
from gateway.iso20022 import xmlsafe
from gateway.iso20022.identify import sniff_message

log = logging.getLogger(__name__)

KEYS = frozenset({"type", "base_url", "submit_path", "mailbox_path", "timeout", "user", "user_env", "password",
                  "password_env", "verify_tls", "ca_file", "proxy", "submits", "collects", "currencies", "state_dir"})

REFUSED_FOR_GOOD = frozenset({400, 409, 413, 415, 422})
RETRY_LATER = frozenset({408, 425, 429})
DETAIL_LIMIT = 500
"""Characters of a bank's answer kept in an error: enough to say why, never a whole document."""


# --------------------------------------------------------------------------- settings





def _secret(bank_id: str, settings: Mapping[str, Any], key: str) -> str | None:
    """A value from the settings or from the environment variable ``<key>_env`` names (not both)."""
    read = _reader(bank_id, settings)
    direct, env_name = settings.get(key), settings.get(f"{key}_env")
    if direct is not None and env_name is not None:
        raise read.bad(f"give {key} or {key}_env, not both")
    if env_name is not None:
        if not isinstance(env_name, str) or not env_name:
            raise read.bad(f"{key}_env must name an environment variable")
        if env_name not in os.environ:
            raise read.bad(f"{key}_env names {env_name}, which is not set")
        return os.environ[env_name]
    if direct is not None and not isinstance(direct, str):
        raise read.bad(f"{key} must be a string")
    return direct



def _reader(bank_id: str, settings: Mapping[str, Any]) -> SettingsReader:
    return SettingsReader(bank_id, "iso20022-http", settings)

@dataclass(frozen=True, slots=True)
class HttpSettings:
    """The ``[connector]`` table of a bank file, checked once when the connector is made."""

    base_url: str
    submit_path: str = "/payments"
    mailbox_path: str = "/_mock/mailbox"
    timeout: float = 30.0
    auth: tuple[str, str] | None = field(default=None, repr=False)
    verify: bool | str = True
    """``requests``' verify: True, False, or a CA bundle path."""
    state_dir: Path | None = None
    proxy: str | None = field(default=None, repr=False)
    """Only this proxy is used: the environment's HTTP(S)_PROXY, .netrc and CA variables are not
    read, so what reaches the bank is exactly what the bank file says."""

    @classmethod
    def parse(cls, bank_id: str, settings: Mapping[str, Any]) -> HttpSettings:
        read = _reader(bank_id, settings)
        read.refuse_unknown(KEYS)
        base_url = settings.get("base_url")
        if not isinstance(base_url, str) or not base_url:
            raise read.bad("base_url is required (e.g. https://bank.example/api)")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise read.bad(f"base_url {base_url!r} is not an http(s) URL")
        if parts.username or parts.password:
            raise read.bad("base_url must not carry credentials; use user and password_env")
        paths = {}
        for key, default in (("submit_path", "/payments"), ("mailbox_path", "/_mock/mailbox")):
            value = settings.get(key, default)
            if not isinstance(value, str) or not value.startswith("/"):
                raise read.bad(f"{key} must be a path starting with '/'")
            paths[key] = value
        timeout = settings.get("timeout", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
            raise read.bad("timeout must be a number of seconds between 0 and 600")
        user, password = _secret(bank_id, settings, "user"), _secret(bank_id, settings, "password")
        if (user is None) != (password is None):
            raise read.bad("basic auth needs both a user and a password")
        verify: bool | str = settings.get("verify_tls", True)
        if not isinstance(verify, bool):
            raise read.bad("verify_tls must be true or false")
        if (ca_file := settings.get("ca_file")) is not None:
            if not isinstance(ca_file, str) or not Path(ca_file).is_file():
                raise read.bad(f"ca_file {ca_file!r} is not a readable file")
            if not verify:
                raise read.bad("ca_file given but verify_tls is false")
            verify = ca_file
        state_dir = settings.get("state_dir")
        if state_dir is not None and not isinstance(state_dir, (str, os.PathLike)):
            raise read.bad("state_dir must be a folder path")
        proxy = settings.get("proxy")
        if proxy is not None and (not isinstance(proxy, str) or urlsplit(proxy).scheme not in ("http", "https")):
            raise read.bad("proxy must be an http(s) URL")
        return cls(base_url=base_url.rstrip("/"), proxy=proxy, submit_path=paths["submit_path"],
                   mailbox_path=paths["mailbox_path"], timeout=float(timeout),
                   auth=(user, password) if user is not None and password is not None else None,
                   verify=verify, state_dir=Path(state_dir) if state_dir is not None else None)


# --------------------------------------------------------------------------- acknowledged ids


class AcknowledgedRecord:
    """Which mailbox messages the gateway has stored: ``{id: {"sha256": digest|None, "at": epoch}}``.

    On disk it is one JSON file replaced atomically (temp file, fsync, rename)
    under an exclusive ``flock`` on a side lock file, so several worker processes
    sharing a state folder never lose each other's acknowledgements."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, dict[str, Any]] = {}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return dict(self._memory)
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # Refuse rather than start from empty: an unreadable record would re-deliver
            # (harmless) but a silently rewritten one hides a disk problem.
            raise ConnectorConfigError(f"acknowledged-messages record {self.path} is unreadable: {exc}",
                                       code="connector_state_unreadable") from None
        entries = data.get("acknowledged") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise ConnectorConfigError(f"acknowledged-messages record {self.path} has no 'acknowledged' object",
                                       code="connector_state_unreadable")
        return entries

    def _write(self, entries: dict[str, dict[str, Any]]) -> None:
        if self.path is None:
            self._memory = dict(entries)
            return
        payload = json.dumps({"version": 1, "acknowledged": entries}, indent=1, sort_keys=True).encode("utf-8")
        write_atomic(self.path, payload, durable_name=True)

    def load(self) -> dict[str, dict[str, Any]]:
        with self._locked():
            return self._read()

    def add(self, digests: Mapping[str, str | None]) -> None:
        if not digests:
            return
        with self._locked():
            entries = self._read()
            now = time.time()
            for message_id, digest in digests.items():
                entries[message_id] = {"sha256": digest, "at": now}
            self._write(entries)

    def prune(self, waiting: set[str], before: float) -> None:
        """Forget ids the bank no longer lists; only those recorded before the listing was
        asked for, so an id another process acknowledged meanwhile is kept."""
        with self._locked():
            entries = self._read()
            keep = {k: v for k, v in entries.items() if k in waiting or _recorded_at(v) >= before}
            if len(keep) != len(entries):
                self._write(keep)

    @staticmethod
    def covers(entry: Any, digest: str) -> bool:
        return isinstance(entry, dict) and entry.get("sha256") in (None, digest)


def _recorded_at(entry: Any) -> float:
    at = entry.get("at") if isinstance(entry, dict) else None
    return float(at) if isinstance(at, (int, float)) else 0.0


# --------------------------------------------------------------------------- the bank's answer


@dataclass(frozen=True, slots=True)
class BankAnswer:
    """What a bank's response body says, whatever its shape (mock-bank JSON or a pain.002)."""

    status: str | None = None
    reason: str | None = None
    text: str = ""

    @property
    def duplicate(self) -> bool:
        return self.reason == "DUPL"

    def describe(self, http_status: int) -> str:
        said = " ".join(part for part in (self.status, self.reason and f"({self.reason})", self.text) if part)
        return f"HTTP {http_status}: {said}"[:DETAIL_LIMIT] if said else f"HTTP {http_status}"


def read_answer(response: requests.Response) -> BankAnswer:
    content_type = response.headers.get("Content-Type", "").lower()
    body = response.content or b""
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            data = response.json()
            if isinstance(data, dict):
                texts = [str(data.get("reason_text") or data.get("error") or data.get("detail") or "")]
                texts += [str(f.get("text", "")) for f in data.get("findings") or [] if isinstance(f, dict)][:3]
                return BankAnswer(status=_str(data.get("status")), reason=_str(data.get("reason")),
                                  text="; ".join(t for t in texts if t))
    if "xml" in content_type or body.lstrip().startswith(b"<"):
        with contextlib.suppress(InvalidInput):
            return _status_report_answer(xmlsafe.parse_document(body, max_bytes=max(len(body), 1)))
    return BankAnswer(text=body.decode("utf-8", "replace").strip()[:DETAIL_LIMIT])


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _status_report_answer(tree: Any) -> BankAnswer:
    """A pain.002's group status: ``GrpSts`` and its first ``StsRsnInf`` (any version, any namespace)."""
    group = tree.xpath("//*[local-name()='OrgnlGrpInfAndSts']")
    scope = group[0] if group else tree.getroot()
    status = scope.xpath("string(./*[local-name()='GrpSts'])") or None
    reason = scope.xpath("string(.//*[local-name()='StsRsnInf']/*[local-name()='Rsn']/*)") or None
    text = scope.xpath("string(.//*[local-name()='StsRsnInf']/*[local-name()='AddtlInf'])")
    return BankAnswer(status=status, reason=reason, text=text)


# --------------------------------------------------------------------------- the connector


@dataclass(repr=False)
class Iso20022HttpConnector(Connector):
    """pain.001 by HTTP POST to ``base_url + submit_path``; replies peeked from ``mailbox_path``."""

    type = "iso20022-http"

    def __post_init__(self) -> None:
        self.config = HttpSettings.parse(self.bank_id, self.settings)
        self._capabilities = _reader(self.bank_id, self.settings).capabilities()
        state = None
        if self.config.state_dir is not None:
            state = self.config.state_dir / f"{_safe_name(self.bank_id)}.acknowledged.json"
        self.acknowledged = AcknowledgedRecord(state)
        self._digests: dict[str, str] = {}
        self._session = requests.Session()
        self._session.auth = self.config.auth
        self._session.verify = self.config.verify
        self._session.trust_env = False  # no proxy or .netrc credentials the bank file did not ask for
        if self.config.proxy:
            self._session.proxies = {"http": self.config.proxy, "https": self.config.proxy}

    def __repr__(self) -> str:  # never the settings: they may hold a password
        return f"Iso20022HttpConnector(bank_id={self.bank_id!r}, base_url={self.config.base_url!r})"

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    # -- submit

    def submit(self, outgoing: OutgoingFile) -> Submission:
        self._capabilities.require_submit(outgoing.message)
        url = self.config.base_url + self.config.submit_path
        response = self._call("POST", url, data=outgoing.xml,
                              headers={"Content-Type": "application/xml", "Accept": "application/json, application/xml"})
        answer = read_answer(response)
        status = response.status_code
        log.info("bank %s: %s %s -> HTTP %s %s", self.bank_id, outgoing.message, outgoing.message_id, status,
                 answer.reason or answer.status or "")
        if answer.duplicate and (200 <= status < 300 or status in REFUSED_FOR_GOOD):
            return Submission(accepted=True, duplicate=True, detail=answer.describe(status))
        if 200 <= status < 300:
            return Submission(accepted=True, reference=response.headers.get("Location"),
                              detail=answer.describe(status), immediate=self._immediate(response, outgoing))
        if status in REFUSED_FOR_GOOD:
            raise DeliveryRefused(f"bank {self.bank_id} refused {outgoing.message_id}: {answer.describe(status)}")
        raise self._unavailable_for(status, answer, "delivering " + outgoing.message_id)

    def _immediate(self, response: requests.Response, outgoing: OutgoingFile) -> tuple[InboundMessage, ...]:
        """A status report answered in the POST's body (some banks do), with an id made from its
        bytes so that collecting it again is recognised."""
        body = response.content or b""
        if "xml" not in response.headers.get("Content-Type", "").lower() or not body.strip():
            return ()
        hint = _sniff(body)
        digest = hashlib.sha256(body).hexdigest()
        return (InboundMessage(id=f"response-{outgoing.message_id}-{digest[:16]}", body=body,
                               received_at=None, hint=hint),)

    # -- collect and acknowledge

    def collect(self) -> list[InboundMessage]:
        asked_at = time.time()
        url = self.config.base_url + self.config.mailbox_path
        response = self._call("GET", url, params={"leave": ""}, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise self._unavailable_for(response.status_code, read_answer(response), "reading the mailbox")
        try:
            rows = response.json()
        except ValueError:
            rows = None
        if not isinstance(rows, list):
            raise BankUnavailable(f"bank {self.bank_id}: the mailbox did not answer a JSON list",
                                  code="bank_mailbox_unreadable")
        recorded = self.acknowledged.load()
        waiting: set[str] = set()
        messages: list[InboundMessage] = []
        self._digests = {}
        for row in rows:
            message = self._inbound(row)
            if message is None:
                continue
            waiting.add(message.id)
            digest = hashlib.sha256(message.body).hexdigest()
            if AcknowledgedRecord.covers(recorded.get(message.id), digest):
                continue
            if not self._wanted(message.hint):
                continue
            self._digests[message.id] = digest
            messages.append(message)
        self.acknowledged.prune(waiting, before=asked_at)
        return messages

    def _inbound(self, row: Any) -> InboundMessage | None:
        if not isinstance(row, dict) or row.get("id") in (None, "") or not isinstance(row.get("body"), str):
            log.warning("bank %s: mailbox entry without id or body skipped", self.bank_id)
            return None
        kind = row.get("type") if isinstance(row.get("type"), str) else None
        body = row["body"].encode("utf-8")
        return InboundMessage(id=str(row["id"]), body=body, received_at=_moment(row.get("releasedAt")),
                              hint=kind or _sniff(body))

    def _wanted(self, hint: str | None) -> bool:
        """Families the bank file says we collect; what the bank does not label is handed over
        (the gateway identifies it, and refuses it loudly if it cannot)."""
        if not hint:
            return True
        return any(hint == family or hint.startswith(family + ".") for family in self._capabilities.collects)

    def acknowledge(self, message_ids: Iterable[str]) -> None:
        """Recorded (durably with ``state_dir``) before returning; an id this connector did not
        collect itself is recorded without a digest and so matches whatever body it has."""
        self.acknowledged.add({str(i): self._digests.pop(str(i), None) for i in message_ids})

    def close(self) -> None:
        self._session.close()

    # -- HTTP

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.request(method, url, timeout=(self.config.timeout, self.config.timeout),
                                         allow_redirects=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise BankUnavailable(f"bank {self.bank_id}: TLS with {url} failed: {_reason(exc)}",
                                  code="bank_tls_failed") from None
        except requests.exceptions.Timeout:
            raise BankUnavailable(f"bank {self.bank_id}: {url} did not answer within {self.config.timeout:g} s",
                                  code="bank_timeout") from None
        except requests.exceptions.RequestException as exc:
            raise BankUnavailable(f"bank {self.bank_id}: cannot reach {url}: {_reason(exc)}") from None

    def _unavailable_for(self, status: int, answer: BankAnswer, doing: str) -> BankUnavailable:
        if status in (401, 403):
            return BankUnavailable(f"bank {self.bank_id} refused the credentials while {doing} "
                                   f"({answer.describe(status)}); check user/password_env", code="bank_credentials_refused")
        if status in (404, 405):
            return BankUnavailable(f"bank {self.bank_id} has no such endpoint while {doing} "
                                   f"({answer.describe(status)}); check base_url and the paths",
                                   code="bank_endpoint_not_found")
        if 300 <= status < 400:
            return BankUnavailable(f"bank {self.bank_id} redirected while {doing} ({answer.describe(status)}); "
                                   "point base_url at the final address", code="bank_endpoint_not_found")
        # 408, 425, 429, 5xx and anything unexpected: the file may or may not be there; retry.
        return BankUnavailable(f"bank {self.bank_id} unavailable while {doing}: {answer.describe(status)}")


def _reason(exc: BaseException) -> str:
    """The cause in a few words (requests' messages repeat the connection pool and the URL)."""
    text = str(exc)
    match = re.search(r"(\[Errno[^\]]*\][^')\"]*|Connection refused|timed out|certificate verify failed[^')\"]*)", text)
    return (match.group(1) if match else text)[:DETAIL_LIMIT]


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _sniff(body: bytes) -> str | None:
    message = sniff_message(body[:xmlsafe.HEAD_BYTES])
    return str(message) if message else None


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text) or "_"
