"""The fault campaign still runs end to end at a tiny size: web app and one worker in
subprocesses, faults injected, and the table printed with every failure column at zero. It
checks what the campaign reports, never timings."""

from __future__ import annotations

import os
import re
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
         "--kill-probability", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    figures = dict(re.findall(r"^(\S[^\n]*?)\s{2,}(\d+)$", result.stdout, re.MULTILINE))
    assert figures["jobs"] == "3"
    assert figures["items"] == "24"
    assert figures["items that must fail (unmapped category)"] == "1"
    for column in FAILURE_COLUMNS:
        assert figures[column] == "0", output
    # One journal per expense for job 1, one journal for job 2, invoices and journals for 3.
    assert int(figures["documents"]) >= 8 + 1 + 1
    assert re.search(r"^total\s+[1-9]\d*\s+\d+$", result.stdout, re.MULTILINE), output
    assert "RESULT: every failure column is zero" in result.stdout
