"""Runs against the Pleo sandbox: `started` is sent once, and the backstop poll finds a job
whose webhook never arrived."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.connections.clients import connection_pleo_client
from integrations.exports.models import ExportRun
from integrations.exports.services.runs import export_jobs_poll, export_run_process
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, run_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _started_events(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("pleo")
        if r["method"] == "POST"
        and r["path"].endswith("/v3/export-job-events")
        and (r["body"] or {}).get("event") == "started"
    ]


def test_started_is_not_sent_again_when_pleo_shows_the_job_in_progress(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload()])
    # A worker claimed the run, sent `started` and died before recording it.
    ExportRun.objects.filter(id=run_for(job).pk).update(
        status=ExportRun.Status.CLAIMED,
        claimed_by="gone",
        claimed_at=timezone.now() - timedelta(hours=1),
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    connection_pleo_client(connection=demo).export_job_event(job["id"], "started")

    export_run_process(run_id=run_for(job).pk)

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED and run.started_event_sent_at
    assert len(_started_events(sandbox)) == 1
    assert sandbox.job(job["id"])["status"] == "completed"


def test_a_first_claim_sends_started_without_reading_the_job(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload()])

    export_run_process(run_id=run_for(job).pk)

    assert run_for(job).status == ExportRun.Status.COMPLETED
    assert len(_started_events(sandbox)) == 1
    job_reads = [
        r
        for r in sandbox.requests("pleo")
        if r["method"] == "GET" and r["path"].endswith(f"/v3/export-jobs/{job['id']}")
    ]
    assert job_reads == []


def test_a_first_claim_of_a_job_started_elsewhere_reads_it_and_goes_on(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload()])
    # Started by someone else after we registered it as pending: Pleo refuses our `started`.
    connection_pleo_client(connection=demo).export_job_event(job["id"], "started")

    export_run_process(run_id=run_for(job).pk)

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED and run.started_event_sent_at
    assert sandbox.job(job["id"])["status"] == "completed"


def test_the_poll_finds_a_job_whose_webhook_was_lost(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload()])
    ExportRun.objects.all().delete()  # as if the webhook had never arrived
    no_autorun.clear()

    found = export_jobs_poll(connection=demo)

    assert [r.pleo_job_id for r in found] == [job["id"]]
    assert no_autorun == [found[0].pk]
    assert export_jobs_poll(connection=demo) == []
    export_run_process(run_id=found[0].pk)
    assert run_for(job).status == ExportRun.Status.COMPLETED


def test_a_job_that_expired_in_pleo_fails_the_run(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload()])
    connection_pleo_client(connection=demo).export_job_event(
        job["id"], "failed", failure_reason="Cancelled", failure_reason_type="canceled_by_user"
    )

    export_run_process(run_id=run_for(job).pk)

    run = run_for(job)
    assert run.status == ExportRun.Status.FAILED
    assert run.failure_reason_type == "canceled_by_user"
    assert sandbox.visma_state()["journalTransactions"] == []
