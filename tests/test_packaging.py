"""An installed gateway (a wheel, not the editable install the tests run from) has every file it
reads at run time: each non-Python file under gateway/ is matched by setup.cfg's package_data.
A template or schema left out works in development and fails in production."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def packaged_files() -> set[Path]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    found: set[Path] = set()
    for package, patterns in config["options.package_data"].items():
        folder = ROOT / package.replace(".", "/")
        for pattern in patterns.split(","):
            found.update(folder.glob(pattern.strip()))
    return found


def test_every_data_file_of_the_package_is_in_package_data():
    data = {path for path in (ROOT / "gateway").rglob("*")
            if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts}
    missing = sorted(str(path.relative_to(ROOT)) for path in data - packaged_files())
    assert not missing, f"add to [options.package_data] in setup.cfg: {missing}"
