"""The demo connection is prepared in-process (no web server runs yet) and idempotently."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from integrations.connections.checks import connection_permission_check
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.demo.connection import demo_connection_prepare, demo_session

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:9"


@pytest.fixture
def demo_settings(settings: Any) -> Any:
    # Nothing listens on port 9 (discard): every request must be served in-process.
    settings.PUBLIC_BASE_URL = BASE
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{BASE}/sandbox/pleo"
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{BASE}/sandbox/visma"
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    call_command("sandbox_seed", preset="demo")
    return settings


def test_demo_connection_is_connected_configured_and_idempotent(demo_settings: Any) -> None:
    connection = demo_connection_prepare()
    assert connection.name == "Nordlys Demo AS"
    assert connection.status == Connection.Status.CONNECTED
    assert (connection.visma_tenant_id, connection.visma_branch_number) == ("demo-tenant", "1")
    session = demo_session()
    state = session.get(
        f"{BASE}/sandbox/pleo/_control/state", params={"companyId": "demo-company"}
    ).json()
    assert connection.pleo_company_id == state["companies"][0]["id"]
    assert [s["endpointUrl"] for s in state["subscriptions"]] == [f"{BASE}/api/pleo/webhooks/"]

    settings = ExportSettings.objects.get(connection=connection)
    assert settings.transfer_attachments and not settings.one_journal_per_export
    assert not settings.card_expenses_as_invoices and settings.invoice_payment_method == "PLEO"
    assert settings.closed_period_policy == "fail"
    mapping = AccountMapping.objects.get(connection=connection)
    assert mapping.wallet_accounts == {"NOK": "1925", "EUR": "1926"}
    assert (mapping.out_of_pocket_account, mapping.tax_account, mapping.output_vat_account) == (
        "2915",
        "2710",
        "2700",
    )
    assert mapping.default_vendor_number == "50001"

    # The check ran at the end of the preparation and was recorded for the setup overview.
    [check] = connection.events.filter(kind="permission_check")
    assert check.ok, check.detail
    lines = connection_permission_check(connection=connection, session=session)
    assert all(line.ok for line in lines if not line.manual), lines

    again = demo_connection_prepare()
    assert again.pk == connection.pk and Connection.objects.count() == 1
    state = session.get(
        f"{BASE}/sandbox/pleo/_control/state", params={"companyId": "demo-company"}
    ).json()
    assert len(state["subscriptions"]) == 1
    assert again.pleo_webhook_subscription_id == connection.pleo_webhook_subscription_id
