"""The daily check of sign-ins that end soon, as a django-q2 Schedule row (editable in the
admin). `notice_schedules_ensure()` creates the missing row and leaves an existing one alone; a
data migration calls it."""

from __future__ import annotations

from typing import Any

from integrations.core.schedules import interval_schedule_ensure

NAME = "Connections: e-mail before a sign-in ends"
TASK = "integrations.connections.tasks.sign_in_notices_send_all"
MINUTES = 24 * 60


def notice_schedules_ensure(schedule_model: Any = None) -> int:
    return interval_schedule_ensure(
        name=NAME, func=TASK, minutes=MINUTES, schedule_model=schedule_model
    )
