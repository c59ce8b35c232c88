"""Reporting: outcomes go to Pleo in batches of at most 100, each batch recorded on its items so
a crash resends only the batch in flight; then one final job event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from integrations.connections.models import Connection, ExportSettings
from integrations.connections.services import connection_create
from integrations.core import errors
from integrations.exports.models import ExportItem, ExportRun, Step
from integrations.exports.services.context import RunContext
from integrations.exports.services.reporting import (
    export_run_finish,
    export_run_report,
    item_update_for,
)
from integrations.pleo.types import ExportJob, ItemUpdate, ItemUpdateResult

pytestmark = pytest.mark.django_db


@dataclass
class PleoStub:
    batches: list[list[ItemUpdate]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    fail_on_batch: int | None = None
    refuse: set[str] = field(default_factory=set)
    job_status: str = "in_progress"

    def export_items_update(self, job_id: str, updates: list[ItemUpdate]) -> ItemUpdateResult:
        assert len(updates) <= 100
        if self.fail_on_batch is not None and len(self.batches) == self.fail_on_batch:
            raise RuntimeError("worker killed")
        self.batches.append(list(updates))
        return ItemUpdateResult(
            updated=[
                u.accounting_entry_id for u in updates if u.accounting_entry_id not in self.refuse
            ],
            errors=[
                (u.accounting_entry_id, "ACCOUNTING_ENTRY_DOES_NOT_EXIST", "not in this job")
                for u in updates
                if u.accounting_entry_id in self.refuse
            ],
        )

    def export_job_event(self, job_id: str, event: str, **kwargs: Any) -> None:
        if self.job_status not in ("pending", "in_progress"):
            raise errors.ValidationFailed("Export Job status change failed", status=422)
        self.events.append(event)
        self.job_status = event

    def export_job_get(self, job_id: str) -> ExportJob:
        return ExportJob(job_id, "company-1", self.job_status, None, None, None, None, None)


@pytest.fixture
def connection() -> Connection:
    return connection_create(name="Nordlys AS", created_by=None)


def _context(connection: Connection, pleo: PleoStub, items: int, failed: int = 0) -> RunContext:
    run = ExportRun.objects.create(
        connection=connection,
        pleo_job_id="job-1",
        status=ExportRun.Status.REPORTING,
        claimed_by="w",
    )
    for n in range(items):
        ExportItem.objects.create(
            run=run,
            connection=connection,
            accounting_entry_id=f"entry-{n:03d}",
            step=Step.ATTACHED,
            status=ExportItem.Status.FAILED if n < failed else ExportItem.Status.POSTED,
            visma_number=f"{n:06d}",
            visma_url=f"https://visma.test/v2/journaltransaction/{n:06d}",
            failure_reason_type="receipt_upload_failure" if n < failed else "",
            failure_reason="Booked, but the receipt was refused" if n < failed else "",
        )
    return RunContext(
        run=run,
        worker="w",
        pleo=pleo,  # type: ignore[arg-type]
        visma=None,  # type: ignore[arg-type]
        export_settings=ExportSettings(connection=connection),
    )


def test_outcomes_go_in_batches_of_100_and_are_recorded(connection: Connection) -> None:
    pleo = PleoStub(refuse={"entry-149"})
    ctx = _context(connection, pleo, items=150, failed=2)

    export_run_report(ctx)

    assert [len(b) for b in pleo.batches] == [100, 50]
    first = pleo.batches[0][0]
    assert (first.status, first.failure_reason_type, first.external_id) == (
        "failed",
        "receipt_upload_failure",
        "000000",
    )
    ok = pleo.batches[0][2]
    assert ok.status == "successful" and ok.external_id == "000002"
    assert ok.external_url == "https://visma.test/v2/journaltransaction/000002"
    assert not ExportItem.objects.filter(pleo_reported_at__isnull=True).exists()
    assert ExportItem.objects.filter(status="successful", step=Step.REPORTED).count() == 147
    refused = ExportItem.objects.get(accounting_entry_id="entry-149")
    assert "ACCOUNTING_ENTRY_DOES_NOT_EXIST" in refused.last_error
    ctx.run.refresh_from_db()
    assert (ctx.run.items_done, ctx.run.items_failed) == (150, 2)


def test_a_crash_between_batches_resends_only_what_was_not_recorded(
    connection: Connection,
) -> None:
    pleo = PleoStub(fail_on_batch=1)
    ctx = _context(connection, pleo, items=150)
    with pytest.raises(RuntimeError):
        export_run_report(ctx)
    assert ExportItem.objects.filter(pleo_reported_at__isnull=False).count() == 100

    pleo.fail_on_batch = None
    export_run_report(ctx)

    assert [len(b) for b in pleo.batches] == [100, 50]
    sent = [u.accounting_entry_id for b in pleo.batches for u in b]
    assert len(sent) == len(set(sent)) == 150


def test_the_job_ends_completed_with_errors_when_an_item_failed(connection: Connection) -> None:
    pleo = PleoStub()
    ctx = _context(connection, pleo, items=3, failed=1)
    export_run_report(ctx)

    export_run_finish(ctx)

    assert pleo.events == ["completed_with_errors"]
    ctx.run.refresh_from_db()
    assert ctx.run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    assert ctx.run.finished_at and ctx.run.finished_event_sent_at


def test_a_final_event_sent_before_a_crash_is_not_an_error(connection: Connection) -> None:
    pleo = PleoStub(job_status="completed")
    ctx = _context(connection, pleo, items=1)

    export_run_finish(ctx)

    assert pleo.events == []
    ctx.run.refresh_from_db()
    assert ctx.run.status == ExportRun.Status.COMPLETED


def test_a_failed_item_without_a_document_has_no_external_id(connection: Connection) -> None:
    run = ExportRun.objects.create(connection=connection, pleo_job_id="job-9")
    item = ExportItem(
        run=run,
        connection=connection,
        accounting_entry_id="e",
        status=ExportItem.Status.FAILED,
        failure_reason_type="account_unknown",
        failure_reason="x" * 5000,
    )

    update = item_update_for(item)

    assert update.external_id is None and update.failure_reason_type == "account_unknown"
    assert update.failure_reason is not None and len(update.failure_reason) == 1000
