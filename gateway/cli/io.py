"""Input and output helpers shared by the commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path


def source_of(name: str):
    """A path, or the bytes of stdin for ``-``."""
    if name == "-":
        if sys.stdin.isatty():
            print("reading the document from standard input (end with Ctrl-D; --help for usage)", file=sys.stderr)
        return sys.stdin.buffer.read()
    return Path(name)


def day(text: str) -> date:
    """An argparse type for YYYY-MM-DD dates with a message a person understands."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def write_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


class Progress:
    """A one-line counter on stderr, only when a person is watching a large file."""

    def __init__(self, source, *, every: int = 10_000, threshold: int = 20 * 1024 * 1024) -> None:
        size = source.stat().st_size if isinstance(source, Path) and source.is_file() else 0
        self.enabled = sys.stderr.isatty() and size >= threshold and not os.environ.get("CI")
        self.every = every
        self.count = 0

    def tick(self, what: str = "entries") -> None:
        self.count += 1
        if self.enabled and self.count % self.every == 0:
            sys.stderr.write(f"\r{self.count:,} {what} read")
            sys.stderr.flush()

    def done(self, what: str = "entries") -> None:
        if self.enabled:
            sys.stderr.write(f"\r{self.count:,} {what} read\n")
