"""The worker processes: `manage.py qcluster` subprocesses, each in its own process group, as
on separate machines. They are killed with SIGKILL (a whole cluster, or one process inside it)
and restarted."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from benchmarks.environment import REPO_ROOT


def _descendants(pid: int) -> list[int]:
    """Child processes, recursively, from /proc (Linux)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            text = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        children = [int(p) for p in text.split()]
        found.extend(children)
        pending.extend(children)
    return found


class WorkerPool:
    def __init__(self, *, count: int, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * count
        self.starts = 0
        self.lock = threading.Lock()

    def start(self, index: int) -> None:
        with self.lock:
            log = (self.log_dir / f"worker-{index}.log").open("ab")
            self.processes[index] = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=REPO_ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            self.starts += 1

    def start_all(self) -> None:
        for index in range(len(self.processes)):
            self.start(index)

    def kill_cluster(self, index: int) -> None:
        """SIGKILL the whole cluster, as a machine that loses power."""
        with self.lock:
            process = self.processes[index]
            self.processes[index] = None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)

    def kill_one_process(self, index: int, rng: random.Random) -> bool:
        """SIGKILL one process inside a cluster (a task worker, most often); django-q2's
        sentinel starts a new one. False when the cluster had none to kill."""
        process = self.processes[index]
        if process is None or process.poll() is not None:
            return False
        children = _descendants(process.pid)
        if not children:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(rng.choice(sorted(children)), signal.SIGKILL)
        return True

    def ensure_running(self) -> None:
        """Restart every cluster that is not running (killed, or stopped by itself)."""
        for index, process in enumerate(self.processes):
            if process is None or process.poll() is not None:
                if process is not None:
                    self.kill_cluster(index)
                self.start(index)

    def stop_all(self) -> None:
        """SIGTERM every cluster at once, then SIGKILL what is left after a short grace."""
        running = [p for p in self.processes if p is not None]
        self.processes = [None] * len(self.processes)
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            # Whatever is left of the group goes now.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
