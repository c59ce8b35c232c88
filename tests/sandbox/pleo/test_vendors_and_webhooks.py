from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import responses
from standardwebhooks.webhooks import Webhook

from integrations.sandbox.pleo.models import DeliveryAttempt, WebhookDelivery
from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID, pleo_seed
from tests.sandbox.pleo.conftest import Api, control, export_item, obtain_tokens

RECEIVER = "http://receiver.example/webhooks/pleo"


def _subscribe(api: Api, events: list[str]) -> tuple[str, str]:
    created = api.post("/v1/subscriptions", {"endpointUrl": RECEIVER, "eventTypes": events})
    assert created.status_code == 200
    subscription_id = created.json()["data"]["id"]
    secret = api.get(f"/v1/subscriptions/{subscription_id}/secret").json()["data"]["secretKey"]
    return subscription_id, secret


def test_vendor_create_conflict_and_activate(api: Api) -> None:
    draft = api.post(
        "/v1/vendors",
        {"companyId": DEMO_COMPANY_ID, "name": "Kontorland AS", "defaultCurrency": "NOK"},
    )
    assert draft.status_code == 201
    vendor = draft.json()["data"]
    assert vendor["state"] == "DRAFT"
    imported = {
        "companyId": DEMO_COMPANY_ID,
        "name": "Acme AS",
        "defaultCurrency": "NOK",
        "externalId": "20045",
        "code": "20045",
        "country": "NO",
    }
    assert api.post("/v1/vendors", imported).json()["data"]["state"] == "ACTIVE"
    duplicate = api.post("/v1/vendors", imported)
    assert duplicate.status_code == 409

    activated = api.post(
        f"/v1/vendors/{vendor['id']}:activate", {"externalId": "30001", "code": "30001"}
    )
    assert activated.status_code == 204
    after = api.get(f"/v1/vendors/{vendor['id']}").json()["data"]
    assert (after["state"], after["externalId"], after["code"]) == ("ACTIVE", "30001", "30001")

    assert api.post(f"/v1/vendors/{vendor['id']}:archive").status_code == 204
    found = api.post(
        f"/v1/vendors:search?company_id={DEMO_COMPANY_ID}", {"states": ["ARCHIVED"]}
    ).json()
    assert [v["id"] for v in found["data"]] == [vendor["id"]]
    missing = api.post(
        "/v1/vendors/00000000-0000-4000-8000-000000000000:activate", {"externalId": "1"}
    )
    assert missing.status_code == 404


def test_subscription_secret_has_the_standard_webhooks_form(api: Api) -> None:
    _, secret = _subscribe(api, ["v1.export-job.created"])
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24


@responses.activate
def test_job_created_webhook_is_signed_with_the_subscription_secret(
    api: Api, make_job: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    responses.add(responses.POST, RECEIVER, status=204)
    _, secret = _subscribe(api, ["v1.export-job.created"])
    control(api.client, "webhooks", {"sync": True})
    with django_capture_on_commit_callbacks(execute=True):
        job = make_job(1)
    assert len(responses.calls) == 1
    sent = responses.calls[0].request
    body = sent.body.decode() if isinstance(sent.body, bytes) else sent.body
    headers = {k: v for k, v in sent.headers.items()}
    assert headers["webhook-id"].startswith("msg_")
    assert headers["webhook-signature"].startswith("v1,")
    payload = Webhook(secret).verify(body, headers)
    assert payload["eventType"] == "v1.export-job.created"
    assert payload["data"]["id"] == job["id"]
    assert payload["eventId"]
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body.replace(job["id"], "tampered"), headers)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)


@responses.activate
def test_control_vendor_announces_vendor_created(
    api: Api, django_capture_on_commit_callbacks: Any
) -> None:
    responses.add(responses.POST, RECEIVER, status=200)
    _subscribe(api, ["v1.vendor.created"])
    control(api.client, "webhooks", {"sync": True})
    with django_capture_on_commit_callbacks(execute=True):
        created = control(api.client, "vendors", {"name": "Fjellbakeriet AS"})
    assert created.status_code == 201
    assert created.json()["state"] == "DRAFT"
    sent = json.loads(responses.calls[0].request.body)
    assert sent["eventType"] == "v1.vendor.created"
    assert sent["data"]["name"] == "Fjellbakeriet AS"


@responses.activate
def test_failing_receiver_is_retried_with_backoff(
    api: Api,
    make_job: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
    frozen_clock: Callable[[timedelta], Any],
) -> None:
    responses.add(responses.POST, RECEIVER, status=503)
    _subscribe(api, ["v1.export-job.created"])
    control(api.client, "webhooks", {"sync": True})
    with django_capture_on_commit_callbacks(execute=True):
        make_job(1)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("retrying", 1)

    # Not due yet: a flush leaves it alone.
    assert control(api.client, "deliveries/flush").json()["attempted"] == []
    waits = []
    for _ in range(5):
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        frozen_clock(timedelta(seconds=waits[-1]))
        control(api.client, "deliveries/flush")
    assert waits == [1, 2, 4, 8, 16]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 6, 503)
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 6
    assert len(responses.calls) == 6

    state = api.client.get("/sandbox/pleo/_control/state").json()
    assert state["webhookDeliveries"][0]["status"] == "failed"


@responses.activate
def test_receiver_recovering_gets_the_delivery(
    api: Api, make_job: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    responses.add(responses.POST, RECEIVER, status=500)
    responses.add(responses.POST, RECEIVER, status=200)
    _subscribe(api, ["v1.export-job.created"])
    control(api.client, "webhooks", {"sync": True})
    with django_capture_on_commit_callbacks(execute=True):
        make_job(1)
    flushed = control(api.client, "deliveries/flush", {"all": True}).json()["attempted"]
    assert [d["status"] for d in flushed] == ["delivered"]
    first, second = (c.request.headers["webhook-id"] for c in responses.calls)
    # A retry is the same message: receivers deduplicate on webhook-id.
    assert first == second


def test_inactive_or_unrelated_subscriptions_get_nothing(
    api: Api, make_job: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(api, ["v1.vendor.created"])
    api.post(
        "/v1/subscriptions",
        {"endpointUrl": RECEIVER, "eventTypes": ["v1.export-job.created"], "status": "INACTIVE"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_job(1)
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_deliveries_run_in_the_background_after_commit(client: Any) -> None:
    pleo_seed("demo")
    responses.add(responses.POST, RECEIVER, status=500)
    responses.add(responses.POST, RECEIVER, status=202)
    api = Api(client, obtain_tokens(client)["access_token"])
    _subscribe(api, ["v1.export-job.created"])
    assert control(client, "export-jobs", {"items": [export_item()]}).status_code == 201
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.get()
        if delivery.status == "delivered":
            break
        time.sleep(0.1)
    # First attempt failed, the thread waited its 1 s backoff and tried again.
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 202)
