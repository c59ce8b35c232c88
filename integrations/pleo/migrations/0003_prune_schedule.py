"""Create the schedule that prunes old rows (its age is a setting, see README)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from integrations.pleo.schedules import webhook_schedules_ensure

    webhook_schedules_ensure(apps.get_model("django_q", "Schedule"))


def remove(apps: Any, schema_editor: Any) -> None:
    from integrations.pleo.schedules import NAME

    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pleo", "0002_webhook_intake"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
