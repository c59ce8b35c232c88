"""Signing and sending webhook deliveries as Pleo does (Standard Webhooks)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()
URL = "/api/pleo/webhooks/"


def signed(
    body: bytes, *, secret: str = SECRET, msg_id: str = "msg_1", ts: int | None = None
) -> dict[str, str]:
    timestamp = ts if ts is not None else int(time.time())
    signature = Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode()
    )
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(timestamp),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def event(event_type: str = "v1.export-job.created", event_id: str = "e-1") -> dict[str, Any]:
    return {
        "eventId": event_id,
        "eventType": event_type,
        "data": {"id": "job-1", "companyId": "co-1", "status": "pending"},
    }


def event_body(event_type: str = "v1.export-job.created", event_id: str = "e-1") -> bytes:
    return json.dumps(event(event_type, event_id)).encode()
