"""Runs: registering jobs once, claiming one run at a time per connection (oldest first), taking
over a run whose worker stopped, and keeping what earlier runs booked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.connections.models import Connection, ExportSettings
from integrations.connections.services import connection_create
from integrations.exports.models import ExportItem, ExportRun, Step
from integrations.exports.services import runs
from integrations.exports.services.context import RunContext, RunLost
from integrations.exports.services.runs import (
    export_item_upsert,
    export_job_created_handler,
    export_run_claim_next,
    export_runs_resume,
)

pytestmark = pytest.mark.django_db

JOB_EVENT = {
    "eventId": "evt-1",
    "eventType": "v1.export-job.created",
    "data": {
        "id": "8eb6a3c2-0000-4000-8000-000000000001",
        "companyId": "company-1",
        "status": "pending",
        "createdAt": "2026-03-14T10:00:00Z",
        "numberOfItems": 3,
    },
}


@pytest.fixture
def connection() -> Connection:
    connection = connection_create(name="Nordlys AS", created_by=None)
    Connection.objects.filter(pk=connection.pk).update(pleo_company_id="company-1")
    connection.refresh_from_db()
    return connection


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(
        runs, "export_run_enqueue", lambda *, run_id, delay_seconds=0: calls.append(run_id)
    )
    return calls


def _run(connection: Connection, job: str, minutes_ago: int, **fields: Any) -> ExportRun:
    return ExportRun.objects.create(
        connection=connection,
        pleo_job_id=job,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def test_the_webhook_registers_a_job_once_and_queues_it(
    connection: Connection, queued: list[int]
) -> None:
    export_job_created_handler(connection_id=connection.pk, event=JOB_EVENT)
    export_job_created_handler(connection_id=connection.pk, event=JOB_EVENT)

    run = ExportRun.objects.get()
    assert run.pleo_job_id == JOB_EVENT["data"]["id"]
    assert run.status == ExportRun.Status.PENDING and run.items_total == 3
    assert queued == [run.pk, run.pk]


def test_a_job_of_another_company_is_refused(connection: Connection, queued: list[int]) -> None:
    event = {**JOB_EVENT, "data": {**JOB_EVENT["data"], "companyId": "company-2"}}
    with pytest.raises(ValueError, match="company-2"):
        export_job_created_handler(connection_id=connection.pk, event=event)
    assert not ExportRun.objects.exists()


def test_runs_are_claimed_oldest_first_and_one_at_a_time(connection: Connection) -> None:
    newer = _run(connection, "job-new", 1)
    older = _run(connection, "job-old", 5)

    first = export_run_claim_next(connection_id=connection.pk, worker="a")
    assert first is not None and first.pk == older.pk
    assert first.status == ExportRun.Status.CLAIMED and first.claimed_by == "a"
    # While `a` is alive, nobody gets the next job of this connection.
    assert export_run_claim_next(connection_id=connection.pk, worker="b") is None

    ExportRun.objects.filter(id=older.pk).update(status=ExportRun.Status.COMPLETED)
    second = export_run_claim_next(connection_id=connection.pk, worker="b")
    assert second is not None and second.pk == newer.pk
    assert export_run_claim_next(connection_id=connection.pk, worker="c") is None


def test_other_connections_are_not_blocked(connection: Connection) -> None:
    other = connection_create(name="Fjord AS", created_by=None)
    _run(connection, "job-1", 5, status=ExportRun.Status.POSTING, claimed_by="a",
         heartbeat_at=timezone.now())  # fmt: skip
    mine = _run(other, "job-2", 1)

    claimed = export_run_claim_next(connection_id=other.pk, worker="b")
    assert claimed is not None and claimed.pk == mine.pk


def test_a_run_whose_worker_stopped_is_taken_over(connection: Connection) -> None:
    run = _run(
        connection,
        "job-1",
        30,
        status=ExportRun.Status.POSTING,
        claimed_by="a",
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    stale = RunContext(
        run=run,
        worker="a",
        pleo=None,  # type: ignore[arg-type]
        visma=None,  # type: ignore[arg-type]
        export_settings=ExportSettings(connection=connection),
    )

    taken = export_run_claim_next(connection_id=connection.pk, worker="b")

    assert taken is not None and taken.pk == run.pk
    assert taken.status == ExportRun.Status.POSTING and taken.claimed_by == "b"
    # The old worker, should it wake up, stops at its next heartbeat.
    with pytest.raises(RunLost):
        stale.beat()


def test_a_deferred_run_waits_until_it_is_due(connection: Connection) -> None:
    run = _run(
        connection,
        "job-1",
        5,
        status=ExportRun.Status.POSTING,
        claimed_by="",
        not_before=timezone.now() + timedelta(minutes=10),
    )
    assert export_run_claim_next(connection_id=connection.pk, worker="a") is None
    assert export_runs_resume() == []

    ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert export_runs_resume() == [run.pk]
    taken = export_run_claim_next(connection_id=connection.pk, worker="a")
    assert taken is not None and taken.claimed_by == "a" and taken.not_before is None


def test_resume_queues_the_oldest_waiting_run_per_connection(
    connection: Connection, queued: list[int]
) -> None:
    stale = _run(
        connection,
        "job-1",
        50,
        status=ExportRun.Status.FETCHING,
        claimed_by="gone",
        heartbeat_at=timezone.now() - timedelta(hours=2),
    )
    _run(connection, "job-2", 10)
    _run(connection, "job-3", 60, status=ExportRun.Status.COMPLETED)

    assert export_runs_resume() == [stale.pk]
    assert queued == [stale.pk]


def _payload(entry: str = "5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b") -> dict[str, Any]:
    return {"accountingEntryId": entry, "type": "card_purchase"}


def test_an_item_is_stored_once_per_connection(connection: Connection) -> None:
    run = _run(connection, "job-1", 5)
    first = export_item_upsert(run=run, payload=_payload(), item_type="card_purchase")
    again = export_item_upsert(
        run=run, payload={**_payload(), "note": "new"}, item_type="card_purchase"
    )

    assert first.pk == again.pk
    assert ExportItem.objects.get().payload["note"] == "new"


def test_a_booked_item_exported_again_keeps_its_document(connection: Connection) -> None:
    old = _run(connection, "job-1", 50, status=ExportRun.Status.COMPLETED_WITH_ERRORS)
    item = export_item_upsert(run=old, payload=_payload(), item_type="card_purchase")
    ExportItem.objects.filter(id=item.pk).update(
        step=Step.CREATED,
        status=ExportItem.Status.FAILED,
        visma_number="000042",
        failure_reason_type="receipt_download_failure",
        pleo_reported_at=timezone.now(),
    )
    new = _run(connection, "job-2", 1)

    again = export_item_upsert(run=new, payload=_payload(), item_type="card_purchase")

    assert again.pk == item.pk and again.run_id == new.pk
    assert again.visma_number == "000042" and again.step == Step.CREATED
    assert again.status == ExportItem.Status.PLANNED
    assert again.pleo_reported_at is None and again.failure_reason_type == ""


def test_a_failed_item_without_a_document_is_planned_afresh(connection: Connection) -> None:
    old = _run(connection, "job-1", 50, status=ExportRun.Status.COMPLETED_WITH_ERRORS)
    item = export_item_upsert(run=old, payload=_payload(), item_type="card_purchase")
    ExportItem.objects.filter(id=item.pk).update(
        step=Step.PLANNED, status=ExportItem.Status.FAILED, failure_reason="account inactive"
    )

    again = export_item_upsert(run=_run(connection, "job-2", 1), payload=_payload(), item_type="x")

    assert again.step == Step.FETCHED and again.status == ExportItem.Status.PENDING
    assert again.failure_reason == ""


def test_an_item_whose_create_is_unresolved_keeps_its_step(connection: Connection) -> None:
    old = _run(connection, "job-1", 50, status=ExportRun.Status.FAILED)
    item = export_item_upsert(run=old, payload=_payload(), item_type="card_purchase")
    ExportItem.objects.filter(id=item.pk).update(step=Step.UNKNOWN)

    again = export_item_upsert(run=_run(connection, "job-2", 1), payload=_payload(), item_type="x")

    # It is looked up in Visma.net before anything is sent again.
    assert again.step == Step.UNKNOWN and again.status == ExportItem.Status.PLANNED
