"""Pleo's callbacks: `POST /api/pleo/webhooks/`.

Verifies the signature and timestamp, stores each delivery once by its id, answers 202 at once
and queues the work after the transaction commits. Rejected deliveries are stored too, so
support staff can see what was refused and why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.core.redaction import redact_headers
from integrations.pleo.events import canonical_event_type, webhook_secrets
from integrations.pleo.models import WebhookEvent
from integrations.pleo.webhooks import WebhookSignatureError, signature_verify

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

_Error = inline_serializer("WebhookError", {"error": serializers.CharField()})
_Accepted = inline_serializer(
    "WebhookAccepted", {"status": serializers.CharField(), "eventId": serializers.CharField()}
)


class RawBodyParser(BaseParser):
    """Keep the body as bytes: the signature covers the exact bytes sent."""

    media_type = "*/*"

    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> bytes:
        return bytes(stream.read(MAX_BODY_BYTES + 1)) if stream is not None else b""


def _company_hint(payload: Any) -> str | None:
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        value = payload["data"].get("companyId")
        return str(value) if value else None
    return None


class PleoWebhookView(APIView):
    authentication_classes: list[type] = []  # the signature is the authentication
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]

    @extend_schema(
        operation_id="pleo_webhook_receive",
        summary="Receive a signed event from Pleo",
        description=(
            "Standard Webhooks signature: `webhook-id`, `webhook-timestamp` (rejected when more than "
            "5 minutes off) and `webhook-signature: v1,<base64 HMAC-SHA256>` over "
            "`id.timestamp.body` with the subscription secret. Each delivery id is processed once."
        ),
        request={
            "application/json": inline_serializer(
                "PleoWebhookEvent",
                {
                    "eventId": serializers.CharField(),
                    "eventType": serializers.CharField(),
                    "data": serializers.DictField(),
                },
            )
        },
        responses={
            202: _Accepted,
            200: OpenApiResponse(_Accepted, description="A repeated delivery: already stored."),
            400: _Error,
            401: _Error,
            413: _Error,
        },
        examples=[
            OpenApiExample(
                "export job created",
                value={
                    "eventId": "…",
                    "eventType": "v1.export-job.created",
                    "data": {"id": "…", "companyId": "…"},
                },
                request_only=True,
            )
        ],
        tags=["webhooks"],
    )
    def post(self, request: Request) -> Response:
        body: bytes = request.data if isinstance(request.data, bytes) else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        kept_headers = redact_headers(
            {
                k: v
                for k, v in headers.items()
                if k.startswith("webhook-") or k in ("content-type", "user-agent")
            }
        )
        delivery_id = headers.get("webhook-id", "")[:200]

        def reject(code: int, reason: str, payload: Any = None) -> Response:
            WebhookEvent.objects.create(
                delivery_id=delivery_id,
                event_type=str((payload or {}).get("eventType", ""))[:100]
                if isinstance(payload, dict)
                else "",
                accepted=False,
                status=WebhookEvent.Status.REJECTED,
                rejection_reason=reason[:500],
                headers=kept_headers,
                payload=payload if isinstance(payload, dict | list) else None,
                raw_body=""
                if isinstance(payload, dict | list)
                else body[:10_000].decode("utf-8", "replace"),
            )
            logger.warning("Rejected Pleo webhook %s: %s", delivery_id or "(no id)", reason)
            return Response({"error": reason}, status=code)

        if len(body) > MAX_BODY_BYTES:
            return reject(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "The body is larger than 1 MB.")
        missing = [h for h in SIGNATURE_HEADERS if not headers.get(h)]
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        if missing:
            return reject(
                status.HTTP_401_UNAUTHORIZED,
                f"Missing signature header(s): {', '.join(missing)}.",
                payload,
            )

        connection_id: int | None = None
        last_error = "No connection has a webhook secret for this company."
        for candidate_id, secret in webhook_secrets(_company_hint(payload)):
            try:
                signature_verify(secret=secret, headers=headers, body=body)
            except WebhookSignatureError as exc:
                last_error = str(exc)
                continue
            connection_id = candidate_id
            break
        if connection_id is None:
            return reject(
                status.HTTP_401_UNAUTHORIZED, f"Signature not verified: {last_error}", payload
            )

        if not isinstance(payload, dict) or not isinstance(payload.get("eventType"), str):
            return reject(
                status.HTTP_400_BAD_REQUEST,
                "The body is not a JSON event with an eventType.",
                payload,
            )
        if not isinstance(payload.get("data"), dict):
            return reject(status.HTTP_400_BAD_REQUEST, "The event has no data object.", payload)

        event_type = canonical_event_type(payload["eventType"])
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    delivery_id=delivery_id,
                    event_id=str(payload.get("eventId", ""))[:200],
                    event_type=event_type[:100],
                    connection_id=connection_id,
                    accepted=True,
                    status=WebhookEvent.Status.RECEIVED,
                    headers=kept_headers,
                    payload=payload,
                )
                transaction.on_commit(lambda: _queue(event.id))
        except IntegrityError:
            # A repeated delivery (same webhook-id): already stored and queued once.
            return Response(
                {"status": "duplicate", "eventId": delivery_id}, status=status.HTTP_200_OK
            )
        return Response(
            {"status": "accepted", "eventId": delivery_id}, status=status.HTTP_202_ACCEPTED
        )


def _queue(event_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "integrations.pleo.tasks.webhook_event_process", event_id, task_name=f"webhook-{event_id}"
    )
