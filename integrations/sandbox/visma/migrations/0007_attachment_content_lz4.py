from django.db import migrations

from integrations.sandbox.storage import lz4_compressed


class Migration(migrations.Migration):
    """Receipts uploaded to the stand-in compressed with lz4 on PostgreSQL (`storage`)."""

    dependencies = [
        ("sandbox_visma", "0006_connect_tenants_and_accounts"),
    ]

    operations = [
        migrations.RunPython(
            lz4_compressed(("sandbox_visma_attachment", "content")),
            migrations.RunPython.noop,
            elidable=True,
        ),
    ]
