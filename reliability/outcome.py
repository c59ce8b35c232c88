"""The campaign's options and what it found."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reliability.check import Findings
from reliability.items import Expected


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
    kinds: tuple[str, ...] = ()  # empty: every kind the sandboxes can carry out


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
    followup_jobs: int = 0
    worker_starts: int = 0
    seconds_faults: float = 0.0
    seconds_settle: float = 0.0
    settled: bool = False
    findings: Findings = field(default_factory=Findings)
