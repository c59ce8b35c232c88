"""Faults from the sandboxes' control APIs: lost answers, rate limits and a worker that stops in
the middle of a run. Every case ends with each expense booked exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.core import errors
from integrations.exports.models import AttachmentUpload, ExportItem, ExportRun
from integrations.exports.services import runs
from integrations.exports.services.runs import export_run_process, export_runs_resume
from integrations.visma.client import VismaClient
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, receipt, run_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CREATE = "/v2/journaltransaction"


class Crash(BaseException):
    """Stands for the worker process dying: nothing in the run catches it."""


def _creates(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("visma")
        if r["method"] == "POST" and r["path"].rstrip("/").endswith(CREATE)
    ]


def test_a_lost_answer_on_create_ends_with_exactly_one_document(
    sandbox: Sandbox, demo: Any
) -> None:
    sandbox.fault("visma", path=CREATE, method="POST", fault="lose_response", times=1)
    first, second = card_payload(), card_payload("250.00", "50.00")

    job = sandbox.job_create([first, second])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED
    journals = sandbox.visma_state()["journalTransactions"]
    assert len(journals) == 2
    # The lost one was found by its reference and adopted: two creates were sent in all.
    assert len(_creates(sandbox)) == 2
    rows = ExportItem.objects.filter(run=run)
    assert {r.visma_number for r in rows} == {j["batchNumber"] for j in journals}
    assert {i["status"] for i in sandbox.job_items(job["id"]).values()} == {"successful"}


def test_a_rate_limit_on_create_is_waited_out(
    sandbox: Sandbox, demo: Any, waits: list[float]
) -> None:
    sandbox.fault("visma", path=CREATE, method="POST", fault="status:429", retry_after=2, times=1)

    job = sandbox.job_create([card_payload()])

    assert run_for(job).status == ExportRun.Status.COMPLETED
    assert 2.0 in waits
    assert len(sandbox.visma_state()["journalTransactions"]) == 1
    assert [r["status"] for r in _creates(sandbox)] == [429, 201]


def test_a_rate_limit_longer_than_the_wait_limit_defers_the_run(
    sandbox: Sandbox, demo: Any, settings: Any, no_autorun: list[int]
) -> None:
    settings.REMOTE_MAX_RETRY_WAIT = 1.0
    sandbox.fault("visma", path=CREATE, method="POST", fault="status:429", retry_after=600, times=1)
    job = sandbox.job_create([card_payload()])
    run = run_for(job)

    export_run_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ExportRun.Status.POSTING
    assert run.claimed_by == "" and run.not_before is not None
    assert run.not_before > timezone.now() + timedelta(seconds=500)
    item = ExportItem.objects.get(run=run)
    assert item.step == "planned" and not item.visma_number
    # Once the wait is over the run continues where it stopped.
    ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())
    export_run_process(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED
    assert len(sandbox.visma_state()["journalTransactions"]) == 1


def _crash_during_create(monkeypatch: pytest.MonkeyPatch, *, after_send: bool) -> None:
    original = VismaClient.journal_transaction_create

    def create(self: VismaClient, jt: Any) -> str:
        if after_send:
            original(self, jt)
        raise Crash("worker killed")

    monkeypatch.setattr(VismaClient, "journal_transaction_create", create)


@pytest.mark.parametrize("after_send", [True, False], ids=["after-send", "before-send"])
def test_a_worker_killed_while_sending_is_resumed_without_a_duplicate(
    sandbox: Sandbox,
    demo: Any,
    no_autorun: list[int],
    monkeypatch: pytest.MonkeyPatch,
    after_send: bool,
) -> None:
    job = sandbox.job_create([card_payload(files=[receipt()])])
    run = run_for(job)
    with monkeypatch.context() as patch:
        _crash_during_create(patch, after_send=after_send)
        with pytest.raises(Crash):
            export_run_process(run_id=run.pk, worker="worker-a")
    item = ExportItem.objects.get(run=run)
    assert item.step == "sending"
    assert len(sandbox.visma_state()["journalTransactions"]) == (1 if after_send else 0)

    # The dead worker's heartbeat ages; the resume schedule hands the run to a new worker.
    ExportRun.objects.filter(id=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    no_autorun.clear()
    assert export_runs_resume() == [run.pk]
    assert no_autorun == [run.pk]
    export_run_process(run_id=run.pk, worker="worker-b")

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED and run.claimed_by == ""
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 1
    assert len(state["attachments"]) == 1
    item.refresh_from_db()
    assert item.visma_number == state["journalTransactions"][0]["batchNumber"]
    assert len(_creates(sandbox)) == 1
    assert sandbox.job_items(job["id"])[item.accounting_entry_id]["status"] == "successful"


def test_a_worker_killed_after_create_finishes_receipts_and_report_once(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = sandbox.job_create([card_payload(files=[receipt()])])
    run = run_for(job)

    def attach(self: VismaClient, *args: Any, **kwargs: Any) -> str:
        raise Crash("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(VismaClient, "journal_transaction_attach", attach)
        with pytest.raises(Crash):
            export_run_process(run_id=run.pk, worker="worker-a")
    assert ExportItem.objects.get(run=run).step == "created"

    ExportRun.objects.filter(id=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    export_run_process(run_id=run.pk, worker="worker-b")

    assert run_for(job).status == ExportRun.Status.COMPLETED
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 1
    assert [a["revision"] for a in state["attachments"]] == [1]
    assert len(_creates(sandbox)) == 1


def test_a_live_worker_keeps_its_run(sandbox: Sandbox, demo: Any, no_autorun: list[int]) -> None:
    job = sandbox.job_create([card_payload()])
    run = run_for(job)
    ExportRun.objects.filter(id=run.pk).update(
        status=ExportRun.Status.POSTING, claimed_by="worker-a", heartbeat_at=timezone.now()
    )

    assert export_run_process(run_id=run.pk, worker="worker-b") == []
    assert export_runs_resume() == []
    assert runs.export_run_claim_next(connection_id=run.connection_id, worker="worker-b") is None
    assert sandbox.visma_state()["journalTransactions"] == []


def test_a_refused_document_fails_only_its_item(sandbox: Sandbox, demo: Any) -> None:
    sandbox.fault("visma", path=CREATE, method="POST", fault="status:400", times=1)

    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    failed, booked = sorted(ExportItem.objects.filter(run=run), key=lambda i: i.status)
    assert failed.status == "failed" and booked.status == "successful"
    assert failed.failure_reason_type == "accounting_system_validation_failure"
    assert "Injected fault" in failed.failure_reason
    assert len(sandbox.visma_state()["journalTransactions"]) == 1
    assert sandbox.job(job["id"])["status"] == "completed_with_errors"


def test_refused_credentials_fail_the_job(sandbox: Sandbox, demo: Any) -> None:
    sandbox.fault("visma", path=CREATE, method="POST", fault="status:401", times=None)

    job = sandbox.job_create([card_payload()])

    run = run_for(job)
    assert run.status == ExportRun.Status.FAILED
    assert run.failure_reason_type == "accounting_system_authentication_failure"
    pleo_job = sandbox.job(job["id"])
    assert pleo_job["status"] == "failed"
    assert pleo_job["failureReasonType"] == "accounting_system_authentication_failure"
    assert sandbox.visma_state()["journalTransactions"] == []


def test_a_refused_shared_journal_fails_its_items_and_a_retry_books_it_once(
    sandbox: Sandbox, demo: Any
) -> None:
    from integrations.exports.services import export_items_retry
    from tests.exports.runtime_support import settings_change

    settings_change(demo, one_journal_per_export=True)
    sandbox.fault("visma", path=CREATE, method="POST", fault="status:400", times=1)
    job = sandbox.job_create([card_payload(), card_payload("250.00", "50.00")])
    items = list(ExportItem.objects.filter(run=run_for(job)))
    assert {i.failure_reason_type for i in items} == {"accounting_system_validation_failure"}
    assert sandbox.visma_state()["journalTransactions"] == []

    result = export_items_retry(item_ids=[i.pk for i in items], by="fiona")

    assert ExportRun.objects.get(id=result.runs[0].pk).status == ExportRun.Status.COMPLETED
    journals = sandbox.visma_state()["journalTransactions"]
    assert len(journals) == 1
    assert {i.visma_number for i in ExportItem.objects.all()} == {journals[0]["batchNumber"]}


ATTACH = "/v2/journaltransaction/module/GL/"


def _uploads(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("visma")
        if r["method"] == "POST" and r["path"].startswith(ATTACH) and r["status"] is not None
    ]


def test_a_lost_answer_on_an_upload_is_found_on_the_document_not_sent_again(
    sandbox: Sandbox, demo: Any
) -> None:
    sandbox.fault("visma", path=ATTACH, method="POST", fault="lose_response", times=1)

    job = sandbox.job_create([card_payload(files=[receipt()])])

    assert run_for(job).status == ExportRun.Status.COMPLETED
    state = sandbox.visma_state()
    assert [a["revision"] for a in state["attachments"]] == [1]
    assert len(_uploads(sandbox)) == 1
    upload = AttachmentUpload.objects.get(item__run=run_for(job))
    assert upload.status == "uploaded"
    assert upload.visma_attachment_id == state["attachments"][0]["id"]
    assert {i["status"] for i in sandbox.job_items(job["id"]).values()} == {"successful"}


def test_an_upload_that_lands_after_its_timeout_is_adopted_when_the_run_looks_again(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Visma.net still works on an upload whose answer the client gave up on: the look-up
    right after the timeout finds nothing, the run waits and looks again before sending the
    file a second time, so two sends of one file never meet at Visma.net."""
    job = sandbox.job_create([card_payload(files=[receipt()])])
    run = run_for(job)
    late: list[tuple[Any, ...]] = []
    real_attach = VismaClient.journal_transaction_attach

    def attach(self: VismaClient, number: str, **kwargs: Any) -> str:
        late.append((self, number, kwargs))  # arrives once the client has given up
        raise errors.TransientError(
            "visma could not be reached: ReadTimeout",
            service="visma",
            method="POST",
            url=ATTACH,
            outcome_unknown=True,
        )

    with monkeypatch.context() as patch:
        patch.setattr(VismaClient, "journal_transaction_attach", attach)
        export_run_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ExportRun.Status.POSTING and run.claimed_by == ""
    assert run.not_before is not None and run.not_before > timezone.now()
    assert "unknown" in run.last_error
    upload = AttachmentUpload.objects.get(item__run=run)
    assert upload.status == "uploading" and upload.attempts == 1
    assert sandbox.visma_state()["attachments"] == []

    # The first send lands at Visma.net meanwhile.
    client, number, kwargs = late[0]
    landed = real_attach(client, number, **{**kwargs, "content": b"%PDF-1.4 the receipt"})
    ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())
    export_run_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED
    state = sandbox.visma_state()
    assert [a["revision"] for a in state["attachments"]] == [1]
    assert len(_uploads(sandbox)) == 1
    upload.refresh_from_db()
    assert upload.status == "uploaded" and upload.visma_attachment_id == landed
    assert {i["status"] for i in sandbox.job_items(job["id"]).values()} == {"successful"}


def test_an_unreadable_look_up_after_a_lost_upload_answer_sends_the_file_again(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    sandbox.fault("visma", path=ATTACH, method="POST", fault="lose_response", times=1)
    # Both look-ups (right after the lost answer, and when the run goes on) answer a page.
    sandbox.fault("visma", path=CREATE + "/", method="GET", fault="malformed:not_json", times=2)
    job = sandbox.job_create([card_payload(files=[receipt()])])
    run = run_for(job)

    export_run_process(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ExportRun.Status.POSTING and "unknown" in run.last_error
    ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())
    export_run_process(run_id=run.pk)

    assert run_for(job).status == ExportRun.Status.COMPLETED
    # Sent twice under one name: Visma.net keeps it as one attachment with a second revision.
    assert [a["revision"] for a in sandbox.visma_state()["attachments"]] == [2]
    assert len(_uploads(sandbox)) == 2
    assert {i["status"] for i in sandbox.job_items(job["id"]).values()} == {"successful"}
