"""Receiving Pleo's webhook deliveries, and pruning what they leave behind.

The order is the contract (DESIGN §6): the signature is verified before anything is done with
the body; only then is the body parsed (strictly, `intake.py`), and the event stored once by
its `webhook-id` and by its `eventId`. What an anonymous caller sends is never stored whole: a
rejected delivery keeps its headers, the reason and a short excerpt, and a source that keeps
sending rejected deliveries is answered 429 without anything stored.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.db.models import Q
from django.utils import timezone

from integrations.core.redaction import redact_headers
from integrations.pleo.events import canonical_event_type, webhook_secrets
from integrations.pleo.intake import BodyRefused, webhook_body_read
from integrations.pleo.models import WebhookEvent
from integrations.pleo.webhooks import WebhookSignatureError, signature_verify

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
EXCERPT_CHARS = 300
HEADER_CHARS = 300
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
KEPT_HEADERS = ("content-type", "content-length", "user-agent")
RATE_WINDOW = timedelta(minutes=1)
TASK = "integrations.pleo.tasks.webhook_event_process"


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


def _clean(text: str, limit: int) -> str:
    # NUL cannot be stored in PostgreSQL text columns; the excerpt is for reading only.
    return text[:limit].replace("\x00", "\ufffd")


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    kept = {
        key: _clean(value, HEADER_CHARS)
        for key, value in headers.items()
        if key.startswith("webhook-") or key in KEPT_HEADERS
    }
    return redact_headers(kept)


def _excerpt(body: bytes) -> str:
    return _clean(body[: EXCERPT_CHARS * 4].decode("utf-8", "replace"), EXCERPT_CHARS)


def webhook_rejection_record(
    *,
    status: int,
    reason: str,
    headers: Mapping[str, str],
    body: bytes,
    source: str | None,
    connection_id: int | None = None,
) -> WebhookAnswer:
    """Keep a short record of a refused delivery, unless its source has sent too many lately."""
    recent = WebhookEvent.objects.filter(
        accepted=False,
        source_address=source,
        received_at__gte=timezone.now() - RATE_WINDOW,
    ).count()
    if recent >= settings.WEBHOOK_REJECTED_PER_MINUTE:
        logger.warning("Pleo webhook from %s not stored: too many rejected deliveries", source)
        return WebhookAnswer(
            429,
            {"error": "Too many rejected deliveries from this address: try again later."},
            {"Retry-After": str(int(RATE_WINDOW.total_seconds()))},
        )
    WebhookEvent.objects.create(
        delivery_id=_clean(headers.get("webhook-id", ""), 200),
        connection_id=connection_id,
        accepted=False,
        status=WebhookEvent.Status.REJECTED,
        rejection_reason=reason[:500],
        headers=_kept_headers(headers),
        body_excerpt=_excerpt(body),
        source_address=source,
    )
    logger.warning("Rejected Pleo webhook %s: %s", headers.get("webhook-id") or "(no id)", reason)
    return WebhookAnswer(status, {"error": reason})


def _verified_connection(headers: Mapping[str, str], body: bytes) -> tuple[int | None, str]:
    """The connection whose secret signed the delivery, or None and why not.

    Every live connection's secret is tried: the body names the company, but it is not read
    before the signature is verified. The secrets kept in this process first; when none of
    them verifies it, the secrets as stored now (one set or rotated meanwhile)."""
    last_error = "No connection has a webhook secret."
    for fresh in (False, True):
        for connection_id, secret in webhook_secrets(None, fresh=fresh):
            try:
                signature_verify(secret=secret, headers=headers, body=body)
            except WebhookSignatureError as exc:
                last_error = str(exc)
                continue
            return connection_id, ""
    return None, last_error


def webhook_delivery_receive(
    *, headers: Mapping[str, str], body: bytes, source: str | None
) -> WebhookAnswer:
    """Verify, read and store one delivery; queue its handling after commit."""
    headers = {key.lower(): value for key, value in headers.items()}

    def reject(status: int, reason: str, connection_id: int | None = None) -> WebhookAnswer:
        return webhook_rejection_record(
            status=status,
            reason=reason,
            headers=headers,
            body=body,
            source=source,
            connection_id=connection_id,
        )

    if len(body) > MAX_BODY_BYTES:
        return reject(413, "The body is larger than 1 MB.")
    missing = [name for name in SIGNATURE_HEADERS if not headers.get(name, "").strip()]
    if missing:
        return reject(401, f"Missing signature header(s): {', '.join(missing)}.")
    connection_id, why = _verified_connection(headers, body)
    if connection_id is None:
        return reject(401, f"Signature not verified: {why}")

    try:
        read = webhook_body_read(body)
    except BodyRefused as exc:
        return reject(400, exc.reason, connection_id)

    delivery_id = headers["webhook-id"].strip()[:200]
    event_id = read.event_id[:200]
    # One INSERT: outside a transaction it commits by itself (one round trip instead of BEGIN,
    # INSERT and COMMIT); inside a caller's transaction a savepoint keeps a clash from spoiling
    # it. Either way the task is queued only once the row is committed.
    try:
        with transaction.atomic() if db.in_atomic_block else contextlib.nullcontext():
            event = WebhookEvent.objects.create(
                delivery_id=delivery_id,
                event_id=event_id,
                event_type=canonical_event_type(read.event_type)[:100],
                connection_id=connection_id,
                accepted=True,
                status=WebhookEvent.Status.RECEIVED,
                headers=_kept_headers(headers),
                payload=read.event(),
                source_address=source,
            )
    except DatabaseError:
        # Only a stored row for this delivery or event makes it a repeat; anything else is our
        # failure, and Pleo must send it again rather than be told it is done.
        if _stored_already(delivery_id, connection_id, event_id):
            return WebhookAnswer(200, {"status": "duplicate", "eventId": delivery_id})
        logger.exception("Pleo webhook %s could not be stored", delivery_id)
        return WebhookAnswer(
            503,
            {"error": "The event could not be stored: send it again."},
            {"Retry-After": "30"},
        )
    transaction.on_commit(lambda: _queue(event.pk))
    return WebhookAnswer(202, {"status": "accepted", "eventId": delivery_id})


def _stored_already(delivery_id: str, connection_id: int, event_id: str) -> bool:
    same = Q(delivery_id=delivery_id)
    if event_id:
        same |= Q(connection_id=connection_id, event_id=event_id)
    try:
        return WebhookEvent.objects.filter(same, accepted=True).exists()
    except DatabaseError:
        return False


@functools.cache
def _broker() -> Any:
    """One broker per process, kept: django-q2 makes a new one (a new Redis connection) for
    each task otherwise, which cost a delivery more than its INSERT. Its client is thread-safe
    and reconnects by itself."""
    from django_q.brokers import get_broker

    return get_broker()


def _queue(event_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task(TASK, event_id, task_name=f"webhook-{event_id}", broker=_broker())
    except Exception as exc:
        # The event is stored: leave it where support can process it again from the admin.
        logger.exception("Queueing Pleo webhook event %s failed", event_id)
        WebhookEvent.objects.filter(id=event_id, status=WebhookEvent.Status.RECEIVED).update(
            status=WebhookEvent.Status.FAILED, error=f"Not queued: {type(exc).__name__}: {exc}"
        )


def webhook_rejections_prune() -> int:
    """Delete rejected deliveries older than WEBHOOK_REJECTED_RETENTION_DAYS; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_REJECTED_RETENTION_DAYS)
    deleted, _ = WebhookEvent.objects.filter(accepted=False, received_at__lt=cutoff).delete()
    return deleted
