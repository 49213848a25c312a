"""The ``file-drop`` connector: host-to-host banking through a pair of folders.

Most bank connections are still two folders on an SFTP host: the gateway writes
a pain.001 into one (``outbound_dir``) and the bank picks it up; the bank writes
its pain.002, camt.05x and pacs.004 into the other (``inbound_dir``) and the
gateway picks them up.  Everything here follows from two rules of that world.

Settings (the bank file's ``[connector]`` table; unknown keys are refused)::

    type                    = "file-drop"
    outbound_dir            = "/srv/h2h/acme/out"    # required: pain.001 files for the bank
    inbound_dir             = "/srv/h2h/acme/in"     # required: the bank's replies
    processed_dir           = "/srv/h2h/acme/in/processed"   # the default: <inbound_dir>/processed
    picked_up_dirs          = ["processed", "failed"]  # where the bank files what it took (relative
                                                       # to outbound_dir, or absolute); the default
                                                       # is mock-bank's layout
    inbound_suffixes        = [".xml"]
    min_age_seconds         = 2
    malformed_grace_seconds = 600
    submits / collects / currencies                   # as for iso20022-http

**A file is either complete or invisible.**  The gateway writes
``<MsgId>.xml`` as a dotfile ``.<MsgId>.xml.<random>.tmp`` in the *same* folder,
fsyncs it, then gives it its name in one atomic step (``os.link``, which also
refuses to overwrite a file of the same name; where the file system cannot
link, ``os.replace``) and fsyncs the folder.  The bank may therefore take any
``*.xml`` it sees.  When collecting, the gateway expects the bank to do the
same and defends against a bank that does not: it never reads dotfiles or
``*.tmp``/``*.part``/``*.filepart``/``*.writing``/``*.processing``/``*.swp``
(senders' temporary names), skips a file modified less than
``min_age_seconds`` ago (still being written), skips a file whose size or
modification time changed while it was read, and skips one that is not
well-formed XML (a truncated file never is).  A file that is *still* not
well-formed after ``malformed_grace_seconds`` is handed over anyway, so a
broken file the bank left is reported by the gateway's parser instead of
waiting unseen for ever.

**A file is delivered at least once, and recognised when it comes again.**
A pain.001 whose ``<MsgId>.xml`` is still in ``outbound_dir``, or in one of the
``picked_up_dirs`` where the bank files what it took (mock-bank: ``processed``
and ``failed`` inside its drop folder), is a duplicate: ``Submission(
duplicate=True)``.  An inbound message's id is its file name; ``collect`` does
not move anything, ``acknowledge`` moves the file into ``processed_dir``
(default ``<inbound_dir>/processed``), never overwriting, so what was processed
is kept.  A crash between collect and acknowledge leaves the files where they
were: the next collect returns them again, with the same ids.

A MsgId is Max35Text and may hold characters a file name cannot: anything but
``A-Z a-z 0-9 . _ -`` (and a leading dot) is written as ``%XX`` (UTF-8 bytes).

A missing or unwritable folder is :class:`BankUnavailable` (a share that is not
mounted comes back); missing settings are :class:`ConnectorConfigError`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.connectors.base import (
    BankUnavailable,
    Capabilities,
    Connector,
    InboundMessage,
    OutgoingFile,
    Submission,
)
from gateway.connectors.settings import SettingsReader
from gateway.domain.errors import InvalidInput
from gateway.files import fsync_dir
from gateway.iso20022 import xmlsafe
from gateway.iso20022.identify import sniff_message

log = logging.getLogger(__name__)

TEMPORARY_SUFFIXES = (".tmp", ".part", ".filepart", ".writing", ".processing", ".swp")
"""Names a writer uses while a file is incomplete (mock-bank ignores the same ones)."""
KEYS = frozenset({"type", "outbound_dir", "inbound_dir", "processed_dir", "picked_up_dirs", "inbound_suffixes",
                  "min_age_seconds", "malformed_grace_seconds", "submits", "collects", "currencies"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")








def _reader(bank_id: str, settings: Mapping[str, Any]) -> SettingsReader:
    return SettingsReader(bank_id, "file-drop", settings)

@dataclass(frozen=True, slots=True)
class FolderSettings:
    """The ``[connector]`` table of a host-to-host bank, checked once."""

    outbound_dir: Path
    inbound_dir: Path
    processed_dir: Path
    picked_up_dirs: tuple[Path, ...]
    inbound_suffixes: tuple[str, ...] = (".xml",)
    min_age_seconds: float = 2.0
    malformed_grace_seconds: float = 600.0

    @classmethod
    def parse(cls, bank_id: str, settings: Mapping[str, Any]) -> FolderSettings:
        read = _reader(bank_id, settings)
        read.refuse_unknown(KEYS)
        outbound, inbound = read.folder("outbound_dir"), read.folder("inbound_dir")
        processed = read.folder("processed_dir") if "processed_dir" in settings else inbound / "processed"
        if outbound.resolve() == inbound.resolve():
            raise read.bad("outbound_dir and inbound_dir must be different folders "
                           "(the gateway would read its own pain.001 back as a reply)")
        if processed.resolve() == inbound.resolve():
            raise read.bad("processed_dir must not be inbound_dir itself")
        picked_up = tuple(outbound / p for p in read.strings("picked_up_dirs", ("processed", "failed")))
        suffixes = tuple(s.lower() for s in read.strings("inbound_suffixes", (".xml",)))
        return cls(outbound_dir=outbound, inbound_dir=inbound, processed_dir=processed, picked_up_dirs=picked_up,
                   inbound_suffixes=suffixes,
                   min_age_seconds=read.seconds("min_age_seconds", 2.0),
                   malformed_grace_seconds=read.seconds("malformed_grace_seconds", 600.0))


def file_name_for(message_id: str) -> str:
    """``<MsgId>.xml`` with every character a file name should not carry written as %XX."""
    encoded = "".join(c if not _UNSAFE.match(c) else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
                      for c in message_id)
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    return encoded + ".xml"


def is_temporary(name: str) -> bool:
    """A name no complete file has: hidden, or a writer's temporary suffix."""
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


