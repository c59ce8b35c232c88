"""Background tasks (django-q2). They take ids, claim their work, and are safe to run twice."""

from __future__ import annotations

import logging

from integrations.connections.models import Connection
from integrations.exports import notify
from integrations.exports.services import runs

logger = logging.getLogger(__name__)


def export_run_process(run_id: int) -> list[int]:
    """Process the run's connection, oldest pending job first; returns the runs worked on."""
    return runs.export_run_process(run_id=run_id)


def export_jobs_poll_all() -> int:
    """The backstop for lost webhooks: look for pending jobs of every connected connection."""
    found = 0
    for connection in Connection.objects.filter(status=Connection.Status.CONNECTED):
        try:
            found += len(runs.export_jobs_poll(connection=connection))
        except Exception:
            # One connection whose tokens were revoked must not stop the others.
            logger.exception("Polling Pleo export jobs failed for connection %s", connection.pk)
    return found


def export_runs_resume() -> list[int]:
    """Queue runs left behind by a stopped worker (and pending runs nobody took)."""
    return runs.export_runs_resume()


def run_failure_notices_sweep() -> list[int]:
    """The backstop for lost failure e-mails: runs that ended with failures and no e-mail."""
    return notify.run_failure_notices_sweep()
