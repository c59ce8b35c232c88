"""A job event (`started`, `completed`) whose answer is lost: Pleo recorded it, the integration
does not know. The run still ends completed, and Pleo's job with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from integrations.exports.models import ExportRun
from integrations.exports.services.runs import export_run_process
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, run_for, settings_change

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EVENTS = "/v3/export-job-events"


def _completed_in_both(sandbox: Sandbox, job: dict[str, Any]) -> None:
    """The run, resumed each time it was deferred, ends completed, and Pleo's job with it."""
    run = run_for(job)
    for _ in range(6):
        if run.status in (ExportRun.Status.COMPLETED, ExportRun.Status.FAILED):
            break
        # A deferred run: its wait is over.
        ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())
        export_run_process(run_id=run.pk)
        run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED, (run.status, run.last_error)
    jobs = {j["id"]: j for j in sandbox.pleo_state()["exportJobs"]}
    assert jobs[job["id"]]["status"] == "completed"


@pytest.mark.parametrize("one_journal", [False, True])
@pytest.mark.parametrize("times", [1, 2])
def test_a_lost_answer_on_a_job_event_still_completes_the_job(
    sandbox: Sandbox, demo: Any, one_journal: bool, times: int
) -> None:
    settings_change(demo, one_journal_per_export=one_journal)
    sandbox.fault("pleo", path=EVENTS, method="POST", fault="lose_response", times=times)

    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])

    _completed_in_both(sandbox, job)


@pytest.mark.parametrize("one_journal", [False, True])
def test_a_lost_answer_on_the_closing_event_still_completes_the_job(
    sandbox: Sandbox, demo: Any, one_journal: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integrations.pleo.export_api import PleoExportApi

    settings_change(demo, one_journal_per_export=one_journal)
    original = PleoExportApi.export_job_event
    lost: list[str] = []

    def event(self: PleoExportApi, job_id: str, name: str, **kwargs: Any) -> None:
        if name != "started" and not lost:
            lost.append(name)
            sandbox.fault("pleo", path=EVENTS, method="POST", fault="lose_response", times=1)
        original(self, job_id, name, **kwargs)

    monkeypatch.setattr(PleoExportApi, "export_job_event", event)

    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])

    assert lost == ["completed"]
    _completed_in_both(sandbox, job)
