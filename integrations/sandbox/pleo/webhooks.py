"""Signed webhook deliveries from the Pleo sandbox to subscribed endpoints.

Pleo signs with the Standard Webhooks scheme (`webhook-id` msg_…, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, secret `whsec_…`).
Reference: notes/pleo-api.md §4. The body comes in either documented shape (`WebhookShape`):
flat `{"data", "eventId", "eventType"}`, or wrapped under `payload` beside copies of the three
headers; the header signature always covers the raw body as sent.

Deliveries are sent after the creating transaction commits, in a background thread (the
receiver may be this very server, so the request that created the event must not wait for it),
and retried with exponential backoff. A retry is the same message (same `webhook-id`, same
`eventId`); a re-send (`delivery_resend`) is a new message of the same event (new `webhook-id`,
same `eventId`). `SandboxSettings.webhooks_sync` sends the first attempt inline instead, which
tests use; `deliveries_flush` retries whatever is due; `webhooks_hold` keeps new deliveries until
`deliveries_release` sends them, in the order asked for.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.db import OperationalError, connection, transaction
from standardwebhooks import Webhook

from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.models import (
    Company,
    DeliveryAttempt,
    SandboxSettings,
    Subscription,
    WebhookDelivery,
    WebhookShape,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_CAP_SECONDS = 60
TIMEOUT = (3.0, 10.0)
OPEN = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)


def secret_new() -> str:
    """A subscription secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def backoff_seconds(attempts: int) -> int:
    """Wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s … capped."""
    return int(min(2 ** (attempts - 1), BACKOFF_CAP_SECONDS))


def signature_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": _sign(secret=secret, message_id=message_id, body=body, at=at),
    }


def _sign(*, secret: str, message_id: str, body: str, at: datetime) -> str:
    # Signed with the Standard Webhooks reference library itself, never with the product's
    # own helper: a stand-in sharing the receiver's code could not catch the receiver's mistakes.
    return Webhook(secret).sign(message_id, at.astimezone(UTC), body)


def wire_body(*, delivery: WebhookDelivery, secret: str, at: datetime) -> str:
    """The body of one attempt in the delivery's shape.

    Wrapped: Pleo's page shows the three header values inside the body too. A signature cannot
    cover a body that contains it, so the inner `webhook-signature` is the sandbox's reading:
    the signature of the flat event text; receivers verify the header over the raw body.
    """
    if delivery.shape != WebhookShape.WRAPPED:
        return delivery.body
    wrapped = {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": int(at.timestamp()),
        "webhook-signature": _sign(
            secret=secret, message_id=delivery.message_id, body=delivery.body, at=at
        ),
        "payload": json.loads(delivery.body),
    }
    return json.dumps(wrapped)


def _shape_for(subscription: Subscription, default: str) -> str:
    shape = subscription.body_shape or default
    if shape != WebhookShape.ALTERNATE:
        return shape
    sent = WebhookDelivery.objects.filter(subscription=subscription).count()
    return WebhookShape.FLAT if sent % 2 == 0 else WebhookShape.WRAPPED


def webhook_emit(*, company: Company, event_type: str, data: dict[str, Any]) -> list[int]:
    """Record one delivery per ACTIVE subscription of the company to `event_type`.

    Sending starts once the surrounding transaction commits (unless deliveries are held).
    """
    event_id = uuid.uuid4()
    body = json.dumps({"data": data, "eventId": str(event_id), "eventType": event_type})
    settings = SandboxSettings.current()
    ids: list[int] = []
    subscriptions = Subscription.objects.filter(company=company, status=Subscription.Status.ACTIVE)
    for subscription in subscriptions:
        if event_type not in (subscription.event_types or []):
            continue
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            company=company,
            endpoint_url=subscription.endpoint_url,
            message_id=message_id_new(),
            event_id=event_id,
            event_type=event_type,
            body=body,
            shape=_shape_for(subscription, settings.webhook_shape),
            status=(
                WebhookDelivery.Status.HELD
                if settings.webhooks_hold
                else WebhookDelivery.Status.PENDING
            ),
            next_attempt_at=None if settings.webhooks_hold else clock.now(),
        )
        ids.append(delivery.pk)
    if ids and not settings.webhooks_hold:
        transaction.on_commit(lambda: deliveries_dispatch(ids))
    return ids


def message_id_new() -> str:
    return f"msg_{uuid.uuid4().hex}"


def deliveries_dispatch(ids: Sequence[int]) -> None:
    if SandboxSettings.current().webhooks_sync:
        for delivery_id in ids:
            delivery_attempt(delivery_id)
        return
    thread = threading.Thread(
        target=_deliver_in_background, args=(list(ids),), name="pleo-sandbox-webhooks", daemon=True
    )
    thread.start()


