from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations.connections.models import Connection
from integrations.exports.models import ExportRun

pytestmark = pytest.mark.django_db


def test_start_up_queues_a_run_whose_worker_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[int] = []
    monkeypatch.setattr(
        "integrations.exports.services.runs.export_run_enqueue",
        lambda *, run_id, delay_seconds=0: queued.append(run_id),
    )
    connection = Connection.objects.create(name="Co", pleo_company_id="co")
    stale = ExportRun.objects.create(
        connection=connection,
        pleo_job_id="job-1",
        status=ExportRun.Status.POSTING,
        claimed_by="worker-that-died",
        heartbeat_at=timezone.now() - timedelta(hours=2),
    )
    out = StringIO()

    call_command("export_resume", stdout=out)

    assert queued == [stale.pk]
    assert "queued again: 1" in out.getvalue()
