"""The mapping admins: support staff read the mappings and their history, nobody edits there."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from integrations.core.roles import roles_sync
from integrations.masterdata.models import CategoryMapping
from tests.masterdata.setup_support import connection_connected
from tests.membership import user_joins_every_connection

pytestmark = pytest.mark.django_db


def test_support_reads_mapping_and_history_but_cannot_change() -> None:
    roles_sync()
    mapping = CategoryMapping.objects.create(
        connection=connection_connected(),
        pleo_account_id="pleo-acc-7140",
        pleo_account_name="Travel",
        visma_account_number="7140",
    )
    user = User.objects.create_user("sue", password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    user_joins_every_connection(user)
    client = Client()
    client.force_login(user)
    listing = client.get(reverse("admin:masterdata_categorymapping_changelist"))
    assert listing.status_code == 200 and "Travel" in listing.content.decode()
    history = client.get(reverse("admin:masterdata_categorymapping_history", args=[mapping.pk]))
    assert history.status_code == 200
    assert client.get(reverse("admin:masterdata_categorymapping_add")).status_code == 403
    change = reverse("admin:masterdata_categorymapping_change", args=[mapping.pk])
    client.post(change, {"visma_account_number": "6540"})
    mapping.refresh_from_db()
    assert mapping.visma_account_number == "7140"
