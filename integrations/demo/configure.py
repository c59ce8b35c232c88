"""Configure the demo connection the way README documents it, through the same services the
pages use (so the demo's values pass the same checks and show in the history).

Runs before the web server is up (`make demo` → `demo_prepare` → `demo_connect` →
`demo_configure`), so the clients reach the sandbox in-process: their requests go to the WSGI
application instead of the network, through the same client code as always.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.connections.clients import connection_pleo_client, connection_visma_client
from integrations.connections.models import Connection
from integrations.core.context import call_links
from integrations.demo.inprocess import WsgiAdapter, in_process_session
from integrations.masterdata.models import SyncRun, VismaAccount
from integrations.masterdata.schedules import schedules_ensure
from integrations.masterdata.setup.pleo_push import category_mappings_push_to_pleo
from integrations.masterdata.setup.services import (
    AccountMappingInput,
    CategoryMappingInput,
    SegmentSettingInput,
    account_mapping_update,
    category_mappings_update,
    segment_settings_update,
)
from integrations.masterdata.setup.validation import subaccount_segments
from integrations.masterdata.sync import kinds_expand, masterdata_sync
from integrations.masterdata.sync_kinds import sync_kind_for
from integrations.pleo.client import PleoClient
from integrations.visma.client import VismaClient

REASON = "Demo configuration"
# README, "The demo": the account mapping a newcomer finds. `demo_connect` stores it before the
# mirror exists; here it is saved again through the validating service (a no-op when valid).
# The export settings are `demo_connect`'s alone.
DEMO_ACCOUNTS = AccountMappingInput(
    wallet_accounts={"NOK": "1925", "EUR": "1926"},
    out_of_pocket_account="2915",
    tax_account="2710",
    output_vat_account="2700",
    default_vendor_number="50001",
)
DEMO_TAG_DEFAULTS = {"DEPARTMENT": "00", "PROJECT": "000"}


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


def sandbox_session() -> requests.Session:
    """A session that serves every configured remote address from this process."""
    session = in_process_session(base_url=settings.PUBLIC_BASE_URL)
    adapter = WsgiAdapter()
    for base in (
        settings.VISMA_API_URL,
        settings.VISMA_CONNECT_URL,
        settings.PLEO_API_URL,
        settings.PLEO_AUTH_URL,
    ):
        session.mount(base.rstrip("/") + "/", adapter)
    return session


def _sync(
    *,
    connection: Connection,
    kinds: list[str],
    visma: VismaClient,
    pleo: PleoClient,
    report: DemoReport,
) -> None:
    expanded = kinds_expand(kinds)
    run = SyncRun.objects.create(
        connection=connection,
        kind=sync_kind_for(expanded),
        kinds=expanded,
        full=True,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now(),
        triggered_by="demo_configure",
    )
    result = masterdata_sync(
        connection_id=connection.pk,
        kinds=expanded,
        full=True,
        sync_run_id=run.pk,
        visma=visma,
        pleo=pleo,
    )
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v)
    report.add(f"Sync {'+'.join(expanded)}: {result.status} ({counts or 'nothing to do'}).")
    for failure in result.failures[:10]:
        report.add(f"  failed: {failure}")
    if result.status != SyncRun.Status.SUCCEEDED:
        report.problems.append(f"Sync {'+'.join(expanded)} {result.status}: see the sync page.")


def _categories(connection: Connection, pleo: PleoClient, report: DemoReport) -> None:
    """Each Pleo category our sync created → its Visma.net account and that account's VAT
    category."""
    accounts = {a.number: a for a in VismaAccount.objects.filter(connection=connection)}
    items: list[CategoryMappingInput] = []
    # Reference: specs/pleo/pleo-accounts-api-openapi.yml, POST /v1/chart-of-accounts:search
    for category in pleo.chart_accounts_search():
        account = accounts.get(category.external_id or "")
        if account is None or not account.active or category.archived:
            continue
        items.append(
            CategoryMappingInput(
                pleo_account_id=category.id,
                visma_account_number=account.number,
                default_vat_category=account.tax_category,
                pleo_account_name=category.name,
                pleo_account_code=category.code or "",
            )
        )
    result = category_mappings_update(
        connection=connection, items=items, user=None, reason=REASON, push_to_pleo=False
    )
    push = category_mappings_push_to_pleo(connection=connection, pleo=pleo)
    report.add(
        f"Categories: {len(items)} mapped ({len(result.changed_ids)} changed), "
        f"{len(push.updated)} tax codes written to Pleo, {len(push.errors)} failed."
    )


def _step(report: DemoReport, what: str, work: Callable[[], None]) -> None:
    """Run one configuration step; a refused value is reported and the next step still runs,
    so one problem does not hide the others (the overview then shows what is left)."""
    try:
        work()
    except ValidationError as exc:
        report.problems.append(
            f"{what}: " + " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        )


def _tags(connection: Connection, visma: VismaClient, pleo: PleoClient, report: DemoReport) -> None:
    segments = {s.description.upper(): s for s in subaccount_segments(connection=connection)}
    missing = [name for name in DEMO_TAG_DEFAULTS if name not in segments]
    if missing:
        report.problems.append(f"Tags: segments {', '.join(missing)} are not in the mirror.")
    items = [
        SegmentSettingInput(segment_id=segments[name].segment_id, synced=True, default_value=value)
        for name, value in DEMO_TAG_DEFAULTS.items()
        if name in segments
    ]
    tags = segment_settings_update(
        connection=connection, items=items, user=None, reason=REASON, start_sync=False
    )
    report.add(f"Tags: {', '.join(DEMO_TAG_DEFAULTS)} synced as tag groups.")
    # The full sync above ran before the segments were chosen: push their tag groups now.
    tags_pushed = all(s.pleo_tag_group_id or s.segment.pleo_id for s in tags.settings if s.synced)
    if tags.changed or not tags_pushed:
        _sync(connection=connection, kinds=["tags"], visma=visma, pleo=pleo, report=report)


def demo_configure(
    *, connection: Connection, write: Callable[[str], None] | None = None
) -> DemoReport:
    """Sync the demo connection in full and configure it as README documents (idempotent)."""
    report = DemoReport()
    session = sandbox_session()
    visma = connection_visma_client(connection=connection, session=session)
    pleo = connection_pleo_client(connection=connection, session=session)

    def accounts() -> None:
        account_mapping_update(connection=connection, data=DEMO_ACCOUNTS, user=None, reason=REASON)
        report.add("Accounts: Pleo Wallet NOK 1925, EUR 1926; out-of-pocket 2915; VAT 2710/2700.")

    # The periodic syncs run in the worker `make demo` starts (a database flushed after the
    # migration that made them would otherwise have none).
    created = schedules_ensure()
    report.add(f"Schedules: {created} created." if created else "Schedules: in place.")
    with call_links(connection_id=connection.pk):
        _sync(connection=connection, kinds=["all"], visma=visma, pleo=pleo, report=report)
        _step(report, "Accounts", accounts)
        _step(report, "Tags", lambda: _tags(connection, visma, pleo, report))
        _step(report, "Categories", lambda: _categories(connection, pleo, report))
    if write is not None:
        for line in report.lines:
            write(line)
    return report
