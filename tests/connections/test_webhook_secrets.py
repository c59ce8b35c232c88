from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from integrations.connections.models import Connection
from integrations.connections.selectors import webhook_secrets_for_company
from integrations.pleo.models import WebhookEvent

pytestmark = pytest.mark.django_db

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def make_connection(company: str, *, secret: str = SECRET, **extra: Any) -> Connection:
    return Connection.objects.create(
        name=f"Co {company}",
        pleo_company_id=company,
        pleo_webhook_subscription_id=f"sub-{company}",
        pleo_webhook_secret=secret,
        **extra,
    )


def test_secrets_come_from_the_companys_live_connections() -> None:
    mine = make_connection("co-a")
    make_connection("co-b", secret="whsec_" + base64.b64encode(b"z" * 32).decode())
    make_connection("co-a", status=Connection.Status.DISCONNECTED)

    assert webhook_secrets_for_company("co-a") == [(mine.id, SECRET)]
    assert len(webhook_secrets_for_company(None)) == 2


def test_a_delivery_signed_with_the_connections_secret_is_accepted(client: Client) -> None:
    connection = make_connection("co-a")
    body = json.dumps({"eventId": "e", "eventType": "v1.unknown", "data": {"companyId": "co-a"}})
    now = int(time.time())
    signature = Webhook(SECRET).sign("msg_9", datetime.fromtimestamp(now, tz=UTC), body)

    response = client.post(
        "/api/pleo/webhooks/",
        body,
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_9",
        HTTP_WEBHOOK_TIMESTAMP=str(now),
        HTTP_WEBHOOK_SIGNATURE=signature,
    )

    assert response.status_code == 202
    assert WebhookEvent.objects.get(accepted=True).connection_id == connection.id
