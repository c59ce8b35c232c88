"""The permission the admin's "Retry failed items with the current mappings" action requires."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("exports", "0002_export_schedules")]

    operations = [
        migrations.AlterModelOptions(
            name="exportitem",
            options={
                "ordering": ["id"],
                "permissions": [("retry_exportitem", "Can retry failed export items")],
            },
        ),
    ]
