"""The setup overview: each step done, missing or broken, with a link to fix it; and the export
configuration and mirror snapshot read from the same setup."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.exports.config import (
    export_config_for_connection,
    mirror_snapshot_for_connection,
)
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    SyncRun,
    VismaAccount,
    VismaCashAccount,
    VismaFinancialPeriod,
    VismaSegmentValue,
)
from integrations.masterdata.setup.selectors import (
    setup_overview,
)
from tests.masterdata.setup_support import (
    Mirror,
    connection_connected,
    mirror_seed,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def _states(connection: Connection) -> dict[str, str]:
    return {step.name: step.state for step in setup_overview(connection=connection)}


def _configure(mirror: Mirror) -> None:
    connection = mirror.connection
    connection.events.create(kind="permission_check", ok=True)
    for kind in ("accounts", "tax_codes", "tags", "vendors"):
        SyncRun.objects.create(
            connection=connection,
            kind=kind,
            kinds=[kind],
            status=SyncRun.Status.SUCCEEDED,
            finished_at=timezone.now(),
        )
    AccountMapping.objects.create(
        connection=connection,
        wallet_accounts={"NOK": "1925", "EUR": "1926"},
        tax_account="2710",
        output_vat_account="2700",
        out_of_pocket_account="2915",
        default_vendor_number="50001",
    )
    SegmentSetting.objects.create(
        connection=connection, segment=mirror.department, synced=True, default_value="00"
    )
    SegmentSetting.objects.create(
        connection=connection, segment=mirror.project, synced=True, default_value="000"
    )
    for number in ("6540", "7140"):
        CategoryMapping.objects.create(
            connection=connection,
            pleo_account_id=f"pleo-acc-{number}",
            pleo_account_code=number,
            visma_account_number=number,
            default_vat_category=mirror.accounts[number].tax_category,
        )
    # The inactive expense account's Pleo category is archived in Pleo: mapping it is optional.
    ExportSettings.objects.create(connection=connection)


def test_a_new_connection_shows_what_is_missing() -> None:
    connection = Connection.objects.create(name="New company")
    states = _states(connection)
    assert states == {
        "Pleo connected": "missing",
        "Visma.net connected": "missing",
        "Branch chosen": "missing",
        "Permission check": "missing",
        "Master data synced": "missing",
        "Accounts mapped": "missing",
        "Tags configured": "missing",
        "Categories mapped": "missing",
        "Export settings saved": "missing",
    }


def test_a_configured_connection_is_done() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    assert set(_states(mirror.connection).values()) == {"done"}


def test_an_account_made_inactive_breaks_the_accounts_step() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    VismaAccount.objects.filter(number="2710").update(active=False)
    step = next(
        s for s in setup_overview(connection=mirror.connection) if s.name == "Accounts mapped"
    )
    assert step.state == "broken"
    assert "Account 2710 is inactive" in step.detail
    assert step.url == reverse("masterdata:setup_accounts", args=[mirror.connection.pk])


def test_inactive_default_value_and_mapped_account_break_their_steps() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    VismaSegmentValue.objects.filter(segment=mirror.department, value_id="00").update(active=False)
    VismaAccount.objects.filter(number="7140").update(active=False)
    states = _states(mirror.connection)
    assert states["Tags configured"] == "broken"
    assert states["Categories mapped"] == "broken"


def test_failed_sync_is_broken_and_unmapped_categories_are_counted() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    SyncRun.objects.create(
        connection=mirror.connection,
        kind="vendors",
        kinds=["vendors"],
        status=SyncRun.Status.FAILED,
        error="Visma.net said no",
        finished_at=timezone.now(),
    )
    CategoryMapping.objects.filter(pleo_account_id="pleo-acc-7140").delete()
    steps = {s.name: s for s in setup_overview(connection=mirror.connection)}
    assert steps["Master data synced"].state == "broken"
    assert "Visma.net said no" in steps["Master data synced"].detail
    assert steps["Categories mapped"].state == "missing"
    assert "1 Pleo category not mapped" in steps["Categories mapped"].detail


def test_purchase_invoices_need_a_default_vendor() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    AccountMapping.objects.filter(connection=mirror.connection).update(default_vendor_number="")
    ExportSettings.objects.filter(connection=mirror.connection).update(
        card_expenses_as_invoices=True, invoice_payment_method="PLEO"
    )
    assert _states(mirror.connection)["Accounts mapped"] == "missing"


def test_purchase_invoices_need_the_wallet_to_be_a_mirrored_cash_account() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    connection = mirror.connection
    ExportSettings.objects.filter(connection=connection).update(
        card_expenses_as_invoices=True, invoice_payment_method="PLEO"
    )
    VismaCashAccount.objects.filter(connection=connection).delete()
    # Not synced yet: nothing to judge by, so nothing is claimed.
    assert _states(connection)["Export settings saved"] == "done"

    VismaCashAccount.objects.create(connection=connection, number="1925", currency="NOK")

    step = next(
        s for s in setup_overview(connection=connection) if s.name == "Export settings saved"
    )
    assert step.state == "broken"
    assert step.detail.startswith(
        "The Pleo Wallet account for EUR, 1926, is not a cash account in Visma.net"
    )
    VismaCashAccount.objects.create(connection=connection, number="1926", currency="EUR")
    assert _states(connection)["Export settings saved"] == "done"


def test_overview_page_lists_steps_with_links_for_support_too() -> None:
    mirror = mirror_seed(connection_connected())
    client = Client()
    client.force_login(user_with_role("support", "sue"))
    page = client.get(reverse("masterdata:setup_overview", args=[mirror.connection.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'class="state-missing"' in body
    assert reverse("masterdata:setup_tags", args=[mirror.connection.pk]) in body
    index = client.get(reverse("masterdata:setup_index"))
    assert index.status_code == 302  # one connection: straight to its overview


def test_export_config_and_snapshot_follow_the_setup() -> None:
    mirror = mirror_seed(connection_connected())
    _configure(mirror)
    VismaFinancialPeriod.objects.create(
        connection=mirror.connection,
        period_id="202601",
        year=2026,
        period=1,
        start_date=timezone.datetime(2026, 1, 1).date(),
        end_date=timezone.datetime(2026, 1, 31).date(),
        closed_in_gl=True,
    )
    config = export_config_for_connection(connection=mirror.connection)
    assert config.wallet_accounts == {"NOK": "1925", "EUR": "1926"}
    assert (config.tax_account, config.output_vat_account) == ("2710", "2700")
    assert config.out_of_pocket_account == "2915"
    assert config.default_vendor_number == "50001"
    assert config.branch == "1"
    assert config.segment_ids == (1, 2)
    assert config.tag_segments == {"DEPARTMENT": 1, "PROJECT": 2}
    assert config.segment_defaults == {1: "00", 2: "000"}
    assert config.categories["pleo-acc-7140"].account_number == "7140"
    assert config.categories["pleo-acc-7140"].default_vat_category == "3"
    assert config.categories["7140"].account_number == "7140"  # by Pleo code too
    assert config.vat_rates["R"].reverse_charge is True
    assert config.vat_rates["1"].rate == Decimal("25")
    assert config.visma_accounts["6540"] == "1"
    assert "99" in config.segment_values[1]
    assert {v.number: v.active for v in config.vendors} == {"50001": True, "50002": False}
    assert config.card_expenses_as_invoices is False and config.transfer_attachments is True

    snapshot = mirror_snapshot_for_connection(connection=mirror.connection)
    assert snapshot.accounts["1999"] is False and snapshot.accounts["1925"] is True
    assert snapshot.vat_categories["9"] is False
    assert snapshot.segment_values[(1, "99")] is False
    assert snapshot.suppliers["50002"] is False
    assert snapshot.periods["202601"].closed_in_gl is True
