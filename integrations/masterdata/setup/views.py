"""Setup pages for finance staff: overview, accounts, tags, categories.

Thin: collect the form, call a service, show its reasons. Support staff may look (GET) but not
change (`finance_required` answers 403); every form carries a CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from integrations.connections.models import AccountMapping, Connection
from integrations.connections.selectors import connection_list
from integrations.core.access import connection_member_required
from integrations.core.guidance import saved_message
from integrations.core.roles import finance_required, is_finance
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    VismaAccount,
    VismaSupplier,
    VismaVatCategory,
)
from integrations.masterdata.setup import prepare, selectors, services
from integrations.masterdata.setup import validation as v
from integrations.masterdata.setup.forms import AccountsForm, CategoriesForm, TagsForm
from integrations.masterdata.setup.history import (
    FieldWords,
    HistoryEntry,
    Words,
    history_entries,
    named,
    named_per_key,
)
from integrations.masterdata.setup.pleo_push import (
    PleoCategory,
    category_mappings_push_to_pleo,
    pleo_categories_for_connection,
)


def _connection(connection_id: int) -> Connection:
    return get_object_or_404(Connection, pk=connection_id)


def _errors_to_messages(exc: ValidationError) -> list[str]:
    return [msg for msgs in exc.message_dict.values() for msg in msgs]


def _context(request: HttpRequest, connection: Connection, **extra: Any) -> dict[str, Any]:
    return {"connection": connection, "can_change": is_finance(request.user), **extra}


# -- overview --------------------------------------------------------------------------------


def _account_names(connection: Connection) -> dict[str, str]:
    return dict(
        VismaAccount.objects.filter(connection=connection).values_list("number", "description")
    )


def _vat_names(connection: Connection) -> dict[str, str]:
    return dict(
        VismaVatCategory.objects.filter(connection=connection).values_list(
            "vat_category_id", "description"
        )
    )


def _pleo_account(value: Any, record: Any) -> str:
    """ "Travel (4010)": the Pleo category as the Categories page names it."""
    name = record.pleo_account_name or str(value)
    return f"{name} ({record.pleo_account_code})" if record.pleo_account_code else name


def account_mapping_history(*, connection: Connection) -> list[HistoryEntry]:
    records = list(
        AccountMapping.history.filter(connection_id=connection.pk).select_related("history_user")
    )
    account_names = _account_names(connection)
    accounts = named(account_names)
    vendors = {r.default_vendor_number for r in records if r.default_vendor_number}
    suppliers = dict(
        VismaSupplier.objects.filter(connection=connection, number__in=vendors).values_list(
            "number", "name"
        )
    )
    words = Words(
        {
            "wallet_accounts": FieldWords("Pleo Wallet accounts", named_per_key(account_names)),
            "out_of_pocket_account": FieldWords("Out-of-pocket account", accounts),
            "tax_account": FieldWords("Tax account", accounts),
            "output_vat_account": FieldWords("Output VAT account", accounts),
            "default_vendor_number": FieldWords("Default vendor", named(suppliers)),
        }
    )
    return history_entries(records, words=words)


def segment_settings_history(*, connection: Connection) -> list[HistoryEntry]:
    words = Words(
        {
            "segment": FieldWords(None),  # named by the entry's subject
            "synced": FieldWords("Synced as a Pleo tag group"),
            "default_value": FieldWords("Default value"),
            "pleo_tag_group_id": FieldWords(None),  # Pleo's id of the tag group: no reader's
        }
    )
    return history_entries(
        SegmentSetting.history.filter(connection_id=connection.pk).select_related(
            "history_user", "segment"
        ),
        subject=lambda r: str(r.segment.description) if r.segment_id else "",
        words=words,
    )


def category_mappings_history(*, connection: Connection) -> list[HistoryEntry]:
    words = Words(
        {
            "pleo_account_id": FieldWords("Pleo account", _pleo_account),
            "pleo_account_name": FieldWords(None),  # part of "Pleo account" above
            "pleo_account_code": FieldWords(None),
            "visma_account_number": FieldWords(
                "Visma.net account", named(_account_names(connection))
            ),
            "default_vat_category": FieldWords("Default tax code", named(_vat_names(connection))),
        }
    )
    return history_entries(
        CategoryMapping.history.filter(connection_id=connection.pk).select_related("history_user"),
        subject=lambda r: _pleo_account(r.pleo_account_id, r),
        words=words,
    )


@finance_required
@require_http_methods(["GET"])
def setup_index(request: HttpRequest) -> HttpResponse:
    connections = list(connection_list(user=request.user))
    if len(connections) == 1:
        return redirect("masterdata:setup_overview", connection_id=connections[0].pk)
    return render(request, "masterdata/setup/index.html", {"connections": connections})


@connection_member_required
@finance_required
@require_http_methods(["GET"])
def setup_overview(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _connection(connection_id)
    history = sorted(
        [
            *account_mapping_history(connection=connection),
            *segment_settings_history(connection=connection),
            *category_mappings_history(connection=connection),
        ],
        key=lambda e: e.at,
        reverse=True,
    )[:30]
    steps = selectors.setup_overview(connection=connection)
    return render(
        request,
        "masterdata/setup/overview.html",
        _context(
            request,
            connection,
            steps=steps,
            history=history,
            all_done=all(s.state == "done" for s in steps),
        ),
    )


# -- accounts --------------------------------------------------------------------------------


@connection_member_required
@finance_required
@require_http_methods(["GET", "POST"])
def setup_accounts(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _connection(connection_id)
    mapping = selectors.account_mapping_for_connection(connection=connection)
    currencies = selectors.wallet_currencies_for_connection(connection=connection)
    form = AccountsForm(
        request.POST or None, connection=connection, currencies=currencies, mapping=mapping
    )
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.account_mapping_update(
                connection=connection,
                data=form.to_input(),
                user=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            refused = _errors_to_messages(exc)
        else:
            messages.success(
                request,
                saved_message(
                    "Account mapping saved.", connection_id=connection.pk, after="Accounts mapped"
                ),
            )
            return redirect("masterdata:setup_accounts", connection_id=connection.pk)
    return render(
        request,
        "masterdata/setup/accounts.html",
        _context(
            request,
            connection,
            form=form,
            refused=refused,
            history=account_mapping_history(connection=connection),
            has_accounts=VismaAccount.objects.filter(connection=connection).exists(),
            proposals=prepare.proposals_for_connection(connection=connection),
        ),
        status=400 if refused or (request.method == "POST" and form.errors) else 200,
    )


@connection_member_required
@finance_required
@require_http_methods(["POST"])
def setup_accounts_create(request: HttpRequest, connection_id: int) -> HttpResponse:
    """Create in Visma.net what the Accounts page proposed (its preview is on that page), then
    map it; the answer is always the Accounts page with a message."""
    connection = _connection(connection_id)
    key = request.POST.get("key", "")
    try:
        created = prepare.proposal_create(
            connection=connection,
            key=key,
            user=request.user,  # type: ignore[arg-type]
        )
    except prepare.PreparationError as exc:
        messages.error(request, str(exc))
    else:
        if created is None:
            messages.info(request, "Nothing to create: it is already there and mapped.")
        else:
            verb = "was already in" if created.existed else "is created in"
            text = f"The {created.label} {verb} Visma.net and is mapped."
            if created.sync_error:
                text += (
                    f" The sync that brings it to Pleo could not be queued: {created.sync_error}."
                )
            messages.success(request, text)
    return redirect("masterdata:setup_accounts", connection_id=connection.pk)


# -- tags ------------------------------------------------------------------------------------


@connection_member_required
@finance_required
@require_http_methods(["GET", "POST"])
def setup_tags(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _connection(connection_id)
    segments = v.subaccount_segments(connection=connection)
    settings = {s.segment_id: s for s in SegmentSetting.objects.filter(connection=connection)}
    form = TagsForm(request.POST or None, segments=segments, settings=settings)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.segment_settings_update(
                connection=connection,
                items=form.to_input(),
                user=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            refused = _errors_to_messages(exc)
        else:
            if not result.changed:
                messages.info(request, "Nothing changed.")
            elif result.sync_error:
                messages.warning(
                    request,
                    "Tag settings saved, but the tags sync could not be queued: "
                    f"{result.sync_error}. Start it from the sync page.",
                )
            else:
                messages.success(
                    request,
                    saved_message(
                        "Tag settings saved; a tags sync is queued to update Pleo.",
                        connection_id=connection.pk,
                        after="Tags configured",
                    ),
                )
            return redirect("masterdata:setup_tags", connection_id=connection.pk)
    return render(
        request,
        "masterdata/setup/tags.html",
        _context(
            request,
            connection,
            form=form,
            refused=refused,
            history=segment_settings_history(connection=connection),
            dimension=v.SUBACCOUNT_DIMENSION,
        ),
        status=400 if refused or (request.method == "POST" and form.errors) else 200,
    )


# -- categories ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryState:
    """What a row's state means, in words, and what to do about it."""

    css: str  # state-done / state-missing / state-broken / muted
    short: str
    explanation: str


