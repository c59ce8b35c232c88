from __future__ import annotations

from django.db import models
from django.utils import timezone


class ApiCall(models.Model):
    """One HTTP request to a remote service (each retry is its own row)."""

    class Service(models.TextChoices):
        VISMA = "visma", "Visma.net"
        VISMA_CONNECT = "visma_connect", "Visma Connect"
        PLEO = "pleo", "Pleo"
        PLEO_AUTH = "pleo_auth", "Pleo OAuth"

    # When the call was made (rows may be written a moment later, in batches).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    service = models.CharField(max_length=20, choices=Service.choices, db_index=True)
    method = models.CharField(max_length=10)
    url = models.CharField(max_length=2000, help_text="Full address, query string redacted.")
    path = models.CharField(max_length=1000, db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(
        max_length=500, blank=True, help_text="Why the call failed, if it did."
    )
    request_headers = models.JSONField(default=dict, blank=True)
    request_excerpt = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_excerpt = models.TextField(blank=True)
    # What the call served. Plain ids (not foreign keys): core knows none of the other apps.
    connection_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    export_run_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    export_item_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    sync_run_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API call"

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path} → {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 400
