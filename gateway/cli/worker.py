"""gateway worker: deliver the outbox, collect from the banks, send webhooks.

Run one or more next to `gateway serve` (on PostgreSQL, any number, on any
machine; they never deliver one message twice). `--once` does a single pass
and exits, for cron or a test; otherwise it runs until SIGTERM or Ctrl-C,
finishing the message it is delivering first."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading

from gateway.config import Settings
from gateway.wiring import open_database, runtime_from
from gateway.worker.loop import run_forever, run_once


def add_parser(sub) -> None:
    parser = sub.add_parser("worker", help="deliver payments, collect bank reports, send webhooks",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true", help="one pass, print what it did as JSON, exit")
    parser.add_argument("--no-collect", action="store_true", help="deliver only; do not ask the banks for reports")
    parser.add_argument("--id", dest="worker_id", metavar="NAME", help="worker name in the delivery log "
                        "(default: host:pid)")
    parser.add_argument("--profile", choices=("development", "production"))
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")
    parser.set_defaults(run=run)


def run(args) -> int:
    settings = Settings.load(args.config, profile=args.profile)
    database = open_database(settings)
    runtime = runtime_from(settings)
    try:
        if args.once:
            done = run_once(database, runtime, worker=args.worker_id, collect=not args.no_collect)
            print(json.dumps({"delivered": done.delivered, "retried": done.retried, "refused": done.refused,
                              "collected": done.collected, "webhooks": done.webhooks, "problems": done.problems}))
            return 0
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        run_forever(database, runtime, poll_seconds=settings.worker_poll_seconds, stop=stop, worker=args.worker_id)
        return 0
    finally:
        runtime.close()
        database.dispose()
