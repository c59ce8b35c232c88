"""Number the runs already stored per connection, in the order they were created (#1 first), as
new runs are numbered from now on."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def number_runs(apps: Any, schema_editor: Any) -> None:
    ExportRun = apps.get_model("exports", "ExportRun")
    last: dict[int, int] = {}
    runs = ExportRun.objects.order_by("connection_id", "created_at", "id").only(
        "id", "connection_id"
    )
    for run in runs.iterator(chunk_size=2000):
        number = last.get(run.connection_id, 0) + 1
        last[run.connection_id] = number
        ExportRun.objects.filter(id=run.id).update(number=number)


class Migration(migrations.Migration):
    dependencies = [("exports", "0009_exportrun_number")]

    operations = [migrations.RunPython(number_runs, migrations.RunPython.noop)]
