"""E-mails to finance contacts: a run that ends with failures (grouped by cause, each with its
absolute fix link, once per run, after commit) and a sign-in that ends soon (once per end)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_q.models import Schedule

from integrations.connections import notices
from integrations.connections.fixes import FixPage, FixTarget
from integrations.connections.models import Connection, ConnectionMembership, Notice
from integrations.connections.schedules import NAME as SIGN_IN_SCHEDULE
from integrations.connections.schedules import notice_schedules_ensure
from integrations.connections.tasks import sign_in_notices_send_all
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.exports import notify
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.schedules import export_schedules_ensure
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db
BASE = "https://pv.example.com"


def _member(connection: Connection, name: str, group: str, email: str) -> User:
    roles_sync()
    user = User.objects.create_user(name, email=email)
    user.groups.add(Group.objects.get(name=group))
    ConnectionMembership.objects.create(connection=connection, user=user)
    return user


@pytest.fixture
def connection() -> Connection:
    connection = Connection.objects.create(
        name="Nordlys AS", pleo_company_id="c-1", status=Connection.Status.CONNECTED
    )
    _member(connection, "fiona", FINANCE, "fiona@nordlys.example")
    _member(connection, "frank", FINANCE, "")  # no address: not written to
    _member(connection, "sam", SUPPORT, "sam@nordlys.example")  # support: not a finance contact
    other = Connection.objects.create(name="Zulu AS")
    _member(other, "olav", FINANCE, "olav@zulu.example")
    return connection


def _failed_run(connection: Connection) -> ExportRun:
    run = f.run_make(connection, job_id="job-7", finished_at=timezone.now())
    f.item_make(run, "e-ok")
    for n in range(2):
        f.item_make(
            run,
            f"e-cat-{n}",
            status=ExportItem.Status.FAILED,
            reason_type="account_unknown",
            reason="Category Travel has no Visma.net account.",
            fix=FixTarget(FixPage.CATEGORIES, "account_cat-1"),
        )
    f.item_make(
        run,
        "e-vendor",
        status=ExportItem.Status.FAILED,
        reason_type="vendor_unknown",
        reason="Vendor Acme is not in Visma.net.",
        fix=FixTarget(FixPage.VENDORS),
    )
    f.item_make(
        run,
        "e-down",
        status=ExportItem.Status.FAILED,
        reason_type="accounting_system_unreachable",
        reason="Visma.net could not be reached.",
    )
    return run


@override_settings(PUBLIC_BASE_URL=BASE)
def test_failures_mail_groups_by_cause_with_absolute_fix_links(connection: Connection) -> None:
    run = _failed_run(connection)
    assert notify.run_failures_notify(run.pk) is True
    [message] = mail.outbox
    assert message.to == ["fiona@nordlys.example"]
    assert message.subject == "Nordlys AS: 4 expenses could not be exported to Visma.net"
    text = message.body
    assert "* The category has no Visma.net account (2 expenses)" in text
    assert f"Fix it on the Categories page: {BASE}/setup/{connection.pk}/categories/" in text
    assert "* The vendor is not known in Visma.net (1 expense)" in text
    assert f"{BASE}/setup/{connection.pk}/vendors/" in text
    assert "No setting fixes this" in text
    assert f"{BASE}/exports/run/{run.pk}/" in text
    assert "account_unknown" not in text
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert (
        f'<a href="{BASE}/setup/{connection.pk}/categories/">Fix it on the Categories page</a>'
        in html
    )
    notice = Notice.objects.get()
    assert notice.sent_at is not None and notice.recipients == ["fiona@nordlys.example"]


def test_failures_mail_is_sent_once(connection: Connection) -> None:
    run = _failed_run(connection)
    assert notify.run_failures_notify(run.pk) is True
    assert notify.run_failures_notify(run.pk) is False  # a second delivery of the task
    assert len(mail.outbox) == 1


def test_a_claimed_notice_is_not_sent_by_a_second_worker(connection: Connection) -> None:
    run = _failed_run(connection)
    Notice.objects.create(
        connection=connection, kind=Notice.Kind.RUN_FAILURES, key=f"run:{run.pk}",
        claimed_at=timezone.now(),
    )  # fmt: skip
    assert notify.run_failures_notify(run.pk) is False
    assert mail.outbox == []
    # A claim left by a sender that died long ago is taken over.
    Notice.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
    assert notify.run_failures_notify(run.pk) is True


def test_a_failed_send_can_be_tried_again(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _failed_run(connection)

    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise OSError("SMTP server down")

    with monkeypatch.context() as m:
        m.setattr(notices.EmailMultiAlternatives, "send", refuse)
        with pytest.raises(OSError):
            notify.run_failures_notify(run.pk)
    notice = Notice.objects.get()
    assert notice.sent_at is None and notice.claimed_at is None
    assert "SMTP server down" in notice.error
    assert notify.run_failures_notify(run.pk) is True
    assert len(mail.outbox) == 1


def test_no_mail_for_a_clean_or_unfinished_run(connection: Connection) -> None:
    clean = f.run_make(connection, job_id="clean", status=ExportRun.Status.COMPLETED)
    f.item_make(clean, "e-1")
    busy = f.run_make(connection, job_id="busy", status=ExportRun.Status.POSTING)
    f.item_make(busy, "e-2", status=ExportItem.Status.FAILED, reason_type="tag_unknown")
    assert notify.run_failures_notify(clean.pk) is False
    assert notify.run_failures_notify(busy.pk) is False
    assert notify.run_failures_notify(999999) is False
    assert mail.outbox == []


def test_a_failed_job_is_told_too(connection: Connection) -> None:
    run = f.run_make(
        connection,
        job_id="job-f",
        status=ExportRun.Status.FAILED,
        failure_reason="Visma.net refused the sign-in: connect Visma.net again.",
    )
    assert notify.run_failures_notify(run.pk) is True
    [message] = mail.outbox
    assert message.subject == "Nordlys AS: an export to Visma.net failed"
    assert "Visma.net refused the sign-in" in message.body


def test_the_mail_is_queued_after_commit_when_a_run_ends(
    connection: Connection, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(notify, "async_task", lambda *args, **kw: queued.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify.run_failures_notify_later(run_id=42)
    assert queued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert queued == [(notify.TASK, 42)]


@override_settings(PUBLIC_BASE_URL=BASE)
def test_sign_in_ending_mail_once_per_end(connection: Connection) -> None:
    ends = timezone.now() + timedelta(days=3)
    Connection.objects.filter(pk=connection.pk).update(
        pleo_access_token="a", pleo_refresh_token="r", pleo_refresh_expires_at=ends
    )
    assert sign_in_notices_send_all() == 1
    [message] = mail.outbox
    assert message.to == ["fiona@nordlys.example"]
    assert message.subject.startswith("Nordlys AS: the Pleo sign-in ends ")
    assert f"{BASE}/connections/{connection.pk}/#pleo" in message.body
    assert sign_in_notices_send_all() == 0  # the next day: already told of this end
    # Connected again, then ending again: a new end, a new e-mail.
    Connection.objects.filter(pk=connection.pk).update(
        pleo_refresh_expires_at=ends + timedelta(days=1)
    )
    assert sign_in_notices_send_all() == 1
    assert len(mail.outbox) == 2


def test_no_sign_in_mail_while_far_from_the_end(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        pleo_access_token="a",
        pleo_refresh_token="r",
        pleo_refresh_expires_at=timezone.now() + timedelta(days=40),
    )
    assert sign_in_notices_send_all() == 0
    assert mail.outbox == []


def test_the_daily_schedule_exists() -> None:
    # Created by a data migration; a database flushed since has lost it, so ensure it again.
    notice_schedules_ensure()
    assert notice_schedules_ensure() == 0
    schedule = Schedule.objects.get(name=SIGN_IN_SCHEDULE)
    assert schedule.func == "integrations.connections.tasks.sign_in_notices_send_all"
    assert schedule.minutes == 24 * 60


def _ended(run: ExportRun, ago: timedelta) -> ExportRun:
    ExportRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now() - ago, items_failed=run.items.filter(status="failed").count()
    )
    run.refresh_from_db()
    return run


def test_the_sweep_sends_a_lost_failure_mail_once(connection: Connection) -> None:
    # The worker stopped before the e-mail task ran: the sweep sends it, and only once.
    run = _ended(_failed_run(connection), timedelta(hours=1))
    assert notify.run_failure_notices_sweep() == [run.pk]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Nordlys AS: 4 expenses could not be exported to Visma.net"
    assert notify.run_failure_notices_sweep() == []
    assert notify.run_failures_notify(run.pk) is False  # the lost task, delivered late after all
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_sent_recent_old_and_clean_runs_alone(connection: Connection) -> None:
    sent = _ended(_failed_run(connection), timedelta(hours=1))
    assert notify.run_failures_notify(sent.pk) is True
    recent = f.run_make(connection, job_id="job-recent")
    f.item_make(recent, "r-1", status=ExportItem.Status.FAILED, reason_type="vendor_unknown")
    _ended(recent, timedelta(minutes=2))  # the task queued at its end still has its turn
    old = f.run_make(connection, job_id="job-old")
    f.item_make(old, "o-1", status=ExportItem.Status.FAILED, reason_type="vendor_unknown")
    _ended(old, timedelta(days=3))
    clean = f.run_make(connection, job_id="job-clean", status=ExportRun.Status.COMPLETED)
    f.item_make(clean, "c-1")
    _ended(clean, timedelta(hours=1))
    running = f.run_make(connection, job_id="job-running", status=ExportRun.Status.POSTING)
    f.item_make(running, "p-1", status=ExportItem.Status.FAILED, reason_type="vendor_unknown")
    _ended(running, timedelta(hours=1))
    assert notify.run_failure_notices_sweep() == []
    assert len(mail.outbox) == 1


def test_the_sweep_tells_a_failed_job_and_skips_connections_nobody_reads(
    connection: Connection,
) -> None:
    failed = f.run_make(
        connection,
        job_id="job-failed",
        status=ExportRun.Status.FAILED,
        failure_reason="Visma.net refused the company.",
    )
    _ended(failed, timedelta(hours=1))
    unread = Connection.objects.create(name="Nobody AS", status=Connection.Status.CONNECTED)
    lonely = f.run_make(unread, job_id="job-lonely", status=ExportRun.Status.FAILED)
    _ended(lonely, timedelta(hours=1))
    assert notify.run_failure_notices_sweep() == [failed.pk]
    [message] = mail.outbox
    assert message.subject == "Nordlys AS: an export to Visma.net failed"


def test_the_sweep_schedule_exists() -> None:
    export_schedules_ensure()  # created by a data migration; a flushed database lost it
    schedule = Schedule.objects.get(func="integrations.exports.tasks.run_failure_notices_sweep")
    assert schedule.minutes == 15 and schedule.repeats == -1
