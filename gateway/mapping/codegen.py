"""A tiny source builder shared by the generated writer and reader."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0
        self.counter = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def compile_source(source: str, filename: str, namespace: dict) -> dict:
    """Compile generated code; the file name shows up in tracebacks and profiles."""
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - code generated from our own mapping
    return namespace
