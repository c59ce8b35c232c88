"""The webhook housekeeping schedule, as a django-q2 Schedule row (editable in the admin).

`webhook_schedules_ensure()` creates the missing row and leaves an existing one alone; a data
migration calls it.
"""

from __future__ import annotations

from typing import Any

NAME = "Webhooks: prune old rejected deliveries"
TASK = "integrations.pleo.tasks.webhook_rejections_prune"
MINUTES = 24 * 60


def webhook_schedules_ensure(schedule_model: Any = None) -> int:
    """Create the schedule if it is missing; returns how many were created (0 or 1).
    `schedule_model` lets the data migration pass its historical model."""
    if schedule_model is None:
        from django_q.models import Schedule

        schedule_model = Schedule
    _, created = schedule_model.objects.get_or_create(
        name=NAME,
        defaults={"func": TASK, "schedule_type": "I", "minutes": MINUTES, "repeats": -1},
    )
    return int(created)
