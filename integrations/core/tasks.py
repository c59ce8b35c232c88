from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.core.models import ApiCall

logger = logging.getLogger(__name__)

BATCH = 5_000


def api_calls_prune() -> int:
    """Delete ApiCall rows older than API_CALL_RETENTION_DAYS, a batch at a time so no long lock
    is held on a busy table; returns how many were deleted."""
    cutoff = timezone.now() - timedelta(days=settings.API_CALL_RETENTION_DAYS)
    total = 0
    while True:
        ids = list(
            ApiCall.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:BATCH]
        )
        if not ids:
            break
        deleted, _ = ApiCall.objects.filter(id__in=ids).delete()
        total += deleted
    if total:
        logger.info("Pruned %d API call rows older than %s", total, cutoff.date())
    return total
