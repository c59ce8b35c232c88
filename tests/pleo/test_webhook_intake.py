"""The webhook endpoint as an attacker and as Pleo's two documented body shapes would try it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from integrations.core.models import ApiCall
from integrations.core.tasks import api_calls_prune
from integrations.pleo import services
from integrations.pleo.models import WebhookEvent
from integrations.pleo.tasks import webhook_rejections_prune
from tests.pleo.webhook_support import OTHER_SECRET, URL, event, event_body, signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("secrets_and_handlers")]


# -- Pleo's two documented shapes, and repeats ----------------------------------------------


@pytest.mark.parametrize("wrapped", [False, True], ids=["flat", "wrapped-under-payload"])
def test_both_documented_body_shapes_reach_the_handler(
    post: Any, secrets_and_handlers: list[dict[str, Any]], wrapped: bool
) -> None:
    inner = event()
    body_object: dict[str, Any] = inner
    if wrapped:
        # Pleo's webhook-events page: the headers repeated beside the event under `payload`.
        body_object = {
            "webhook-id": "msg_1",
            "webhook-timestamp": "1700000000",
            "webhook-signature": "v1,…",
            "payload": inner,
        }
    body = json.dumps(body_object).encode()

    response = post(body, **signed(body))

    assert response.status_code == 202
    stored = WebhookEvent.objects.get(accepted=True)
    assert (stored.event_id, stored.event_type) == ("e-1", "v1.export-job.created")
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert secrets_and_handlers == [{"c": 11, "e": inner}]


def test_an_event_sent_again_under_a_new_webhook_id_is_a_duplicate(
    post: Any, secrets_and_handlers: list[dict[str, Any]]
) -> None:
    body = event_body(event_id="e-42")
    assert post(body, **signed(body, msg_id="msg_a")).status_code == 202

    again = post(body, **signed(body, msg_id="msg_b"))

    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(accepted=True).count() == 1
    assert len(secrets_and_handlers) == 1


def test_the_same_event_id_for_another_connection_is_its_own_event(post: Any) -> None:
    body = event_body(event_id="e-42")
    assert post(body, **signed(body, msg_id="msg_a")).status_code == 202

    other = post(body, **signed(body, msg_id="msg_b", secret=OTHER_SECRET))

    assert other.status_code == 202
    assert sorted(WebhookEvent.objects.values_list("connection_id", flat=True)) == [7, 11]


def test_a_rejected_delivery_with_the_same_id_does_not_make_a_signed_one_a_duplicate(
    client: Client, post: Any
) -> None:
    body = event_body()
    unsigned = client.post(URL, body, content_type="application/json", HTTP_WEBHOOK_ID="msg_1")
    assert unsigned.status_code == 401

    response = post(body, **signed(body, msg_id="msg_1"))

    assert response.status_code == 202
    assert WebhookEvent.objects.filter(accepted=True, delivery_id="msg_1").count() == 1


def test_a_signed_event_whose_row_failed_to_save_is_not_answered_duplicate(
    post: Any, monkeypatch: pytest.MonkeyPatch, secrets_and_handlers: list[dict[str, Any]]
) -> None:
    create = WebhookEvent.objects.create

    def failing_create(**fields: Any) -> WebhookEvent:
        if fields.get("accepted"):
            raise IntegrityError("simulated failure to save")
        return create(**fields)

    monkeypatch.setattr(WebhookEvent.objects, "create", failing_create)
    body = event_body()

    first = post(body, **signed(body))

    # Pleo must send it again: nothing is stored and nothing was handled.
    assert first.status_code == 503 and first["Retry-After"]
    assert "duplicate" not in first.content.decode()
    assert not WebhookEvent.objects.filter(accepted=True).exists()
    assert secrets_and_handlers == []

    monkeypatch.setattr(WebhookEvent.objects, "create", create)
    again = post(body, **signed(body))
    assert again.status_code == 202
    assert len(secrets_and_handlers) == 1


# -- rejected deliveries: short records, rate limited --------------------------------------


def test_a_rejected_delivery_keeps_headers_reason_and_a_short_excerpt_only(
    client: Client,
) -> None:
    body = b'{"eventType": "v1.export-job.created", "data": {"blob": "' + b"A" * 900_000 + b'"}}'

    response = client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_x",
        HTTP_WEBHOOK_TIMESTAMP="1700000000",
        HTTP_WEBHOOK_SIGNATURE="v1,Zm9yZ2Vk",
        HTTP_USER_AGENT="curl/8",
    )

    assert response.status_code == 401
    row = WebhookEvent.objects.get()
    assert row.status == WebhookEvent.Status.REJECTED and not row.accepted
    assert row.rejection_reason.startswith("Signature not verified")
    assert len(row.body_excerpt) <= services.EXCERPT_CHARS
    assert row.body_excerpt.startswith('{"eventType": "v1.export-job.created"')
    assert row.payload is None
    assert row.headers["webhook-id"] == "msg_x"
    assert row.headers["user-agent"] == "curl/8"
    assert row.headers["webhook-signature"] == "***"
    assert row.source_address == "127.0.0.1"


def test_rejected_deliveries_are_rate_limited_per_source_address(
    client: Client, post: Any, settings: Any
) -> None:
    settings.WEBHOOK_REJECTED_PER_MINUTE = 3
    statuses = [
        client.post(URL, b"{}", content_type="application/json", REMOTE_ADDR="203.0.113.9")
        for _ in range(5)
    ]

    assert [r.status_code for r in statuses] == [401, 401, 401, 429, 429]
    assert statuses[-1]["Retry-After"] == "60"
    assert WebhookEvent.objects.filter(source_address="203.0.113.9").count() == 3
    # Another address is not held back by the first one's rejections…
    elsewhere = client.post(URL, b"{}", content_type="application/json", REMOTE_ADDR="192.0.2.1")
    assert elsewhere.status_code == 401
    # …and a signed delivery from the limited address is still accepted.
    body = event_body()
    with_signature = client.post(
        URL, body, content_type="application/json", REMOTE_ADDR="203.0.113.9", **signed(body)
    )
    assert with_signature.status_code == 202


def test_behind_a_proxy_the_source_is_the_address_the_proxy_saw(
    client: Client, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        URL,
        b"{}",
        content_type="application/json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7",
    )

    # The leftmost entry was written by the client; the proxy appended what it saw.
    assert WebhookEvent.objects.get().source_address == "198.51.100.7"


def test_a_body_over_one_megabyte_is_refused_with_413(client: Client) -> None:
    response = client.post(URL, b"x" * 1_100_000, content_type="application/json")

    assert response.status_code == 413
    assert len(WebhookEvent.objects.get().body_excerpt) <= services.EXCERPT_CHARS


# -- parsing only after the signature, strictly --------------------------------------------

HOSTILE_BODIES = {
    "nan": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"n": NaN}}',
    "infinity": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"n": Infinity}}',
    "minus-infinity": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"n": -Infinity}}',
    "1e999": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"n": 1e999}}',
    "nul": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"s": "a\\u0000b"}}',
    "nul-in-key": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"a\\u0000": 1}}',
    "lone-surrogate": b'{"eventType": "v1.export-job.created", "eventId": "e", "data": {"s": "\\ud800"}}',
    "deep": b'{"eventType": "x", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "too-deep-for-the-limit": b'{"eventType": "x", "data": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}",
    "not-utf8": b'{"eventType": "\xff"}',
    "huge-integer": b'{"eventType": "x", "eventId": "e", "data": {"n": 1' + b"0" * 5000 + b"}}",
    "not-an-object": b"[1, 2, 3]",
    "no-event-type": b'{"eventId": "e", "data": {}}',
    "payload-not-an-event": b'{"payload": {"data": {}}}',
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_unsigned_bodies_are_refused_401_without_being_parsed(
    client: Client, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    def must_not_parse(body: bytes) -> Any:
        raise AssertionError("an unsigned body was parsed")

    monkeypatch.setattr(services, "webhook_body_read", must_not_parse)

    response = client.post(
        URL,
        HOSTILE_BODIES[name],
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_h",
        HTTP_WEBHOOK_TIMESTAMP="1700000000",
        HTTP_WEBHOOK_SIGNATURE="v1,Zm9yZ2Vk",
    )

    assert response.status_code == 401
    assert WebhookEvent.objects.get().payload is None


@pytest.mark.parametrize("name", [n for n in HOSTILE_BODIES if n != "not-utf8"])
def test_hostile_signed_bodies_are_refused_400_and_nothing_is_handled(
    post: Any, secrets_and_handlers: list[dict[str, Any]], name: str
) -> None:
    body = HOSTILE_BODIES[name]

    response = post(body, **signed(body))

    assert response.status_code == 400, response.content
    assert response.json()["error"]
    row = WebhookEvent.objects.get()
    assert row.status == WebhookEvent.Status.REJECTED and row.connection_id == 11
    assert "\x00" not in row.body_excerpt
    assert secrets_and_handlers == []


def test_a_signed_body_that_is_not_utf8_is_refused(client: Client) -> None:
    # The signature is computed over text; bytes that are not UTF-8 cannot have been signed.
    response = client.post(
        URL,
        HOSTILE_BODIES["not-utf8"],
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_u",
        HTTP_WEBHOOK_TIMESTAMP="1700000000",
        HTTP_WEBHOOK_SIGNATURE="v1,Zm9yZ2Vk",
    )
    assert response.status_code == 401


def test_a_signed_body_nested_within_the_limit_is_accepted(post: Any) -> None:
    inner: Any = "leaf"
    for _ in range(20):
        inner = {"n": inner}
    body = json.dumps({"eventType": "v1.other", "eventId": "e", "data": inner}).encode()

    assert post(body, **signed(body)).status_code == 202


# -- pruning, by schedule ------------------------------------------------------------------


def _age(model: Any, row_id: int, field: str, days: int) -> None:
    model.objects.filter(id=row_id).update(**{field: timezone.now() - timedelta(days=days)})


def test_old_rejected_deliveries_are_pruned_and_accepted_events_kept(settings: Any) -> None:
    settings.WEBHOOK_REJECTED_RETENTION_DAYS = 7
    old = WebhookEvent.objects.create(status=WebhookEvent.Status.REJECTED, accepted=False)
    recent = WebhookEvent.objects.create(status=WebhookEvent.Status.REJECTED, accepted=False)
    old_accepted = WebhookEvent.objects.create(
        status=WebhookEvent.Status.PROCESSED, accepted=True, delivery_id="msg_old"
    )
    _age(WebhookEvent, old.id, "received_at", 8)
    _age(WebhookEvent, recent.id, "received_at", 6)
    _age(WebhookEvent, old_accepted.id, "received_at", 400)

    assert webhook_rejections_prune() == 1

    assert set(WebhookEvent.objects.values_list("id", flat=True)) == {recent.id, old_accepted.id}


def test_old_api_calls_are_pruned(settings: Any) -> None:
    settings.API_CALL_RETENTION_DAYS = 30
    rows = [
        ApiCall.objects.create(service="pleo", method="GET", url="u", path="/p") for _ in range(3)
    ]
    _age(ApiCall, rows[0].id, "created_at", 31)
    _age(ApiCall, rows[1].id, "created_at", 45)

    assert api_calls_prune() == 2

    assert list(ApiCall.objects.values_list("id", flat=True)) == [rows[2].id]


def test_both_prunes_are_scheduled() -> None:
    # Created by data migrations, like the sync and export schedules.
    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert {
        "integrations.pleo.tasks.webhook_rejections_prune",
        "integrations.core.tasks.api_calls_prune",
    } <= funcs


@pytest.mark.django_db(transaction=True)
def test_without_a_surrounding_transaction_each_event_is_stored_and_queued_once(
    client: Client, secrets_and_handlers: list[dict[str, Any]]
) -> None:
    # As in production: no transaction around the request, so the row commits by itself and
    # the task is queued at once (Q_SYNC runs it inline); a clash must still answer duplicate.
    body = event_body(event_id="e-7")

    def send(msg_id: str) -> Any:
        return client.post(
            URL, body, content_type="application/json", **signed(body, msg_id=msg_id)
        )

    assert send("msg_a").status_code == 202
    assert WebhookEvent.objects.get(accepted=True).status == WebhookEvent.Status.PROCESSED
    for msg_id in ("msg_a", "msg_b"):
        again = send(msg_id)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(accepted=True).count() == 1
    assert len(secrets_and_handlers) == 1
