"""The webhook housekeeping schedule, as a django-q2 Schedule row (editable in the admin).

`webhook_schedules_ensure()` creates the missing row and leaves an existing one alone; a data
migration calls it.
"""

from __future__ import annotations

from typing import Any

from integrations.core.schedules import interval_schedule_ensure

NAME = "Webhooks: prune old rejected deliveries"
TASK = "integrations.pleo.tasks.webhook_rejections_prune"
MINUTES = 24 * 60


def webhook_schedules_ensure(schedule_model: Any = None) -> int:
    return interval_schedule_ensure(
        name=NAME, func=TASK, minutes=MINUTES, schedule_model=schedule_model
    )
