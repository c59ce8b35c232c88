from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exports", "0007_item_list_indexes")]

    operations = [
        migrations.AddField(
            model_name="exportrun",
            name="number",
            field=models.PositiveIntegerField(null=True, editable=False),
        ),
    ]