@dataclass(repr=False)
class FileDropConnector(Connector):
    """pain.001 files into ``outbound_dir``; replies from ``inbound_dir``, kept in ``processed_dir``."""

    type = "file-drop"

    def __post_init__(self) -> None:
        self.config = FolderSettings.parse(self.bank_id, self.settings)
        self._capabilities = _reader(self.bank_id, self.settings).capabilities()

    def __repr__(self) -> str:
        return (f"FileDropConnector(bank_id={self.bank_id!r}, outbound_dir={str(self.config.outbound_dir)!r}, "
                f"inbound_dir={str(self.config.inbound_dir)!r})")

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    # -- submit

    def submit(self, outgoing: OutgoingFile) -> Submission:
        self._capabilities.require_submit(outgoing.message)
        name = file_name_for(outgoing.message_id)
        folder = self.config.outbound_dir
        if seen := self._already_delivered(name):
            return Submission(accepted=True, duplicate=True, reference=name, detail=f"{seen} already holds {name}")
        temporary = folder / f".{name}.{uuid.uuid4().hex}.tmp"
        final = folder / name
        try:
            with open(temporary, "xb") as handle:
                handle.write(outgoing.xml)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, final)  # atomic, and never over a file of the same name
            except FileExistsError:
                return Submission(accepted=True, duplicate=True, reference=name, detail=f"{folder} already holds {name}")
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                os.replace(temporary, final)  # a file system without hard links: still atomic
            fsync_dir(folder)
        except OSError as exc:
            raise BankUnavailable(f"bank {self.bank_id}: cannot write {name} into {folder}: "
                                  f"{exc.strerror or exc}", code="bank_folder_unavailable") from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        log.info("bank %s: %s %s written as %s", self.bank_id, outgoing.message, outgoing.message_id, final)
        return Submission(accepted=True, reference=name, detail=f"written to {final}")

    def _already_delivered(self, name: str) -> Path | None:
        for folder in (self.config.outbound_dir, *self.config.picked_up_dirs):
            if (folder / name).exists():
                return folder
        return None

    # -- collect and acknowledge

    def collect(self) -> list[InboundMessage]:
        folder = self.config.inbound_dir
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise BankUnavailable(f"bank {self.bank_id}: cannot list {folder}: {exc.strerror or exc}",
                                  code="bank_folder_unavailable") from None
        messages: list[InboundMessage] = []
        for entry in entries:
            message = self._complete(entry)
            if message is not None and self._wanted(message.hint):
                messages.append(message)
        return messages

    def _complete(self, entry: os.DirEntry[str]) -> InboundMessage | None:
        """The file as a message, or None while it may still be being written (see the module doc)."""
        name = entry.name
        if is_temporary(name) or not name.lower().endswith(self.config.inbound_suffixes):
            return None
        try:
            if not entry.is_file(follow_symlinks=False):
                return None
            before = entry.stat(follow_symlinks=False)
            age = time.time() - before.st_mtime
            if age < self.config.min_age_seconds:
                return None
            with open(entry.path, "rb") as handle:
                body = handle.read()
            after = os.stat(entry.path, follow_symlinks=False)
        except OSError:
            return None  # gone or unreadable between listing and reading: the next collect sees
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(body) != after.st_size:
            return None
        if not _well_formed(body) and age < self.config.malformed_grace_seconds:
            return None
        message = sniff_message(body[:xmlsafe.HEAD_BYTES])
        return InboundMessage(id=name, body=body, received_at=datetime.fromtimestamp(after.st_mtime, UTC),
                              hint=str(message) if message else None)

    def _wanted(self, hint: str | None) -> bool:
        if not hint:
            return True  # not labelled: the gateway identifies it, or refuses it loudly
        return any(hint.startswith(family + ".") for family in self._capabilities.collects)

    def acknowledge(self, message_ids: Iterable[str]) -> None:
        """Move each into ``processed_dir``; an id no longer in ``inbound_dir`` was acknowledged
        before (at-least-once), so it is passed over."""
        inbound, processed = self.config.inbound_dir, self.config.processed_dir
        names = [str(i) for i in message_ids]
        if not names:
            return
        try:
            processed.mkdir(parents=True, exist_ok=True)
            for name in names:
                if not name or Path(name).name != name or is_temporary(name):
                    log.warning("bank %s: acknowledge of %r ignored: not a collected file name", self.bank_id, name)
                    continue
                source = inbound / name
                if not source.is_file():
                    continue
                _move(source, processed)
            fsync_dir(processed)
            fsync_dir(inbound)
        except OSError as exc:
            raise BankUnavailable(f"bank {self.bank_id}: cannot move acknowledged files into {processed}: "
                                  f"{exc.strerror or exc}", code="bank_folder_unavailable") from None


def _well_formed(body: bytes) -> bool:
    """Streamed through the gateway's safe XML door, in constant memory."""
    try:
        for _event, element in xmlsafe.iterparse(body, max_bytes=max(len(body), 1)):
            element.clear()
    except InvalidInput:
        return False
    return True


def _move(source: Path, folder: Path) -> Path:
    """Move ``source`` into ``folder`` under its own name, or the first free ``stem-N.ext``:
    processed files are kept, never overwritten (``os.link`` refuses an existing name, so two
    processes acknowledging at once cannot clobber each other)."""
    counter = 0
    while True:
        target = folder / (source.name if counter == 0 else f"{source.stem}-{counter}{source.suffix}")
        counter += 1
        try:
            os.link(source, target)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if target.exists():
                continue
            _copy_or_rename(source, target, cross_device=exc.errno == errno.EXDEV)
            return target
        os.unlink(source)
        return target


def _copy_or_rename(source: Path, target: Path, *, cross_device: bool) -> None:
    if not cross_device:
        os.replace(source, target)
        return
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    shutil.copy2(source, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    os.unlink(source)
