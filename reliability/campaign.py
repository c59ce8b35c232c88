"""The campaign itself, run in a process whose Django settings point at the campaign's fresh
database: the web app and the workers are subprocesses; this process creates the jobs, injects
the faults, waits for the work to settle and reads both sandboxes' state.

The connection's export mode is a live setting, so the modes run one after the other: each
phase sets its mode once the runs of the previous phase are finished.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from benchmarks.export import MODES
from benchmarks.export_items import PleoCompany
from benchmarks.sandbox import Sandboxes
from reliability.check import Findings, findings_compute
from reliability.faults import Fault, FaultPlan
from reliability.items import Expected, campaign_item
from reliability.processes import WorkerPool

# The longest wait for the previous job before the next is created.
BACKLOG_WAIT_SECONDS = 180
RECEIPT_LINK_SECONDS = 2


@dataclass(frozen=True)
class Options:
    jobs: int
    items: int
    seed: int
    workers: int
    minutes: float
    settle_minutes: float
    read_timeout: float
    # Mean number of faults drawn after each job is created. A fault that defers a run costs
    # the campaign a minute (Pleo runs one job per company at a time): long runs use fewer.
    faults_per_job: float = 1.5
    # Worker kills are drawn apart from the other faults: each costs the connection a stale-run
    # takeover (EXPORT_STALE_AFTER_SECONDS plus the resume schedule's minute).
    kill_probability: float = 0.04


@dataclass
class Outcome:
    options: Options
    expected: list[Expected] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)
    jobs_by_mode: Counter[str] = field(default_factory=Counter)
    planned: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    runs: Counter[str] = field(default_factory=Counter)
    jobs_not_created: int = 0
    worker_starts: int = 0
    seconds_faults: float = 0.0
    seconds_settle: float = 0.0
    settled: bool = False
    findings: Findings = field(default_factory=Findings)


def _connect_and_configure() -> int:
    """The demo connection over real HTTP and the demo configuration, as `make demo` does."""
    from integrations.connections.demo import demo_connection_prepare
    from integrations.masterdata.setup.demo import demo_configure

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


class Injector:
    """Carries out the planned faults; timed actions (restarts, restoring links) run from
    `tick()`, called while the campaign waits."""

    def __init__(
        self, *, sandboxes: Sandboxes, pool: WorkerPool, plan: FaultPlan, outcome: Outcome
    ) -> None:
        self.sandboxes = sandboxes
        self.pool = pool
        self.plan = plan
        self.outcome = outcome
        self.rng = random.Random(f"{outcome.options.seed}:kills")
        self.rules: dict[tuple[str, int], str] = {}
        self.actions: list[tuple[float, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.link_seconds = int(
            sandboxes.session.get(sandboxes.url("pleo", "file-link-expiry"), timeout=30).json()[
                "fileLinkExpirySeconds"
            ]
        )

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        heapq.heappush(self.actions, (time.monotonic() + seconds, next(self.order), action))

    def tick(self) -> None:
        while self.actions and self.actions[0][0] <= time.monotonic():
            _, _, action = heapq.heappop(self.actions)
            action()

    def after_job(self, mode: str) -> None:
        mean = self.outcome.options.faults_per_job
        count = int(mean) + (1 if self.plan.rng.random() < mean - int(mean) else 0)
        for _ in range(count):
            self.inject(self.plan.draw(mode))
        if self.rng.random() < self.outcome.options.kill_probability:
            kind = self.rng.choice(("worker killed (SIGKILL)", "worker process killed (SIGKILL)"))
            self.inject(Fault(kind, seconds=self.rng.uniform(0, 2)))

    def inject(self, fault: Fault) -> None:
        self.outcome.planned[fault.kind] += 1
        if fault.rule is not None:
            answer = self.sandboxes._post(fault.service, "faults", fault.rule)
            self.rules[(fault.service, int(answer["id"]))] = fault.kind
        elif fault.kind == "receipt links expired":
            self._links_expire(fault.seconds)
        elif fault.kind.startswith("worker"):
            index = self.rng.randrange(len(self.pool.processes))
            self.later(fault.seconds, lambda: self._kill(fault.kind, index))

    def _links_expire(self, seconds: float) -> None:
        # Links handed out in the next seconds live RECEIPT_LINK_SECONDS: most have expired by
        # the time the receipt is fetched, and the export must ask Pleo for fresh ones.
        self.sandboxes._post("pleo", "file-link-expiry", {"seconds": RECEIPT_LINK_SECONDS})
        self.outcome.injected["receipt links expired"] += 1
        self.later(seconds, self._links_restore)

    def _links_restore(self) -> None:
        self.sandboxes._post("pleo", "file-link-expiry", {"seconds": self.link_seconds})

    def _kill(self, kind: str, index: int) -> None:
        if kind == "worker killed (SIGKILL)":
            self.pool.kill_cluster(index)
            self.later(self.rng.uniform(0.5, 3), self.pool.ensure_running)
            self.outcome.injected[kind] += 1
        elif self.pool.kill_one_process(index, self.rng):
            self.outcome.injected[kind] += 1

    def stop(self) -> None:
        """No more faults: count the rules that were hit, remove them all, restore the links
        and start every worker that is down."""
        for service in ("visma", "pleo"):
            response = self.sandboxes.session.get(self.sandboxes.url(service, "faults"), timeout=60)
            response.raise_for_status()
            for rule in response.json()["faults"]:
                kind = self.rules.get((service, int(rule["id"])))
                if kind and rule["hits"]:
                    self.outcome.injected[kind] += int(rule["hits"])
            self.sandboxes.session.delete(
                self.sandboxes.url(service, "faults"), timeout=60
            ).raise_for_status()
        self.rules.clear()
        # Kills not carried out yet stay planned only; restarts and restores happen below.
        self.actions.clear()
        self._links_restore()
        self.pool.ensure_running()


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
    plan = FaultPlan(options.seed, read_timeout=options.read_timeout)
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
    fault_seconds = options.minutes * 60
    index = itertools.count()
    for number, (mode, share) in enumerate(zip(modes, shares, strict=True), start=1):
        if not share:
            continue
        # The mode changes only once the earlier runs are finished.
        settle = options.settle_minutes * 60
        _wait(lambda: _runs_unfinished(outcome.job_ids) == 0, seconds=settle, injector=injector)
        _mode_set(connection_id, mode)
        phase_end = started + fault_seconds * number / len(modes)
        for _ in range(share):
            # Pleo holds one running export job per company: the next job is created once the
            # previous one is done (or, when it is stuck, once the wait is over).
            _wait(lambda: _runs_unfinished(outcome.job_ids) == 0, seconds=BACKLOG_WAIT_SECONDS,
                  injector=injector)  # fmt: skip
            pairs = [campaign_item(company, next(index), item_rng) for _ in range(options.items)]
            job = _job_create(sandboxes, [item for item, _ in pairs], injector)
            if job is None:
                outcome.jobs_not_created += 1
                continue
            outcome.job_ids.append(str(job["id"]))
            outcome.expected += [expected for _, expected in pairs]
            outcome.jobs_by_mode[mode] += 1
            if time.monotonic() < phase_end:
                injector.after_job(mode)
        injector.stop()
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
