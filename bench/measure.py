"""Timing, peak-RSS and fresh-subprocess measurement.

In-process runs (``best_of``) are for builders whose memory does not matter.
Parse runs go through ``run_isolated``: each repeat is a new interpreter
(``python -m bench.worker``) that loads the implementation untimed, then times
the run itself and reports its own peak RSS (see ``maxrss_mb``), so no run
inherits another's heap, caches or imports.
"""

from __future__ import annotations

import gc
import importlib
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from bench.data import PROJECT_ROOT

RESULT_MARKER = "BENCH-RESULT "


class Unavailable(Exception):
    """The implementation cannot run here (e.g. the gateway function is not built yet)."""


@dataclass
class Measurement:
    """The outcome of one implementation on one workload."""

    status: str = "ok"
    """ok | n/a | error | timeout | skipped"""
    note: str = ""
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    """CPU seconds (user + system) of each run, next to its wall time in ``times``."""
    peak_rss_mb: float | None = None
    """Highest peak RSS over the isolated runs (whole process: interpreter, imports, run)."""
    base_rss_mb: float | None = None
    """Peak RSS after imports and set-up, before the timed run."""
    result: Any = None
    """What the last run returned (counts, checksums, output bytes...)."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def best(self) -> float | None:
        return min(self.times) if self.times else None

    @property
    def cpu_share(self) -> float | None:
        """CPU time / wall time of the best run: well below 1 means the run waited
        for a CPU (other processes) or for I/O."""
        if not self.times or len(self.cpu_times) != len(self.times):
            return None
        i = self.times.index(min(self.times))
        return self.cpu_times[i] / self.times[i] if self.times[i] else None


def maxrss_mb() -> float:
    """This process's own peak RSS so far, in MB (MiB).

    Linux's ``ru_maxrss`` survives ``exec``: a child started by a big parent
    reports at least the parent's RSS at fork time.  ``VmHWM`` in
    /proc/self/status is the high-water mark of this process's own address space,
    so it is used where it exists; ``ru_maxrss`` (KiB on Linux) is the fallback."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(run: Callable[[], Any], repeat: int, *, before: Callable[[], None] | None = None) -> Measurement:
    """Time ``run()`` ``repeat`` times in this process; ``before()`` runs untimed
    ahead of each repeat (e.g. to copy inputs that ``run`` consumes)."""
    m = Measurement()
    for _ in range(max(1, repeat)):
        if before is not None:
            before()
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        m.result = run()
        m.times.append(time.perf_counter() - t0)
        m.cpu_times.append(time.process_time() - c0)
    return m


def guarded(measure: Callable[[], Measurement]) -> Measurement:
    """Turn a missing implementation or a crash into a row instead of an abort."""
    try:
        return measure()
    except Unavailable as exc:
        return Measurement(status="n/a", note=str(exc))
    except Exception as exc:  # noqa: BLE001 - a benchmark row, not a program error
        return Measurement(status="error", note=describe(exc))


def describe(exc: BaseException) -> str:
    """One line for a table cell; the first finding of a gateway InvalidInput included."""
    text = f"{type(exc).__name__}: {exc}"
    findings = getattr(exc, "findings", None)
    if findings:
        first = findings[0]
        text += f" [{len(findings)} finding(s); first: {getattr(first, 'xpath', None) or ''} " \
                f"{getattr(first, 'message', first)}]"
    return text[:300]


def run_isolated(target: str, kwargs: dict, *, repeat: int, timeout: float) -> Measurement:
    """Best of ``repeat`` fresh-interpreter runs of ``target`` (``module:factory``).

    The factory is called untimed with ``kwargs`` and returns the callable that is
    timed; see ``bench.worker``."""
    m = Measurement()
    for _ in range(max(1, repeat)):
        cmd = [sys.executable, "-m", "bench.worker", target, json.dumps(kwargs)]
        try:
            proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Measurement(status="timeout", note=f"killed after {timeout:.0f} s", times=m.times,
                               peak_rss_mb=m.peak_rss_mb, result=m.result)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
        if not lines:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return Measurement(status="error", note=f"worker exit {proc.returncode}: {tail}"[:300])
        report = json.loads(lines[-1][len(RESULT_MARKER):])
        if report["status"] != "ok":
            return Measurement(status=report["status"], note=report.get("note", ""))
        m.times.append(report["seconds"])
        m.cpu_times.append(report["cpu_seconds"])
        m.peak_rss_mb = max(m.peak_rss_mb or 0.0, report["peak_rss_mb"])
        m.base_rss_mb = report["base_rss_mb"]
        m.result = report["result"]
    return m


def worker_main(argv: list[str]) -> int:
    """Body of ``python -m bench.worker MODULE:FACTORY KWARGS_JSON``."""
    target, kwargs = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    module_name, _, factory_name = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
        run = factory(**kwargs)
    except Unavailable as exc:
        return _report({"status": "n/a", "note": str(exc)})
    except Exception as exc:  # noqa: BLE001
        return _report({"status": "error", "note": "set-up failed: " + describe(exc)})
    gc.collect()
    base = maxrss_mb()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        result = run()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    except Exception as exc:  # noqa: BLE001
        return _report({"status": "error", "note": describe(exc)})
    return _report({"status": "ok", "seconds": seconds, "cpu_seconds": cpu, "result": result,
                    "base_rss_mb": base, "peak_rss_mb": maxrss_mb()})


def _report(payload: dict) -> int:
    sys.stdout.write(RESULT_MARKER + json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()
    return 0
