from __future__ import annotations

from django.db import models
from django.db.models import Q


class WebhookEvent(models.Model):
    """One delivery received from Pleo, accepted or not.

    A rejected delivery keeps only its headers (signature redacted), the reason and a short
    excerpt of the body: what an anonymous caller sends is never stored whole. Old rejected
    rows are pruned by a schedule (`schedules.py`).
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (no handler)"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivery_id = models.CharField(max_length=200, blank=True, help_text="The webhook-id header.")
    event_id = models.CharField(max_length=200, blank=True, help_text="The eventId of the body.")
    event_type = models.CharField(max_length=100, blank=True, db_index=True)
    connection_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    accepted = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Signature headers redacted.")
    payload = models.JSONField(null=True, blank=True)
    body_excerpt = models.TextField(
        blank=True, help_text="The start of a rejected body (never the whole of it)."
    )
    source_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="Where the delivery came from."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [("retry_webhookevent", "Can process a failed webhook event again")]
        constraints = [
            # Each accepted delivery is stored once: Pleo retries with the same webhook-id.
            models.UniqueConstraint(
                fields=["delivery_id"],
                condition=Q(accepted=True),
                name="pleo_webhook_delivery_once",
            ),
            # Pleo may send one event again under a new webhook-id: its eventId is the same.
            models.UniqueConstraint(
                fields=["connection_id", "event_id"],
                condition=Q(accepted=True) & ~Q(event_id=""),
                name="pleo_webhook_event_once",
            ),
        ]
        indexes = [
            # Counting a source's recent rejections (the rate limit) and pruning old ones.
            models.Index(
                fields=["source_address", "received_at"],
                condition=Q(accepted=False),
                name="pleo_webhook_rejected_src",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type or 'unknown event'} {self.delivery_id} ({self.status})"