def _deliver_in_background(ids: list[int]) -> None:
    try:
        pending = list(ids)
        while pending:
            still_open: list[int] = []
            busy = False
            for delivery_id in pending:
                try:
                    delivery = delivery_attempt(delivery_id)
                except OperationalError:
                    # SQLite answers "database is locked" while another connection writes:
                    # the delivery stays open and is tried again shortly.
                    busy = True
                    still_open.append(delivery_id)
                    continue
                if delivery is not None and delivery.status in OPEN:
                    still_open.append(delivery_id)
            pending = still_open
            if pending:
                time.sleep(0.1 if busy else _wait_for(pending))
    except Exception:  # a background thread has no one to raise to
        logger.exception("webhook delivery thread failed")
    finally:
        connection.close()


def _wait_for(pending: list[int]) -> float:
    try:
        due = list(
            WebhookDelivery.objects.filter(pk__in=pending).values_list("next_attempt_at", flat=True)
        )
    except OperationalError:
        return 0.1
    soonest = min((d for d in due if d is not None), default=clock.now())
    wait = (soonest - clock.now()).total_seconds()
    return float(min(max(wait, 0.05), BACKOFF_CAP_SECONDS))


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take one open delivery for an attempt; None when another worker has it or it is done."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id, status__in=OPEN)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = clock.now()
        # Push the due time out while the attempt runs so a flush does not send it twice.
        delivery.next_attempt_at = clock.now() + timedelta(seconds=TIMEOUT[0] + TIMEOUT[1])
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        return delivery


def delivery_attempt(delivery_id: int) -> WebhookDelivery | None:
    """One HTTP attempt; records it and schedules the next one on failure."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    subscription = delivery.subscription
    secret = subscription.secret if subscription else ""
    headers = {"Content-Type": "application/json", "User-Agent": "Pleo-Webhooks (sandbox)"}
    if subscription is not None:
        headers.update({str(k): str(v) for k, v in (subscription.custom_headers or {}).items()})
        auth = subscription.endpoint_auth or {}
        credentials = auth.get("credentials") or {}
        if auth.get("type") == "BASIC":
            pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    at = datetime.now(UTC)
    body = wire_body(delivery=delivery, secret=secret, at=at)
    headers.update(
        signature_headers(secret=secret, message_id=delivery.message_id, body=body, at=at)
    )
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        # Reference: Standard Webhooks delivery (POST, JSON body, signature headers).
        response = requests.post(
            delivery.endpoint_url,
            data=body.encode(),
            headers=headers,
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:300]}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.monotonic() - started) * 1000)
    now = clock.now()
    DeliveryAttempt.objects.create(
        delivery=delivery, at=now, status_code=status_code, error=error, duration_ms=duration
    )
    delivery.last_status_code = status_code
    delivery.last_error = error
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save(update_fields=["status", "last_status_code", "last_error", "next_attempt_at"])
    return delivery


def deliveries_flush(*, include_not_due: bool = False) -> list[WebhookDelivery]:
    """Attempt every open delivery that is due now (or every open one), inline."""
    due = WebhookDelivery.objects.filter(status__in=OPEN)
    if not include_not_due:
        due = due.filter(next_attempt_at__lte=clock.now())
    results: Iterable[WebhookDelivery | None] = (
        delivery_attempt(pk) for pk in list(due.values_list("pk", flat=True))
    )
    return [d for d in results if d is not None]


# ---- duplicates and disorder, on demand (control API) --------------------------------------


def delivery_resend(
    *, original: WebhookDelivery, same_message: bool, shape: str | None = None
) -> WebhookDelivery:
    """Send an event again. `same_message`: the very message once more (same `webhook-id`), as
    a sender does when the receiver's 2xx was lost; otherwise a new message of the same event
    (new `webhook-id`, same `eventId` and data), as a manual re-send or a second emission does."""
    if same_message:
        WebhookDelivery.objects.filter(pk=original.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=clock.now()
        )
        original.refresh_from_db()
        return original
    return WebhookDelivery.objects.create(
        subscription=original.subscription,
        company=original.company,
        endpoint_url=original.endpoint_url,
        message_id=message_id_new(),
        event_id=original.event_id,
        event_type=original.event_type,
        body=original.body,
        shape=shape or original.shape,
        next_attempt_at=clock.now(),
    )


def deliveries_release(*, order: str, seed: int | None) -> list[WebhookDelivery]:
    """Send every held delivery: in creation order, reversed, or shuffled (reproducibly from
    `seed`). Returns them in the order they go out."""
    held = list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.HELD))
    if order == "reversed":
        held.reverse()
    elif order == "shuffled":
        random.Random(seed).shuffle(held)
    now = clock.now()
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in held]).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now
    )
    return held