def _category_state(
    category: PleoCategory, *, saved: bool, suggested: bool, out_of_date: bool
) -> CategoryState:
    if out_of_date:
        return CategoryState(
            "state-broken",
            "Pleo out of date",
            "Pleo still pre-fills another default tax code: use “Update Pleo again” above.",
        )
    if saved:
        if category.archived:
            return CategoryState(
                "state-done",
                "Saved",
                "Archived in Pleo: new expenses cannot use it; expenses already on it are "
                "booked on this account.",
            )
        return CategoryState("state-done", "Saved", "Its expenses are booked on this account.")
    if category.archived:
        return CategoryState(
            "muted",
            "Archived, not mapped",
            "Archived in Pleo (its Visma.net account is inactive or was deleted), so new "
            "expenses cannot use it and it needs no mapping. Only if an expense already on it "
            "is waiting for export: choose an active account here and save.",
        )
    if suggested:
        return CategoryState(
            "state-missing",
            "Suggested, not saved",
            "Pre-filled from the Visma.net account this category was made from. Press Save to "
            "keep it.",
        )
    return CategoryState(
        "state-missing",
        "Not mapped",
        "Its expenses cannot be exported until you choose an account and save.",
    )


def _category_rows(
    connection: Connection, categories: list[PleoCategory]
) -> tuple[dict[str, tuple[str, str]], dict[str, CategoryMapping], set[str]]:
    """Initial (account, tax code) per Pleo category: the saved mapping, else the Visma.net
    account the category was created from (its external id) with that account's VAT category;
    and the ids of the categories made from balance-sheet accounts (bank, wallet, payables, VAT),
    which expenses are never booked on, so the page lists them apart and unmapped.

    No suggestion for an archived category or an inactive account: saving the page would then
    be refused for a row the user never touched."""
    mappings = {m.pleo_account_id: m for m in CategoryMapping.objects.filter(connection=connection)}
    accounts = {
        a.number: a
        for a in VismaAccount.objects.filter(
            connection=connection, number__in=[c.external_id for c in categories if c.external_id]
        )
    }
    balance_sheet = {
        c.pleo_account_id
        for c in categories
        if c.external_id in accounts
        and v.is_balance_sheet(accounts[c.external_id].type)
        and c.pleo_account_id not in mappings
    }
    rows: dict[str, tuple[str, str]] = {}
    for category in categories:
        if category.pleo_account_id in balance_sheet:
            continue
        mapping = mappings.get(category.pleo_account_id)
        if mapping is not None:
            rows[category.pleo_account_id] = (
                mapping.visma_account_number,
                mapping.default_vat_category,
            )
        elif category.external_id in accounts and not category.archived:
            account = accounts[category.external_id]
            if account.active:
                rows[category.pleo_account_id] = (account.number, account.tax_category)
    return rows, mappings, balance_sheet


