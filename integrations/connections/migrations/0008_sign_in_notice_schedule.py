"""Create the daily schedule that e-mails before a sign-in ends."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from integrations.connections.schedules import notice_schedules_ensure

    notice_schedules_ensure(apps.get_model("django_q", "Schedule"))


def remove(apps: Any, schema_editor: Any) -> None:
    from integrations.connections.schedules import NAME

    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0007_notices_and_sign_in_ends"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
