"""The fault campaign still runs end to end at a tiny size: web app and one worker in
subprocesses, faults injected, and the table printed with every failure column at zero. It
checks what the campaign reports, never timings."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reliability.check import FAILURE_COLUMNS

pytestmark = [pytest.mark.e2e]
ROOT = Path(__file__).resolve().parent.parent


def test_campaign_at_tiny_size_reports_every_item_and_no_failure() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # A job per mode, an item in 23 that must fail (index 22), faults after every job.
    result = subprocess.run(
        [sys.executable, "-m", "reliability", "--jobs", "3", "--items", "8", "--seed", "3",
         "--minutes", "2", "--settle-minutes", "4", "--faults-per-job", "2",
         "--kill-probability", "0", "--keep"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    kept = re.search(r"^Kept (\S+)$", result.stderr, re.MULTILINE)
    workdir = Path(kept.group(1)) if kept else None
    try:
        if result.returncode != 0 and workdir is not None:
            output += _what_the_runs_did(workdir)
        _figures_check(result.stdout, output, result.returncode)
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _what_the_runs_did(workdir: Path) -> str:
    """For a failed campaign: each run's state and its last remote calls, from the campaign's
    database, and the worker's log lines (warnings and errors)."""
    lines = ["", "== what the runs did =="]
    database = workdir / "reliability.sqlite3"
    if database.exists():
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(database) as db:
            for row in db.execute(
                "SELECT id, status, not_before, started_event_sent_at, finished_event_sent_at, "
                "failed_attempts, last_error FROM exports_exportrun ORDER BY id"
            ):
                lines.append(f"run {row}")
            for row in db.execute(
                "SELECT created_at, export_run_id, method, path, status_code, duration_ms, "
                "attempt, error FROM core_apicall ORDER BY id DESC LIMIT 60"
            ):
                lines.append(f"call {row}")
    for log in sorted(workdir.glob("worker-*.log")):
        lines.append(f"== {log.name} (last 80 lines) ==")
        lines += log.read_text(errors="replace").splitlines()[-80:]
    return "\n".join(lines)


def _figures_check(stdout: str, output: str, returncode: int) -> None:
    assert returncode == 0, output
    figures = dict(re.findall(r"^(\S[^\n]*?)\s{2,}(\d+)$", stdout, re.MULTILINE))
    assert figures["jobs"] == "3"
    assert figures["items"] == "24"
    assert figures["items that must fail (unmapped category)"] == "1"
    for column in FAILURE_COLUMNS:
        assert figures[column] == "0", output
    # One journal per expense for job 1, one journal for job 2, invoices and journals for 3.
    assert int(figures["documents"]) >= 8 + 1 + 1
    assert re.search(r"^total\s+[1-9]\d*\s+\d+$", stdout, re.MULTILINE), output
    assert "RESULT: every failure column is zero" in stdout
