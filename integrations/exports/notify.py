"""The e-mail to a connection's finance contacts when an export run ends with failures: the
failed items grouped by cause (the structured reason and the page that fixes it), each group
with its fix link, sent once per run, after the run's end is committed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from integrations.connections.models import Notice
from integrations.connections.notices import Mail, absolute_url, finance_contacts, notice_send
from integrations.exports import selectors
from integrations.exports.models import ExportRun
from integrations.pleo.enums import failure_reason_title

logger = logging.getLogger(__name__)

TASK = "integrations.exports.notify.run_failures_notify"
# Items named per group in the e-mail; the run's page lists them all.
ITEMS_PER_GROUP = 5
# The sweep leaves a run this long to the task queued when it ended, and looks this far back.
SWEEP_GRACE = timedelta(minutes=15)
SWEEP_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class MailGroup:
    title: str
    count: int
    messages: list[str]
    fix_label: str
    fix_url: str  # absolute; "" when no setting fixes it
    entries: list[str]  # Pleo ids of some of its items


def run_failures_notify_later(*, run_id: int) -> None:
    """Queue the e-mail once the transaction that ended the run is committed."""
    transaction.on_commit(lambda: async_task(TASK, run_id, task_name=f"run-failures-mail-{run_id}"))


def _groups(run: ExportRun) -> list[MailGroup]:
    groups = []
    for group in selectors.run_failure_groups(run=run):
        groups.append(
            MailGroup(
                title=failure_reason_title(group.reason_type),
                count=len(group.items),
                messages=group.messages[:3],
                fix_label=group.fix.label if group.fix else "",
                fix_url=absolute_url(group.fix.page_url) if group.fix else "",
                entries=[item.accounting_entry_id for item in group.items[:ITEMS_PER_GROUP]],
            )
        )
    return groups


def run_failures_notify(run_id: int) -> bool:
    """Send the e-mail if the run has ended with failed items or failed as a whole; True when
    this call sent it. Safe to run twice and from several workers (the notice is claimed)."""
    run = ExportRun.objects.select_related("connection").filter(pk=run_id).first()
    if run is None or not run.is_finished:
        return False
    groups = _groups(run)
    job_failed = run.status in (ExportRun.Status.FAILED, ExportRun.Status.PARKED)
    if not groups and not job_failed:
        return False
    connection = run.connection
    failed = sum(g.count for g in groups)
    if failed:
        subject = (
            f"{connection.name}: {failed} expense{'s' if failed != 1 else ''} "
            "could not be exported to Visma.net"
        )
    else:
        subject = f"{connection.name}: an export to Visma.net failed"
    mail = Mail(
        subject=subject,
        template="exports/mail/run_failures",
        context={
            "run": run,
            "groups": groups,
            "failed": failed,
            "job_failed": job_failed,
            "run_url": absolute_url(reverse("exports:run", args=[run.pk])),
        },
    )
    notice = notice_send(
        connection=connection, kind=Notice.Kind.RUN_FAILURES, key=f"run:{run.pk}", mail=mail
    )
    return notice is not None


def run_failure_notices_sweep(*, now: datetime | None = None) -> list[int]:
    """The backstop for a lost e-mail task (a worker that stopped before sending it): send the
    e-mail of every run that ended with failures in the last two days, at least a quarter of an
    hour ago, and whose e-mail was not sent. Returns the runs it sent for. The notice row makes
    each e-mail go once, whoever sends it."""
    now = now or timezone.now()
    runs = list(
        ExportRun.objects.select_related("connection")
        .filter(
            status__in=ExportRun.FINISHED_STATUSES,
            finished_at__gte=now - SWEEP_LOOKBACK,
            finished_at__lte=now - SWEEP_GRACE,
        )
        .filter(
            Q(items_failed__gt=0) | Q(status__in=[ExportRun.Status.FAILED, ExportRun.Status.PARKED])
        )
        .order_by("finished_at", "id")
    )
    sent_keys = set(
        Notice.objects.filter(
            kind=Notice.Kind.RUN_FAILURES,
            key__in=[f"run:{run.pk}" for run in runs],
            sent_at__isnull=False,
        ).values_list("key", flat=True)
    )
    # A connection without a finance contact to write to is skipped without reading its runs.
    reachable: dict[int, bool] = {}
    sent: list[int] = []
    for run in runs:
        if f"run:{run.pk}" in sent_keys:
            continue
        if run.connection_id not in reachable:
            reachable[run.connection_id] = bool(finance_contacts(connection=run.connection))
        if not reachable[run.connection_id]:
            continue
        try:
            if run_failures_notify(run.pk):
                sent.append(run.pk)
        except Exception:
            # One mail server refusal must not stop the others; the next sweep tries again.
            logger.exception("The failure e-mail of export run %s could not be sent", run.pk)
    return sent
