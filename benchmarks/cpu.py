"""Where the machine's CPU went during a measured phase (Linux `/proc`).

The benchmark runs everything on the same cores: the web app serving both sandboxes, the
worker, PostgreSQL and the benchmark itself. When the cores are busy, every call waits for one,
so a wall time far above its latency bound may be the stand-ins' CPU rather than ours. This
splits the busy time of the phase: the web app's processes and the worker's (their own CPU
time, children included while they live), and the rest (PostgreSQL, Redis, the benchmark),
which is the machine's busy time less those two.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float:
    """Seconds every core spent on anything but idling and waiting for the disk."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    # guest time is already counted in user time
    return (sum(values[:8]) - idle) / _TICK


def _process_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime: the process's own and its finished children's.
    return sum(int(v) for v in fields[11:15]) / _TICK


def group_seconds(pids: list[int]) -> float:
    """CPU seconds of these processes (their own and their finished children's)."""
    return sum(_process_seconds(pid) for pid in pids)


def web_pids(port: int) -> list[int]:
    """The gunicorn processes serving `port` (the master and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "gunicorn" in command and f":{port} " in f"{command} ":
            found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class CpuSample:
    busy: float
    web: float
    worker: float


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds over one phase."""

    wall: float
    busy: float
    web: float
    worker: float

    @property
    def rest(self) -> float:
        return max(0.0, self.busy - self.web - self.worker)

    def text(self, cores: int | None = None) -> str:
        cores = cores or os.cpu_count() or 1
        share = self.busy / (self.wall * cores) if self.wall else 0.0
        return (
            f"{cores} cores {share:.0%} busy: web app with the sandboxes {self.web:.1f} s, "
            f"worker {self.worker:.1f} s, PostgreSQL and the rest {self.rest:.1f} s"
        )


class CpuMeter:
    def __init__(self, *, web_port: int, worker_pids: list[int]) -> None:
        self.web_port = web_port
        self.worker_pids = worker_pids

    def sample(self) -> CpuSample:
        return CpuSample(
            busy=_busy_seconds(),
            web=group_seconds(web_pids(self.web_port)),
            worker=group_seconds(self.worker_pids),
        )

    @staticmethod
    def between(before: CpuSample, after: CpuSample, wall: float) -> CpuUse:
        return CpuUse(
            wall=wall,
            busy=after.busy - before.busy,
            web=max(0.0, after.web - before.web),
            worker=max(0.0, after.worker - before.worker),
        )
