"""The daily housekeeping schedule (old ApiCall rows and sign-in attempts), as a django-q2
Schedule row (editable in the admin).

`api_call_schedules_ensure()` creates the missing row and leaves an existing one alone; a data
migration calls it.
"""

from __future__ import annotations

from typing import Any

NAME = "API calls: prune old rows"
TASK = "integrations.core.tasks.api_calls_prune"
MINUTES = 24 * 60


def interval_schedule_ensure(
    *, name: str, func: str, minutes: int, schedule_model: Any = None
) -> int:
    """Create the repeating schedule `name` if it is missing (an existing row, perhaps edited in
    the admin, is left alone); returns how many were created (0 or 1). `schedule_model` lets a
    data migration pass its historical model."""
    if schedule_model is None:
        from django_q.models import Schedule

        schedule_model = Schedule
    _, created = schedule_model.objects.get_or_create(
        name=name,
        defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
    )
    return int(created)


def api_call_schedules_ensure(schedule_model: Any = None) -> int:
    return interval_schedule_ensure(
        name=NAME, func=TASK, minutes=MINUTES, schedule_model=schedule_model
    )
