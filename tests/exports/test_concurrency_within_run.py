"""Several items of one run in flight at once (ExportSettings.export_concurrency), on PostgreSQL:
the threads need a database their siblings can see, which the in-memory SQLite of the other tests
is not (there a run works one item at a time)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integrations.core.models import ApiCall
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.services import poster
from integrations.exports.services.runs import export_run_process
from integrations.pleo.client import PleoClient
from integrations.sandbox.pleo import api as pleo_sandbox_api
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import (
    Sandbox,
    card_payload,
    receipt,
    run_for,
    settings_change,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _items(count: int) -> list[dict[str, Any]]:
    # Each VAT is 25 % of its net amount, as Visma.net checks on a VAT transaction.
    return [
        card_payload(f"{100 + 5 * n}.00", f"{20 + n}.00", files=[receipt()]) for n in range(count)
    ]


def test_items_of_one_run_are_in_flight_together_and_each_is_booked_once(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_change(demo, export_concurrency=3)
    # Twice as many items as calls are worked at once: six must be under way at the same
    # moment to pass this point (one at a time, the first would wait here for ever: the
    # barrier breaks and the run fails) ...
    together = threading.Barrier(6, timeout=60)
    threads: set[int] = set()
    original = poster.export_item_post

    def post(ctx: Any, item: ExportItem) -> None:
        threads.add(threading.get_ident())
        together.wait()
        original(ctx, item)

    # ... while their remote calls, Pleo's and Visma.net's alike, are never more than three
    # under way at once.
    lock = threading.Lock()
    calls = {"now": 0, "most": 0}
    send = requests.Session.send

    def counted(session: requests.Session, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() not in threads:
            return send(session, *args, **kwargs)
        with lock:
            calls["now"] += 1
            calls["most"] = max(calls["most"], calls["now"])
        try:
            return send(session, *args, **kwargs)
        finally:
            with lock:
                calls["now"] -= 1

    monkeypatch.setattr(poster, "export_item_post", post)
    monkeypatch.setattr(requests.Session, "send", counted)
    job = sandbox.job_create(_items(6))
    run = run_for(job)

    export_run_process(run_id=run.pk, worker="worker-a")

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED, run.last_error
    assert len(threads) == 6
    assert 1 <= calls["most"] <= 3
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 6
    assert len(state["attachments"]) == 6
    assert set(ExportItem.objects.filter(run=run).values_list("status", flat=True)) == {
        "successful"
    }
    # Every call is logged (in batches), linked to its run and item.
    creates = ApiCall.objects.filter(method="POST", path__endswith="/v2/journaltransaction")
    assert creates.count() == 6
    assert set(creates.values_list("export_run_id", flat=True)) == {run.pk}
    assert set(creates.values_list("export_item_id", flat=True)) == set(
        ExportItem.objects.filter(run=run).values_list("id", flat=True)
    )


def test_items_read_page_by_page_while_others_are_worked_are_each_booked_once(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_change(demo, export_concurrency=2)
    # Pages of two items, none handed out ahead: the next page is read while the four items
    # worked at once are still under way.
    monkeypatch.setattr(poster, "ITEM_PAGE", 2)
    monkeypatch.setattr(poster, "ITEMS_AHEAD", 0)
    job = sandbox.job_create(_items(7))
    run = run_for(job)

    export_run_process(run_id=run.pk, worker="worker-a")

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED, run.last_error
    assert (run.items_total, run.items_done, run.items_failed) == (7, 7, 0)
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 7
    assert len(state["attachments"]) == 7
    creates = ApiCall.objects.filter(method="POST", path__endswith="/v2/journaltransaction")
    assert sorted(creates.values_list("export_item_id", flat=True)) == sorted(
        ExportItem.objects.filter(run=run).values_list("id", flat=True)
    )


def test_a_refused_item_fails_alone_while_the_others_are_booked(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    settings_change(demo, export_concurrency=4)
    sandbox.fault(
        "visma", path="/v2/journaltransaction", method="POST", fault="status:400", times=1
    )
    job = sandbox.job_create(_items(5))
    run = run_for(job)

    export_run_process(run_id=run.pk, worker="worker-a")

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    statuses = sorted(ExportItem.objects.filter(run=run).values_list("status", flat=True))
    assert statuses == ["failed", "successful", "successful", "successful", "successful"]
    assert len(sandbox.visma_state()["journalTransactions"]) == 4


def test_a_run_taken_over_meanwhile_sends_nothing_more(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_change(demo, export_concurrency=4)
    original = poster.units_work

    def units_work(units: Any, work: Any, **options: Any) -> None:
        # Another worker found our heartbeat stale and took the run over, as the threads start.
        ExportRun.objects.filter(pleo_job_id=job["id"]).update(claimed_by="worker-b")
        original(units, work, **options)

    monkeypatch.setattr(poster, "units_work", units_work)
    job = sandbox.job_create(_items(6))
    run = run_for(job)

    assert export_run_process(run_id=run.pk, worker="worker-a") == [run.pk]

    run.refresh_from_db()
    assert run.claimed_by == "worker-b"
    assert run.status == ExportRun.Status.POSTING
    # Every send is preceded by the claim check: once the run was taken, nothing went out.
    creates = [
        r
        for r in sandbox.requests("visma")
        if r["method"] == "POST" and r["path"].endswith("/v2/journaltransaction")
    ]
    assert creates == []
    assert not ExportItem.objects.filter(run=run, visma_number__gt="").exists()


def _item_reads(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        r["query"]
        for r in sandbox.requests("pleo")
        if r["method"] == "GET" and r["path"].rstrip("/").endswith("/v3/export-items")
    ]


def _exported_two_a_page(
    sandbox: Sandbox, demo: Any, monkeypatch: pytest.MonkeyPatch, items: int
) -> ExportRun:
    """A job of `items` exported with three calls at once, Pleo answering two items a page."""
    settings_change(demo, export_concurrency=3)
    monkeypatch.setattr(pleo_sandbox_api, "DEFAULT_LIMIT", 2)
    run = run_for(sandbox.job_create(_items(items)))

    export_run_process(run_id=run.pk, worker="worker-a")

    run.refresh_from_db()
    assert run.status == ExportRun.Status.COMPLETED, run.last_error
    assert run.items_total == items
    return run


def test_the_pages_of_a_job_are_read_side_by_side_by_offset(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first page says where the other three begin (2, 4, 6).
    _exported_two_a_page(sandbox, demo, monkeypatch, 7)

    reads = _item_reads(sandbox)
    assert len(reads) == 4
    assert not any("after" in query for query in reads)
    assert sorted(int(q["offset"]) for q in reads if "offset" in q) == [2, 4, 6]
    assert {q["limit"] for q in reads if "offset" in q} == {"2"}
    assert len(sandbox.visma_state()["journalTransactions"]) == 7


def test_offset_pages_that_do_not_add_up_are_read_again_by_cursor(
    sandbox: Sandbox,
    demo: Any,
    no_autorun: list[int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Pleo does not promise that its offset pages agree with its cursor: one item falls
    # between two offset pages here. The job is read again page after page, not parked.
    original = PleoClient.export_items_iter

    def listing(self: PleoClient, job_id: str, *, at_once: int = 1) -> Iterator[Any]:
        entries = list(original(self, job_id, at_once=at_once))
        yield from (entries[:-1] if at_once > 1 else entries)

    monkeypatch.setattr(PleoClient, "export_items_iter", listing)

    _exported_two_a_page(sandbox, demo, monkeypatch, 5)

    assert "4 of 5 items read by offset; reading by cursor" in caplog.text
    reads = _item_reads(sandbox)
    assert sum(1 for q in reads if "after" in q) == 2  # the second reading, by cursor
    assert len(sandbox.visma_state()["journalTransactions"]) == 5
