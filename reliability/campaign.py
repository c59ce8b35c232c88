"""The campaign itself, run in a process whose Django settings point at the campaign's fresh
database: the web app and the workers are subprocesses; this process creates the jobs, injects
the faults, waits for the work to settle and reads both sandboxes' state.

The connection's export mode is a live setting, so the modes run one after the other: each
phase sets its mode once the runs of the previous phase are finished.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks.export import MODES
from benchmarks.export_items import PleoCompany
from benchmarks.sandbox import Sandboxes
from reliability.check import findings_compute
from reliability.faults import FaultPlan
from reliability.injector import Injector, kinds_available
from reliability.items import campaign_item
from reliability.outcome import Options, Outcome
from reliability.processes import WorkerPool

# The longest wait for the previous job before the next is created.
BACKLOG_WAIT_SECONDS = 180


def _connect_and_configure() -> int:
    """The demo connection over real HTTP and the demo configuration, as `make demo` does."""
    from integrations.demo.configure import demo_configure
    from integrations.demo.connection import demo_connection_prepare

    connection = demo_connection_prepare(session=requests.Session())
    report = demo_configure(connection=connection)
    if report.problems:
        raise RuntimeError(f"The demo configuration failed: {report.problems}")
    return connection.pk


def _schedules_every_minute() -> None:
    """What an operator may set in the admin: the export backstop poll and the resume of runs
    left by a stopped worker every minute (the shortest django-q2 interval), due now."""
    from django.utils import timezone
    from django_q.models import Schedule

    from integrations.exports.schedules import SCHEDULES

    Schedule.objects.filter(func__in=[s.func for s in SCHEDULES]).update(
        minutes=1, next_run=timezone.now()
    )


def _mode_set(connection_id: int, mode: str) -> None:
    from integrations.connections.models import ExportSettings

    ExportSettings.objects.filter(connection_id=connection_id).update(**MODES[mode])


def _runs_unfinished(job_ids: list[str]) -> int:
    from integrations.exports.models import ExportRun

    finished = ExportRun.objects.filter(
        pleo_job_id__in=job_ids, status__in=ExportRun.FINISHED_STATUSES
    ).count()
    return len(job_ids) - finished


def _wait(
    condition: Callable[[], bool], *, seconds: float, injector: Injector | None = None
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if injector is not None:
            injector.tick()
        if condition():
            return True
        time.sleep(0.3)
    return condition()


def _job_create(
    sandboxes: Sandboxes, items: list[Any], injector: Injector
) -> dict[str, Any] | None:
    """Create a job in Pleo; None when Pleo still refuses after the wait (a job still runs)."""
    deadline = time.monotonic() + BACKLOG_WAIT_SECONDS
    while True:
        response = sandboxes.session.post(
            sandboxes.url("pleo", "export-jobs"), json={"items": items}, timeout=600
        )
        if response.status_code == 201:
            return dict(response.json())
        if response.status_code != 409 or time.monotonic() > deadline:
            if response.status_code == 409:
                return None
            raise RuntimeError(f"Creating an export job answered {response.status_code}: "
                               f"{response.text[:500]}")  # fmt: skip
        injector.tick()
        time.sleep(0.5)


def campaign_run(*, options: Options, base_url: str, env: dict[str, str], log_dir: Path) -> Outcome:
    outcome = Outcome(options=options)
    sandboxes = Sandboxes(base_url)
    sandboxes.reset_and_seed_demo()
    sandboxes.latency(0)
    # Unlimited: an hour's budget spent would park every run for the rest of the hour, which
    # is a test of patience, not of the faults here.
    sandboxes._post("visma", "budget", {"hourly": None})
    connection_id = _connect_and_configure()
    _schedules_every_minute()
    company = PleoCompany.from_state(sandboxes.pleo_state())
    item_rng = random.Random(f"{options.seed}:items")
    plan = FaultPlan(
        options.seed,
        read_timeout=options.read_timeout,
        kinds=[k for k in kinds_available(sandboxes) if not options.kinds or k in options.kinds],
    )
    pool = WorkerPool(count=options.workers, env=env, log_dir=log_dir)
    pool.start_all()
    injector = Injector(sandboxes=sandboxes, pool=pool, plan=plan, outcome=outcome)
    try:
        _campaign(outcome, sandboxes, injector, connection_id, company, item_rng)
        outcome.worker_starts = pool.starts
    finally:
        pool.stop_all()
    return outcome


def _campaign(
    outcome: Outcome,
    sandboxes: Sandboxes,
    injector: Injector,
    connection_id: int,
    company: PleoCompany,
    item_rng: random.Random,
) -> None:
    from integrations.exports.models import ExportRun

    options = outcome.options
    modes = list(MODES)
    shares = [options.jobs // len(modes) + (1 if i < options.jobs % len(modes) else 0)
              for i in range(len(modes))]  # fmt: skip
    started = time.monotonic()
    # Faults after every job until `minutes` have passed; later jobs run without.
    faults_end = started + options.minutes * 60
    index = itertools.count()
    for mode, share in zip(modes, shares, strict=True):
        if not share:
            continue
        # The mode changes only once the earlier runs are finished.
        settle = options.settle_minutes * 60
        _wait(lambda: _runs_unfinished(outcome.job_ids) == 0, seconds=settle, injector=injector)
        _mode_set(connection_id, mode)
        made = 0
        while made < share or injector.followups:
            # Pleo holds one running export job per company: the next job is created once the
            # previous one is done (or, when it is stuck, once the wait is over).
            _wait(lambda: _runs_unfinished(outcome.job_ids) == 0, seconds=BACKLOG_WAIT_SECONDS,
                  injector=injector)  # fmt: skip
            if injector.followups:
                # A job Pleo expired: its items exported again, as a person would.
                items = injector.followups.pop(0)
                expected = []
                outcome.followup_jobs += 1
            else:
                pairs = [
                    campaign_item(company, next(index), item_rng) for _ in range(options.items)
                ]
                items = [item for item, _ in pairs]
                expected = [e for _, e in pairs]
                made += 1
            injector.before_job()
            job = _job_create(sandboxes, items, injector)
            if job is None:
                # A job has held the company for the whole wait: later ones would wait too.
                outcome.jobs_not_created = options.jobs - len(outcome.expected) // options.items
                break
            outcome.job_ids.append(str(job["id"]))
            outcome.expected += expected
            outcome.jobs_by_mode[mode] += 1
            injector.after_job(mode, str(job["id"]), items, faults=time.monotonic() < faults_end)
        injector.stop()
        if outcome.jobs_not_created:
            break
    outcome.seconds_faults = time.monotonic() - started
    settle_started = time.monotonic()
    outcome.settled = _wait(
        lambda: _runs_unfinished(outcome.job_ids) == 0, seconds=options.settle_minutes * 60
    )
    outcome.seconds_settle = time.monotonic() - settle_started
    outcome.runs = Counter(
        ExportRun.objects.filter(pleo_job_id__in=outcome.job_ids).values_list("status", flat=True)
    )
    pleo: dict[str, Any] = sandboxes.pleo_state()
    visma = sandboxes.visma_state()
    outcome.findings = findings_compute(
        expected=outcome.expected,
        pleo=pleo,
        visma=visma,
        runs_unfinished=_runs_unfinished(outcome.job_ids),
        job_ids=outcome.job_ids,
    )
