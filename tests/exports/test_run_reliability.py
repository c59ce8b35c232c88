"""Against the sandboxes: outcomes are reported while the run proceeds, a job Pleo no longer
takes is closed with its reason and its booked items are adopted by the next job, a job whose
items were not all listed is never completed, a run failing again and again is parked without
holding back later jobs, and a run taken over is never worked by two workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.core import errors
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.services import reporting, runs
from integrations.exports.services.context import FetchIncomplete, run_context_build
from integrations.exports.services.runs import export_run_drive, export_run_process
from integrations.pleo.client import PleoClient
from integrations.sandbox.pleo import clock
from integrations.visma.client import VismaClient
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, run_for, settings_change

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JOURNALS = "/v2/journaltransaction"


def _pleo_calls(sandbox: Sandbox, method: str, suffix: str) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("pleo")
        if r["method"] == method and r["path"].rstrip("/").endswith(suffix)
    ]


def _creates(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("visma")
        if r["method"] == "POST" and r["path"].rstrip("/") == JOURNALS
    ]


def _events(sandbox: Sandbox, job_id: str) -> list[str]:
    return [
        (r["body"] or {}).get("event")
        for r in _pleo_calls(sandbox, "POST", "/v3/export-job-events")
        if (r["body"] or {}).get("jobId") == job_id
    ]


# -- report as you go --------------------------------------------------------------------------


def test_outcomes_are_reported_in_full_batches_while_the_run_posts(
    sandbox: Sandbox, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporting, "ITEM_UPDATE_BATCH", 2)
    # One item at a time, so that "before the third expense was booked" has one meaning; with
    # several in flight the creates of a batch go out together (test_concurrency_within_run).
    settings_change(demo, export_concurrency=1)
    items = [card_payload(f"{125 * (n + 1)}.00", f"{25 * (n + 1)}.00") for n in range(5)]

    job = sandbox.job_create(items)

    assert run_for(job).status == ExportRun.Status.COMPLETED
    puts = _pleo_calls(sandbox, "PUT", f"/v3/export-jobs/{job['id']}/items")
    assert [len(p["body"]) for p in puts] == [2, 2, 1]
    creates = _creates(sandbox)
    assert len(creates) == 5
    # The first two outcomes reached Pleo before the third expense was booked.
    assert puts[0]["at"] < creates[2]["at"]
    assert puts[1]["at"] < creates[4]["at"]
    assert {i["status"] for i in sandbox.job_items(job["id"]).values()} == {"successful"}


# -- a job Pleo no longer takes ----------------------------------------------------------------


def test_a_job_that_expires_mid_run_is_closed_and_the_next_job_adopts_its_bookings(
    sandbox: Sandbox, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_create = VismaClient.journal_transaction_create
    real_now = clock.now

    def create_then_expire(self: VismaClient, jt: Any) -> str:
        number = original_create(self, jt)
        # Over an hour passes in Pleo without an update: the job expires.
        monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(hours=2))
        return number

    monkeypatch.setattr(VismaClient, "journal_transaction_create", create_then_expire)
    items = [card_payload(), card_payload("250.00", "50.00")]

    first = sandbox.job_create(items)

    run = run_for(first)
    assert run.status == ExportRun.Status.FAILED
    assert run.failure_reason_type == "job_expired"
    assert "expired" in run.failure_reason.lower() or "failed" in run.failure_reason.lower()
    assert sandbox.job(first["id"])["status"] == "failed"
    booked = {i.accounting_entry_id: i.visma_number for i in ExportItem.objects.filter(run=run)}
    assert all(booked.values())
    assert len(sandbox.visma_state()["journalTransactions"]) == 2

    # The expenses come back in a new job: found by their rows, never booked again.
    monkeypatch.setattr(VismaClient, "journal_transaction_create", original_create)
    second = sandbox.job_create(items)

    assert run_for(second).status == ExportRun.Status.COMPLETED
    assert len(_creates(sandbox)) == 2
    assert len(sandbox.visma_state()["journalTransactions"]) == 2
    reported = sandbox.job_items(second["id"])
    assert {e: i["externalId"] for e, i in reported.items()} == booked
    assert {i["status"] for i in reported.values()} == {"successful"}


# -- items not all listed; runs that keep failing ----------------------------------------------


def _listing_drops_the_last_item(monkeypatch: pytest.MonkeyPatch) -> None:
    original = PleoClient.export_items_iter

    def listing(self: PleoClient, job_id: str, *, at_once: int = 1) -> Iterator[Any]:
        entries = list(original(self, job_id, at_once=at_once))
        yield from entries[:-1]

    monkeypatch.setattr(PleoClient, "export_items_iter", listing)


def test_a_job_whose_items_were_not_all_listed_is_never_completed_and_is_parked(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _listing_drops_the_last_item(monkeypatch)
    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])
    run = run_for(job)

    for attempt in range(1, runs.MAX_RUN_ATTEMPTS):
        with pytest.raises(FetchIncomplete):
            export_run_process(run_id=run.pk)
        run.refresh_from_db()
        assert run.status == ExportRun.Status.FETCHING
        assert run.failed_attempts == attempt and run.claimed_by == ""
        assert run.not_before is not None and run.not_before > timezone.now()
        assert "listed 1 items" in run.last_error and "holds 2" in run.last_error
        ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())

    # Nothing was posted nor reported while the items were incomplete.
    assert sandbox.visma_state()["journalTransactions"] == []
    assert _pleo_calls(sandbox, "PUT", f"/v3/export-jobs/{job['id']}/items") == []
    assert _events(sandbox, job["id"]) == ["started"]

    export_run_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ExportRun.Status.PARKED
    assert run.claimed_by == "" and run.finished_at is not None
    assert f"after {runs.MAX_RUN_ATTEMPTS} failed attempts" in run.failure_reason
    assert run.failure_reason_type == "validation_failure"
    # Pleo is told, so the expenses go back to its export queue and a new job can start.
    assert _events(sandbox, job["id"]) == ["started", "failed"]
    assert sandbox.job(job["id"])["status"] == "failed"

    monkeypatch.undo()
    later = sandbox.job_create([card_payload("75.00", "15.00")])
    export_run_process(run_id=run_for(later).pk)
    assert run_for(later).status == ExportRun.Status.COMPLETED


# -- claims --------------------------------------------------------------------------------------


def test_a_run_taken_over_mid_run_is_not_worked_by_two(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One item at a time: the claim is checked before each send, and a send already under way
    # when the run is taken over cannot be called back (several in flight at a takeover:
    # test_concurrency_within_run; the look-up before any resend keeps that one booking single).
    settings_change(demo, export_concurrency=1)
    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])
    run = run_for(job)
    original_create = VismaClient.journal_transaction_create

    def create_then_lose_the_claim(self: VismaClient, jt: Any) -> str:
        number = original_create(self, jt)
        # Our worker looked dead (a long pause) and worker-b took the run over meanwhile.
        ExportRun.objects.filter(id=run.pk).update(
            claimed_by="worker-b", heartbeat_at=timezone.now()
        )
        return number

    with monkeypatch.context() as patch:
        patch.setattr(VismaClient, "journal_transaction_create", create_then_lose_the_claim)
        assert export_run_process(run_id=run.pk, worker="worker-a") == [run.pk]

    # Worker-a stopped before its next send: one document, and the run left to worker-b.
    assert len(_creates(sandbox)) == 1
    run.refresh_from_db()
    assert run.claimed_by == "worker-b" and run.status == ExportRun.Status.POSTING
    assert _pleo_calls(sandbox, "PUT", f"/v3/export-jobs/{job['id']}/items") == []

    assert export_run_drive(run=run, worker="worker-b")

    assert run_for(job).status == ExportRun.Status.COMPLETED
    assert len(_creates(sandbox)) == 2
    assert len(sandbox.visma_state()["journalTransactions"]) == 2


@pytest.mark.parametrize("kind", ["no_data", "not_json", "truncated"])
def test_a_spoiled_items_page_stops_the_run_before_posting_then_it_completes(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], kind: str
) -> None:
    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])
    run = run_for(job)
    sandbox.fault("pleo", path="/v3/export-items", method="GET", fault=f"malformed:{kind}", times=1)

    with pytest.raises(errors.PermanentError):
        export_run_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ExportRun.Status.FETCHING and run.failed_attempts == 1
    assert sandbox.visma_state()["journalTransactions"] == []
    assert _events(sandbox, job["id"]) == ["started"]
    # Tried again when due: the page is whole this time and the job completes.
    ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())
    export_run_process(run_id=run.pk)
    assert run_for(job).status == ExportRun.Status.COMPLETED
    assert len(sandbox.visma_state()["journalTransactions"]) == 2
    assert _events(sandbox, job["id"]) == ["started", "completed"]


def test_new_items_are_stored_in_one_insert_per_chunk_not_one_per_item(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], django_assert_max_num_queries: Any
) -> None:
    job = sandbox.job_create([card_payload() for _ in range(30)])
    run = runs.export_run_claim_next(connection_id=demo.pk, worker="worker-a")
    assert run is not None and run.pleo_job_id == job["id"]
    ctx = run_context_build(run=run, worker="worker-a")

    # Before, each entry cost a transaction, a locked read and an insert (over 90 queries here).
    with django_assert_max_num_queries(20):
        runs.export_run_fetch(ctx)

    stored = ExportItem.objects.filter(run=run)
    assert stored.count() == 30 and run.items_total == 30
    assert {i.accounting_entry_id for i in stored} == {i["accountingEntryId"] for i in job["items"]}
