"""Control switches of the Pleo sandbox that a fault campaign turns: malformed pages, revoked
tokens, expired jobs and receipt links, duplicate and out-of-order webhook deliveries."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from standardwebhooks.webhooks import Webhook

from integrations.sandbox.pleo.models import WebhookDelivery
from tests.sandbox.pleo.conftest import Api, control, export_item, obtain_tokens, token_request


def test_no_data_drops_the_list_of_a_pleo_page(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(3)
    rule = {"path": "/v3/export-items", "method": "GET", "fault": "malformed:no_data"}
    assert control(api.client, "faults", rule).status_code == 201
    page = api.get("/v3/export-items", {"job_id": job["id"]})
    assert page.status_code == 200
    body = page.json()
    assert "data" not in body
    assert body["pagination"]["total"] == 3
    whole = api.get("/v3/export-items", {"job_id": job["id"]}).json()
    assert len(whole["data"]) == 3


RECEIVER = "http://receiver.example/webhooks/pleo"


def _subscribe(api: Api, url: str = RECEIVER) -> tuple[str, str]:
    created = api.post("/v1/subscriptions", {"endpointUrl": url, "eventTypes": [JOB_CREATED]})
    subscription_id = created.json()["data"]["id"]
    secret = api.get(f"/v1/subscriptions/{subscription_id}/secret").json()["data"]["secretKey"]
    return subscription_id, secret


def _sent(index: int = -1) -> tuple[str, dict[str, str]]:
    request = responses.calls[index].request
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    return body, dict(request.headers)


@pytest.fixture
def inline(api: Api, django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Deliveries sent inline, to receivers that accept everything (`responses.calls`);
    `with inline(execute=True): …` sends what the block emitted when it ends."""
    control(api.client, "webhooks", {"sync": True})
    responses.start()
    try:
        responses.add(responses.POST, RECEIVER, status=204)
        responses.add(responses.POST, OTHER, status=204)
        yield django_capture_on_commit_callbacks
    finally:
        responses.stop()
        responses.reset()


JOB_CREATED = "v1.export-job.created"
OTHER = "http://other.example/hooks"


def test_flat_body_is_the_default(api: Api, inline: Any, make_job: Callable[..., Any]) -> None:
    _, secret = _subscribe(api)
    with inline(execute=True):
        job = make_job(1)
    body, headers = _sent()
    event = Webhook(secret).verify(body, headers)
    assert set(event) == {"data", "eventId", "eventType"}
    assert (event["eventType"], event["data"]["id"]) == (JOB_CREATED, job["id"])


def test_wrapped_body_carries_the_event_under_payload(
    api: Api, inline: Any, make_job: Callable[..., Any]
) -> None:
    _, secret = _subscribe(api)
    assert control(api.client, "webhooks", {"shape": "wrapped"}).json()["webhookShape"] == "wrapped"
    with inline(execute=True):
        job = make_job(1)
    body, headers = _sent()
    # The header signature covers the raw body as sent, whatever its shape.
    wrapped = Webhook(secret).verify(body, headers)
    assert set(wrapped) == {"webhook-id", "webhook-timestamp", "webhook-signature", "payload"}
    assert wrapped["webhook-id"] == headers["webhook-id"]
    assert str(wrapped["webhook-timestamp"]) == headers["webhook-timestamp"]
    event = wrapped["payload"]
    assert (event["eventType"], event["data"]["id"]) == (JOB_CREATED, job["id"])
    inner = {**headers, "webhook-signature": wrapped["webhook-signature"]}
    assert Webhook(secret).verify(json.dumps(event), inner) == event
    state = api.client.get("/sandbox/pleo/_control/state").json()
    assert state["webhookDeliveries"][0]["shape"] == "wrapped"