@connection_member_required
@finance_required
@require_http_methods(["GET", "POST"])
def setup_categories(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = _connection(connection_id)
    if request.method == "POST" and request.POST.get("action") == "push":
        push = category_mappings_push_to_pleo(connection=connection)
        if push.errors:
            messages.error(
                request,
                f"Pleo could not be updated for {len(push.errors)} categor"
                f"{'y' if len(push.errors) == 1 else 'ies'}: "
                + "; ".join(sorted(set(push.errors.values())))[:500],
            )
        else:
            messages.success(
                request, f"Pleo is up to date ({len(push.updated)} categories updated)."
            )
        return redirect("masterdata:setup_categories", connection_id=connection.pk)

    read = pleo_categories_for_connection(connection=connection)
    rows, mappings, balance_sheet = _category_rows(connection, read.categories)
    expense_categories = [c for c in read.categories if c.pleo_account_id not in balance_sheet]
    form = CategoriesForm(
        request.POST or None,
        connection=connection,
        categories=expense_categories,
        initial_rows=rows,
    )
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.category_mappings_update(
                connection=connection,
                items=form.to_input(),
                user=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            refused = _errors_to_messages(exc)
        else:
            if result.pleo_errors:
                messages.error(
                    request,
                    f"Mappings saved here, but Pleo could not be updated for "
                    f"{len(result.pleo_errors)} categor"
                    f"{'y' if len(result.pleo_errors) == 1 else 'ies'} ("
                    + "; ".join(sorted(set(result.pleo_errors.values())))[:500]
                    + "). Pleo's default tax codes are out of date: use “Update Pleo again”.",
                )
            elif result.changed_ids:
                messages.success(
                    request,
                    saved_message(
                        f"{len(result.changed_ids)} category mapping(s) saved"
                        f"{' and sent to Pleo' if result.pleo_updated else ''}.",
                        connection_id=connection.pk,
                        after="Categories mapped",
                    ),
                )
            else:
                messages.info(request, "Nothing changed.")
            return redirect("masterdata:setup_categories", connection_id=connection.pk)
    # Where Pleo's tax code differs from the saved mapping, Pleo is behind.
    out_of_date = {
        c.pleo_account_id
        for c in read.categories
        if read.live
        and c.pleo_account_id in mappings
        and (c.tax_code_external_id or "") != mappings[c.pleo_account_id].default_vat_category
    }
    unmapped = sum(
        1 for c in expense_categories if not c.archived and c.pleo_account_id not in rows
    )
    table = [
        (
            category,
            account,
            vat,
            _category_state(
                category,
                saved=category.pleo_account_id in mappings,
                suggested=category.pleo_account_id in rows,
                out_of_date=category.pleo_account_id in out_of_date,
            ),
        )
        for category, account, vat in form.rows()
    ]
    return render(
        request,
        "masterdata/setup/categories.html",
        _context(
            request,
            connection,
            form=form,
            refused=refused,
            read=read,
            table=table,
            balance_sheet=[c for c in read.categories if c.pleo_account_id in balance_sheet],
            out_of_date=out_of_date,
            unmapped=unmapped,
            history=category_mappings_history(connection=connection),
        ),
        status=400 if refused or (request.method == "POST" and form.errors) else 200,
    )
