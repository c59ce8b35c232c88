"""Pleo's callbacks: `POST /api/pleo/webhooks/`.

The view only hands the raw body and headers to `services.webhook_delivery_receive`, which
verifies the signature before reading the body, stores each event once, answers 202 at once and
queues the work after the transaction commits. A rejected delivery keeps its headers, the reason
and a short excerpt, so support staff can see what was refused and why.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.core.client_address import client_address
from integrations.pleo.services import MAX_BODY_BYTES, webhook_delivery_receive

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
            "`id.timestamp.body` with the subscription secret. The body is read only once the "
            "signature is verified, flat (`{eventType, eventId, data}`) or wrapped under "
            "`payload`. Each delivery id and each eventId is processed once."
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
            429: OpenApiResponse(_Error, description="Too many rejected deliveries from there."),
            503: OpenApiResponse(_Error, description="Not stored: send it again."),
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
        answer = webhook_delivery_receive(
            headers=dict(request.headers), body=body, source=client_address(request)
        )
        return Response(answer.body, status=answer.status, headers=answer.headers)
