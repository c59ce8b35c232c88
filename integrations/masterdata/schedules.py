"""The periodic syncs, as django-q2 Schedule rows (visible and editable in the admin).

`schedules_ensure()` creates the missing ones and leaves existing rows alone, so an interval
changed in the admin stays changed. It runs from a data migration and from the demo setup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TASK = "integrations.masterdata.tasks.sync_scheduled"


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    kinds: tuple[str, ...]
    full: bool
    minutes: int

    @property
    def kwargs(self) -> str:
        # django-q2 reads Schedule.kwargs with ast.literal_eval.
        return repr({"kinds": list(self.kinds), "full": self.full})


SCHEDULES = (
    ScheduleSpec("Master data: tags and vendors (hourly)", ("tags", "vendors"), False, 60),
    ScheduleSpec(
        "Master data: accounts and tax codes (daily)", ("accounts", "tax_codes"), False, 1440
    ),
    ScheduleSpec("Master data: full reconcile (daily)", ("all",), True, 1440),
)


def schedules_ensure(schedule_model: Any = None) -> int:
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
                "func": TASK,
                "kwargs": spec.kwargs,
                "schedule_type": "I",  # Schedule.MINUTES
                "minutes": spec.minutes,
                "repeats": -1,
            },
        )
        created += int(was_created)
    return created
