"""Add the schedule that sends failure e-mails whose task was lost (the others stay as they are)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

NAME = "Exports: send failure e-mails that were not sent"


def create(apps: Any, schema_editor: Any) -> None:
    from integrations.exports.schedules import export_schedules_ensure

    export_schedules_ensure(apps.get_model("django_q", "Schedule"))


def remove(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0012_item_outcome"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
