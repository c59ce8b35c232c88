"""Shared sandbox tables: what each fake service received, injected faults, per-service knobs."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone


class ReceivedRequest(models.Model):
    """One request a sandbox service received, recorded for tests and demos (secrets redacted)."""

    service = models.CharField(max_length=20, db_index=True)
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    # Path as the foreign service sees it, without the `/sandbox/<service>` mount point.
    path = models.CharField(max_length=1000)
    query = models.JSONField(default=dict)
    headers = models.JSONField(default=dict)
    body = models.JSONField(null=True, blank=True)
    body_size = models.PositiveIntegerField(default=0)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The stand-in's own time on this request in milliseconds (recording, budget, faults and
    # the view), without the latency and delays it was told to add: what a benchmark subtracts
    # to tell the integration's time from the sandbox's.
    service_ms = models.FloatField(null=True, blank=True)

    class Meta:
        # Arrival order: a request is stored once answered, so ids follow the answers.
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path} → {self.status}"

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "bodySize": self.body_size,
            "status": self.status,
            "serviceMs": self.service_ms,
        }


class FaultRule(models.Model):
    """A fault to inject into matching requests: `status:<code>`, `delay:<ms>`, `reset`,
    `lose_response`, `malformed:<no_data|not_json|truncated>`. `times` counts down per use; null
    means every matching request."""

    service = models.CharField(max_length=20, db_index=True)
    # Prefix of the service-relative path, e.g. "/v2/journaltransaction".
    path = models.CharField(max_length=1000, default="/")
    # Empty matches every method.
    method = models.CharField(max_length=10, blank=True, default="")
    fault = models.CharField(max_length=40)
    times = models.PositiveIntegerField(null=True, blank=True, default=1)
    retry_after = models.PositiveIntegerField(null=True, blank=True)
    hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.service} {self.method or '*'} {self.path} {self.fault}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "path": self.path,
            "method": self.method or None,
            "fault": self.fault,
            "times": self.times,
            "retryAfter": self.retry_after,
            "hits": self.hits,
        }


def fresh_stamp() -> str:
    return uuid.uuid4().hex


class ServiceSettings(models.Model):
    """Per-service knobs: added latency and the hourly request budget (fixed window)."""

    # Visma.net documents 15,000 requests per hour per company for production clients.
    DEFAULT_HOURLY_BUDGET = 15000

    service = models.CharField(max_length=20, unique=True)
    latency_ms = models.PositiveIntegerField(default=0)
    # Calls allowed per window; null means unlimited: no 429 and no X-RateLimit-* headers.
    hourly_budget = models.PositiveIntegerField(
        null=True, blank=True, default=DEFAULT_HOURLY_BUDGET
    )
    # The fixed window's length: Visma.net's policy is one hour; a shorter one lets a benchmark
    # try pacing against a small budget (e.g. 300 calls per 60 s).
    window_seconds = models.PositiveIntegerField(default=3600)
    window_start = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)
    # A new random value whenever the service's reference data changes (Visma.net: accounts,
    # VAT, periods, currencies, branches, dimensions): a web process keeps what it read of that
    # data across requests for as long as the stamp it reads with each request stays the same.
    reference_stamp = models.CharField(max_length=32, default=fresh_stamp)

    def __str__(self) -> str:
        return f"{self.service} settings"

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "latencyMs": self.latency_ms,
            "hourlyBudget": self.hourly_budget,
            "windowSeconds": self.window_seconds,
            "windowStart": self.window_start.isoformat() if self.window_start else None,
            "windowCount": self.window_count,
        }
