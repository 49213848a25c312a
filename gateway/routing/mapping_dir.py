"""What the gateway's ``mappings/`` directory offers a bank file: the pain.001 versions
it can write, and the rule profiles by name.

A bank file may only name a pain.001 version the gateway can build (a mapping file
``mappings/<id>.yaml`` exists) and a rule profile that loads
(``mappings/profiles/<name>.yaml`` through ``gateway.domain.rules.load_profile``),
so that a typo is refused when the bank is loaded, not when the first payment is
sent.  The directory is the mapping registry's (``GATEWAY_MAPPINGS`` moves both);
only file names and the profile YAML are read here, no mapping is compiled.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gateway.domain.errors import InvalidInput
from gateway.domain.messages import MessageType
from gateway.domain.rules import RuleProfile, load_profile

PAIN001 = "pain.001"
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class ProfileProblem(ValueError):
    """A rule profile that does not exist or does not load; the message says which and why."""


def default_mappings_dir() -> Path:
    """The directory the mapping registry reads (``GATEWAY_MAPPINGS`` or the repository's ``mappings/``)."""
    from gateway.mapping.registry import DEFAULT_DIR  # the one place that knows the default
    return Path(os.environ.get("GATEWAY_MAPPINGS") or DEFAULT_DIR)


@dataclass
class MappingDirectory:
    """``mappings/`` as a bank file sees it; profiles are read once each."""

    directory: Path = field(default_factory=default_mappings_dir)
    _profiles: dict[str, RuleProfile] = field(default_factory=dict, repr=False)

    def versions(self, family: str = PAIN001) -> frozenset[str]:
        """Message ids of ``family`` that have a mapping file, e.g. {"pain.001.001.03", "pain.001.001.09"}."""
        found = set()
        for path in self.directory.glob(f"{family}.*.yaml"):
            try:
                message = MessageType.parse(path.stem)
            except ValueError:
                continue
            if message.family == family:
                found.add(str(message))
        return frozenset(found)

    def profile_names(self) -> list[str]:
        return sorted(p.stem for p in (self.directory / "profiles").glob("*.yaml"))

    def rule_profile(self, name: str) -> RuleProfile:
        """The profile ``profiles/<name>.yaml``, checked by ``load_profile``; raises ``ProfileProblem``."""
        if name in self._profiles:
            return self._profiles[name]
        if not _PROFILE_NAME.fullmatch(name):
            raise ProfileProblem(f"{name!r} is not a profile name (letters, digits, '-' and '_')")
        path = self.directory / "profiles" / f"{name}.yaml"
        if not path.is_file():
            raise ProfileProblem(f"no rule profile {name!r} in {path.parent} "
                                 f"(known: {', '.join(self.profile_names()) or 'none'})")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise ProfileProblem(f"rule profile {name!r} ({path}) is not a mapping of keys")
            profile = load_profile(data)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ProfileProblem(f"rule profile {name!r} ({path}) is not readable YAML: {exc}") from None
        except InvalidInput as exc:
            raise ProfileProblem(f"rule profile {name!r} ({path}): {exc.message}") from None
        self._profiles[name] = profile
        return profile
