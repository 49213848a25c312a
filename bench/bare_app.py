"""The ceiling for the service benchmark: a bare Flask endpoint on the gateway's own server.

    python -m bench.bare_app --listen 127.0.0.1:PORT --workers 2

``BareServer`` is :class:`gateway.cli.serve.GatewayServer` with only ``load()``
replaced, so gunicorn runs with exactly the settings ``gateway serve`` uses
(sync workers, no preload, access log on stdout, timeouts); only the WSGI
application differs: one route, no blueprints, no database, no hooks.
"""

from __future__ import annotations

import argparse
import sys

from flask import Flask

from gateway.cli.serve import GatewayServer
from gateway.config import Settings

BODY = {"status": "ok", "version": "bare"}


def create_bare_app() -> Flask:
    app = Flask(__name__, static_folder=None)

    @app.get("/bare")
    def bare():
        return BODY

    return app


class BareServer(GatewayServer):
    def load_config(self) -> None:
        super().load_config()
        self.cfg.set("when_ready", _ready)  # the gateway's hook prints the gateway's URLs
        self.cfg.set("proc_name", "iso20022-gateway-bare")

    def load(self):
        return create_bare_app()


def _ready(server) -> None:
    for listener in server.LISTENERS:
        print(f"bare flask: serving on {listener}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--listen", required=True, metavar="HOST:PORT")
    parser.add_argument("--workers", type=int, default=2, metavar="N")
    args = parser.parse_args(argv)
    BareServer(Settings.load(env={}, listen=args.listen, workers=args.workers)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
