"""`demo_configure` (through `demo_connect`): the demo connection synced against the sandboxes in
process, tag groups DEPARTMENT and PROJECT chosen, categories mapped, the README's account
mapping in place; running it again changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_q.models import Schedule

from integrations.connections.models import AccountMapping, Connection
from integrations.masterdata.models import CategoryMapping, SegmentSetting, SyncRun, VismaAccount
from integrations.masterdata.schedules import SCHEDULES
from integrations.masterdata.setup.selectors import setup_overview

pytestmark = pytest.mark.django_db(transaction=False)

HOST = "http://testserver"


@pytest.fixture
def sandbox_settings(settings: Any) -> Any:
    settings.PUBLIC_BASE_URL = HOST
    settings.VISMA_CONNECT_URL = f"{HOST}/sandbox/visma"
    settings.VISMA_API_URL = f"{HOST}/sandbox/visma"
    settings.PLEO_AUTH_URL = f"{HOST}/sandbox/pleo"
    settings.PLEO_API_URL = f"{HOST}/sandbox/pleo"
    settings.VISMA_CLIENT_ID = "demo-visma-client"
    settings.VISMA_CLIENT_SECRET = "demo-visma-secret"
    settings.PLEO_CLIENT_ID = "demo-pleo-client"
    settings.PLEO_CLIENT_SECRET = "demo-pleo-secret"
    settings.REMOTE_MAX_RETRY_WAIT = 0.0
    return settings


def _pleo_state() -> dict[str, Any]:
    return Client().get("/sandbox/pleo/_control/state").json()


def test_demo_is_synced_and_configured(sandbox_settings: Any) -> None:
    call_command("sandbox_seed", preset="demo")
    Schedule.objects.all().delete()  # e.g. a database flushed after the migrations
    call_command("demo_connect")
    connection = Connection.objects.get(name="Nordlys Demo AS")

    mapping = AccountMapping.objects.get(connection=connection)
    assert mapping.wallet_accounts == {"NOK": "1925", "EUR": "1926"}
    assert (mapping.tax_account, mapping.output_vat_account) == ("2710", "2700")
    assert (mapping.out_of_pocket_account, mapping.default_vendor_number) == ("2915", "50001")

    tags = {
        s.segment.description: (s.synced, s.default_value, bool(s.pleo_tag_group_id))
        for s in SegmentSetting.objects.filter(connection=connection)
    }
    assert tags == {"DEPARTMENT": (True, "00", True), "PROJECT": (True, "000", True)}

    state = _pleo_state()
    groups = {g["code"] for g in state["tagGroups"] if not g.get("archived")}
    assert {"DEPARTMENT", "PROJECT"} <= groups

    # Every active Visma.net account became a Pleo category, and each is mapped to it with the
    # account's default VAT category, which Pleo holds too.
    active = set(
        VismaAccount.objects.filter(connection=connection, active=True).values_list(
            "number", flat=True
        )
    )
    mappings = {
        m.visma_account_number: m.default_vat_category
        for m in CategoryMapping.objects.filter(connection=connection)
    }
    assert set(mappings) == active
    assert mappings["7140"] == "13"
    pleo_tax = {
        a["externalId"]: a.get("taxCodeExternalId")
        for a in state["chartOfAccounts"]
        if not a.get("archived")
    }
    assert pleo_tax["7140"] == "13"

    steps = {s.name: s.state for s in setup_overview(connection=connection)}
    assert steps["Master data synced"] == "done", steps
    assert steps["Accounts mapped"] == "done"
    assert steps["Tags configured"] == "done"
    assert steps["Categories mapped"] == "done"
    # The whole overview is done: a newcomer can export at once.
    assert set(steps.values()) == {"done"}, steps
    assert set(Schedule.objects.values_list("name", flat=True)) == {s.name for s in SCHEDULES}

    # Again: nothing changes, and no new history rows appear.
    history = (
        CategoryMapping.history.count(),
        SegmentSetting.history.count(),
        mapping.history.count(),
    )
    runs = SyncRun.objects.count()
    call_command("demo_configure")
    assert (
        CategoryMapping.history.count(),
        SegmentSetting.history.count(),
        mapping.history.count(),
    ) == history
    assert SyncRun.objects.count() == runs + 1  # one full sync, no extra tags sync
    assert SyncRun.objects.order_by("-id").first().status == SyncRun.Status.SUCCEEDED
