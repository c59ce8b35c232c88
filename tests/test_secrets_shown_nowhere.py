"""Secrets seeded into a connection by the real flows (OAuth tokens, the Visma.net and Pleo
client secrets, the webhook secret Pleo issued) appear in no page, no admin view, no log line
and no `ApiCall` row.

The demo connection is connected through the sandboxes' real OAuth endpoints, in-process (as
`make demo` does before its server runs), so the tokens and the webhook secret are the ones the
services handed out. Then every page, API route and admin view is rendered as the superuser
and as a support member, and each answer is searched for each secret.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from integrations.connections.models import Connection, ConnectionMembership
from integrations.core.models import ApiCall
from integrations.core.roles import SUPPORT, roles_sync
from integrations.demo.connection import demo_connection_prepare
from tests.test_rights import ADMIN, PRODUCT, _admin_values, _kind

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:9"  # nothing listens (discard): pages that reach out fail fast


@pytest.fixture
def demo_settings(settings: Any) -> Any:
    settings.PUBLIC_BASE_URL = BASE
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{BASE}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{BASE}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    settings.REMOTE_MAX_RETRY_WAIT = 0.0
    call_command("sandbox_seed", preset="demo")
    return settings


def _secrets(connection: Connection, settings: Any) -> dict[str, str]:
    connection = Connection.objects.get(pk=connection.pk)
    found = {
        "pleo access token": connection.pleo_access_token or "",
        "pleo refresh token": connection.pleo_refresh_token or "",
        "visma access token": connection.visma_access_token or "",
        "visma refresh token": connection.visma_refresh_token or "",
        "webhook secret": connection.pleo_webhook_secret or "",
        "pleo client secret": settings.PLEO_CLIENT_SECRET,
        "visma client secret": settings.VISMA_CLIENT_SECRET,
    }
    return {name: value for name, value in found.items() if value}


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def test_secrets_appear_nowhere(demo_settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings = demo_settings
    caplog.set_level(logging.DEBUG)
    demo = demo_connection_prepare()
    secrets = _secrets(demo, settings)
    # The flows really handed out tokens and a webhook secret.
    assert {
        "pleo access token",
        "pleo refresh token",
        "visma access token",
        "webhook secret",
    } <= set(secrets)

    roles_sync()
    support = User.objects.create_user("sam", is_staff=True)
    support.groups.add(Group.objects.get(name=SUPPORT))
    ConnectionMembership.objects.create(connection=demo, user=support)
    root = User.objects.create_user("root", is_staff=True, is_superuser=True)
    clients = {}
    for user in (root, support):
        clients[user.username] = Client()
        clients[user.username].force_login(user)

    values = {"pk": str(demo.pk), "connection_id": str(demo.pk), "job_id": "job-1", "run_id": "1"}
    world = {"fjellvik": {"connection": demo}}
    urls = [r.url(values) for r in PRODUCT if _kind(r) in ("page", "api", "list")]
    urls += [r.url(_admin_values(r, world, "fjellvik")) for r in ADMIN]
    urls += [
        f"/admin/core/apicall/{pk}/change/" for pk in ApiCall.objects.values_list("pk", flat=True)
    ]
    urls += [f"/admin/connections/connection/{demo.pk}/history/"]
    assert ApiCall.objects.count() > 5
    rendered = 0
    for name, client in clients.items():
        for url in urls:
            answer = client.get(url)
            assert answer.status_code < 500, (name, url)
            if answer.status_code == 200:
                rendered += 1
            assert not _leaks(answer.content.decode(errors="replace"), secrets), (name, url)
    assert rendered > 100

    for call in ApiCall.objects.all():
        row = json.dumps(
            [
                call.url,
                call.request_headers,
                call.request_excerpt,
                call.response_headers,
                call.response_excerpt,
                call.error,
            ],
            ensure_ascii=False,
        )
        assert not _leaks(row, secrets), (call.pk, call.path, _leaks(row, secrets))
    assert caplog.records
    assert not _leaks(caplog.text, secrets)
    for record in caplog.records:
        assert not _leaks(str(record.args), secrets), record.getMessage()
