"""Result rows, targets, the printed table and the JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import Measurement

STARVED_BELOW = 0.85


@dataclass
class Row:
    key: str
    label: str
    m: Measurement
    items: int
    """Items (payments, entries) one run processes."""
    unit: str
    note: str = ""
    extrapolated_seconds: float | None = None
    """For a peer too slow to run at full size: its estimated time for ``extrapolated_items``."""
    extrapolated_items: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    """Cells of the section's ``extra_columns`` (e.g. latency percentiles of a load run)."""

    @property
    def rate(self) -> float | None:
        """Measured items per second."""
        best = self.m.best
        return self.items / best if self.m.ok and best else None

    @property
    def comparable_rate(self) -> float | None:
        """The rate used in ratios: extrapolated to full size where that was needed."""
        if self.extrapolated_seconds and self.extrapolated_items:
            return self.extrapolated_items / self.extrapolated_seconds
        return self.rate

    def ratio_to(self, other: "Row") -> float | None:
        """How many times faster than ``other`` (= other's time / this time, same input)."""
        mine, theirs = self.comparable_rate, other.comparable_rate
        return mine / theirs if mine and theirs else None

    def to_dict(self) -> dict:
        return {
            "key": self.key, "label": self.label, "status": self.m.status,
            "note": "; ".join(n for n in (self.m.note, self.note) if n) or None,
            "items": self.items, "unit": self.unit, "best_seconds": self.m.best,
            "times": self.m.times, "cpu_times": self.m.cpu_times, "rate_per_second": self.rate,
            "peak_rss_mb": self.m.peak_rss_mb, "base_rss_mb": self.m.base_rss_mb,
            "extrapolated_seconds": self.extrapolated_seconds,
            "extrapolated_items": self.extrapolated_items, "result": self.m.result,
            **({"extra": self.extra} if self.extra else {}),
        }


@dataclass
class Target:
    label: str
    goal: str
    value: float | None
    minimum: float | None = None
    maximum: float | None = None
    unit: str = "x"

    @property
    def result(self) -> str:
        if self.value is None:
            return "n/a"
        if self.minimum is None and self.maximum is None:
            return "info"
        ok = (self.minimum is None or self.value >= self.minimum) and \
             (self.maximum is None or self.value < self.maximum)
        return "PASS" if ok else "MISS"

    @property
    def measured(self) -> str:
        if self.value is None:
            return "-"
        return f"{self.value:.2f}x" if self.unit == "x" else f"{self.value:,.0f} {self.unit}"

    def to_dict(self) -> dict:
        return {"label": self.label, "goal": self.goal, "value": self.value,
                "unit": self.unit, "result": self.result}


@dataclass
class Section:
    title: str
    subtitle: str
    rows: list[Row]
    ratio_columns: list[tuple[str, str]]
    """(header, key of the reference row): each row's speed relative to that row."""
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    show_time: bool = True
    """False for load runs, whose "time" is the run's length, not a result."""
    extra_columns: list[str] = field(default_factory=list)
    """Headers of per-row cells taken from ``Row.extra``."""
    details: list[str] = field(default_factory=list)
    """Lines printed as they are under the table (a profile, a breakdown)."""

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)

    def to_dict(self) -> dict:
        ratios = {}
        for header, ref_key in self.ratio_columns:
            ref = self.row(ref_key)
            ratios[header] = {r.key: (r.ratio_to(ref) if ref else None) for r in self.rows}
        return {"title": self.title, "subtitle": self.subtitle,
                "rows": [r.to_dict() for r in self.rows], "ratios": ratios,
                "targets": [t.to_dict() for t in self.targets], "notes": self.notes,
                **({"details": self.details} if self.details else {})}


# ------------------------------------------------------------------ formatting

def _seconds(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:,.2f} s"


def _rate(r: float | None, unit: str) -> str:
    return "-" if r is None else f"{r:,.0f} {unit}/s"


def _ratio(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2g}x" if x < 0.01 else f"{x:.2f}x" if x < 100 else f"{x:,.0f}x"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """Fixed-width table; a two-cell row's second cell spans the remaining columns."""
    n = len(header)
    full = [r for r in rows if len(r) == n]
    widths = [max(len(r[i]) for r in [header, *full]) for i in range(n)]
    widths[0] = max([widths[0], *(len(r[0]) for r in rows)])

    def line(cells: list[str]) -> str:
        if len(cells) < n:
            return f"{cells[0].ljust(widths[0])}  {cells[1]}".rstrip()
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_section(section: Section) -> str:
    out = [section.title, f"  {section.subtitle}", ""]
    with_rss = any(r.m.peak_rss_mb is not None for r in section.rows)
    header = ["implementation", *(["time"] if section.show_time else []), "rate",
              *section.extra_columns, *(["peak RSS"] if with_rss else []),
              *(h for h, _ in section.ratio_columns)]
    body, notes, starved = [], [], []
    for row in section.rows:
        if not row.m.ok:
            body.append([row.label, row.m.note or row.m.status])
            continue
        rss = [] if not with_rss else \
            ["-" if row.m.peak_rss_mb is None else f"{row.m.peak_rss_mb:,.0f} MB"]
        ratios = []
        for _, ref_key in section.ratio_columns:
            ref = section.row(ref_key)
            mark = "*" if row.extrapolated_seconds or (ref and ref.extrapolated_seconds) else ""
            ratios.append(_ratio(row.ratio_to(ref) if ref else None) + mark)
        time_cell = [_seconds(row.m.best)] if section.show_time else []
        extra = [row.extra.get(h, "-") for h in section.extra_columns]
        body.append([row.label, *time_cell, _rate(row.rate, row.unit), *extra, *rss, *ratios])
        if row.note:
            notes.append(f"* {row.label}: {row.note}")
        if row.m.cpu_share is not None and row.m.cpu_share < STARVED_BELOW:
            starved.append(f"{row.label} ({row.m.cpu_share:.0%})")
    out += ["  " + ln for ln in _table(header, body, right=set(range(1, len(header))))]
    out += [f"  {n}" for n in notes]
    if starved:
        out.append(f"  ! CPU time / wall time below {STARVED_BELOW:.0%}, so the run waited (other "
                   f"processes on the CPUs, or I/O); its time is pessimistic: {', '.join(starved)}")
    out += [f"  note: {n}" for n in section.notes]
    if section.details:
        out += ["", *(f"  {d}" for d in section.details)]
    if section.targets:
        out += ["", "  targets:"]
        t_rows = [[t.label, t.goal, t.measured, t.result] for t in section.targets]
        out += ["    " + ln for ln in _table(["check", "target", "measured", "result"], t_rows, right={2})]
    return "\n".join(out)


def render(header: list[str], sections: list[Section]) -> str:
    parts = ["\n".join(header)] + [render_section(s) for s in sections]
    summary = [t for s in sections for t in s.targets]
    if summary:
        counts = {k: sum(t.result == k for t in summary) for k in ("PASS", "MISS", "n/a")}
        parts.append("targets: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return "\n\n".join(parts) + "\n"


def save_json(path: Path, meta: dict, sections: list[Section]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "sections": [s.to_dict() for s in sections]},
                               indent=2, default=str) + "\n")
