"""One worker pass, and the loop around it.

A pass: deliver what the outbox has due, collect what each bank has for us,
interpret anything a crash left unprocessed, send due webhooks, expire old
consents.  Each step is its own short transactions, so any number of workers
can run side by side (the outbox claim and the unique inbound key keep them
out of each other's way), and a bank that is down only costs its own step.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from gateway.connectors.base import ConnectorError
from gateway.persistence.db import Database
from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.repositories import Consents
from gateway.persistence.types import utcnow
from gateway.services import delivery, inbound, reports
from gateway.services.runtime import Runtime
from gateway.worker import webhooks

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass
class Pass:
    delivered: int = 0
    retried: int = 0
    refused: int = 0
    collected: int = 0
    interpreted: int = 0
    """Stored messages interpreted late (after a crash, or deferred by a concurrent worker)."""
    webhooks: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.delivered or self.retried or self.refused or self.collected or self.interpreted
                    or self.webhooks)


def run_once(database: Database, runtime: Runtime, *, worker: str | None = None, clock: Clock = utcnow,
             collect: bool = True, statements_through: date | None = None) -> Pass:
    """One pass; with ``statements_through``, also flag missing end-of-day statements up to that day."""
    worker = worker or default_worker_id()
    result = Pass()
    sent = delivery.dispatch(database, runtime, worker=worker, clock=clock)
    result.delivered, result.retried, result.refused = sent.delivered, sent.retried, sent.refused
    for row_id in sent.answers:
        inbound.interpret_stored(database, row_id, clock=clock, router=runtime.router)
        result.collected += 1
    if collect:
        for bank in runtime.router.banks:
            try:
                result.collected += inbound.collect(database, runtime, bank.id, clock=clock)
            except ConnectorError as exc:
                result.problems.append(f"{bank.id}: {exc.message}")
                log.warning("collecting from %s failed: %s", bank.id, exc.message)
            except Exception as exc:
                result.problems.append(f"{bank.id}: {type(exc).__name__}: {exc}")
                log.exception("collecting from %s failed unexpectedly", bank.id)
    result.interpreted = inbound.interpret_pending(database, clock=clock, router=runtime.router)
    result.webhooks = webhooks.deliver_due(database, clock=clock, loopback=runtime.webhooks_to_loopback)
    _housekeeping(database, lambda session: Consents(session, clock).expire_due())
    if statements_through is not None:  # its own transaction: a lost race above does not skip the day's check
        _housekeeping(database, lambda session: reports.flag_missing_statements(session, clock,
                                                                                through=statements_through))
    return result


def _housekeeping(database: Database, step: Callable) -> None:
    try:
        with database.transaction() as session:
            step(session)
    except ConcurrentUpdate:  # another worker did the same first (expired the same consent): its work stands
        log.info("housekeeping step skipped: another worker changed the same records")


def run_forever(database: Database, runtime: Runtime, *, poll_seconds: float, stop: threading.Event,
                worker: str | None = None, clock: Clock = utcnow) -> None:
    """Work until ``stop`` is set; sleep ``poll_seconds`` only after a pass with nothing to do."""
    worker = worker or default_worker_id()
    log.info("worker %s started", worker)
    checked: date | None = None
    while not stop.is_set():
        # Through the day before yesterday: banks send a day's statement in the night or the next
        # morning, and a statement not there a day later is worth someone's attention.
        through = clock().date() - timedelta(days=2)
        try:  # missing statements: checked once a day
            done = run_once(database, runtime, worker=worker, clock=clock,
                            statements_through=through if checked != through else None)
            checked = through
        except Exception:  # keep the loop alive; the pass's transactions rolled back
            log.exception("worker pass failed; retrying after %s s", poll_seconds)
            done = Pass()
        if not done.busy:
            stop.wait(poll_seconds)
    log.info("worker %s stopped", worker)
