from django.db import migrations

from integrations.sandbox.storage import lz4_compressed


class Migration(migrations.Migration):
    """Receipts and CSV imports kept by the stand-in compressed with lz4 on PostgreSQL
    (`storage`)."""

    dependencies = [
        ("sandbox_pleo", "0005_ordering_by_job_column"),
    ]

    operations = [
        migrations.RunPython(
            lz4_compressed(
                ("sandbox_pleo_storedfile", "content"),
                ("sandbox_pleo_csvimportjob", "content"),
            ),
            migrations.RunPython.noop,
            elidable=True,
        ),
    ]