def test_shape_per_subscription_and_alternating(
    api: Api, inline: Any, make_job: Callable[..., Any]
) -> None:
    wrapped_id, _ = _subscribe(api)
    _subscribe(api, OTHER)
    control(api.client, "webhooks", {"subscriptionId": wrapped_id, "shape": "wrapped"})
    with inline(execute=True):
        _job_done(api, make_job(1))
    shapes = {c.request.url: "payload" in json.loads(_body(c.request)) for c in responses.calls}
    assert shapes == {RECEIVER: True, OTHER: False}

    control(api.client, "webhooks", {"subscriptionId": wrapped_id, "shape": None})
    control(api.client, "webhooks", {"shape": "alternate"})
    for _ in range(3):
        with inline(execute=True):
            _job_done(api, make_job(1))
    to_other = [
        "payload" in json.loads(_body(c.request)) for c in responses.calls if c.request.url == OTHER
    ]
    # The first delivery to OTHER was flat; from then on its deliveries take turns.
    assert to_other == [False, True, False, True]


def _job_done(api: Api, job: dict[str, Any]) -> None:
    """Finish a job: Pleo runs one job per company at a time."""
    api.post("/v3/export-job-events", {"jobId": job["id"], "event": "started"})
    api.post("/v3/export-job-events", {"jobId": job["id"], "event": "completed"})


def test_a_retry_keeps_the_webhook_id_and_a_resend_keeps_only_the_event_id(
    api: Api, make_job: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    control(api.client, "webhooks", {"sync": True, "shape": "wrapped"})
    _, secret = _subscribe(api)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RECEIVER, status=500)
        mock.add(responses.POST, RECEIVER, status=204)
        with django_capture_on_commit_callbacks(execute=True):
            make_job(1)
        control(api.client, "deliveries/flush", {"all": True})
        first, second = (
            Webhook(secret).verify(_body(c.request), dict(c.request.headers)) for c in mock.calls
        )
        assert first["webhook-id"] == second["webhook-id"]
        assert first["payload"]["eventId"] == second["payload"]["eventId"]
        event_id = first["payload"]["eventId"]

        mock.add(responses.POST, RECEIVER, status=204)
        again = control(
            api.client, "deliveries/redeliver", {"eventId": event_id, "times": 2, "shape": "flat"}
        )
        assert again.status_code == 201
        copies = again.json()["deliveries"]
        assert [d["status"] for d in copies] == ["delivered", "delivered"]
        resent = [
            (json.loads(_body(c.request)), c.request.headers["webhook-id"]) for c in mock.calls[2:]
        ]
        assert [event["eventId"] for event, _ in resent] == [event_id, event_id]
        ids = {message_id for _, message_id in resent}
        assert len(ids) == 2 and first["webhook-id"] not in ids

        same = control(
            api.client, "deliveries/redeliver", {"eventId": event_id, "sameWebhookId": True}
        ).json()["deliveries"]
        assert same[0]["webhookId"] == first["webhook-id"]
        assert mock.calls[-1].request.headers["webhook-id"] == first["webhook-id"]
    assert WebhookDelivery.objects.filter(event_id=event_id).count() == 3


def _body(request: Any) -> str:
    return request.body.decode() if isinstance(request.body, bytes) else str(request.body)


def test_held_deliveries_go_out_shuffled_reproducibly(
    api: Api, make_job: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    control(api.client, "webhooks", {"sync": True, "hold": True})
    _subscribe(api)
    created = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            job = make_job(1)
            created.append(job["id"])
            _job_done(api, job)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"held"}
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RECEIVER, status=204)
        released = control(api.client, "deliveries/release", {"order": "shuffled", "seed": 7})
        sent = [json.loads(_body(c.request))["data"]["id"] for c in mock.calls]
    order = [d["eventId"] for d in released.json()["deliveries"]]
    assert sorted(sent) == sorted(created) and sent != created
    by_event = dict(WebhookDelivery.objects.values_list("event_id", "body"))
    assert [json.loads(by_event[uuid.UUID(e)])["data"]["id"] for e in order] == sent
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    # The same seed gives the same order.
    expected = list(created)
    random.Random(7).shuffle(expected)
    assert expected == sent


