from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import Client

from integrations.pleo import events
from integrations.pleo.models import WebhookEvent
from integrations.pleo.tasks import webhook_event_process
from tests.pleo.webhook_support import URL, event_body, signed

pytestmark = pytest.mark.django_db

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("secrets_and_handlers")]


def test_signed_event_is_stored_once_and_handled(
    post: Any, secrets_and_handlers: list[dict[str, Any]]
) -> None:
    body = event_body()
    response = post(body, **signed(body))

    assert response.status_code == 202
    event = WebhookEvent.objects.get()
    assert event.accepted and event.connection_id == 11
    # Q_SYNC runs the queued task inline once the request's transaction commits.
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert secrets_and_handlers == [{"c": 11, "e": json.loads(body)}]

    again = post(body, **signed(body))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(accepted=True).count() == 1
    assert len(secrets_and_handlers) == 1


def test_unsigned_body_is_rejected_with_401_and_kept(client: Client) -> None:
    response = client.post(URL, event_body(), content_type="application/json")

    assert response.status_code == 401
    assert "Missing signature" in response.json()["error"]
    rejected = WebhookEvent.objects.get()
    assert rejected.status == WebhookEvent.Status.REJECTED and not rejected.accepted


def test_wrong_signature_is_rejected(client: Client) -> None:
    body = event_body()
    headers = signed(body, secret="whsec_" + base64.b64encode(b"x" * 32).decode())
    response = client.post(URL, body, content_type="application/json", **headers)
    assert response.status_code == 401
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.REJECTED


def test_old_timestamp_is_rejected(client: Client) -> None:
    body = event_body()
    response = client.post(
        URL, body, content_type="application/json", **signed(body, ts=int(time.time()) - 3600)
    )
    assert response.status_code == 401


def test_tampered_body_is_rejected(client: Client) -> None:
    body = event_body()
    headers = signed(body)
    response = client.post(
        URL, body.replace(b"job-1", b"job-2"), content_type="application/json", **headers
    )
    assert response.status_code == 401


def test_malformed_json_with_valid_signature_is_400_and_kept(post: Any) -> None:
    body = b"{not json"
    response = post(body, **signed(body))
    assert response.status_code == 400
    rejected = WebhookEvent.objects.get()
    assert rejected.body_excerpt == "{not json"


def test_event_without_handler_is_ignored(post: Any) -> None:
    body = event_body("v1.something.else")
    response = post(body, **signed(body, msg_id="msg_2"))
    assert response.status_code == 202
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


def test_failing_handler_marks_event_failed_and_can_run_again(post: Any) -> None:
    calls: list[int] = []

    def flaky(*, connection_id: int, event: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("remote down")

    events._handlers.clear()
    events.register_handler(events.EXPORT_JOB_CREATED, flaky)
    body = event_body()
    post(body, **signed(body))
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED and "remote down" in event.error

    webhook_event_process(event.id)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED and event.attempts == 2


def test_webhook_endpoint_is_in_the_openapi_schema(client: Client, django_user_model: Any) -> None:
    client.force_login(django_user_model.objects.create_user("reader", password="pw-123456789"))
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/pleo/webhooks/"]["post"]
    assert set(operation["responses"]) >= {"202", "400", "401"}
