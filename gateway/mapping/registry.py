"""Finds mapping files, loads each once and compiles writers and readers on demand."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

from gateway.domain.errors import UnsupportedMessage
from gateway.domain.messages import MessageType
from gateway.mapping.locate import Locator
from gateway.mapping.reader import Reader, compile_reader
from gateway.mapping.spec import MappingError, MappingSpec, load_spec
from gateway.mapping.writer import compile_writer

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "mappings"


class MappingRegistry:
    """The message versions the gateway can write and read, from ``mappings/*.yaml``.

    Bank variants live in sub-folders (``mappings/banks/<profile>/``) and are
    looked up with ``variant=<profile>``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or os.environ.get("GATEWAY_MAPPINGS") or DEFAULT_DIR)
        self._specs: dict[tuple[str, str | None], MappingSpec] = {}
        self._lock = threading.Lock()
        self._writers: dict = {}
        self._readers: dict = {}
        self._load()

    def _load(self) -> None:
        files = sorted(self.directory.glob("*.yaml"))
        if not files:
            raise MappingError(f"no mapping files in {self.directory}")
        for path in files:
            self._base(path.stem)
        for path in sorted(self.directory.glob("banks/*/*.yaml")):
            spec = load_spec(path, lookup=self._base)
            self._specs[(str(spec.message), path.parent.name)] = spec

    def _base(self, message: str) -> MappingSpec:
        """Load a base mapping (and, first, whatever it extends) exactly once."""
        if (message, None) not in self._specs:
            path = self.directory / f"{message}.yaml"
            if not path.is_file():
                raise MappingError(f"no mapping file {path.name} (named by 'extends')")
            self._specs[(message, None)] = load_spec(path, lookup=self._base)
        return self._specs[(message, None)]

    def messages(self) -> list[MessageType]:
        return sorted(MessageType.parse(m) for m, variant in self._specs if variant is None)

    def variants(self) -> list[str]:
        return sorted({v for _, v in self._specs if v})

    def spec(self, message: str | MessageType, variant: str | None = None) -> MappingSpec:
        key = str(message)
        found = self._specs.get((key, variant)) or self._specs.get((key, None))
        if found is None:
            known = ", ".join(str(m) for m in self.messages())
            raise UnsupportedMessage(f"no mapping for {key}; the gateway maps {known}")
        return found

    def family(self, family: str) -> list[MappingSpec]:
        """Every base version of a family, newest first."""
        specs = [s for (m, v), s in self._specs.items() if v is None and s.message.family == family]
        return sorted(specs, key=lambda s: s.message, reverse=True)

    def writer(self, message: str | MessageType, variant: str | None = None) -> Callable[[object], bytes]:
        spec = self.spec(message, variant)
        key = (str(spec.message), variant)
        with self._lock:
            if key not in self._writers:
                self._writers[key] = compile_writer(spec)
            return self._writers[key]

    def reader(self, family: str, message: MessageType | None, namespace: str) -> Reader:
        """A reader of ``family`` for elements in ``namespace``; ``message`` is the version
        the file claims (None: unknown, read with the newest version first)."""
        specs = self.family(family)
        if not specs:
            raise UnsupportedMessage(f"the gateway has no mapping for {family} messages")
        own = next((s for s in specs if message is not None and s.message == message), None)
        ordered = [own] + [s for s in specs if s is not own] if own else specs
        key = (family, ordered[0].message, namespace)
        with self._lock:
            if key not in self._readers:
                self._readers[key] = compile_reader(ordered, namespace)
            return self._readers[key]

    def locator(self, message: MessageType) -> Locator:
        """XPaths as ``message`` places fields, then as the family's other versions do."""
        family = self.family(message.family)
        spec = self.spec(message) if (str(message), None) in self._specs else family[0]
        return Locator(spec, tuple(s for s in family if s is not spec))


@lru_cache(maxsize=1)
def default_mappings() -> MappingRegistry:
    return MappingRegistry()
