"""A vendor created in Pleo reaches Visma.net through the signed webhook, over real HTTP."""

from __future__ import annotations

import time
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

    # Pleo delivers the same event again: under the same webhook-id it is a stored duplicate;
    # under a new one the handler runs and finds nothing to do. Neither system is written to.
    delivery = WebhookDelivery.objects.get(event_type="v1.vendor.created")
    secret = delivery.subscription.secret  # type: ignore[union-attr]
    requests.delete(f"{sandbox.base}/sandbox/visma/_control/requests", timeout=10)
    requests.delete(f"{sandbox.base}/sandbox/pleo/_control/requests", timeout=10)
    for message_id in (delivery.message_id, "msg_redelivered"):
        now = int(time.time())
        answer = requests.post(
            delivery.endpoint_url,
            data=delivery.body.encode(),
            headers={
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(now),
                "webhook-signature": signature_sign(
                    secret=secret, msg_id=message_id, timestamp=now, body=delivery.body
                ),
            },
            timeout=30,
        )
        assert answer.status_code in (200, 202), answer.text
    assert WebhookEvent.objects.filter(event_type="v1.vendor.created", accepted=True).count() == 2
    writes = [
        r
        for service in ("visma", "pleo")
        for r in sandbox.requests(service)
        if r["method"] != "GET" and "/oauth/" not in r["path"] and "/connect/" not in r["path"]
    ]
    assert writes == []
    assert [s["name"] for s in sandbox.visma_state()["suppliers"]].count("Fjord Consulting AS") == 1
