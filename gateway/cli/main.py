"""Entry point of the ``gateway`` console script."""

from __future__ import annotations

import argparse
import importlib
import sys

from gateway import __version__
from gateway.domain.errors import GatewayError

# Exit codes shared by every command.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

COMMANDS = ("validate", "parse", "build", "schemas", "serve", "db", "clients", "holders", "demo", "sandbox", "worker",
            "payments")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="ISO 20022 / open-banking gateway")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"gateway.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or EXIT_OK)
    except GatewayError as exc:
        print(f"gateway: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `gateway parse big.xml | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
