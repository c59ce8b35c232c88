"""The sample job the README gives newcomers books exactly as documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from integrations.exports.models import AttachmentUpload, ExportItem, ExportRun
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, run_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-export-job.json"


def _lines(journal: dict[str, Any]) -> list[tuple[str, float, float, str | None]]:
    return [
        (
            line["accountNumber"],
            line["debitAmountInCurrency"],
            line["creditAmountInCurrency"],
            (line.get("vatCode") or {}).get("id"),
        )
        for line in journal["journalTransactionLines"]
    ]


def test_the_readme_sample_job_is_booked_and_reported(sandbox: Sandbox, demo: Any) -> None:
    job = sandbox.job_create(json.loads(SAMPLE.read_text())["items"])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED
    assert ExportItem.objects.filter(run=run, status=ExportItem.Status.SUCCESSFUL).count() == 4
    assert AttachmentUpload.objects.filter(item__run=run).count() == 1

    # Items go out side by side (ExportSettings.export_concurrency), so the journals' numbers
    # follow no fixed order: they are compared by their lines.
    journals = sorted(sandbox.visma_state()["journalTransactions"], key=_lines)
    assert [_lines(j) for j in journals] == [
        [("6800", 400.0, 0.0, "1"), ("2710", 100.0, 0.0, None), ("1925", 0.0, 500.0, None)],
        [
            ("6900", 690.0, 0.0, "86"),
            ("2710", 172.5, 0.0, None),
            ("2700", 0.0, 172.5, None),
            ("1925", 0.0, 690.0, None),
        ],
        [("7100", 450.0, 0.0, "0"), ("2915", 0.0, 450.0, None)],
        [("7140", 214.29, 0.0, "13"), ("2710", 25.71, 0.0, None), ("2915", 0.0, 240.0, None)],
    ]
    assert len(journals[0]["attachments"]) == 1
    reported = {i["status"] for j in sandbox.pleo_state()["exportJobs"] for i in j["items"]}
    assert reported == {"successful"}
