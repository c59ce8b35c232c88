"""Create the export schedules: the backstop poll for pending jobs and the resume of stale runs."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from integrations.exports.schedules import export_schedules_ensure

    export_schedules_ensure(apps.get_model("django_q", "Schedule"))


def remove(apps: Any, schema_editor: Any) -> None:
    from integrations.exports.schedules import SCHEDULES

    apps.get_model("django_q", "Schedule").objects.filter(
        name__in=[s.name for s in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
