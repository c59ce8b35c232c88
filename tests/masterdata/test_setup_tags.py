"""The Tags page and `segment_settings_update`: segments chosen as tag groups with active
default values, a tags sync queued on change, refused values, rights."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from integrations.connections.models import Connection
from integrations.masterdata.models import SegmentSetting, SyncRun
from integrations.masterdata.setup.services import SegmentSettingInput, segment_settings_update
from tests.masterdata.setup_support import connection_connected, mirror_seed, user_with_role

pytestmark = pytest.mark.django_db

GOOD = {"synced_1": "on", "default_1": "00", "synced_2": "on", "default_2": "000"}


@pytest.fixture
def connection() -> Connection:
    connection = connection_connected()
    mirror_seed(connection)
    return connection


def _url(connection: Connection) -> str:
    return reverse("masterdata:setup_tags", args=[connection.pk])


def _client(role: str, name: str) -> Client:
    client = Client()
    client.force_login(user_with_role(role, name))
    return client


def test_finance_selects_segments_and_a_tags_sync_is_queued(connection: Connection) -> None:
    client = _client("finance", "finn")
    page = client.get(_url(connection))
    assert "DEPARTMENT" in page.content.decode() and "PROJECT" in page.content.decode()

    response = client.post(_url(connection), GOOD)
    assert response.status_code == 302
    settings = {
        s.segment.description: (s.synced, s.default_value)
        for s in SegmentSetting.objects.filter(connection=connection)
    }
    assert settings == {"DEPARTMENT": (True, "00"), "PROJECT": (True, "000")}
    run = SyncRun.objects.get(connection=connection)
    assert (run.kind, run.kinds, run.triggered_by) == ("tags", ["tags"], "finn")
    history = SegmentSetting.history.filter(connection_id=connection.pk)
    assert {h.history_user.username for h in history} == {"finn"}
    assert "DEPARTMENT" in client.get(_url(connection)).content.decode()

    # Saving the same choice again changes nothing and queues nothing.
    client.post(_url(connection), GOOD)
    assert SyncRun.objects.filter(connection=connection).count() == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"default_1": "99"}, "99 is an inactive value of DEPARTMENT"),
        ({"default_1": "42"}, "42 is not a value of DEPARTMENT"),
        ({"default_2": ""}, "Choose the default PROJECT"),
    ],
)
def test_invalid_defaults_are_refused(
    connection: Connection, change: dict[str, str], reason: str
) -> None:
    response = _client("finance", "finn").post(_url(connection), {**GOOD, **change})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not SegmentSetting.objects.filter(connection=connection).exists()
    assert not SyncRun.objects.exists()


def test_unsynced_segment_may_keep_a_default(connection: Connection) -> None:
    response = _client("finance", "finn").post(
        _url(connection), {"synced_1": "on", "default_1": "10", "default_2": "100"}
    )
    assert response.status_code == 302
    project = SegmentSetting.objects.get(connection=connection, segment__segment_id=2)
    assert (project.synced, project.default_value) == (False, "100")


def test_unknown_segment_is_refused_by_the_service(connection: Connection) -> None:
    with pytest.raises(ValidationError) as caught:
        segment_settings_update(
            connection=connection,
            items=[SegmentSettingInput(segment_id=7, synced=True, default_value="00")],
            user=None,
        )
    assert "not a segment of the SUBACCOUNT dimension" in str(caught.value)


def test_support_cannot_change_tags(connection: Connection) -> None:
    client = _client("support", "sue")
    assert client.get(_url(connection)).status_code == 200
    assert client.post(_url(connection), GOOD).status_code == 403
    assert not SegmentSetting.objects.exists()
