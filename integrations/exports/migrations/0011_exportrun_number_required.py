from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exports", "0010_number_existing_runs")]

    operations = [
        migrations.AlterField(
            model_name="exportrun",
            name="number",
            field=models.PositiveIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="exportrun",
            constraint=models.UniqueConstraint(
                fields=("connection", "number"), name="exports_run_unique_number"
            ),
        ),
    ]
