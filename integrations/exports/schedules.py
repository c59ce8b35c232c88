"""The export schedules, as django-q2 Schedule rows (visible and editable in the admin).

* a backstop poll of Pleo for pending export jobs, in case a webhook was lost;
* a resume of runs whose worker stopped (also run once at start-up by the same schedule);
* the failure e-mail of runs whose e-mail task was lost.

`export_schedules_ensure()` creates the missing rows and leaves existing ones alone, so an
interval changed in the admin stays changed. A data migration calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int


SCHEDULES = (
    ScheduleSpec(
        "Exports: look for pending Pleo export jobs",
        "integrations.exports.tasks.export_jobs_poll_all",
        5,
    ),
    ScheduleSpec(
        "Exports: resume runs left by a stopped worker",
        "integrations.exports.tasks.export_runs_resume",
        5,
    ),
    ScheduleSpec(
        "Exports: send failure e-mails that were not sent",
        "integrations.exports.tasks.run_failure_notices_sweep",
        15,
    ),
)


def export_schedules_ensure(schedule_model: Any = None) -> int:
    """Create the missing schedules; returns how many it created. `schedule_model` lets the
    data migration pass its historical model."""
    if schedule_model is None:
        from django_q.models import Schedule

        schedule_model = Schedule
    created = 0
    for spec in SCHEDULES:
        _, was_created = schedule_model.objects.get_or_create(
            name=spec.name,
            defaults={
                "func": spec.func,
                "schedule_type": "I",  # Schedule.MINUTES
                "minutes": spec.minutes,
                "repeats": -1,
            },
        )
        created += int(was_created)
    return created
