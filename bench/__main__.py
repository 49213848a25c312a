"""``python -m bench``: the gateway against peers and raw-lxml baselines, on the same inputs.

Progress goes to stderr, the table to stdout.  Exit status 1 if a run crashed,
timed out or produced a wrong result (a gateway function that does not exist
yet is "n/a", not a failure); missed targets do not change the exit status.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench import data
from bench.report import Section, render, save_json


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=10_000, metavar="N",
                        help="pain.001 batch size (default 10000)")
    parser.add_argument("--entries", type=int, default=200_000, metavar="N",
                        help="camt.053 statement entries (default 200000, about 220 MB)")
    parser.add_argument("--big-gb", type=float, default=0.0, metavar="X",
                        help="also run the memory test on an X GB statement (default 0 = skip; 1.0 for the full run)")
    parser.add_argument("--only", choices=("pain001", "camt053", "service", "operations"),
                        help="run one workload only")
    parser.add_argument("--e2e-payments", type=int, default=500, metavar="N",
                        help="operations: payments in the end-to-end run (default 500)")
    parser.add_argument("--repeat", type=int, metavar="R",
                        help="best of R for every run (default: 3 for the fast runs, "
                             "1 for camt053, pycamt and the big file, 2 for service, 3 for operations)")
    parser.add_argument("--timeout", type=float, default=900, metavar="S",
                        help="limit for one isolated parse run, seconds (default 900)")
    parser.add_argument("--load-seconds", type=float, default=4.0, metavar="S",
                        help="service: length of one measured load run (default 4; best of --repeat, default 2)")
    parser.add_argument("--no-postgres", action="store_true",
                        help="service: SQLite only (default: also PostgreSQL where its server binaries are installed)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also save the results as JSON")
    args = parser.parse_args(argv)
    if args.payments < 1 or args.entries < 1 or args.big_gb < 0 or (args.repeat is not None and args.repeat < 1):
        parser.error("sizes and --repeat must be positive")
    if not 1 <= args.load_seconds <= 60:
        parser.error("--load-seconds must be between 1 and 60")
    return args


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "missing"


def _header(args: argparse.Namespace, load_at_start: float) -> list[str]:
    from lxml import etree

    try:
        schema_dir = data.xsd_path("pain.001.001.03").parent
    except FileNotFoundError:
        schema_dir = "not found"
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libxml2 = ".".join(map(str, etree.LIBXML_VERSION))
    return [
        f"ISO 20022 gateway benchmark - {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"Python {platform.python_version()}, lxml {etree.__version__} (libxml2 {libxml2}), "
        f"sepaxml {_version('sepaxml')}, camt053 {_version('camt053')}, pycamt {_version('pycamt')}; "
        f"{os.cpu_count()} CPUs, {mem_gib:.0f} GiB RAM",
        f"XSDs: {schema_dir}" + ("" if schema_dir == data.SCHEMA_STORE else "  (fallback: schemas/xsd not synced yet)"),
        f"load average (1 min): {load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at end"
        + ("  - other processes were busy: expect noisy, pessimistic times"
           if max(load_at_start, os.getloadavg()[0]) > 0.5 * (os.cpu_count() or 1) else ""),
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    sections: list[Section] = []
    if args.only in (None, "pain001"):
        from bench import pain001
        sections += pain001.run(args.payments, repeat=args.repeat, log=log)
    if args.only in (None, "camt053"):
        from bench import camt053
        sections += camt053.run(args.entries, repeat=args.repeat, big_gb=args.big_gb,
                                timeout=args.timeout, log=log)
    if args.only in (None, "service"):
        from bench import service
        sections += service.run(seconds=args.load_seconds, repeat=args.repeat, postgres=not args.no_postgres,
                                log=log)
    if args.only in (None, "operations"):
        from bench import operations
        sections += operations.run(seconds=args.load_seconds, repeat=args.repeat, postgres=not args.no_postgres,
                                   e2e_payments=args.e2e_payments, log=log)
    log("done")

    header = _header(args, load_at_start)
    if args.only in (None, "service", "operations"):
        header.insert(2, "service: " + ", ".join(f"{d} {_version(d)}" for d in
                                                 ("gunicorn", "Flask", "Authlib", "SQLAlchemy", "psycopg")))
    sys.stdout.write(render(header, sections))
    if args.json:
        meta = {"header": header, "args": {k: (str(v) if isinstance(v, Path) else v)
                                           for k, v in vars(args).items()},
                "elapsed_seconds": time.monotonic() - started}
        save_json(args.json, meta, sections)
        print(f"results saved to {args.json}", file=sys.stderr)
    failed = [r for s in sections for r in s.rows if r.m.status in ("error", "timeout")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
