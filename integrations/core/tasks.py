from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from integrations.core.models import ApiCall

logger = logging.getLogger(__name__)

BATCH = 5_000


def api_calls_prune() -> int:
    """The daily housekeeping schedule: delete ApiCall rows older than API_CALL_RETENTION_DAYS,
    a batch at a time so no long lock is held on a busy table, and old sign-in attempts
    (`login_attempts_prune`); returns how many ApiCall rows were deleted."""
    cutoff = timezone.now() - timedelta(days=settings.API_CALL_RETENTION_DAYS)
    total = _prune(ApiCall.objects.filter(created_at__lt=cutoff))
    if total:
        logger.info("Pruned %d API call rows older than %s", total, cutoff.date())
    login_attempts_prune()
    return total


def login_attempts_prune() -> int:
    """Delete django-axes rows (attempts, failures, access log) older than
    LOGIN_ATTEMPT_RETENTION_DAYS; never rows young enough to keep a lock-out running
    (AXES_COOLOFF_TIME). Returns how many were deleted."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    age = max(timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS), settings.AXES_COOLOFF_TIME)
    cutoff = timezone.now() - age
    total = sum(
        _prune(model.objects.filter(attempt_time__lt=cutoff))
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )
    if total:
        logger.info("Pruned %d sign-in attempt rows older than %s", total, cutoff.date())
    return total


def _prune(rows: QuerySet[Any]) -> int:
    total = 0
    while True:
        ids = list(rows.values_list("id", flat=True)[:BATCH])
        if not ids:
            return total
        deleted, _ = rows.model.objects.filter(id__in=ids).delete()
        total += deleted
