from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exports", "0008_unit_sent_at_lookup_failures")]

    operations = [
        migrations.AddField(
            model_name="exportrun",
            name="number",
            field=models.PositiveIntegerField(null=True, editable=False),
        ),
    ]
