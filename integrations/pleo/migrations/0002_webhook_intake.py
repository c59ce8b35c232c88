"""Webhook intake: a rejected delivery keeps a short excerpt only, with where it came from;
an accepted event is stored once per eventId as well as per webhook-id."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

EXCERPT_CHARS = 300


def shrink_and_dedupe(apps: Any, schema_editor: Any) -> None:
    event = apps.get_model("pleo", "WebhookEvent")
    # Rejected deliveries were stored whole: keep their start only.
    for row in event.objects.filter(accepted=False).iterator():
        row.body_excerpt = row.body_excerpt[:EXCERPT_CHARS]
        row.payload = None
        row.save(update_fields=["body_excerpt", "payload"])
    # Accepted repeats of one eventId under several webhook-ids: the first keeps the eventId.
    seen: set[tuple[Any, str]] = set()
    for row in (
        event.objects.filter(accepted=True).exclude(event_id="").order_by("id").iterator()
    ):
        key = (row.connection_id, row.event_id)
        if key in seen:
            row.event_id = ""
            row.save(update_fields=["event_id"])
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [("pleo", "0001_initial")]

    operations = [
        migrations.RenameField(
            model_name="webhookevent", old_name="raw_body", new_name="body_excerpt"
        ),
        migrations.AlterField(
            model_name="webhookevent",
            name="body_excerpt",
            field=models.TextField(
                blank=True, help_text="The start of a rejected body (never the whole of it)."
            ),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="source_address",
            field=models.GenericIPAddressField(
                blank=True, help_text="Where the delivery came from.", null=True
            ),
        ),
        migrations.RunPython(shrink_and_dedupe, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(("accepted", False)),
                fields=["source_address", "received_at"],
                name="pleo_webhook_rejected_src",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("accepted", True), models.Q(("event_id", ""), _negated=True)
                ),
                fields=("connection_id", "event_id"),
                name="pleo_webhook_event_once",
            ),
        ),
    ]
