"""A run against a small Visma.net call budget (the sandbox's window, as Visma.net's
"4-fixed-window" policy): paced by the X-RateLimit-* headers, it is never answered 429."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.core.pacing import pacing_forget
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.services.runs import export_run_process
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import (
    Sandbox,
    card_payload,
    receipt,
    run_for,
    settings_change,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_run_against_a_small_budget_finishes_without_a_429(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    settings_change(demo, export_concurrency=4)
    items = [card_payload(f"{100 + 5 * n}.00", f"{20 + n}.00", files=[receipt()]) for n in range(6)]
    job = sandbox.job_create(items)
    run = run_for(job)
    # 12 documents and receipts, 5 calls per 3-second window: the run has to wait for the
    # window twice at least (the tests accept waits of up to 5 seconds).
    sandbox.post("visma", "_control/budget", {"calls": 5, "seconds": 3})
    # The test's setup called Visma.net from this process under the sandbox's default budget
    # (15,000 an hour); a worker meets the small budget without that view of another one, as
    # a worker meets Visma.net's: the service's budget does not shrink under a running client.
    pacing_forget()

    export_run_process(run_id=run.pk, worker="worker-a")

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED, run.last_error
    assert set(ExportItem.objects.filter(run=run).values_list("status", flat=True)) == {
        "successful"
    }
    answered = [r["status"] for r in sandbox.requests("visma")]
    assert answered.count(429) == 0
    assert len(sandbox.visma_state()["journalTransactions"]) == 6
