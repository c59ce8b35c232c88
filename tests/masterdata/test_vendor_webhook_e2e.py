"""A vendor created in Pleo reaches Visma.net through the signed webhook, over real HTTP."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests

from integrations.pleo.models import WebhookEvent
from integrations.pleo.webhooks import signature_sign
from integrations.sandbox.pleo.models import WebhookDelivery
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_vendor_created_in_pleo_ends_active_in_both_systems_once(
    sandbox: Sandbox, demo: Any
) -> None:
    vendor = sandbox.post(
        "pleo", "_control/vendors", {"name": "Fjord Consulting AS", "defaultCurrency": "NOK"}
    )

    # The sandbox delivered v1.vendor.created to our endpoint; the handler ran in its task.
    event = WebhookEvent.objects.get(event_type="v1.vendor.created", accepted=True)
    assert event.status == WebhookEvent.Status.PROCESSED, event.error
    [supplier] = [
        s for s in sandbox.visma_state()["suppliers"] if s["name"] == "Fjord Consulting AS"
    ]
    assert supplier["status"] == "Active"
    [in_pleo] = [v for v in sandbox.pleo_state()["vendors"] if v["id"] == vendor["id"]]
    assert (in_pleo["state"], in_pleo["externalId"]) == ("ACTIVE", supplier["number"])

    # Pleo delivers the same event again: under the same webhook-id, or under a new one with the
    # same eventId, it is a stored duplicate. A second event about the same vendor (a new
    # eventId) runs the handler, which finds nothing to do. Neither system is written to.
    delivery = WebhookDelivery.objects.get(event_type="v1.vendor.created")
    secret = delivery.subscription.secret  # type: ignore[union-attr]
    second_event = json.dumps({**json.loads(delivery.body), "eventId": str(uuid.uuid4())})
    requests.delete(f"{sandbox.base}/sandbox/visma/_control/requests", timeout=10)
    requests.delete(f"{sandbox.base}/sandbox/pleo/_control/requests", timeout=10)
    answers = []
    for message_id, body in (
        (delivery.message_id, delivery.body),
        ("msg_redelivered", delivery.body),
        ("msg_second_event", second_event),
    ):
        now = int(time.time())
        answer = requests.post(
            delivery.endpoint_url,
            data=body.encode(),
            headers={
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(now),
                "webhook-signature": signature_sign(
                    secret=secret, msg_id=message_id, timestamp=now, body=body
                ),
            },
            timeout=30,
        )
        answers.append((answer.status_code, answer.json().get("status")))
    assert answers == [(200, "duplicate"), (200, "duplicate"), (202, "accepted")]
    assert WebhookEvent.objects.filter(event_type="v1.vendor.created", accepted=True).count() == 2
    writes = [
        r
        for service in ("visma", "pleo")
        for r in sandbox.requests(service)
        if r["method"] != "GET" and "/oauth/" not in r["path"] and "/connect/" not in r["path"]
    ]
    assert writes == []
    assert [s["name"] for s in sandbox.visma_state()["suppliers"]].count("Fjord Consulting AS") == 1