def test_revoked_token_is_refused_and_refresh_follows_the_switch(seeded: None, client: Any) -> None:
    tokens = obtain_tokens(client)
    api = Api(client, tokens["access_token"])
    assert api.get("/v3/export-jobs").status_code == 200
    revoked = control(client, "tokens/revoke", {"companyId": "demo-company"})
    assert revoked.json() == {"revokedAccessTokens": 1, "revokedGrants": 0}
    refused = api.get("/v3/export-jobs")
    assert (refused.status_code, refused.json()["type"]) == (401, "UNAUTHORIZED")
    renewed = token_request(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()
    assert Api(client, renewed["access_token"]).get("/v3/export-jobs").status_code == 200

    ended = control(client, "tokens/revoke", {"token": renewed["access_token"], "refresh": "fails"})
    assert ended.json() == {"revokedAccessTokens": 1, "revokedGrants": 1}
    assert Api(client, renewed["access_token"]).get("/v3/export-jobs").status_code == 401
    again = token_request(
        client, grant_type="refresh_token", refresh_token=renewed["refresh_token"]
    )
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert control(client, "tokens/revoke", {"refresh": "sometimes"}).status_code == 400


def test_expire_a_job_now(api: Api, make_job: Callable[..., Any]) -> None:
    job = make_job(2)
    entry = job["items"][0]["accountingEntryId"]
    api.post("/v3/export-job-events", {"jobId": job["id"], "event": "started"})
    expired = control(api.client, f"export-jobs/{job['id']}/expire")
    assert expired.status_code == 200
    body = expired.json()
    assert (body["status"], body["failureReasonType"]) == ("failed", "job_expired")
    assert body["expiredAt"]
    # Refused the way Pleo refuses a finished job (export-api-v3 / export-items-v3 specs).
    update = api.send(
        "PUT",
        f"/v3/export-jobs/{job['id']}/items",
        [{"accountingEntryId": entry, "status": "successful"}],
    )
    assert (update.status_code, update.json()["type"]) == (422, "EXPORT_JOB_STATUS_UNPROCESSABLE")
    event = api.post("/v3/export-job-events", {"jobId": job["id"], "event": "completed"})
    assert (event.status_code, event.json()["type"]) == (422, "INVALID_EXPORT_JOB_STATUS_CHANGE")
    items = api.get("/v3/export-items", {"job_id": job["id"]})
    assert (items.status_code, items.json()["type"]) == (422, "EXPORT_JOB_STATUS_UNPROCESSABLE")
    statuses = {i["status"] for i in api.get(f"/v3/export-jobs/{job['id']}/items").json()["data"]}
    assert statuses == {"abandoned"}
    assert control(api.client, f"export-jobs/{job['id']}/expire").status_code == 409
    missing = control(api.client, "export-jobs/00000000-0000-4000-8000-000000000000/expire")
    assert missing.status_code == 404


def test_an_event_renews_the_hour(
    client: Any, make_job: Callable[..., Any], frozen_clock: Callable[[timedelta], Any]
) -> None:
    control(client, "token-expiry", {"seconds": 86400})
    api = Api(client, obtain_tokens(client)["access_token"])
    job = make_job(1)
    frozen_clock(timedelta(minutes=59))
    assert (
        api.post("/v3/export-job-events", {"jobId": job["id"], "event": "started"}).status_code
        == 202
    )
    frozen_clock(timedelta(minutes=59))
    detail = api.get(f"/v3/export-jobs/{job['id']}").json()["data"]
    assert detail["status"] == "in_progress"
    frozen_clock(timedelta(minutes=2))
    detail = api.get(f"/v3/export-jobs/{job['id']}").json()["data"]
    assert (detail["status"], detail["failureReasonType"]) == ("failed", "job_expired")


def test_expire_receipt_links_now(api: Api, make_job: Callable[..., Any]) -> None:
    receipt = {"name": "r.pdf", "type": "application/pdf", "content_base64": "JVBERg=="}
    job = make_job(items=[export_item(files=[receipt])])

    def link() -> str:
        page = api.get("/v3/export-items", {"job_id": job["id"]}).json()
        return str(page["data"][0]["files"][0]["url"])

    old = link()
    assert api.client.get(old).status_code == 200
    assert control(api.client, "file-links/expire").status_code == 200
    refused = api.client.get(old)
    assert (refused.status_code, refused.content) == (403, b"Request has expired.")
    fresh = api.client.get(link())
    assert (fresh.status_code, fresh.content) == (200, b"%PDF")
