"""Durable file writes, for every part of the gateway that keeps state in files (the schema
store, connector state, bank folders, the demo's secrets file).

``write_atomic`` writes beside the target, fsyncs and renames: a reader sees the old file or
the new one, never half of one, and a crash leaves no torn file.  ``fsync_dir`` makes a
rename itself survive a crash."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(target: Path, data: bytes, *, mode: int | None = None, durable_name: bool = False) -> None:
    """Replace ``target`` with ``data`` in one step; ``mode`` (e.g. 0o600) is set before the file
    gets its name, so it is never readable by others; ``durable_name`` also fsyncs the folder."""
    target = Path(target)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable_name:
        fsync_dir(target.parent)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename, a new name) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
