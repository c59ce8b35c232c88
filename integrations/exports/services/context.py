"""What a worker holds while it processes one run: the row, its clients, configuration and the
heartbeat that tells other workers it is alive."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils import timezone

from integrations.connections.clients import connection_pleo_client, connection_visma_client
from integrations.connections.models import Connection, ExportSettings
from integrations.core import errors, remote_errors
from integrations.core.bulk import row_update_while
from integrations.core.parallel import concurrency_usable
from integrations.exports.config import (
    export_config_for_connection,
    mirror_snapshot_for_connection,
)
from integrations.exports.models import ExportRun
from integrations.exports.planner import ExportConfig
from integrations.exports.preflight import MirrorSnapshot
from integrations.exports.services.progress import run_counts_update
from integrations.pleo.client import PleoClient
from integrations.pleo.enums import JobFailureReason
from integrations.visma.client import VismaClient

# A run whose heartbeat is older than this lost its worker and may be taken over. Every remote
# call is bounded by REMOTE_READ_TIMEOUT (60 s) and a rate-limit wait by REMOTE_MAX_RETRY_WAIT
# (120 s), and the heartbeat is touched between items, so a live worker is never this quiet
# (10 minutes by default; EXPORT_STALE_AFTER_SECONDS, shorter where the timeouts are shorter).
STALE_AFTER = timedelta(seconds=settings.EXPORT_STALE_AFTER_SECONDS)
# Between items, the heartbeat and the run's progress counters are written at most this often.
TICK_SECONDS = 5.0
# A claim check that records a step renews the heartbeat first when it is older than this.
LEASE_RENEW_SECONDS = min(TICK_SECONDS, STALE_AFTER.total_seconds() / 4)
# Items worked at once for each remote call allowed at once (RunContext.units_at_once).
UNITS_PER_CALL_SLOT = 2
# How long a run waits before it is tried again after Visma.net or Pleo could not be reached.
UNREACHABLE_RETRY_SECONDS = remote_errors.UNREACHABLE_RETRY_SECONDS
# A document whose create went unanswered (or a receipt whose upload did) is looked up, then
# sent again at most this often.
MAX_SEND_ATTEMPTS = 3
# After an unanswered send that the look-up did not find yet, look again after this wait:
# Visma.net may still be working on the request.
UNKNOWN_RECHECK_SECONDS = 30


class RunDeferred(Exception):
    """Stop for now and continue the run later (a long rate-limit wait, a service down)."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class RunParked(Exception):
    """Stop trying this run: it is parked with the reason, Pleo is told the job failed, and
    later jobs go ahead (a look-up of an unknown create that Visma.net keeps leaving
    unanswered)."""

    def __init__(self, reason_type: JobFailureReason, message: str) -> None:
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message


class RunLost(Exception):
    """Another worker took the run over (ours looked dead): stop without touching it."""


class FetchIncomplete(Exception):
    """Pleo listed fewer (or more) items than its job holds: try the run again later."""


class JobFailed(Exception):
    """The whole job cannot be exported (e.g. Visma.net refuses our credentials)."""

    def __init__(self, reason_type: JobFailureReason, message: str) -> None:
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def clients_for(*, connection: Connection) -> tuple[PleoClient, VismaClient]:
    """The two clients of a connection; tests replace this to change waits or sessions."""
    return connection_pleo_client(connection=connection), connection_visma_client(
        connection=connection
    )


