from __future__ import annotations

import logging

from django.utils import timezone

from integrations.pleo import services
from integrations.pleo.events import handlers_for
from integrations.pleo.models import WebhookEvent

logger = logging.getLogger(__name__)


def webhook_event_process(event_id: int) -> None:
    """Hand a stored event to the handlers of its type. Safe to run twice: the event is claimed
    with a conditional update, and handlers are idempotent."""
    claimed = WebhookEvent.objects.filter(
        id=event_id,
        accepted=True,
        status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED],
    ).update(status=WebhookEvent.Status.PROCESSING)
    if not claimed:
        return
    event = WebhookEvent.objects.get(id=event_id)
    event.attempts += 1
    handlers = handlers_for(event.event_type)
    if not handlers:
        event.status = WebhookEvent.Status.IGNORED
    else:
        try:
            for handler in handlers:
                handler(connection_id=event.connection_id, event=event.payload)
        except Exception as exc:
            logger.exception("Handling Pleo event %s failed", event.id)
            event.status = WebhookEvent.Status.FAILED
            event.error = f"{type(exc).__name__}: {exc}"[:5000]
        else:
            event.status = WebhookEvent.Status.PROCESSED
            event.error = ""
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "attempts", "processed_at"])


def webhook_rejections_prune() -> int:
    """The schedule's entry point: delete old rejected deliveries."""
    return services.webhook_rejections_prune()
