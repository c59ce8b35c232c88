"""The connection page's and the export settings page's history in the pages' words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from integrations.connections.history import history_entries
from integrations.connections.models import Connection, ConnectionEvent, ExportSettings

pytestmark = pytest.mark.django_db


def test_connection_events_read_as_labels(connection: Connection, finance_client: Client) -> None:
    ConnectionEvent.objects.create(connection=connection, kind="visma_branch", detail="branch 1")
    html = finance_client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    assert "Visma.net branch" in html
    assert "visma_branch" not in html


def test_export_settings_history_uses_the_forms_labels_and_choice_names(
    connection: Connection, finance_user: User
) -> None:
    settings, _ = ExportSettings.objects.get_or_create(connection=connection)
    settings.closed_period_policy = ExportSettings.ClosedPeriodPolicy.FAIL
    settings.transfer_attachments = True
    settings.save()
    settings.closed_period_policy = ExportSettings.ClosedPeriodPolicy.FIRST_OPEN
    settings.transfer_attachments = False
    settings.save()
    entries = history_entries(settings.history.all())
    changed = entries[0].changes
    assert (
        "When an expense falls in a closed period: Fail the item → Post in the first open period"
        in changed
    )
    assert "Transfer attachments (receipts) to Visma.net: on → off" in changed