@dataclass
class RunContext:
    run: ExportRun
    worker: str
    pleo: PleoClient
    visma: VismaClient
    export_settings: ExportSettings
    _beats: int = field(default=0)
    # Finished outcomes not yet reported, and when the last report went (monotonic seconds).
    unreported: int = 0
    reported_at: float = field(default_factory=time.monotonic)
    # When our heartbeat (and the run's counters) were last written (monotonic seconds).
    beaten_at: float = field(default_factory=time.monotonic)
    counted_at: float = field(default_factory=time.monotonic)
    # The threads of a run share the heartbeat: one writes it at a time, each with the value
    # the last one wrote, so none mistakes a sibling's beat for a takeover.
    beat_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def config(self) -> ExportConfig:
        return export_config_for_connection(connection=self.run.connection)

    @cached_property
    def snapshot(self) -> MirrorSnapshot:
        return mirror_snapshot_for_connection(connection=self.run.connection)

    def beat(self) -> None:
        """Show we are alive; stop if another worker has taken the run over meanwhile.

        The update only succeeds while the run still holds our claim *and* the heartbeat we
        wrote last: a worker that took the run over changed one or the other (its takeover is
        conditional on both, see `export_run_claim_next`), so the two can never both pass."""
        with self.beat_lock:
            now = timezone.now()
            alive = ExportRun.objects.filter(
                id=self.run.pk, claimed_by=self.worker, heartbeat_at=self.run.heartbeat_at
            ).update(heartbeat_at=now)
            if not alive:
                raise RunLost(f"Run {self.run.pk} was taken over by another worker")
            self.run.heartbeat_at = now
            self.beaten_at = time.monotonic()

    @property
    def concurrency(self) -> int:
        """Remote calls under way at once: the connection's setting, where threads can work."""
        return concurrency_usable(self.export_settings.export_concurrency)

    @property
    def units_at_once(self) -> int:
        """Items (or shared documents) worked at once: twice the calls allowed at once, so
        one item's own work between its calls (its step records, reading the answer) never
        leaves a call slot idle; the slots bound the calls themselves (`call_slots_share`)."""
        calls = self.concurrency
        return calls if calls <= 1 else calls * UNITS_PER_CALL_SLOT

    def call_slots_share(self) -> None:
        """The run's Pleo and Visma.net clients take their calls from the same slots, as many
        as the connection's concurrency."""
        slots = threading.BoundedSemaphore(self.concurrency)
        self.pleo.call_slots = slots
        self.visma.call_slots = slots

    def tick(self) -> None:
        """Between items: the heartbeat and the progress counters, written at most every
        TICK_SECONDS rather than per item. Nothing is sent between two ticks without `guard`,
        and a takeover needs a heartbeat STALE_AFTER old, so the claim stays as safe."""
        now = time.monotonic()
        if now - self.beaten_at >= TICK_SECONDS:
            self.beat()
        if now - self.counted_at >= TICK_SECONDS:
            run_counts_update(self.run)
            self.counted_at = now

    def guard(self, unit: Model | None = None, **changes: Any) -> None:
        """Called right before every remote call that changes something (create, upload,
        release, report, job event): a run taken over meanwhile is never worked by two.

        With `unit` and `changes`, the step the call is about to take is recorded in the same
        statement that checks the claim: an UPDATE of the unit's row that only matches while
        the run holds our claim and our last heartbeat (what `beat` checks), one statement where
        a check and a save were two. The heartbeat is renewed first when it is older than
        LEASE_RENEW_SECONDS, so a takeover stays most of STALE_AFTER away when the call goes."""
        if unit is None or time.monotonic() - self.beaten_at >= LEASE_RENEW_SECONDS:
            self.beat()
            if unit is None:
                return
        changes["updated_at"] = timezone.now()
        for _ in range(2):
            seen = self.run.heartbeat_at
            # The unit is one of this run's items, shared documents or uploads.
            written = row_update_while(
                type(unit),
                unit.pk,
                changes,
                holder=ExportRun,
                holder_pk=self.run.pk,
                holds={"claimed_by": self.worker, "heartbeat_at": seen},
            )
            if written:
                for name, value in changes.items():
                    setattr(unit, name, value)
                return
            with self.beat_lock:
                if self.run.heartbeat_at == seen:
                    break  # no sibling beat in between: the claim is gone
        raise RunLost(f"Run {self.run.pk} was taken over by another worker")


def run_context_build(*, run: ExportRun, worker: str) -> RunContext:
    connection = run.connection
    pleo, visma = clients_for(connection=connection)
    settings = ExportSettings.objects.filter(connection=connection).first() or ExportSettings(
        connection=connection
    )
    ctx = RunContext(run=run, worker=worker, pleo=pleo, visma=visma, export_settings=settings)
    ctx.call_slots_share()
    return ctx


def auth_failure_type(exc: errors.ApiError) -> JobFailureReason:
    """Pleo's job failureReasonType for a refused credential, by the service that refused."""
    if exc.service.startswith("visma"):
        return JobFailureReason.ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE
    return JobFailureReason.AUTHENTICATION_FAILURE


def job_failure_reason(value: str | None) -> JobFailureReason:
    """Pleo's own reason for a job it ended; an expired job when it gives none we know."""
    try:
        return JobFailureReason(value or JobFailureReason.JOB_EXPIRED)
    except ValueError:
        return JobFailureReason.JOB_EXPIRED
