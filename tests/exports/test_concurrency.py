"""Two workers on PostgreSQL: both start the processing task for the same job at the same moment;
the claim lets exactly one of them work, and every item is exported once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from integrations.core.models import ApiCall
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.services.runs import export_run_process
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, receipt, run_for

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _race(run_id: int, workers: list[str]) -> dict[str, list[int]]:
    barrier = threading.Barrier(len(workers))
    worked: dict[str, list[int]] = {}
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            worked[name] = export_run_process(run_id=run_id, worker=name)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(name,)) for name in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return worked


def test_two_workers_export_each_item_once(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    # Each VAT is 25 % of its net amount, as Visma.net checks on a VAT transaction.
    items = [card_payload(f"{100 + 5 * n}.00", f"{20 + n}.00", files=[receipt()]) for n in range(4)]
    job = sandbox.job_create(items)
    run = run_for(job)

    worked = _race(run.pk, ["worker-a", "worker-b"])

    assert sorted(len(ids) for ids in worked.values()) == [0, 1]
    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 4
    assert len(state["attachments"]) == 4
    assert (
        ApiCall.objects.filter(method="POST", path__endswith="/v2/journaltransaction").count() == 4
    )
    assert set(ExportItem.objects.filter(run=run).values_list("status", flat=True)) == {
        "successful"
    }
    started = [
        r
        for r in sandbox.requests("pleo")
        if r["path"].endswith("/v3/export-job-events")
        and (r["body"] or {}).get("event") == "started"
    ]
    assert len(started) == 1
