"""The sync page, its JSON status, the task's claim, and the schedules."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_q.models import Schedule

from integrations.connections.models import Connection
from integrations.masterdata import tasks
from integrations.masterdata.models import SyncRun
from integrations.masterdata.schedules import SCHEDULES, schedules_ensure
from integrations.masterdata.sync.start import sync_start


def _logged_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _post(client: Client, url: str, data: dict[str, str]) -> Any:
    client.get(url)
    return client.post(url, data | {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_sync_now_queues_one_run_and_runs_it_after_commit(
    connection: Connection,
    finance_user: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks, "masterdata_sync", lambda **kw: seen.append(kw))
    client = _logged_in(finance_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, f"/setup/{connection.pk}/sync/", {"kind": "vendors", "full": "on"})
    assert response.status_code == 302
    run = SyncRun.objects.get(connection=connection)
    assert (run.kind, run.kinds, run.full, run.triggered_by) == (
        "vendors",
        ["vendors"],
        True,
        "fiona",
    )
    assert seen == [
        {"connection_id": connection.pk, "kinds": ["vendors"], "full": True, "sync_run_id": run.pk}
    ]


def test_sync_now_refuses_an_unknown_kind(connection: Connection, finance_user: User) -> None:
    response = _post(_logged_in(finance_user), f"/setup/{connection.pk}/sync/", {"kind": "bogus"})
    assert response.status_code == 302
    assert not SyncRun.objects.exists()


def test_rights(connection: Connection, support_user: User) -> None:
    url = f"/setup/{connection.pk}/sync/"
    assert "/login" in Client().get(url)["Location"]
    support = _logged_in(support_user)
    page = support.get(url)
    assert (
        page.status_code == 200 and "Only finance staff can start a sync" in page.content.decode()
    )
    assert _post(support, url, {"kind": "all"}).status_code == 403
    assert not SyncRun.objects.exists()


def test_page_shows_counts_failures_and_a_live_bar(
    connection: Connection, support_user: User
) -> None:
    SyncRun.objects.create(
        connection=connection,
        kind="accounts",
        status="partially_failed",
        created=12,
        failed=1,
        failures=[{"record": "account 6800", "reason": "NAME_TOO_LONG"}],
    )
    running = SyncRun.objects.create(
        connection=connection, kind="vendors", status="running", progress_done=3, progress_total=4
    )
    client = _logged_in(support_user)
    page = client.get(f"/setup/{connection.pk}/sync/").content.decode()
    assert "account 6800" in page and "NAME_TOO_LONG" in page
    assert f"/setup/{connection.pk}/sync/{running.pk}/status.json" in page
    status = client.get(f"/setup/{connection.pk}/sync/{running.pk}/status.json").json()
    assert (status["status"], status["percent"], status["finished"]) == ("running", 75, False)


def test_status_of_another_connections_run_is_404(
    connection: Connection, finance_user: User
) -> None:
    other = Connection.objects.create(name="Other", pleo_company_id="c-2")
    run = SyncRun.objects.create(connection=other, kind="all")
    response = _logged_in(finance_user).get(f"/setup/{connection.pk}/sync/{run.pk}/status.json")
    assert response.status_code == 404


def test_task_claims_the_run_once(connection: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(tasks, "masterdata_sync", lambda **kw: calls.append(kw["sync_run_id"]))
    run = SyncRun.objects.create(connection=connection, kind="all", kinds=["all"])
    tasks.sync_run(run.pk)
    tasks.sync_run(run.pk)  # a second delivery of the same task
    assert calls == [run.pk]
    run.refresh_from_db()
    assert run.status == "running" and run.started_at is not None


def test_task_records_a_crash(connection: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(**_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "masterdata_sync", crash)
    run = SyncRun.objects.create(connection=connection, kind="all", kinds=["all"])
    tasks.sync_run(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "RuntimeError: boom")


def test_sync_start_reuses_a_queued_identical_run(connection: Connection) -> None:
    first = sync_start(connection=connection, kinds=["tags"], full=False, triggered_by="a")
    again = sync_start(connection=connection, kinds=["tags"], full=False, triggered_by="b")
    other = sync_start(connection=connection, kinds=["tags", "vendors"], full=False)
    assert first.pk == again.pk and other.kind == "all"
    with pytest.raises(ValueError, match="unknown sync kinds"):
        sync_start(connection=connection, kinds=["nope"])


def test_scheduled_task_queues_a_run_per_connected_connection(connection: Connection) -> None:
    Connection.objects.create(name="Gone", status=Connection.Status.DISCONNECTED)
    assert tasks.sync_scheduled(["tags", "vendors"]) == 1
    run = SyncRun.objects.get()
    assert (run.connection_id, run.kinds, run.triggered_by) == (connection.pk, ["tags", "vendors"], "schedule")  # fmt: skip


def test_schedules_exist_and_admin_edits_survive(db: None) -> None:
    # The data migration makes them; a database flushed by an earlier transactional test no
    # longer has migration data, so make sure of them the way start-up does.
    schedules_ensure()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {s.name for s in SCHEDULES} <= names
    hourly = Schedule.objects.get(name=SCHEDULES[0].name)
    assert (hourly.func, hourly.minutes) == ("integrations.masterdata.tasks.sync_scheduled", 60)
    hourly.minutes = 30
    hourly.save()
    assert schedules_ensure() == 0
    assert Schedule.objects.get(name=SCHEDULES[0].name).minutes == 30
