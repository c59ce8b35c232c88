"""Plain-text tables of figures, for a terminal and for pasting into issue notes."""

from __future__ import annotations

import platform
import shlex
import sys
from collections import Counter
from collections.abc import Sequence

from benchmarks.measure import Figures

Cell = str | int | float


def _cell(value: Cell) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0:
            return "0"
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return value


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """Left-aligned first column, right-aligned figures."""
    text = [[_cell(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in text)])


def reproduce_command(argv: Sequence[str], *, database_url: str = "") -> str:
    prefix = f"DATABASE_URL={shlex.quote(database_url)} " if database_url else ""
    return f"{prefix}.venv/bin/python -m benchmarks {shlex.join(argv)}"


def heading(title: str, *, command: str, context: Sequence[str]) -> str:
    lines = [f"== {title} ==", f"Reproduce: {command}"]
    lines += context
    lines.append(f"Python {platform.python_version()} on {sys.platform}")
    return "\n".join(lines)


def mb(value: int) -> float:
    return value / (1024 * 1024)


def calls_table(phases: Sequence[Figures]) -> str:
    """Remote calls per endpoint and phase, with calls per processed record."""
    keys = sorted({key for f in phases for key in f.calls})
    headers = ["service  method endpoint"]
    for f in phases:
        headers += [f"{f.label[:3]} calls", f"{f.label[:3]} /{f.unit[:-1] or f.unit}"]
    rows: list[list[Cell]] = []
    for key in keys:
        service, method, endpoint = key
        row: list[Cell] = [f"{service:<13} {method:<6} {endpoint}"]
        for f in phases:
            n = f.calls.get(key, 0)
            row += [n, f"{f.per_record(n):.4f}" if n else ""]
        rows.append(row)
    return table(headers, rows)


def received_check(phases: Sequence[Figures]) -> str:
    """The sandboxes' own count of what they received, next to the integration's log."""
    lines = []
    for f in phases:
        parts = []
        for service in ("visma", "pleo"):
            logged = sum(n for (svc, _, _), n in f.calls.items() if svc.startswith(service))
            received = sum(n for (svc, _, _), n in f.received.items() if svc == service)
            parts.append(f"{service} logged {logged:,} / received {received:,}")
        lines.append(f"  {f.label}: " + "; ".join(parts))
    return "Cross-check, ApiCall rows vs the sandboxes' request logs:\n" + "\n".join(lines)


def queries_table(phases: Sequence[Figures], *, top: int = 8) -> str:
    """The most frequent database queries (statement and table) of each phase, per record."""
    kinds = Counter[str]()
    for f in phases:
        kinds.update(f.query_kinds)
    headers = ["statement table"]
    for f in phases:
        headers += [f"{f.label[:3]} queries", f"{f.label[:3]} /{f.unit[:-1] or f.unit}"]
    rows: list[list[Cell]] = []
    for kind, _ in kinds.most_common(top):
        row: list[Cell] = [kind]
        for f in phases:
            n = f.query_kinds.get(kind, 0)
            row += [n, f"{f.per_record(n):.2f}" if n else ""]
        rows.append(row)
    return table(headers, rows)
