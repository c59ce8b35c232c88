"""Reads of the setup: the overview of what is done, missing or broken, and the mapped settings
that `exports.config` turns into what the exporter plans and checks against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.urls import NoReverseMatch, reverse

from integrations.connections.branch import branch_problem
from integrations.connections.export_settings import export_settings_problems
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.core.dates import when_text
from integrations.core.guidance import NextStep
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    SyncRun,
    VismaAccount,
    VismaBranch,
    VismaVat,
)
from integrations.masterdata.selectors import base_currency_for_connection
from integrations.masterdata.setup import validation as v
from integrations.masterdata.setup.export_settings import (
    mirrored_cash_accounts,
    mirrored_payment_methods,
)
from integrations.masterdata.sync_kinds import OVERVIEW_KINDS, run_covers
from integrations.masterdata.vat import VatFacts
from integrations.visma.types import Branch

State = Literal["done", "missing", "broken"]


@dataclass(frozen=True)
class SetupStep:
    name: str
    state: State
    detail: str
    url: str


def _url(name: str, connection: Connection) -> str:
    try:
        return reverse(name, kwargs={"connection_id": connection.pk})
    except NoReverseMatch:
        try:
            return reverse(name, args=[connection.pk])
        except NoReverseMatch:
            return ""


def _connection_url(connection: Connection) -> str:
    for name in ("connections:detail", "connections:connection", "connections:setup"):
        url = _url(name, connection)
        if url:
            return url
    try:
        return reverse("connections:list")
    except NoReverseMatch:
        return ""


def account_mapping_for_connection(*, connection: Connection) -> AccountMapping | None:
    return AccountMapping.objects.filter(connection=connection).first()


def export_settings_for_connection(*, connection: Connection) -> ExportSettings | None:
    return ExportSettings.objects.filter(connection=connection).first()


def wallet_currencies_for_connection(*, connection: Connection) -> list[str]:
    """The Pleo wallet currencies we know of: those already mapped, else the company's base
    currency (Pleo's public API tells no wallet currencies; the Accounts page adds more)."""
    mapping = account_mapping_for_connection(connection=connection)
    currencies = sorted((mapping.wallet_accounts or {}).keys()) if mapping else []
    if not currencies:
        base = base_currency_for_connection(connection=connection)
        if base:
            currencies = [base]
    return currencies


def _flat(problems: dict[str, list[str]]) -> list[str]:
    return [problem for found in problems.values() for problem in found]


def _last_run(runs: Sequence[SyncRun], kind: str) -> SyncRun | None:
    for run in runs:
        if run_covers(run_kind=run.kind, run_kinds=run.kinds, kind=kind):
            return run
    return None


def _sync_step(connection: Connection) -> SetupStep:
    runs = list(SyncRun.objects.filter(connection=connection).order_by("-queued_at", "-id")[:200])
    url = _url("masterdata:sync", connection) or _url("masterdata:setup_overview", connection)
    never: list[str] = []
    failed: list[str] = []
    parts: list[str] = []
    for sync_kind in OVERVIEW_KINDS:
        kind, label = sync_kind.name, sync_kind.label
        finished = [r for r in runs if r.finished]
        run = _last_run(finished, kind)
        if run is None:
            running = _last_run(runs, kind)
            never.append(label)
            parts.append(f"{label}: {'running' if running else 'never synced'}")
            continue
        when = when_text(run.finished_at) if run.finished_at else "?"
        if run.status == SyncRun.Status.FAILED:
            failed.append(label)
            parts.append(f"{label}: failed {when} ({run.error[:120] or 'see the sync page'})")
        elif run.status == SyncRun.Status.PARTIALLY_FAILED:
            failed.append(label)
            parts.append(f"{label}: {run.failed} record(s) failed {when}")
        else:
            parts.append(f"{label}: synced {when}")
    state: State = "broken" if failed else ("missing" if never else "done")
    return SetupStep("Master data synced", state, "; ".join(parts), url)


def _accounts_step(connection: Connection, settings: ExportSettings | None) -> SetupStep:
    url = _url("masterdata:setup_accounts", connection)
    mapping = account_mapping_for_connection(connection=connection)
    if mapping is None or not mapping.wallet_accounts or not mapping.tax_account:
        return SetupStep(
            "Accounts mapped",
            "missing",
            "Choose the Pleo Wallet account for each wallet currency and the tax account.",
            url,
        )
    # The same validation as the Accounts page and the API, on the stored values.
    problems = _flat(
        v.account_mapping_validate(
            connection=connection,
            data=v.AccountMappingInput(
                wallet_accounts=dict(mapping.wallet_accounts),
                tax_account=mapping.tax_account,
                out_of_pocket_account=mapping.out_of_pocket_account,
                output_vat_account=mapping.output_vat_account,
                default_vendor_number=mapping.default_vendor_number,
            ),
        )
    )
    if problems:
        return SetupStep("Accounts mapped", "broken", " ".join(problems), url)
    invoices = bool(settings and settings.card_expenses_as_invoices)
    if invoices and not mapping.default_vendor_number:
        return SetupStep(
            "Accounts mapped",
            "missing",
            "Purchase invoices are on: choose the default vendor for expenses without a "
            "matched vendor.",
            url,
        )
    wallets = ", ".join(f"{c} → {n}" for c, n in sorted(mapping.wallet_accounts.items()))
    detail = f"Pleo Wallet {wallets}; tax account {mapping.tax_account}."
    if not mapping.out_of_pocket_account:
        detail += " No Out-of-pocket account: reimbursable expenses will fail until one is set."
    return SetupStep("Accounts mapped", "done", detail, url)


def _tags_step(connection: Connection) -> SetupStep:
    url = _url("masterdata:setup_tags", connection)
    settings = list(SegmentSetting.objects.filter(connection=connection).select_related("segment"))
    if not settings:
        return SetupStep(
            "Tags configured",
            "missing",
            "Choose which Visma.net segments become Pleo tag groups.",
            url,
        )
    # The same validation as the Tags page and the API, on the stored values.
    problems = _flat(
        v.segment_settings_validate(
            connection=connection,
            items=[
                v.SegmentSettingInput(
                    segment_id=s.segment.segment_id,
                    synced=s.synced,
                    default_value=s.default_value,
                )
                for s in settings
            ],
        )
    )
    synced = [s.segment.description for s in settings if s.synced]
    if problems:
        return SetupStep("Tags configured", "broken", " ".join(problems), url)
    detail = (
        f"Tag groups: {', '.join(synced)}." if synced else "No segment is synced as a tag group."
    )
    return SetupStep("Tags configured", "done", detail, url)


def _categories_step(connection: Connection) -> SetupStep:
    url = _url("masterdata:setup_categories", connection)
    mappings = list(CategoryMapping.objects.filter(connection=connection))
    # The same validation as the Categories page and the API, on the stored values.
    problems = _flat(
        v.category_mappings_validate(
            connection=connection,
            items=[
                v.CategoryMappingInput(
                    pleo_account_id=m.pleo_account_id,
                    visma_account_number=m.visma_account_number,
                    default_vat_category=m.default_vat_category,
                    pleo_account_name=m.pleo_account_name,
                    pleo_account_code=m.pleo_account_code,
                )
                for m in mappings
            ],
        )
    )
    # Categories our sync created in Pleo (active accounts) that have no mapping yet.
    mapped = {m.pleo_account_id for m in mappings}
    unmapped = (
        VismaAccount.objects.filter(connection=connection, active=True)
        .exclude(pleo_id="")
        .exclude(pleo_id__in=mapped)
        .exclude(type__in=v.BALANCE_SHEET_TYPES)
        .count()
    )
    if problems:
        return SetupStep("Categories mapped", "broken", " ".join(problems[:10]), url)
    if not mappings:
        return SetupStep(
            "Categories mapped",
            "missing",
            "Map each Pleo category to a Visma.net account and default tax code.",
            url,
        )
    if unmapped:
        return SetupStep(
            "Categories mapped",
            "missing",
            f"{len(mappings)} mapped, {unmapped} Pleo categor{'y' if unmapped == 1 else 'ies'} "
            "not mapped yet.",
            url,
        )
    return SetupStep("Categories mapped", "done", f"{len(mappings)} categories mapped.", url)


def _export_settings_step(connection: Connection, settings: ExportSettings | None) -> SetupStep:
    url = _url("connections:export_settings", connection) or _connection_url(connection)
    if settings is None:
        return SetupStep("Export settings saved", "missing", "Choose how expenses are booked.", url)
    # The same validation as the export settings page and the API, on the stored values and
    # the mirror; a list never read from Visma.net gives no verdict.
    problems = _flat(
        export_settings_problems(
            connection=connection,
            transfer_attachments=settings.transfer_attachments,
            one_journal_per_export=settings.one_journal_per_export,
            card_expenses_as_invoices=settings.card_expenses_as_invoices,
            auto_release_invoices=settings.auto_release_invoices,
            invoice_payment_method=settings.invoice_payment_method,
            closed_period_policy=settings.closed_period_policy,
            journal_batch_max_lines=settings.journal_batch_max_lines,
            export_concurrency=settings.export_concurrency,
            payment_methods=mirrored_payment_methods(connection=connection),
            cash_accounts=mirrored_cash_accounts(connection=connection),
            read_missing=False,
        )
    )
    if problems:
        return SetupStep("Export settings saved", "broken", problems[0], url)
    mode = "purchase invoices" if settings.card_expenses_as_invoices else "journal transactions"
    return SetupStep("Export settings saved", "done", f"Card expenses are booked as {mode}.", url)


def _permission_step(connection: Connection) -> SetupStep:
    url = _connection_url(connection)
    event = connection.events.filter(kind__startswith="permission").order_by("-at", "-id").first()
    if event is None:
        return SetupStep(
            "Permission check", "missing", "Run the permission check after connecting.", url
        )
    if not event.ok:
        return SetupStep("Permission check", "broken", event.detail[:300] or "Failed.", url)
    return SetupStep("Permission check", "done", f"Passed {when_text(event.at)}.", url)


def setup_overview(*, connection: Connection) -> list[SetupStep]:
    """Each setup step with its state and where to fix it, in the order a team works."""
    conn_url = _connection_url(connection)
    settings = export_settings_for_connection(connection=connection)
    steps = [
        SetupStep(
            "Pleo connected",
            "done" if connection.pleo_connected else "missing",
            f"Signed in to {connection.pleo_company_text}."
            if connection.pleo_connected
            else "Connect the Pleo company.",
            conn_url,
        ),
        SetupStep(
            "Visma.net connected",
            "done" if connection.visma_connected else "missing",
            f"{connection.visma_company_name or 'Tenant'} {connection.visma_tenant_id}."
            if connection.visma_connected
            else "Connect the Visma.net company.",
            conn_url,
        ),
    ]
    branch = connection.visma_branch_number
    if not branch:
        steps.append(SetupStep("Branch chosen", "missing", "Choose the company branch.", conn_url))
    else:
        # The same rule as choosing the branch and the permission check, on the mirror; no
        # verdict while no branch is mirrored.
        mirrored = [
            Branch(
                number=b.number,
                name=b.name,
                is_main=b.is_main,
                active=b.active,
                currency=b.currency or None,
            )
            for b in VismaBranch.objects.filter(connection=connection)
        ]
        problem = branch_problem(branch_number=branch, branches=mirrored) if mirrored else None
        if problem:
            steps.append(SetupStep("Branch chosen", "broken", problem, conn_url))
        else:
            name = next((f" {b.name}" for b in mirrored if b.number == branch), "")
            steps.append(SetupStep("Branch chosen", "done", f"Branch {branch}{name}.", conn_url))
    steps += [
        _permission_step(connection),
        _sync_step(connection),
        _accounts_step(connection, settings),
        _tags_step(connection),
        _categories_step(connection),
        _export_settings_step(connection, settings),
    ]
    return steps


# What a person does for each step of the overview, as the "Next:" link after a save says it;
# the anchor finds the step's form on the connection page.
STEP_ACTIONS: dict[str, tuple[str, str]] = {
    "Pleo connected": ("Connect Pleo", "#pleo"),
    "Visma.net connected": ("Connect Visma.net", "#visma"),
    "Branch chosen": ("Choose the branch", "#branch"),
    "Permission check": ("Run the permission check", "#check"),
    "Master data synced": ("Run the master data sync", ""),
    "Accounts mapped": ("Map the accounts", ""),
    "Tags configured": ("Choose the tag groups", ""),
    "Categories mapped": ("Map the categories", ""),
    "Export settings saved": ("Choose the export settings", ""),
}


def setup_next_step(*, connection_id: int, after: str) -> NextStep | None:
    """The first step after `after` (in the overview's order, wrapping round) that is not done;
    when every step is done, the connection's exports. None for an unknown connection."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return None
    steps = setup_overview(connection=connection)
    names = [s.name for s in steps]
    start = names.index(after) + 1 if after in names else 0
    for step in steps[start:] + steps[:start]:
        if step.state != "done" and step.name != after and step.url:
            label, anchor = STEP_ACTIONS.get(step.name, (step.name, ""))
            return NextStep(label=label, url=step.url + anchor)
    exports = _url("exports:connection", connection)
    if not exports:
        return None
    return NextStep(
        label="Setup is complete: exports start when someone clicks Export in Pleo", url=exports
    )


def vat_facts_for_connection(*, connection: Connection) -> dict[str, VatFacts]:
    return {
        vat.vat_id: VatFacts(
            vat_id=vat.vat_id,
            type=vat.type,
            reverse_vat=vat.reverse_vat,
            claimable_account=vat.claimable_account,
            active=vat.active,
        )
        for vat in VismaVat.objects.filter(connection=connection)
    }
