from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook

from integrations.pleo import events
from integrations.pleo.models import WebhookEvent
from integrations.pleo.tasks import webhook_event_process

pytestmark = pytest.mark.django_db

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()
URL = "/api/pleo/webhooks/"


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    """POST as Pleo does, running what the view queues after commit (Q_SYNC runs tasks inline)."""

    def send(body: bytes, **headers: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, body, content_type="application/json", **headers)

    return send


@pytest.fixture(autouse=True)
def secrets_and_handlers() -> Iterator[list[dict[str, Any]]]:
    handled: list[dict[str, Any]] = []
    saved_source = list(events._secret_source)
    saved_handlers = dict(events._handlers)
    events.register_secret_source(lambda company: [(7, OTHER_SECRET), (11, SECRET)])
    events._handlers.clear()
    events.register_handler(
        events.EXPORT_JOB_CREATED,
        lambda *, connection_id, event: handled.append({"c": connection_id, "e": event}),
    )
    yield handled
    events._secret_source[:] = saved_source
    events._handlers.clear()
    events._handlers.update(saved_handlers)


def signed(
    body: bytes, *, secret: str = SECRET, msg_id: str = "msg_1", ts: int | None = None
) -> dict[str, str]:
    timestamp = ts if ts is not None else int(time.time())
    from datetime import UTC, datetime

    signature = Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode()
    )
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(timestamp),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def event_body(event_type: str = "v1.export-job.created") -> bytes:
    return json.dumps(
        {
            "eventId": "e-1",
            "eventType": event_type,
            "data": {"id": "job-1", "companyId": "co-1", "status": "pending"},
        }
    ).encode()


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
    assert rejected.raw_body == "{not json"


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
