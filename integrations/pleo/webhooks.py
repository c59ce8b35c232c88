"""Pleo webhook signatures (the Standard Webhooks scheme): checking and making them.

Pleo sends `webhook-id` (`msg_…`), `webhook-timestamp` (unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, several separated by spaces while a
secret rotates); the key is the base64 part of the subscription's `whsec_…` secret
(notes/pleo-api.md §4; https://www.standardwebhooks.com/). The sandbox signs its deliveries with
the `standardwebhooks` package on its own, so a mistake here cannot hide behind shared code.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"


class WebhookSignatureError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _webhook(secret: str) -> Webhook:
    try:
        return Webhook(secret)
    except Exception as exc:
        # The package raises its own EmptyWebhookSecretError or binascii.Error for bad keys.
        raise WebhookSignatureError("The webhook secret is not a valid whsec_ key") from exc


def _text(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookSignatureError("The webhook body is not UTF-8") from exc


def signature_sign(
    *, secret: str, msg_id: str, timestamp: int | datetime, body: bytes | str
) -> str:
    """The `webhook-signature` header value (`v1,<base64>`) for this delivery."""
    moment = (
        timestamp.astimezone(UTC)
        if isinstance(timestamp, datetime)
        else datetime.fromtimestamp(int(timestamp), tz=UTC)
    )
    return _webhook(secret).sign(msg_id, moment, _text(body))


def signature_verify(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = 300,
    now: float | None = None,
) -> None:
    """Raise `WebhookSignatureError` unless the delivery is signed with `secret` and its
    timestamp is within `tolerance` seconds of now (replays and stale deliveries are refused)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    values: dict[str, str] = {}
    for name in (HEADER_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE):
        value = (lowered.get(name) or "").strip()
        if not value:
            raise WebhookSignatureError(f"Missing header {name}")
        values[name] = value
    try:
        timestamp = int(values[HEADER_TIMESTAMP])
    except ValueError as exc:
        raise WebhookSignatureError("webhook-timestamp is not a unix time") from exc
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise WebhookSignatureError("Message timestamp too old")
    if timestamp > current + tolerance:
        raise WebhookSignatureError("Message timestamp too new")

    expected = signature_sign(
        secret=secret, msg_id=values[HEADER_ID], timestamp=timestamp, body=body
    )
    expected_bytes = base64.b64decode(expected.split(",", 1)[1])
    for candidate in values[HEADER_SIGNATURE].split():
        version, _, signature = candidate.partition(",")
        if version != "v1" or not signature:
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(expected_bytes, given):
            return
    raise WebhookSignatureError("No matching signature found")
