"""Create the periodic master data syncs as django-q2 schedules."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from integrations.masterdata.schedules import schedules_ensure

    schedules_ensure(apps.get_model("django_q", "Schedule"))


def remove(apps: Any, schema_editor: Any) -> None:
    from integrations.masterdata.schedules import SCHEDULES

    apps.get_model("django_q", "Schedule").objects.filter(
        name__in=[s.name for s in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("masterdata", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
