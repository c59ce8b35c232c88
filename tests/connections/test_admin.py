from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from integrations.connections.models import Connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_support(support_user: User) -> Client:
    support_user.is_staff = True
    support_user.save()
    client = Client()
    client.force_login(support_user)
    return client


def test_admin_never_shows_secrets_and_is_read_only_for_support(
    staff_support: Client, connected: Connection
) -> None:
    url = reverse("admin:connections_connection_change", args=[connected.pk])
    page = staff_support.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for secret in ("pleo-access", "pleo-refresh", "visma-access", "whsec_c2VjcmV0", "gAAAA"):
        assert secret not in text
    assert "Token expires at" in text or "token expires at" in text.lower()
    assert 'name="_save"' not in text
    assert staff_support.post(url, {"name": "Changed"}).status_code == 403
    connected.refresh_from_db()
    assert connected.name == "Nordlys AS"
    listing = staff_support.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert "Nordlys AS" in listing and "pleo-access" not in listing
    history = staff_support.get(
        reverse("admin:connections_exportsettings_history", args=[connected.export_settings.pk])
    )
    assert history.status_code == 200
