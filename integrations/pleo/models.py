from __future__ import annotations

from django.db import models
from django.db.models import Q


class WebhookEvent(models.Model):
    """One delivery received from Pleo, accepted or not (rejected ones are kept for support)."""

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
    raw_body = models.TextField(blank=True, help_text="Kept when the body is not valid JSON.")
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
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type or 'unknown event'} {self.delivery_id} ({self.status})"
