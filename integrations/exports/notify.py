"""The e-mail to a connection's finance contacts when an export run ends with failures: the
failed items grouped by cause (the structured reason and the page that fixes it), each group
with its fix link, sent once per run, after the run's end is committed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django_q.tasks import async_task

from integrations.connections.models import Notice
from integrations.connections.notices import Mail, absolute_url, notice_send
from integrations.exports import selectors
from integrations.exports.models import ExportRun
from integrations.pleo.enums import failure_reason_title

logger = logging.getLogger(__name__)

TASK = "integrations.exports.notify.run_failures_notify"
# Items named per group in the e-mail; the run's page lists them all.
ITEMS_PER_GROUP = 5


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
